/** Lambda `close-release`: the `CloseRelease` state of the release playbook. Logic: lib/runtime/playbook/release/close-release.ts `closeRelease`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { closeRelease } from '../../lib/runtime/playbook/release/close-release';
import { ReleaseStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('close-release', ReleaseStateSchema, closeRelease);
