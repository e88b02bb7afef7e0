import type { PlaybookState } from '../../../core/contracts/state';
import type { StepDeps } from '../deps-base';
import type { ContainmentPlan } from '../hooks';
import { planHookOf } from '../plan-registry';

/**
 * PlanDryRun: what containment would do, from Describe calls only (zero mutating calls): the incident's playbook's
 * plan ({@link PlanHook}, plan-registry.ts); a playbook without one (notify-only) would change nothing, so its plan is empty.
 * @param state - the playbook state after Claim (a dry run: `case.status` `DRY_RUN`).
 * @param deps - step dependencies (the member account's clients).
 * @returns the plan.
 * @throws the SDK's errors (mapped by the handler) when a read fails.
 */
export async function planContainment(state: PlaybookState, deps: StepDeps): Promise<ContainmentPlan> {
  const plan = planHookOf(state.incident.playbook);
  return plan ? plan(state, deps) : { sample: state.incident.sample, actions: [] };
}
