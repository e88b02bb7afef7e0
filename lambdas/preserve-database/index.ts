/** Lambda `preserve-database`: the `PreserveDatabase` state of the rds-compromise playbook. Logic: lib/runtime/playbook/rds-compromise/preserve-database.ts `preserveDatabase`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { preserveDatabase } from '../../lib/runtime/playbook/rds-compromise/preserve-database';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('preserve-database', PlaybookStateSchema, preserveDatabase);
