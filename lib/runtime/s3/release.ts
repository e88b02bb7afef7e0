import {
  DeleteBucketPolicyCommand,
  DeletePublicAccessBlockCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { NotYetConsistent } from '../../core/errors';
import { FULL_PUBLIC_ACCESS_BLOCK, readBucketPolicy, readPublicAccessBlock, readVersioning, samePublicAccessBlock } from './bucket';
import { hasSid, withoutStatement } from './bucket-policy';
import type { PlannedAction } from '../ec2/instance';
import type { ReleaseItem } from '../release/plan';
import type { BucketPolicyPrior, PublicAccessBlockPrior } from './contain';
import type { VersioningPrior } from './preserve';

/**
 * Release of a contained bucket (the release playbook's ReleaseBucket), from the prior state recorded on the case:
 * - the policy: Firebreak's statement removed from the policy as it is now, every other statement left as it is now;
 *   the policy deleted only when Firebreak's statement is all of it and the bucket had none before (recorded);
 * - the public access block: restored to the recorded configuration (deleted when there was none), but only while it
 *   still is what containment set (fully on); if someone changed it since, it is left as it is and reported;
 * - versioning: back to `Suspended` when it was `Suspended` or never enabled. S3 cannot return a bucket to
 *   "never enabled" ("Retaining multiple versions of objects with S3 Versioning", S3 User Guide: once enabled,
 *   versioning can only be suspended), so a never-versioned bucket ends Suspended, which keeps the versions made
 *   meanwhile and creates no new ones.
 * The public access block goes back before the policy changes (see {@link ensureBucketReleased}). Each part reads first and
 * applies only the difference, so a re-run, two at once, or a re-run after a crash converges.
 * Nothing ends more open than before containment: the statement removed is Firebreak's own, and the public access
 * block goes back only to its recorded prior configuration.
 */

/** The recorded prior state of a contained bucket (`priorState` of the case). */
export interface BucketPriorState {
  readonly bucketPolicy?: BucketPolicyPrior;
  readonly publicAccessBlock?: PublicAccessBlockPrior;
  readonly versioning?: VersioningPrior;
}

/** What release did. */
export interface BucketReleaseResult {
  readonly bucket: string;
  /** Each change made. */
  readonly restored: PlannedAction[];
  /** What was not restored and why (a person decides). */
  readonly notRestored: ReleaseItem[];
}

/**
 * Releases a bucket (see the module's comment).
 * @param s3 - S3 in the member account (the releaser role).
 * @param bucket - the bucket the case contained.
 * @param prior - the case's recorded prior state.
 * @throws {ResourceGone} when the bucket is gone.
 */
export async function ensureBucketReleased(s3: S3Client, bucket: string, prior: BucketPriorState): Promise<BucketReleaseResult> {
  const restored: PlannedAction[] = [];
  const notRestored: ReleaseItem[] = [];
  // The public access block first: with BlockPublicPolicy on, S3 refuses a PutBucketPolicy whose policy is public ("Blocking
  // public access to your Amazon S3 storage", S3 User Guide), and the policy left after Firebreak's statement comes out may
  // be the bucket's own public one. Each intermediate state is at most as open as before containment: the deny statement
  // is still there while the block goes back to its recorded configuration.
  if (prior.publicAccessBlock) await releasePublicAccessBlock(s3, bucket, prior.publicAccessBlock.config, restored, notRestored);
  if (prior.bucketPolicy) await releasePolicy(s3, bucket, prior.bucketPolicy, restored, notRestored);
  if (prior.versioning && prior.versioning.status !== 'Enabled') {
    const now = await readVersioning(s3, bucket);
    if (now.status === 'Enabled') {
      await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Suspended' } }));
      restored.push({
        operation: 'S3.PutBucketVersioning',
        target: bucket,
        change: `versioning Enabled → Suspended (was ${prior.versioning.status})`,
      });
    }
    if (prior.versioning.status === 'never-enabled')
      notRestored.push({
        item: 'versioning',
        target: bucket,
        detail: 'the bucket was never versioned; S3 cannot return it to unversioned, so it is Suspended',
      });
  }
  return { bucket, restored, notRestored };
}

async function releasePolicy(
  s3: S3Client,
  bucket: string,
  prior: BucketPolicyPrior,
  restored: PlannedAction[],
  notRestored: ReleaseItem[],
) {
  const current = await readBucketPolicy(s3, bucket);
  const change = withoutStatement(current, prior.sid, prior.text !== null, prior.statement);
  if (change.change === 'keep') notRestored.push({ item: 'bucket-policy', target: bucket, detail: change.reason! });
  if (change.change === 'delete') {
    await s3.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
    restored.push({
      operation: 'S3.DeleteBucketPolicy',
      target: bucket,
      change: `policy deleted: ${prior.sid} was all of it, and there was none before`,
    });
  }
  if (change.change === 'put') {
    // Narrow the lost-update window (contain.ts): build from a read made right before the put.
    const latest = withoutStatement(await readBucketPolicy(s3, bucket), prior.sid, prior.text !== null, prior.statement);
    if (latest.change === 'put') await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: latest.text! }));
    if (latest.change === 'delete') await s3.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
    restored.push({
      operation: 'S3.PutBucketPolicy',
      target: bucket,
      change: `statement ${prior.sid} removed; every other statement as it is`,
    });
  }
}

