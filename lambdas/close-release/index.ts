/** Lambda `close-release`: the `CloseRelease` state of the release playbook. Logic: lib/playbook/release.ts `closeRelease`. */
import { stepHandler } from '../../lib/playbook/handler';
import { closeRelease } from '../../lib/playbook/release';
import { ReleaseStateSchema } from '../../lib/playbook/state';

export const handler = stepHandler('close-release', ReleaseStateSchema, closeRelease);
