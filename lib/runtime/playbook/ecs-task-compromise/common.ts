import { InvalidInput } from '../../../core/errors';
import type { PlaybookState } from '../../../core/contracts/state';
import type { EcsTaskResource } from '../../../core/incident/incident';
import { taskTargetOf, TaskTarget } from '../../ecs/task';
import type { CaseLedger } from '../../ledger/ledger';
import type { TaskPriorRecorder } from '../../ecs/stop';
import '../../clients/ecs';
import '../../clients/assume-role';

/** The ecs-task-compromise incident's task resource. @throws {InvalidInput} when the incident is not about a task. */
export function taskResourceOf(state: Pick<PlaybookState, 'incident'>): EcsTaskResource {
  const r = state.incident.resource;
  if (r.type !== 'EcsTask') throw new InvalidInput(`ecs-task-compromise needs an EcsTask resource, not ${r.type}`);
  return r;
}

/**
 * The task to act on, its ARN checked again against the incident's account, region and cluster ({@link taskTargetOf}).
 * @throws {InvalidInput} when the finding names no task Firebreak can act on (Decide makes such a case notify-only).
 */
export function taskTargetOfState(state: Pick<PlaybookState, 'incident'>): TaskTarget {
  const i = state.incident;
  const r = taskResourceOf(state);
  if (!r.taskArn) throw new InvalidInput(r.notActionable ?? 'the finding names no ECS task');
  return taskTargetOf(r.taskArn, { partition: i.partition, account: i.account, region: i.region, cluster: r.cluster });
}

/** The prior-state recorder of a case (the ledger's `recordPriorState`: the first record of a key wins). */
export function taskPriorRecorder(ledger: CaseLedger, caseId: string): TaskPriorRecorder {
  return (key, value) => ledger.recordPriorState(caseId, key, value);
}
