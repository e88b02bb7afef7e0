/** Lambda `record-failure`: the `RecordFailure / RecordResourceGone` state of the ec2-compromise playbook. Logic: lib/runtime/playbook/ec2-compromise.ts `recordFailure`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { recordFailure } from '../../lib/runtime/playbook/ec2-compromise';
import { FailureInputSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('record-failure', FailureInputSchema, recordFailure);
