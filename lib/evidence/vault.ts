import { createHash } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { hasAwsCode } from '../runtime/aws-errors';

/** One object stored in the evidence bucket. */
export interface StoredArtifact {
  /** Logical name, e.g. `instance.json`. */
  readonly name: string;
  readonly bucket: string;
  readonly key: string;
  /** Hex SHA-256 of the object's bytes, computed by Firebreak (not an S3 multipart checksum). */
  readonly sha256: string;
  /** Size in bytes. */
  readonly bytes: number;
  readonly versionId?: string;
}

/** Hex SHA-256 of a buffer or string. */
export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Writes an artifact to the Object Lock evidence bucket exactly once: when the key already exists
 * it is left untouched (no new version) and its stored hash is returned. The object is encrypted
 * with the evidence CMK (SSE-KMS) and sent with `ChecksumSHA256`, so S3 rejects a corrupted upload
 * ("Checking object integrity", Amazon S3 User Guide). The bucket's default Object Lock retention
 * applies to it.
 * @param input - bucket, key, logical name, body, KMS key ARN.
 * @returns where it is and its SHA-256.
 */
export async function putArtifactOnce(
  input: { bucket: string; key: string; name: string; body: string; kmsKeyId: string },
  deps: { s3: S3Client },
): Promise<StoredArtifact> {
  try {
    const head = await deps.s3.send(new HeadObjectCommand({ Bucket: input.bucket, Key: input.key }));
    const stored = head.Metadata?.sha256;
    if (stored) return { name: input.name, bucket: input.bucket, key: input.key, sha256: stored, bytes: head.ContentLength ?? 0, versionId: head.VersionId };
    // Written without our metadata (should not happen): hash what is there.
    const body = await readObject(input.bucket, input.key, deps);
    return { name: input.name, bucket: input.bucket, key: input.key, sha256: sha256Hex(body), bytes: body.length, versionId: head.VersionId };
  } catch (err) {
    if (!hasAwsCode(err, 'NotFound', 'NoSuchKey', '404')) throw err;
  }
  const bytes = Buffer.from(input.body, 'utf8');
  const sha256 = sha256Hex(bytes);
  const out = await deps.s3.send(new PutObjectCommand({
    Bucket: input.bucket,
    Key: input.key,
    Body: bytes,
    ContentType: 'application/json',
    ServerSideEncryption: 'aws:kms',
    SSEKMSKeyId: input.kmsKeyId,
    ChecksumAlgorithm: 'SHA256',
    ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64'),
    Metadata: { sha256 },
  }));
  return { name: input.name, bucket: input.bucket, key: input.key, sha256, bytes: bytes.length, versionId: out.VersionId };
}

/** Reads an object's bytes. */
export async function readObject(bucket: string, key: string, deps: { s3: S3Client }): Promise<Buffer> {
  const out = await deps.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}
