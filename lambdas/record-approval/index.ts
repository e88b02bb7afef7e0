/** Lambda `record-approval`: the `RecordApproval` state. Logic: lib/playbook/approval.ts. */
import { recordApproval } from '../../lib/playbook/approval';
import { stepHandler } from '../../lib/playbook/handler';
import { PlaybookStateSchema } from '../../lib/playbook/state';

export const handler = stepHandler('record-approval', PlaybookStateSchema, recordApproval);
