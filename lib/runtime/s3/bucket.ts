import {
  GetBucketAclCommand,
  GetBucketPolicyCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  ListObjectVersionsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { ResourceGone } from '../../core/errors';
import { hasAwsCode } from '../aws-errors';

/**
 * Read-only calls on a member account's bucket, each answering "none" where S3 answers with a "no such
 * configuration" error ("Amazon S3 error codes", S3 API Reference: `NoSuchBucketPolicy`,
 * `NoSuchPublicAccessBlockConfiguration`), and {@link ResourceGone} for `NoSuchBucket`.
 */

/** The four settings of a public access block ("PublicAccessBlockConfiguration", S3 API Reference). */
export interface PublicAccessBlockSettings {
  readonly BlockPublicAcls: boolean;
  readonly IgnorePublicAcls: boolean;
  readonly BlockPublicPolicy: boolean;
  readonly RestrictPublicBuckets: boolean;
}

/** A bucket's public access block, or `none` when the bucket has none. */
export type PublicAccessBlockState = PublicAccessBlockSettings | 'none';

/** Whether two public access block states are the same. */
export function samePublicAccessBlock(a: PublicAccessBlockState, b: PublicAccessBlockState): boolean {
  if (a === 'none' || b === 'none') return a === b;
  return (Object.keys(FULL_PUBLIC_ACCESS_BLOCK) as (keyof PublicAccessBlockSettings)[]).every((k) => a[k] === b[k]);
}

/** Every setting of the public access block on: what containment puts ("Blocking public access to your Amazon S3 storage", S3 User Guide). */
export const FULL_PUBLIC_ACCESS_BLOCK: PublicAccessBlockSettings = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
};

/**
 * A bucket's versioning before Firebreak turned it on: `never-enabled` (GetBucketVersioning returns no `Status`),
 * `Suspended` or `Enabled` ("GetBucketVersioning", S3 API Reference: "If you've never set versioning on your bucket, it
 * has no versioning state").
 */
export type VersioningState = 'never-enabled' | 'Suspended' | 'Enabled';

async function gone<T>(bucket: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (hasAwsCode(err, 'NoSuchBucket')) throw new ResourceGone(`bucket ${bucket} no longer exists`, { cause: err });
    throw err;
  }
}

/** The bucket policy's text, or `undefined` when the bucket has none (GetBucketPolicy). */
export async function readBucketPolicy(s3: S3Client, bucket: string): Promise<string | undefined> {
  try {
    return (await gone(bucket, () => s3.send(new GetBucketPolicyCommand({ Bucket: bucket })))).Policy;
  } catch (err) {
    if (hasAwsCode(err, 'NoSuchBucketPolicy')) return undefined;
    throw err;
  }
}

/** The bucket's public access block, or `none` (GetPublicAccessBlock). A setting S3 leaves out is `false`. */
export async function readPublicAccessBlock(s3: S3Client, bucket: string): Promise<PublicAccessBlockState> {
  try {
    const c = (await gone(bucket, () => s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket })))).PublicAccessBlockConfiguration;
    return {
      BlockPublicAcls: c?.BlockPublicAcls ?? false,
      IgnorePublicAcls: c?.IgnorePublicAcls ?? false,
      BlockPublicPolicy: c?.BlockPublicPolicy ?? false,
      RestrictPublicBuckets: c?.RestrictPublicBuckets ?? false,
    };
  } catch (err) {
    if (hasAwsCode(err, 'NoSuchPublicAccessBlockConfiguration')) return 'none';
    throw err;
  }
}

/** Whether every setting of a public access block is on. */
export function isFullyBlocked(pab: PublicAccessBlockState): boolean {
  return pab !== 'none' && Object.values(pab).every((v) => v === true);
}

/** The bucket's versioning state (GetBucketVersioning) and MFA delete, as S3 returns them. */
export async function readVersioning(s3: S3Client, bucket: string): Promise<{ status: VersioningState; mfaDelete?: string }> {
  const out = await gone(bucket, () => s3.send(new GetBucketVersioningCommand({ Bucket: bucket })));
  const status: VersioningState = out.Status === 'Enabled' ? 'Enabled' : out.Status === 'Suspended' ? 'Suspended' : 'never-enabled';
  return { status, ...(out.MFADelete ? { mfaDelete: out.MFADelete } : {}) };
}

/** The bucket's ACL (GetBucketAcl): owner and grants, as S3 returns them. */
export async function readBucketAcl(s3: S3Client, bucket: string): Promise<{ owner?: unknown; grants: unknown[] }> {
  const out = await gone(bucket, () => s3.send(new GetBucketAclCommand({ Bucket: bucket })));
  return { owner: out.Owner, grants: out.Grants ?? [] };
}

/**
 * At most this many pages of ListObjectVersions (1,000 versions and delete markers each, S3's maximum `MaxKeys`):
 * 10,000 entries, about 2.5 MB of JSON at ~250 bytes an entry, within the Lambda's memory and a few seconds of calls.
 */
export const OBJECT_VERSION_PAGE_CAP = 10;

/** One entry of the listing: an object version or a delete marker. */
export interface ObjectVersionEntry {
  readonly key: string;
  readonly versionId?: string;
  readonly isLatest?: boolean;
  /** ISO-8601 UTC. */
  readonly lastModified?: string;
  readonly size?: number;
  readonly eTag?: string;
  readonly deleteMarker: boolean;
}

/**
 * The bucket's object versions and delete markers (ListObjectVersions, at most {@link OBJECT_VERSION_PAGE_CAP} pages),
 * most recently modified first. ListObjectVersions lists in key order, so in a bucket with more entries than the cap
 * the listing is the first keys' versions, not necessarily the most recent changes: `truncated` says so. Reads
 * metadata only, never an object's data.
 */
export async function listObjectVersions(
  s3: S3Client,
  bucket: string,
  pageCap: number = OBJECT_VERSION_PAGE_CAP,
): Promise<{ entries: ObjectVersionEntry[]; pages: number; truncated: boolean }> {
  const entries: ObjectVersionEntry[] = [];
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  for (let page = 1; page <= pageCap; page++) {
    const out = await gone(bucket, () =>
      s3.send(new ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: 1000, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker })),
    );
    const at = (d?: Date) => d?.toISOString();
    for (const v of out.Versions ?? [])
      entries.push({
        key: v.Key ?? '',
        versionId: v.VersionId,
        isLatest: v.IsLatest,
        lastModified: at(v.LastModified),
        size: v.Size,
        eTag: v.ETag,
        deleteMarker: false,
      });
    for (const m of out.DeleteMarkers ?? [])
      entries.push({
        key: m.Key ?? '',
        versionId: m.VersionId,
        isLatest: m.IsLatest,
        lastModified: at(m.LastModified),
        deleteMarker: true,
      });
    if (!out.IsTruncated) return { entries: byRecency(entries), pages: page, truncated: false };
    keyMarker = out.NextKeyMarker;
    versionIdMarker = out.NextVersionIdMarker;
  }
  return { entries: byRecency(entries), pages: pageCap, truncated: true };
}

const byRecency = (entries: ObjectVersionEntry[]) =>
  entries.sort((a, b) => (b.lastModified ?? '').localeCompare(a.lastModified ?? '') || a.key.localeCompare(b.key));
