/** Lambda `record-failure`: the `RecordFailure / RecordResourceGone` state, shared by the containment playbooks. Logic: lib/runtime/playbook/shared/record-failure.ts `recordFailure`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { recordFailure } from '../../lib/runtime/playbook/shared/record-failure';
import { FailureInputSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('record-failure', FailureInputSchema, recordFailure);
