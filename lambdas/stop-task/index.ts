/** Lambda `stop-task`: the `StopTask` state of the ecs-task-compromise playbook. Logic: lib/runtime/playbook/ecs-task-compromise/stop-task.ts `stopTask`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { stopTask } from '../../lib/runtime/playbook/ecs-task-compromise/stop-task';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('stop-task', PlaybookStateSchema, stopTask);
