import type { Incident } from '../../../core/incident/incident';
import type { DecisionHooks } from '../hooks';

/**
 * Decide of `ecs-task-compromise`: a finding that names no task Firebreak can act on (no task ARN, or one outside the
 * finding's own account, region or cluster: lib/core/incident/ecs-task.ts) has nothing to stop: a notify-only case that
 * says why. Otherwise the catalog decides (`ecs-task-high`: approval).
 * @returns the reason, or `undefined` when the catalog decides.
 */
function refusal(i: Incident): string | undefined {
  if (i.resource.type !== 'EcsTask' || i.resource.taskArn) return undefined;
  return `${i.resource.notActionable ?? 'the finding names no ECS task'}: nothing to stop, notify-only case, see runbooks/ecs-task-compromise/runbook.md`;
}

/** Decide's hooks of `ecs-task-compromise` (decision-registry.ts). */
export const ECS_TASK_COMPROMISE_DECISION: DecisionHooks = { refusal };
