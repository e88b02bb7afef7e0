/** Lambda `release-credentials`: the `ReleaseCredentials` state of the release playbook (releaser role). Logic: lib/playbook/release.ts `releaseCredentials`. */
import { stepHandler } from '../../lib/playbook/handler';
import { releaseCredentials } from '../../lib/playbook/release';
import { ReleaseStateSchema } from '../../lib/playbook/state';

export const handler = stepHandler('release-credentials', ReleaseStateSchema, releaseCredentials);
