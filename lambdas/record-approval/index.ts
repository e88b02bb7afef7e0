/** Lambda `record-approval`: the `RecordApproval` state. Logic: lib/runtime/playbook/shared/record-approval.ts. */
import { recordApproval } from '../../lib/runtime/playbook/shared/record-approval';
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('record-approval', PlaybookStateSchema, recordApproval);
