import type { PlaybookState } from '../../../core/contracts/state';
import { chainedRoutes, routeResource } from '../../../core/incident/sequence-summary';
import type { ContainmentPlan } from '../hooks';

/**
 * PlanDryRun of `attack-sequence` (plan-registry.ts): the chained starts ChainSequenceContainment would make, from the
 * incident alone (no AWS call at all: each chained playbook plans its own containment when it runs).
 * @returns the plan: one `StepFunctions.StartExecution` per chained resource.
 */
export async function planSequenceChains(state: PlaybookState): Promise<ContainmentPlan> {
  const routes = chainedRoutes(state.incident.sequence);
  return {
    sample: state.incident.sample,
    actions: routes.map((r) => ({
      operation: 'StepFunctions.StartExecution',
      target: `${r.playbook}:${r.account}:${routeResource(r)}`,
      change: `${state.incident.sample ? 'sample finding: would start' : 'would start'} ${r.playbook} chained from this case (${r.why})`,
    })),
  };
}
