/** Lambda `preserve-task`: the `PreserveTask` state of the ecs-task-compromise playbook. Logic: lib/runtime/playbook/ecs-task-compromise/preserve-task.ts `preserveTask`. */
import { stepHandler } from '../../lib/runtime/playbook/handler';
import { preserveTask } from '../../lib/runtime/playbook/ecs-task-compromise/preserve-task';
import { PlaybookStateSchema } from '../../lib/core/contracts/state';

export const handler = stepHandler('preserve-task', PlaybookStateSchema, preserveTask);
