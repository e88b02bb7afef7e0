import { NotYetConsistent } from '../../../core/errors';
import type { PlaybookState } from '../../../core/contracts/state';
import { verifyFunctionContained } from '../../lambda/contain';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import { functionOf } from './common';
import '../../clients/iam';

/**
 * VerifyFunctionContainment (lambda-compromise): reads back through the responder role that the reserved concurrency
 * is 0 and, when ContainFunction revoked the role's sessions, that the role carries Firebreak's revocation policy with
 * the case's cutoff. What does not read back raises {@link NotYetConsistent}, which the state machine retries.
 */
export async function verifyFunctionContainment(state: PlaybookState, deps: StepDeps) {
  const i = state.incident;
  const f = functionOf(state);
  const { lambda, iam } = deps.clients.member(i.account, i.region);
  const c = state.functionContainment;
  const revoked = c?.roleName !== undefined && c.cutoff !== undefined;
  return runStep('VerifyFunctionContainment', caseTarget(state, deps.ledger), async () => {
    const input = { functionName: f.functionName, ...(revoked ? { roleName: c.roleName, cutoff: c.cutoff } : {}) };
    const problems = await verifyFunctionContained({ lambda, iam }, input);
    if (problems.length > 0) throw new NotYetConsistent(problems.join('; '));
    return { functionName: f.functionName, throttled: true as const, roleRevoked: revoked };
  });
}
