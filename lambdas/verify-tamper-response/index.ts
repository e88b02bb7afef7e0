/** Lambda `verify-tamper-response`: the `VerifyTamperResponse` state of the cloudtrail-tamper playbook. Logic: lib/playbook/cloudtrail-tamper.ts `verifyTamperResponse`. */
import { stepHandler } from '../../lib/playbook/handler';
import { verifyTamperResponse } from '../../lib/playbook/cloudtrail-tamper';
import { PlaybookStateSchema } from '../../lib/playbook/state';

export const handler = stepHandler('verify-tamper-response', PlaybookStateSchema, verifyTamperResponse);
