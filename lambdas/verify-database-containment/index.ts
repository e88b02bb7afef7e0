/** Lambda `verify-database-containment`: the `VerifyDatabaseContainment` state of the rds-compromise playbook. Logic: lib/runtime/playbook/rds-compromise/verify-database-containment.ts `verifyDatabaseContainment`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { verifyDatabaseContainment } from '../../lib/runtime/playbook/rds-compromise/verify-database-containment';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('verify-database-containment', PlaybookStateSchema, verifyDatabaseContainment);
