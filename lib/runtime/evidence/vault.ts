import { createHash } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { VerificationFailed } from '../../core/errors';
import { hasAwsCode } from '../aws-errors';
import { RECEIVED_EVENTS_PREFIX } from '../../core/names';
import '../clients/s3';

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
 * One JSON object into the evidence bucket, only if no object has its key: SSE-KMS under the evidence key, sent with
 * `ChecksumSHA256` so that S3 rejects a corrupted upload ("Checking object integrity", Amazon S3 User Guide), its hex
 * SHA-256 kept as metadata (`sha256`) for the read-back; the bucket's default Object Lock retention applies. Sent with
 * `If-None-Match: *`: S3 writes it only when the key does not exist and answers 412 `PreconditionFailed` when it does,
 * 409 `ConditionalRequestConflict` when a concurrent write of the key is under way ("How to prevent object overwrites
 * with conditional writes", Amazon S3 User Guide; PutObject `If-None-Match`, Amazon S3 API Reference): so an existing
 * object is never given a new version, and one call replaces a HeadObject then a PutObject. A 409 is sent again (the
 * conflicting write then has its answer: 412 or, if it failed, a write of ours), at most three times.
 * @returns the new version, or `'exists'` when an object already has the key (412).
 * @throws the SDK's error otherwise (a 409 after three attempts among them).
 */
async function putEvidenceObjectOnce(
  o: { bucket: string; key: string; bytes: Buffer; sha256: string; kmsKeyId: string; contentType?: string },
  deps: { s3: S3Client },
): Promise<{ VersionId?: string } | 'exists'> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await deps.s3.send(
        new PutObjectCommand({
          Bucket: o.bucket,
          Key: o.key,
          Body: o.bytes,
          IfNoneMatch: '*',
          ContentType: o.contentType ?? 'application/json',
          ServerSideEncryption: 'aws:kms',
          SSEKMSKeyId: o.kmsKeyId,
          ChecksumAlgorithm: 'SHA256',
          ChecksumSHA256: Buffer.from(o.sha256, 'hex').toString('base64'),
          Metadata: { sha256: o.sha256 },
        }),
      );
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (hasAwsCode(err, 'PreconditionFailed') || status === 412) return 'exists';
      if (!(hasAwsCode(err, 'ConditionalRequestConflict') || status === 409) || attempt >= 3) throw err;
    }
  }
}

/**
 * Writes an artifact to the Object Lock evidence bucket exactly once: when the key already exists
 * it is left untouched (no new version) and its stored hash is returned. One conditional PutObject
 * ({@link putEvidenceObjectOnce}, `If-None-Match: *`); only when S3 answers that the key exists is the object's
 * recorded hash read (HeadObject; the object hashed when it has none). The object is encrypted
 * with the evidence CMK (SSE-KMS) and sent with `ChecksumSHA256`, so S3 rejects a corrupted upload
 * ("Checking object integrity", Amazon S3 User Guide). The bucket's default Object Lock retention
 * applies to it.
 * @param input - bucket, key, logical name, body, KMS key ARN.
 * @returns where it is and its SHA-256 (the stored object's, which differs from `body`'s when another body was there).
 */
export async function putArtifactOnce(
  input: { bucket: string; key: string; name: string; body: string | Uint8Array; kmsKeyId: string; contentType?: string },
  deps: { s3: S3Client },
): Promise<StoredArtifact> {
  const bytes = typeof input.body === 'string' ? Buffer.from(input.body, 'utf8') : Buffer.from(input.body);
  const sha256 = sha256Hex(bytes);
  const out = await putEvidenceObjectOnce(
    { bucket: input.bucket, key: input.key, bytes, sha256, kmsKeyId: input.kmsKeyId, contentType: input.contentType },
    deps,
  );
  if (out !== 'exists') {
    return { name: input.name, bucket: input.bucket, key: input.key, sha256, bytes: bytes.length, versionId: out.VersionId };
  }
  const head = await deps.s3.send(new HeadObjectCommand({ Bucket: input.bucket, Key: input.key }));
  const stored = head.Metadata?.sha256;
  if (stored)
    return {
      name: input.name,
      bucket: input.bucket,
      key: input.key,
      sha256: stored,
      bytes: head.ContentLength ?? 0,
      versionId: head.VersionId,
    };
  // Written without our metadata (should not happen): hash what is there.
  const body = await readObject(input.bucket, input.key, deps);
  return { name: input.name, bucket: input.bucket, key: input.key, sha256: sha256Hex(body), bytes: body.length, versionId: head.VersionId };
}

