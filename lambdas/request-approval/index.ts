/** Lambda `request-approval`: the `RequestApproval` state (`.waitForTaskToken`). Logic: lib/playbook/approval.ts. */
import { requestApproval, RequestApprovalInputSchema } from '../../lib/playbook/approval';
import { stepHandler } from '../../lib/playbook/handler';

export const handler = stepHandler('request-approval', RequestApprovalInputSchema, requestApproval);
