import { InvalidInput } from '../../../core/errors';
import type { PlaybookState } from '../../../core/contracts/state';
import { ensureBucketContained } from '../../s3/contain';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import { containmentOf, priorRecorder } from './common';

/**
 * ContainBucket (s3-compromise): Firebreak's deny statement for the principal the finding names, and the public access
 * block fully on for an exposure finding ({@link ensureBucketContained}: read, record the prior state, apply the
 * difference). When the principal cannot be named exactly nobody is denied, and the result says why (`notNamed`), which
 * the notification carries: a person decides.
 * @throws {QuotaExceeded} when the policy would exceed S3's 20 KB (nothing changed; the case fails, notified).
 * @throws {ResourceGone} when the bucket is gone. {@link InvalidInput} for a dry run.
 */
export async function containBucket(state: PlaybookState, deps: StepDeps) {
  if (state.incident.dryRun) throw new InvalidInput('ContainBucket does not run on a dry run (PlanDryRun plans it)');
  const i = state.incident;
  const { s3 } = deps.clients.member(i.account, i.region);
  const { target, notNamed } = containmentOf(state, deps);
  return runStep(
    'ContainBucket',
    caseTarget(state, deps.ledger),
    async () => {
      const out = await ensureBucketContained(s3, target, 'apply', priorRecorder(deps.ledger, state.case.caseId));
      return { ...out, ...(notNamed ? { notNamed } : {}) };
    },
    (out) => ({
      policy: out.policy,
      sid: out.sid,
      principalArn: out.principalArn,
      notNamed: out.notNamed,
      publicAccessBlock: out.publicAccessBlock,
      // What was changed (an empty list when already contained), for the case timeline and its report.
      actions: out.actions,
    }),
  );
}