/** Reads an object's bytes. */
export async function readObject(bucket: string, key: string, deps: { s3: S3Client }): Promise<Buffer> {
  const out = await deps.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

/**
 * Where an event that started a playbook is kept (`$.event` of the playbook state): the evidence
 * bucket and key, the SHA-256 (hex) and size in bytes of the stored text.
 */
export interface StoredEventRef {
  readonly bucket: string;
  readonly key: string;
  readonly sha256: string;
  readonly bytes: number;
}

/**
 * A received event as linked to a case (CaseLedger.linkEvent: its own ledger item, `sk=EVENT#<sha256>`): where
 * it is, the finding it carried, and when it was linked (ISO-8601 UTC). Claim links every stored event that
 * reaches the case (the first finding, repeats, findings that attach to it); the failure path links the event of
 * a case it opened or held; so a case resumed on a named resource still names the events behind it.
 */
export interface LinkedEvent extends StoredEventRef {
  readonly findingId: string;
  readonly linkedAt: string;
}

/**
 * The event of the case's own finding: the earliest linked event that carried `findingId` (the case's
 * `incident.finding.id`). Never another finding's event: a member account can cause findings that attach to
 * the case, and finding.json is the case's finding.
 * @param linked - the case's linked events.
 * @param findingId - the case's finding ID.
 * @returns the reference, or `undefined` when none carried it (a case opened on a named resource).
 */
export function caseEventOf(linked: readonly LinkedEvent[], findingId: string): LinkedEvent | undefined {
  return [...linked].filter((e) => e.findingId === findingId).sort((a, b) => a.linkedAt.localeCompare(b.linkedAt))[0];
}

/**
 * The key of a received event: `received-events/<account>/<sha256>.json`. Content-addressed, so that a
 * re-run, a retry or a redelivery of the same event names the same object, and a different event (a
 * repeat of a finding with a higher `service.count`, a forged event reusing an EventBridge ID) never
 * lands on another's key.
 * @param account - the member account the event is about; anything but 12 digits is filed under `unknown`.
 * @param sha256 - hex SHA-256 of the stored text.
 */
export function receivedEventKey(account: string, sha256: string): string {
  return `${RECEIVED_EVENTS_PREFIX}${/^\d{12}$/.test(account) ? account : 'unknown'}/${sha256}.json`;
}

/**
 * Stores an event that started a playbook, once, in the Object Lock evidence bucket (as
 * {@link putArtifactOnce} does: one PutObject with `If-None-Match: *`, SSE-KMS under the evidence key,
 * `ChecksumSHA256`, the bucket's default retention; an object already at the key is left alone and its recorded
 * SHA-256 checked with a HeadObject), so that the playbook state carries a reference instead of the event: Step Functions
 * limits every state's input and output to 262,144 bytes ("Step Functions service quotas", Step
 * Functions Developer Guide), and an EventBridge event may be nearly as large ("Calculating Amazon
 * EventBridge PutEvents event entry size", EventBridge User Guide: entries under 256 KB, the event
 * always larger than its entry).
 * @param input - bucket, evidence key ARN, the member account, and the event as the state machine
 *   received it (a parsed JSON value, stored as `JSON.stringify` of it: the exact text it was parsed from,
 *   up to white space and the escaping of characters JSON allows either way).
 * @returns the reference.
 * @throws {VerificationFailed} when an object already at the content-addressed key records another SHA-256.
 */
export async function storeReceivedEvent(
  input: { bucket: string; kmsKeyId: string; account: string; event: unknown },
  deps: { s3: S3Client },
): Promise<StoredEventRef> {
  const bytes = Buffer.from(JSON.stringify(input.event) ?? 'null', 'utf8');
  const sha256 = sha256Hex(bytes);
  const key = receivedEventKey(input.account, sha256);
  const ref = { bucket: input.bucket, key, sha256, bytes: bytes.length };
  const out = await putEvidenceObjectOnce({ bucket: input.bucket, key, bytes, sha256, kmsKeyId: input.kmsKeyId }, deps);
  if (out !== 'exists') return ref;
  // Stored before (a retry, a re-run, a redelivery): the key is the content's hash, so it is the same event, which
  // the object's recorded SHA-256 must say (Normalize may read the object: s3:GetObject also allows HeadObject).
  const head = await deps.s3.send(new HeadObjectCommand({ Bucket: input.bucket, Key: key }));
  if (head.Metadata?.sha256 !== sha256)
    throw new VerificationFailed(
      `s3://${input.bucket}/${key} holds an object whose recorded SHA-256 is ${head.Metadata?.sha256 ?? 'missing'}, not the ${sha256} its key names`,
    );
  return ref;
}

/**
 * Reads a stored event back and checks it against its reference.
 * @returns the stored bytes and the event parsed from them.
 * @throws {VerificationFailed} when the bytes read differ from the reference's SHA-256 or size.
 */
export async function readStoredEvent(ref: StoredEventRef, deps: { s3: S3Client }): Promise<{ bytes: Buffer; event: unknown }> {
  const bytes = await readObject(ref.bucket, ref.key, deps);
  const sha256 = sha256Hex(bytes);
  if (sha256 !== ref.sha256 || bytes.length !== ref.bytes) {
    throw new VerificationFailed(
      `s3://${ref.bucket}/${ref.key} reads back ${bytes.length} bytes with SHA-256 ${sha256}; the playbook recorded ${ref.bytes} bytes with ${ref.sha256}`,
    );
  }
  return { bytes, event: JSON.parse(bytes.toString('utf8')) as unknown };
}
