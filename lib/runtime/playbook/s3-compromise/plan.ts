import type { PlaybookState } from '../../../core/contracts/state';
import { ensureBucketContained } from '../../s3/contain';
import { ensureBucketPreserved } from '../../s3/preserve';
import type { StepDeps } from '../deps-base';
import type { ContainmentPlan } from '../hooks';
import { bucketOf, containmentOf, NO_RECORDS } from './common';

/**
 * PlanDryRun of `s3-compromise` (plan-registry.ts): preservation and containment in plan mode: Get/List calls on the
 * bucket only, zero mutating calls, nothing recorded or written. A sample finding names a placeholder bucket: nothing
 * is looked up.
 */
export async function planBucketContainment(state: PlaybookState, deps: StepDeps): Promise<ContainmentPlan> {
  const b = bucketOf(state);
  const { target, notNamed } = containmentOf(state, deps);
  if (state.incident.sample) {
    return {
      sample: true,
      actions: [{ operation: 'S3.PutBucketVersioning', target: b.bucketName, change: 'sample finding: nothing is looked up' }],
    };
  }
  const { s3 } = deps.clients.member(state.incident.account, state.incident.region);
  const evidence = { s3, bucket: deps.config.evidenceBucket, prefix: '', kmsKeyId: deps.config.evidenceKeyArn };
  const preserved = await ensureBucketPreserved(s3, b.bucketName, 'plan', NO_RECORDS, evidence);
  const contained = await ensureBucketContained(s3, target, 'plan', NO_RECORDS);
  return {
    sample: false,
    actions: [...preserved.actions, ...contained.actions],
    affected: target.principal ? `every session of ${target.principal.principalArn}, on this bucket only` : notNamed,
  };
}
