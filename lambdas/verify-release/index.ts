/** Lambda `verify-release`: the `VerifyRelease` state of the release playbook (releaser role, reads only). Logic: lib/playbook/release.ts `verifyRelease`. */
import { stepHandler } from '../../lib/playbook/handler';
import { verifyRelease } from '../../lib/playbook/release';
import { ReleaseStateSchema } from '../../lib/playbook/state';

export const handler = stepHandler('verify-release', ReleaseStateSchema, verifyRelease);
