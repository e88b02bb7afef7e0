import type { PlaybookState } from '../../../core/contracts/state';
import { verifyBucketContained } from '../../s3/contain';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import { containmentOf } from './common';

/**
 * VerifyBucketContainment (s3-compromise): reads the bucket back through the responder role: the policy holds
 * Firebreak's statement (when a principal is denied) and the public access block is fully on (exposure). What does not
 * read back raises {@link NotYetConsistent}, which the state machine retries (a concurrent writer that replaced the
 * policy sends the case to RecordFailure after the retries, notified).
 */
export async function verifyBucketContainment(state: PlaybookState, deps: StepDeps) {
  const i = state.incident;
  const { s3 } = deps.clients.member(i.account, i.region);
  const { target } = containmentOf(state, deps);
  return runStep('VerifyBucketContainment', caseTarget(state, deps.ledger), () => verifyBucketContained(s3, target));
}
