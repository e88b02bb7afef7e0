/** Lambda `request-approval`: the `RequestApproval` state (`.waitForTaskToken`). Logic: lib/runtime/playbook/shared/request-approval.ts. */
import { requestApproval, RequestApprovalInputSchema } from '../../lib/runtime/playbook/shared/request-approval';
import { stepHandler } from '../../lib/runtime/playbook/handler';

export const handler = stepHandler('request-approval', RequestApprovalInputSchema, requestApproval);
