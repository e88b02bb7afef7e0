/** Lambda `release-instance`: the `ReleaseInstance` state of the release playbook (releaser role). Logic: lib/playbook/release.ts `releaseInstance`. */
import { stepHandler } from '../../lib/playbook/handler';
import { releaseInstance } from '../../lib/playbook/release';
import { ReleaseStateSchema } from '../../lib/playbook/state';

export const handler = stepHandler('release-instance', ReleaseStateSchema, releaseInstance);
