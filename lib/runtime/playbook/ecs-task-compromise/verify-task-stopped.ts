import type { PlaybookState } from '../../../core/contracts/state';
import { verifyTaskStopped as readBackStopped } from '../../ecs/stop';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import { taskTargetOfState } from './common';

/**
 * VerifyTaskStopped (ecs-task-compromise): reads the task back through the responder role: its desired status is
 * `STOPPED` (or ECS no longer describes it). What does not read back raises {@link NotYetConsistent}, which the state
 * machine retries.
 */
export async function verifyTaskStopped(state: PlaybookState, deps: StepDeps) {
  const i = state.incident;
  const { ecs } = deps.clients.member(i.account, i.region);
  return runStep('VerifyTaskStopped', caseTarget(state, deps.ledger), () => readBackStopped(ecs, taskTargetOfState(state)));
}
