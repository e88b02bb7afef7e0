import type { PlannedAction } from '../../ec2/instance';
import type { StepDeps } from '../deps-base';
import type { PlaybookState } from '../../../core/contracts/state';
import { restore } from './restore';
import { revokeActorCredentials } from './actor';
import type { PlaybookHooks } from '../hooks';

/** The registry entry of `cloudtrail-tamper` (registry.ts). */
export const CLOUDTRAIL_TAMPER_HOOKS: PlaybookHooks = {
  // A call that failed changed nothing (CloudTrail records failed calls with `errorCode`).
  refusal: (i) => (i.resource.type === 'ApiCall' && i.resource.errorCode ? `the call failed (${i.resource.errorCode}): it changed nothing, so nothing is contained` : undefined),
  plan: planTamperResponse,
};

/** The dry-run plan of cloudtrail-tamper (read calls only). */
export async function planTamperResponse(state: PlaybookState, deps: StepDeps): Promise<{ sample: boolean; actions: PlannedAction[] }> {
  const [restored, revoked] = [await restore(state, deps, 'plan'), await revokeActorCredentials(state, deps, 'plan')];
  return { sample: false, actions: [...restored.actions, ...revoked.actions] };
}
