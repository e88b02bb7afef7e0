import { PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import type { PlannedAction, StepMode } from '../ec2/instance';
import { putArtifactOnce, StoredArtifact } from '../evidence/vault';
import {
  listObjectVersions,
  OBJECT_VERSION_PAGE_CAP,
  readBucketAcl,
  readBucketPolicy,
  readPublicAccessBlock,
  readVersioning,
  VersioningState,
} from './bucket';
import type { PriorRecorder } from './contain';

/**
 * Preservation of an S3 bucket before containment (s3-compromise): versioning turned on, so that from now on no object
 * can be overwritten or deleted without its earlier version being kept ("Retaining multiple versions of objects with
 * S3 Versioning", S3 User Guide), and the bucket's configuration and a listing of its object versions copied as JSON
 * into the security account's evidence bucket, each with its SHA-256 (the manifest lists them). Reads metadata only:
 * never GetObject on member data, never deletes or overwrites an object. The `AWSSupport-ContainS3Resource` runbook
 * likewise backs the bucket's configuration up before it changes anything
 * (https://docs.aws.amazon.com/systems-manager-automation-runbooks/latest/userguide/automation-awssupport-contains3resource.html).
 */

/** `priorState.versioning`: the bucket's versioning before Firebreak turned it on. */
export interface VersioningPrior {
  readonly bucket: string;
  readonly status: VersioningState;
}

/** Where the artifacts go. */
export interface EvidenceTarget {
  readonly s3: S3Client;
  readonly bucket: string;
  /** The case's key prefix (`caseEvidencePrefix`). */
  readonly prefix: string;
  readonly kmsKeyId: string;
}

/** What preservation did or would do. */
export interface BucketPreservationResult {
  readonly bucket: string;
  /** The versioning before Firebreak (the recorded prior state). */
  readonly priorVersioning: VersioningState;
  /** `turned-on`, or `already-on` (it was Enabled before). */
  readonly versioning: 'turned-on' | 'already-on';
  /** Stored artifacts (none in plan mode). */
  readonly artifacts: StoredArtifact[];
  /** Object versions and delete markers listed; `listingTruncated` when the page cap stopped the listing. */
  readonly objectVersions: number;
  readonly listingTruncated: boolean;
  readonly actions: PlannedAction[];
}

/**
 * Preserves a bucket (see the module's comment). Everything is read before anything changes; the artifacts are
 * written once (`putArtifactOnce`: a re-run keeps the first copy, made before containment) and versioning is turned
 * on last. The prior versioning state is recorded before the change (first record wins), and the versioning artifact
 * carries it, so a re-run after a crash never reports Firebreak's own change as the bucket's state.
 * @param s3 - S3 in the member account (responder role).
 * @param bucket - the bucket's name.
 * @param mode - `plan`: reads only, nothing written or recorded.
 * @param record - the prior-state recorder.
 * @param evidence - the evidence bucket (security account).
 * @throws {ResourceGone} when the bucket is gone.
 */
export async function ensureBucketPreserved(
  s3: S3Client,
  bucket: string,
  mode: StepMode,
  record: PriorRecorder,
  evidence: EvidenceTarget,
): Promise<BucketPreservationResult> {
  const [policy, acl, publicAccessBlock, versioning, listing] = await Promise.all([
    readBucketPolicy(s3, bucket),
    readBucketAcl(s3, bucket),
    readPublicAccessBlock(s3, bucket),
    readVersioning(s3, bucket),
    listObjectVersions(s3, bucket),
  ]);
  const actions: PlannedAction[] =
    versioning.status === 'Enabled'
      ? []
      : [{ operation: 'S3.PutBucketVersioning', target: bucket, change: `versioning ${versioning.status} → Enabled` }];
  const base = { bucket, objectVersions: listing.entries.length, listingTruncated: listing.truncated, actions };
  if (mode === 'plan') {
    const state = versioning.status === 'Enabled' ? 'already-on' : 'turned-on';
    return { ...base, priorVersioning: versioning.status, versioning: state, artifacts: [] };
  }
  const prior = await record<VersioningPrior>('versioning', { bucket, status: versioning.status });
  const documents: Record<string, unknown> = {
    'bucket-policy.json': { bucket, policy: policy === undefined ? null : policy },
    'bucket-acl.json': { bucket, ...acl },
    'public-access-block.json': { bucket, publicAccessBlock },
    'versioning.json': { bucket, priorStatus: prior.status, readStatus: versioning.status, mfaDelete: versioning.mfaDelete ?? null },
    'object-versions.json': {
      bucket,
      pageCap: OBJECT_VERSION_PAGE_CAP,
      pages: listing.pages,
      truncated: listing.truncated,
      entries: listing.entries,
    },
  };
  const artifacts: StoredArtifact[] = [];
  for (const [name, doc] of Object.entries(documents)) {
    const body = `${JSON.stringify(doc, null, 2)}\n`;
    const key = `${evidence.prefix}bucket/${name}`;
    artifacts.push(await putArtifactOnce({ bucket: evidence.bucket, key, name, body, kmsKeyId: evidence.kmsKeyId }, { s3: evidence.s3 }));
  }
  if (versioning.status !== 'Enabled') {
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  }
  return { ...base, priorVersioning: prior.status, versioning: prior.status === 'Enabled' ? 'already-on' : 'turned-on', artifacts };
}
