/** Lambda `release-credentials`: the `ReleaseCredentials` state of the release playbook (releaser role). Logic: lib/runtime/playbook/release/release-credentials.ts `releaseCredentials`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { releaseCredentials } from '../../lib/runtime/playbook/release/release-credentials';
import { ReleaseStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('release-credentials', ReleaseStateSchema, releaseCredentials);
