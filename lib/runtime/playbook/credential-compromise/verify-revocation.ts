import { InvalidInput, NotYetConsistent } from '../../../core/errors';
import { readUserRevocation, rolePolicyState, roleRevocationProblem } from '../../iam/revoke';
import { ROLE_VPC_RESTRICTION_POLICY_NAME, roleVpcRestrictionPolicy } from '../../iam/policies';
import { AWS_DENY_ALL_POLICY_NAME } from '../../../core/names';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import type { PlaybookState } from '../../../core/contracts/state';
import { credential } from './revoke';
import '../../clients/assume-role';

/**
 * VerifyRevocation: reads the principal back. For an IAM user, the user's keys and its deny-all
 * policy (ListAccessKeys, ListAttachedUserPolicies: AWSDenyAll), whether the finding's key is still there or not. IAM is
 * eventually consistent, so a change that does not read back yet raises {@link NotYetConsistent},
 * which the state machine retries with a bounded backoff before it fails the execution.
 * @throws {ResourceGone} when the user no longer exists.
 */
export async function verifyRevocation(state: PlaybookState, deps: StepDeps) {
  const r = credential(state);
  const { iam } = deps.clients.member(state.incident.account, state.incident.region);
  return runStep('VerifyRevocation', caseTarget(state, deps.ledger), async () => {
    // RevokeCredentials' result (`principal`), not RevokeActor's (cloudtrail-tamper), which shares `$.revocation`.
    const rev = state.revocation && 'principal' in state.revocation ? state.revocation : undefined;
    if (rev?.protectedReason) return { verified: false, skipped: rev.protectedReason };
    if (r.userType === 'IAMUser') {
      // Always both reads (keys and the deny-all policy): a key that is gone, or an ASIA key, must not make this pass unread.
      const back = await readUserRevocation(iam, r.userName!, r.accessKeyId);
      if (back.problem) throw new NotYetConsistent(back.problem);
      return { verified: true, leakedKey: back.leakedKey, denyAllPolicy: AWS_DENY_ALL_POLICY_NAME, userKeys: back.keys };
    }
    if (rev?.scope === 'restrict-to-vpc') {
      const state = await rolePolicyState(iam, r.userName!, ROLE_VPC_RESTRICTION_POLICY_NAME, roleVpcRestrictionPolicy());
      if (state !== 'same') throw new NotYetConsistent(`${r.userName}: ${ROLE_VPC_RESTRICTION_POLICY_NAME} is ${state}`);
      return { verified: true, roleName: r.userName, scope: rev.scope };
    }
    const cutoff = rev?.cutoff;
    if (!cutoff) throw new InvalidInput('revocation.cutoff is missing from the playbook state');
    const problem = await roleRevocationProblem(iam, r.userName!, cutoff);
    if (problem) throw new NotYetConsistent(problem);
    return { verified: true, roleName: r.userName, cutoff };
  });
}
