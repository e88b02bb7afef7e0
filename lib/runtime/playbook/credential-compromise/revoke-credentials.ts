import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import type { PlaybookState } from '../../../core/contracts/state';
import { revoke, RevocationResult } from './revoke';

/**
 * RevokeCredentials: deny the IAM user (deactivating the leaked key when the user still has it, and
 * listing every key the user has now), or revoke the role's sessions.
 * @throws {ResourceGone} when the user or the role no longer exists.
 */
export async function revokeCredentials(state: PlaybookState, deps: StepDeps): Promise<RevocationResult> {
  return runStep('RevokeCredentials', caseTarget(state, deps.ledger), () => revoke(state, deps, 'apply'));
}
