import { InvalidInput } from '../../../core/errors';
import type { ReleaseState } from '../../../core/contracts/state';
import { ensureBucketReleased } from '../../s3/release';
import type { ReleaseItem } from '../../release/plan';
import type { PlannedAction } from '../../ec2/instance';
import type { StepDeps } from '../deps-base';
import { runStep } from '../run-step';
import { caseRecord, priorOf, releaseTarget } from './common';
import { releaserClients } from './releaser';
import '../../clients/s3';

/** ReleaseBucket's result, in the shape of every release step's (`ReleaseResult`). */
export interface BucketReleaseStepResult {
  readonly mode: 'apply';
  readonly bucket: string;
  readonly actions: PlannedAction[];
  readonly unchanged: ReleaseItem[];
  readonly notRestored: ReleaseItem[];
}

/**
 * ReleaseBucket: undoes an s3-compromise case from the prior state it recorded ({@link ensureBucketReleased}), through
 * the releaser role: Firebreak's deny statement out of the policy (every other statement as it is now), the public
 * access block back to its recorded configuration, versioning back to Suspended when it was not Enabled before.
 * @throws {InvalidInput} when the case is not about a bucket. {@link ResourceGone} when the bucket is gone.
 */
export async function releaseBucket(state: ReleaseState, deps: StepDeps): Promise<BucketReleaseStepResult> {
  const { s3 } = releaserClients(state, deps);
  return runStep('ReleaseBucket', releaseTarget(state, deps), async () => {
    const record = await caseRecord(state, deps);
    const r = record.incident.resource;
    if (r.type !== 'S3Bucket') throw new InvalidInput(`Case ${record.caseId} is not about an S3 bucket`);
    const out = await ensureBucketReleased(s3, r.bucketName, priorOf(record));
    return { mode: 'apply', bucket: out.bucket, actions: out.restored, unchanged: [], notRestored: out.notRestored };
  });
}
