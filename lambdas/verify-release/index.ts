/** Lambda `verify-release`: the `VerifyRelease` state of the release playbook (releaser role, reads only). Logic: lib/runtime/playbook/release/verify-release.ts `verifyRelease`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { verifyRelease } from '../../lib/runtime/playbook/release/verify-release';
import { ReleaseStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('verify-release', ReleaseStateSchema, verifyRelease);
