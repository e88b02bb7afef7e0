/** Lambda `record-failure`: the `RecordFailure / RecordResourceGone` state of the ec2-compromise playbook. Logic: lib/playbook/ec2-compromise.ts `recordFailure`. */
import { stepHandler } from '../../lib/playbook/handler';
import { recordFailure } from '../../lib/playbook/ec2-compromise';
import { FailureInputSchema } from '../../lib/playbook/state';

export const handler = stepHandler('record-failure', FailureInputSchema, recordFailure);
