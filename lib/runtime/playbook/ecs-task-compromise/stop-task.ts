import { InvalidInput } from '../../../core/errors';
import type { PlaybookState } from '../../../core/contracts/state';
import { ensureTaskStopped } from '../../ecs/stop';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import { taskPriorRecorder, taskTargetOfState } from './common';

/**
 * StopTask (ecs-task-compromise): after PreserveTask, and after a person approved in approval mode (the catalog's
 * `ecs-task-high`), {@link ensureTaskStopped}: reads the task, records its statuses on the case, sends StopTask with a
 * reason naming the case unless it is already stopped or stopping. The task's service is never changed (the runbook
 * gives the commands).
 * @throws {InvalidInput} for a dry run.
 */
export async function stopTask(state: PlaybookState, deps: StepDeps) {
  if (state.incident.dryRun) throw new InvalidInput('StopTask does not run on a dry run (PlanDryRun plans it)');
  const i = state.incident;
  const t = taskTargetOfState(state);
  const { ecs } = deps.clients.member(i.account, i.region);
  return runStep(
    'StopTask',
    caseTarget(state, deps.ledger),
    () => ensureTaskStopped(ecs, t, state.case.caseId, 'apply', taskPriorRecorder(deps.ledger, state.case.caseId)),
    // `actions`: what was changed (an empty list when already stopped), for the case timeline and its report.
    (out) => ({ taskArn: out.taskArn, outcome: out.outcome, actions: out.actions }),
  );
}
