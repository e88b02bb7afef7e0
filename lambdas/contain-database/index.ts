/** Lambda `contain-database`: the `ContainDatabase` state of the rds-compromise playbook. Logic: lib/runtime/playbook/rds-compromise/contain-database.ts `containDatabase`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { containDatabase } from '../../lib/runtime/playbook/rds-compromise/contain-database';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('contain-database', PlaybookStateSchema, containDatabase);
