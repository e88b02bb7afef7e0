import type { StepMode } from '../ec2/instance';
import { ensureRoleSessionsRevoked, ensureUserKeyRevoked } from '../iam/revoke';
import type { StepDeps } from './deps-base';
import type { PlaybookState } from '../../core/contracts/state';
import '../clients/assume-role';

/**
 * Case-level credential revocation shared by credential-compromise and cloudtrail-tamper: the
 * member-account IAM client, the prior state recorded on the case, and (for roles) a session cutoff
 * fixed once per case, so a re-run writes the same policy.
 */

/**
 * Deactivates a user's key (when given) and attaches AWS's managed AWSDenyAll to the user
 * ({@link ensureUserKeyRevoked}), recording the prior state on the case under `priorState.user`.
 */
export function revokeUserForCase(state: PlaybookState, deps: StepDeps, user: { userName: string; accessKeyId?: string }, mode: StepMode) {
  const { iam } = deps.clients.member(state.incident.account, state.incident.region);
  return ensureUserKeyRevoked(
    { ...user, removeLoginProfile: deps.config.removeLoginProfile, mode, partition: state.incident.partition },
    { iam, recordPriorState: mode === 'apply' ? (v) => deps.ledger.recordPriorState(state.case.caseId, 'user', v) : undefined },
  );
}

/**
 * Revokes every session of a role issued before the time of the action ({@link ensureRoleSessionsRevoked}).
 * The cutoff is rounded up to the next whole second (the policy's resolution, so a session issued
 * earlier in the same second is revoked too) and recorded once per case (`decisions.revocationCutoff`).
 */
export async function revokeRoleSessionsForCase(state: PlaybookState, deps: StepDeps, roleName: string, mode: StepMode) {
  const { iam } = deps.clients.member(state.incident.account, state.incident.region);
  const now = new Date(Math.ceil(deps.now().getTime() / 1000) * 1000).toISOString();
  const cutoff = mode === 'apply' ? await deps.ledger.recordDecision(state.case.caseId, 'revocationCutoff', now) : now;
  return ensureRoleSessionsRevoked(
    { roleName, cutoff: new Date(cutoff), mode, protectedRoleNames: [deps.config.responderRoleName] },
    { iam, recordPriorState: mode === 'apply' ? (v) => deps.ledger.recordPriorState(state.case.caseId, 'role', v) : undefined },
  );
}
