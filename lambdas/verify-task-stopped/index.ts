/** Lambda `verify-task-stopped`: the `VerifyTaskStopped` state of the ecs-task-compromise playbook. Logic: lib/runtime/playbook/ecs-task-compromise/verify-task-stopped.ts `verifyTaskStopped`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { verifyTaskStopped } from '../../lib/runtime/playbook/ecs-task-compromise/verify-task-stopped';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('verify-task-stopped', PlaybookStateSchema, verifyTaskStopped);
