/** Lambda `restore-logging`: the `RestoreLogging` state of the cloudtrail-tamper playbook. Logic: lib/runtime/playbook/cloudtrail-tamper/restore-logging.ts `restoreLogging`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { restoreLogging } from '../../lib/runtime/playbook/cloudtrail-tamper/restore-logging';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('restore-logging', PlaybookStateSchema, restoreLogging);
