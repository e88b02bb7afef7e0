import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import type { PlaybookState } from '../../../core/contracts/state';
import { ActorRevocation, revokeActorCredentials } from './actor';

/** RevokeActor: contain whoever made the call, as credential-compromise would. */
export async function revokeActor(state: PlaybookState, deps: StepDeps): Promise<ActorRevocation> {
  return runStep('RevokeActor', caseTarget(state, deps.ledger), () => revokeActorCredentials(state, deps, 'apply'));
}
