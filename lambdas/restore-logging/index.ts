/** Lambda `restore-logging`: the `RestoreLogging` state of the cloudtrail-tamper playbook. Logic: lib/playbook/cloudtrail-tamper.ts `restoreLogging`. */
import { stepHandler } from '../../lib/playbook/handler';
import { restoreLogging } from '../../lib/playbook/cloudtrail-tamper';
import { PlaybookStateSchema } from '../../lib/playbook/state';

export const handler = stepHandler('restore-logging', PlaybookStateSchema, restoreLogging);
