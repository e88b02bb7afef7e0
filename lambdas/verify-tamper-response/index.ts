/** Lambda `verify-tamper-response`: the `VerifyTamperResponse` state of the cloudtrail-tamper playbook. Logic: lib/runtime/playbook/cloudtrail-tamper/verify-tamper-response.ts `verifyTamperResponse`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { verifyTamperResponse } from '../../lib/runtime/playbook/cloudtrail-tamper/verify-tamper-response';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('verify-tamper-response', PlaybookStateSchema, verifyTamperResponse);
