import type { PlaybookState } from '../../../core/contracts/state';
import { ensureTaskStopped } from '../../ecs/stop';
import { readTask, taskServiceName } from '../../ecs/task';
import type { StepDeps } from '../deps-base';
import type { ContainmentPlan } from '../hooks';
import { taskResourceOf, taskTargetOfState } from './common';

/**
 * PlanDryRun of `ecs-task-compromise` (plan-registry.ts): DescribeTasks and StopTask in plan mode, zero mutating calls,
 * nothing recorded or written. PreserveTask changes nothing in the member account (its reads and the evidence writes in
 * the security account are not planned, as s3-compromise's evidence writes are not). A sample finding names a placeholder
 * task: nothing is looked up.
 */
export async function planTaskContainment(state: PlaybookState, deps: StepDeps): Promise<ContainmentPlan> {
  const r = taskResourceOf(state);
  if (state.incident.sample) {
    return {
      sample: true,
      actions: [{ operation: 'ECS.StopTask', target: r.taskArn ?? r.id, change: 'sample finding: nothing is looked up' }],
    };
  }
  const t = taskTargetOfState(state);
  const { ecs } = deps.clients.member(state.incident.account, state.incident.region);
  const task = await readTask(ecs, t);
  const stopped = await ensureTaskStopped(ecs, t, state.case?.caseId ?? 'dry-run', 'plan', async (_k, v) => v);
  const service = task && taskServiceName(task);
  return {
    sample: false,
    actions: stopped.actions,
    affected: service
      ? `task ${t.taskArn} of service ${service}: the service starts a replacement from the same task definition`
      : `task ${t.taskArn} (no service: nothing replaces it)`,
  };
}
