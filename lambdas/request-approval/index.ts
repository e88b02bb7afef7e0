/** Lambda `request-approval`: the `RequestApproval` state (`.waitForTaskToken`). Logic: lib/runtime/playbook/approval.ts. */
import { requestApproval, RequestApprovalInputSchema } from '../../lib/runtime/playbook/approval';
import { stepHandler } from '../../lib/runtime/playbook/handler';

export const handler = stepHandler('request-approval', RequestApprovalInputSchema, requestApproval);
