import type { PlaybookState } from '../../../core/contracts/state';
import type { StepDeps } from '../deps-base';
import type { ContainmentPlan } from '../hooks';
import { restore } from './restore';
import { revokeActorCredentials } from './actor';

/**
 * PlanDryRun of `cloudtrail-tamper` (plan-registry.ts): RestoreLogging and RevokeActor in plan mode (read calls only).
 * @returns the plan (never a sample: a CloudTrail event has no sample findings).
 * @throws the SDK's errors (mapped by the handler) when a read fails.
 */
export async function planTamperResponse(state: PlaybookState, deps: StepDeps): Promise<ContainmentPlan> {
  const [restored, revoked] = [await restore(state, deps, 'plan'), await revokeActorCredentials(state, deps, 'plan')];
  return { sample: false, actions: [...restored.actions, ...revoked.actions] };
}