async function releasePublicAccessBlock(
  s3: S3Client,
  bucket: string,
  prior: PublicAccessBlockPrior['config'],
  restored: PlannedAction[],
  notRestored: ReleaseItem[],
) {
  const current = await readPublicAccessBlock(s3, bucket);
  if (samePublicAccessBlock(current, prior)) return;
  if (!samePublicAccessBlock(current, FULL_PUBLIC_ACCESS_BLOCK)) {
    notRestored.push({ item: 'public-access-block', target: bucket, detail: 'changed since containment, left as it is; a person decides' });
    return;
  }
  if (prior === 'none') {
    await s3.send(new DeletePublicAccessBlockCommand({ Bucket: bucket }));
    restored.push({ operation: 'S3.DeletePublicAccessBlock', target: bucket, change: 'deleted: the bucket had none before containment' });
    return;
  }
  await s3.send(new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: { ...prior } }));
  restored.push({ operation: 'S3.PutPublicAccessBlock', target: bucket, change: `restored to ${JSON.stringify(prior)}` });
}

/**
 * Reads the release back: no statement with Firebreak's Sid (unless release had to keep it), the public access block as
 * recorded (unless changed since containment), versioning not Enabled when it was not before.
 * @param kept - what {@link ensureBucketReleased} reported as not restored (those parts are not checked).
 * @throws {NotYetConsistent} naming what does not read back.
 */
export async function verifyBucketReleased(s3: S3Client, bucket: string, prior: BucketPriorState, kept: readonly ReleaseItem[] = []) {
  const problems: string[] = [];
  const skip = (item: ReleaseItem['item']) => kept.some((k) => k.item === item);
  if (prior.bucketPolicy && !skip('bucket-policy') && hasSid(await readBucketPolicy(s3, bucket), prior.bucketPolicy.sid))
    problems.push(`the policy still holds ${prior.bucketPolicy.sid}`);
  if (prior.publicAccessBlock && !skip('public-access-block')) {
    if (!samePublicAccessBlock(await readPublicAccessBlock(s3, bucket), prior.publicAccessBlock.config))
      problems.push('the public access block is not the recorded one');
  }
  if (prior.versioning && prior.versioning.status !== 'Enabled' && (await readVersioning(s3, bucket)).status === 'Enabled')
    problems.push('versioning is still Enabled');
  if (problems.length) throw new NotYetConsistent(`bucket ${bucket}: ${problems.join('; ')}`);
  return { bucket, verified: true as const };
}
