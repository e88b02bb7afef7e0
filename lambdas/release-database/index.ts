/** Lambda `release-database`: the `ReleaseDatabase` state of the release playbook (releaser role). Logic: lib/runtime/playbook/release/release-database.ts `releaseDatabase`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { releaseDatabase } from '../../lib/runtime/playbook/release/release-database';
import { ReleaseStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('release-database', ReleaseStateSchema, releaseDatabase);
