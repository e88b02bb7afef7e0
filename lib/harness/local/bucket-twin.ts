import { CreateBucketCommand, PutBucketPolicyCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { S3_EXPOSURE_TYPE_PREFIX } from '../../core/catalog/catalog';
import type { GuardDutyEvent } from '../../core/incident/schema';
import type { HarnessClients } from './harness-clients';

/** The twin of an S3 finding's bucket, built in the emulator's member account. */
export interface BucketTwin {
  readonly bucketName: string;
  /** The bucket's policy as built (one statement of the application's own). */
  readonly policy: string;
  /** The bucket name in the event → the twin's. */
  readonly idMap: Record<string, string>;
}

/** Whether a finding names a bucket s3-compromise acts on: an S3Bucket finding, or a `Policy:S3/` exposure finding on an access key. */
export function namesBucket(event: GuardDutyEvent): boolean {
  const r = event.detail.resource;
  return r.resourceType === 'S3Bucket' || (r.resourceType === 'AccessKey' && event.detail.type.startsWith(S3_EXPOSURE_TYPE_PREFIX));
}

/**
 * Builds a twin of an S3 finding's first bucket (`s3BucketDetails[0].name`) in the member account: a bucket named after
 * it with a unique suffix (so that replays do not collide: one case per bucket), never versioned, a bucket policy with
 * one statement of the application's own, and two objects. The drills' bucket (the local seed) is built the same way.
 * @param memberAccount - the emulator's member account (the application role's account).
 * @returns the twin, or `undefined` when the finding names no bucket.
 */
export async function buildBucketTwin(
  event: GuardDutyEvent,
  member: HarnessClients,
  memberAccount: string,
): Promise<BucketTwin | undefined> {
  const details = event.detail.resource.s3BucketDetails;
  const name = Array.isArray(details) ? (details[0] as { name?: unknown } | undefined)?.name : undefined;
  if (typeof name !== 'string' || !name) return undefined;
  const bucketName = `${name.slice(0, 55)}-${randomBytes(3).toString('hex')}`;
  await member.s3.send(new CreateBucketCommand({ Bucket: bucketName }));
  const policy = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AppReadsReports',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${memberAccount}:role/report-app` },
        Action: 's3:GetObject',
        Resource: `arn:aws:s3:::${bucketName}/*`,
      },
    ],
  });
  await member.s3.send(new PutBucketPolicyCommand({ Bucket: bucketName, Policy: policy }));
  for (const key of ['reports/2026-11.csv', 'reports/2026-12.csv'])
    await member.s3.send(new PutObjectCommand({ Bucket: bucketName, Key: key, Body: `${key}\n` }));
  return { bucketName, policy, idMap: { [name]: bucketName } };
}
