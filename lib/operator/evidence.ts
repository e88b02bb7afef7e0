import { DescribeLockedSnapshotsCommand, DescribeSnapshotsCommand, EC2Client, LockedSnapshotsInfo, Snapshot } from '@aws-sdk/client-ec2';
import {
  GetBucketEncryptionCommand,
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  ListObjectVersionsCommand,
  type ListObjectVersionsCommandOutput,
  S3Client,
} from '@aws-sdk/client-s3';
import { RDSClient } from '@aws-sdk/client-rds';
import { InvalidInput } from '../core/errors';
import { hasAwsCode } from '../runtime/aws-errors';
import { caseEvidencePrefix, type EvidenceManifest, type SnapshotEvidence } from '../runtime/evidence/manifest';
import { recordedSnapshots } from '../runtime/evidence/provenance';
import { receivedEventKey, sha256Hex } from '../runtime/evidence/vault';
import type { CaseRecord } from '../runtime/ledger/ledger';
import { readDbSnapshot, type DbSnapshotKind, type DbSnapshotRecord } from '../runtime/rds/snapshots';
import { assertCaseId } from './cases';
import type { Connection } from './connection';

/**
 * `firebreak evidence verify <caseId>` (issue 16, item 4): checks a case's evidence the way a third party would, from
 * the ledger's record and what S3 and EC2 say now, trusting neither the playbook's return values nor tags.
 *
 * - The manifest (`evidence.manifest`: bucket, key, version, SHA-256) is read at its recorded version and hashed.
 * - Every artifact the manifest lists is read at its version; SHA-256 and byte length are compared with the manifest's.
 * - Each of those object versions must be under Object Lock: GetObject returns the version's `ObjectLockMode`,
 *   `ObjectLockRetainUntilDate` and `ObjectLockLegalHoldStatus` ("This header is only returned if the requester has the
 *   s3:GetObjectRetention permission", GetObject, Amazon S3 API Reference:
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html), so a caller without that permission sees no lock
 *   and the check fails rather than passes. The retention must reach at least the bucket's default retention from the
 *   version's creation (`LastModified`; GetObjectLockConfiguration's `DefaultRetention`, Days or Years:
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_DefaultRetention.html), in the bucket's default mode or stricter
 *   (COMPLIANCE over GOVERNANCE: "Object Lock retention modes",
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html#object-lock-retention-modes).
 * - Firebreak writes each evidence key once (`If-None-Match: *`, lib/runtime/evidence/vault.ts): a key with another
 *   version or a delete marker was written by someone else (ListObjectVersions), which is a failure even when the recorded
 *   version is intact.
 * - Every object under the case's prefix is the manifest, an artifact it lists, or a manifest the ledger records as
 *   superseded ({@link prefixCheck}): a manifest forged under a new key cannot leave out what Firebreak wrote; a
 *   superseded manifest must list the same artifacts as the current one ({@link supersededChecks}).
 * - Every EBS snapshot the manifest names (ec2-compromise's chain, whose last copy is in the security account) is read by
 *   ID (DescribeSnapshots, https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSnapshots.html): it must
 *   exist, be owned by the security account, be encrypted under the evidence bucket's key (GetBucketEncryption's
 *   `KMSMasterKeyID`, the key Firebreak's evidence is kept under) and be the one the ledger records.
 * - Each of those snapshots must be under EBS snapshot lock ({@link checkSnapshotLock}, DescribeLockedSnapshots,
 *   https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeLockedSnapshots.html): in the bucket's default
 *   mode or stricter (compliance past its cooling-off period over governance; a compliance lock still in its
 *   cooling-off period can be unlocked, so it does not count as compliance), until at least the bucket's default
 *   retention from the ledger's record of the copy (the point ShareAndCopySnapshots locks from).
 * - rds-compromise: the security account's DB snapshot copy named by the verified `snapshots.json` artifact is read by
 *   identifier ({@link checkDbChain}): owner (its ARN's account), key, encryption, `available`, and database, source and
 *   creation times as `snapshots.json` records them ({@link recordProblems}).
 *
 * What it needs in the security account: dynamodb:GetItem/Query on the ledger, s3:GetObject, s3:GetObjectVersion,
 * s3:GetObjectRetention, s3:GetObjectLegalHold, s3:ListBucketVersions, s3:GetBucketObjectLockConfiguration,
 * s3:GetEncryptionConfiguration on the evidence bucket, kms:Decrypt on the evidence key, ec2:DescribeSnapshots,
 * ec2:DescribeLockedSnapshots, rds:DescribeDBSnapshots and rds:DescribeDBClusterSnapshots.
 */

/** One check: what it is about, whether it held, and why (one line of the command's output). */
export interface EvidenceCheck {
  /** `bucket`, `manifest`, `artifact <name>`, `snapshot <id>`. */
  readonly subject: string;
  readonly passed: boolean;
  /** The precise reason: what was read and what was expected. */
  readonly detail: string;
}

/** A snapshot as read back, for the listing. */
export interface SnapshotView {
  readonly snapshotId: string;
  /** EBS: the instance's volume the chain descends from. */
  readonly sourceVolumeId?: string;
  /** RDS: the DB instance or cluster the chain descends from (`DB instance <id>`). */
  readonly source?: string;
  /** Undefined when EC2 does not know the snapshot. */
  readonly ownerAccount?: string;
  readonly kmsKeyId?: string;
  readonly encrypted?: boolean;
  readonly state?: string;
  /** EBS: the snapshot's lock state (DescribeLockedSnapshots `LockState`; `none` when it carries no lock). */
  readonly lockState?: string;
  /** EBS: when its lock expires (ISO-8601 UTC). */
  readonly lockExpiresOn?: string;
}

/** What `evidence verify` found. */
export interface EvidenceReport {
  readonly caseId: string;
  readonly playbook: string;
  readonly status: string;
  /** `verified`: every check passed. `failed`: at least one did not. `no-evidence`: the case records no manifest. */
  readonly verdict: 'verified' | 'failed' | 'no-evidence';
  /** For `no-evidence`: why the case has none (a playbook that keeps none, a case that preserved nothing, or a missing record). */
  readonly reason?: string;
  readonly checks: EvidenceCheck[];
  readonly snapshots: SnapshotView[];
}

/** The clients verification reads through (security account). */
export interface EvidenceClients {
  readonly s3: S3Client;
  readonly ec2: EC2Client;
  /** For rds-compromise cases. @default a client of the connection */
  readonly rds?: RDSClient;
}

/** The manifest's reference as the case records it (`evidence.manifest`). */
interface ManifestRef {
  readonly bucket: string;
  readonly key: string;
  readonly sha256: string;
  readonly versionId?: string;
}

/** The evidence bucket's settings every object is checked against. */
interface BucketRules {
  readonly bucket: string;
  /** The account that must own the bucket (the security account): sent as `ExpectedBucketOwner` with every S3 call. */
  readonly owner: string;
  /** S3 refused the bucket's lock configuration with 403: another account's bucket, or the caller may not read it. */
  readonly refused?: boolean;
  /** Default retention mode, or undefined when the bucket has none. */
  readonly mode?: 'GOVERNANCE' | 'COMPLIANCE';
  /** Default retention in days (Years × 365). */
  readonly days?: number;
  /** The bucket's default SSE-KMS key (the evidence key), if any. */
  readonly kmsKeyId?: string;
}

/** The playbooks that preserve evidence and record a manifest once they have (the others keep none). */
export const EVIDENCE_PLAYBOOKS: readonly string[] = [
  'ec2-compromise',
  's3-compromise',
  'lambda-compromise',
  'ecs-task-compromise',
  'rds-compromise',
  // PreserveCredentialEvidence (issue 16, item 4): finding.json, the principal's CloudTrail records, its policies before and after.
  'credential-compromise',
  'cloudtrail-tamper',
];

/** Slack for times S3 reports to the second (LastModified, RetainUntilDate): 1 s. */
const CLOCK_SLACK_MS = 1000;

/** The S3 and EC2 clients of a connection (path-style S3 against a local stack, as the runtime's factory does). */
export function evidenceClients(conn: Pick<Connection, 'clientConfig' | 'kind'>): EvidenceClients {
  return {
    s3: new S3Client({ ...conn.clientConfig, forcePathStyle: conn.kind === 'local' }),
    ec2: new EC2Client(conn.clientConfig),
  };
}

/**
 * Verifies a case's evidence (see the module's comment).
 * @param conn - the connection (ledger, security account).
 * @param caseId - `fb-<yyyymmdd>-<10 hex>`.
 * @param clients - S3 and EC2 clients in the security account. @default {@link evidenceClients}
 * @returns the report; `verdict` says whether every check passed.
 * @throws {InvalidInput} for a malformed case ID (before any call) or a case the ledger does not have.
 */
export async function verifyEvidence(
  conn: Pick<Connection, 'ledger' | 'securityAccount' | 'clientConfig' | 'kind'>,
  caseId: string,
  clients?: EvidenceClients,
): Promise<EvidenceReport> {
  assertCaseId(caseId);
  const c = await conn.ledger.getCase(caseId);
  if (!c) throw new InvalidInput(`no case ${caseId} in the ledger`);
  const head = { caseId, playbook: c.playbook, status: c.status };
  const ref = c.evidence?.manifest as ManifestRef | undefined;
  if (!ref?.bucket || !ref.key) return { ...head, verdict: 'no-evidence', reason: noEvidenceReason(c), checks: [], snapshots: [] };
  const { s3, ec2 } = clients ?? evidenceClients(conn);
  const rules = await bucketRules(s3, ref.bucket, conn.securityAccount);
  const checks: EvidenceCheck[] = [bucketCheck(rules)];
  const manifest = rules.refused ? undefined : await checkManifest(s3, rules, ref, c, checks);
  const snapshots: SnapshotView[] = [];
  if (manifest) {
    const verified = new Map<string, Buffer>();
    for (const a of manifest.artifacts) {
      const out = await checkArtifact(s3, rules, a, c);
      checks.push(...out.checks);
      if (out.read && out.checks[0].passed) verified.set(a.name, out.read.bytes);
    }
    checks.push(await prefixCheck(s3, rules, manifest, ref, c));
    checks.push(...(await supersededChecks(s3, rules, manifest, c)));
    checks.push(ledgerChainCheck(manifest.snapshots, c));
    for (const s of manifest.snapshots) {
      const { view, check } = await checkSnapshot(ec2, s, conn.securityAccount, rules.kmsKeyId);
      const lock = view.ownerAccount === conn.securityAccount ? await checkSnapshotLock(ec2, s, c, rules) : undefined;
      snapshots.push({ ...view, ...lock?.view });
      checks.push(check, ...(lock ? [lock.check] : []));
    }
    if (manifest.playbook === 'rds-compromise') {
      const rds = clients?.rds ?? new RDSClient(conn.clientConfig);
      for (const { view, check } of await checkDbChain(rds, verified.get('snapshots.json'), conn.securityAccount, rules.kmsKeyId)) {
        snapshots.push(view);
        checks.push(check);
      }
    }
  }
  return { ...head, verdict: checks.every((x) => x.passed) ? 'verified' : 'failed', checks, snapshots };
}

/**
 * rds-compromise: the DB snapshot chain is the `snapshots.json` artifact (lib/runtime/rds/evidence.ts), covered by the
 * manifest's hash; its security-account copy is read back by identifier (DescribeDBSnapshots or
 * DescribeDBClusterSnapshots, `readDbSnapshot`) and must exist, be owned by the security account (its ARN's account),
 * be encrypted under the evidence key and be `available`.
 * @param verifiedChain - the bytes of `snapshots.json` once its hash matched, else undefined (a failure of its own).
 */
async function checkDbChain(
  rds: RDSClient,
  verifiedChain: Buffer | undefined,
  securityAccount: string,
  evidenceKey: string | undefined,
): Promise<{ view: SnapshotView; check: EvidenceCheck }[]> {
  const subject = 'db snapshot chain';
  if (!verifiedChain)
    return [{ view: { snapshotId: '-' }, check: { subject, passed: false, detail: 'snapshots.json is missing or did not verify' } }];
  const doc = JSON.parse(verifiedChain.toString('utf8')) as { kind: DbSnapshotKind; chain?: DbSnapshotRecord[] };
  const copies = (doc.chain ?? []).filter((r) => r.stage === 'security');
  if (!copies.length)
    return [{ view: { snapshotId: '-' }, check: { subject, passed: false, detail: 'snapshots.json names no security-account copy' } }];
  const out: { view: SnapshotView; check: EvidenceCheck }[] = [];
  for (const want of copies) {
    const got = await readDbSnapshot(rds, doc.kind, 'security', want.id);
    const source = `${doc.kind === 'cluster' ? 'DB cluster' : 'DB instance'} ${want.dbIdentifier}`;
    const view: SnapshotView = {
      snapshotId: want.id,
      source,
      ownerAccount: got?.account,
      kmsKeyId: got?.kmsKeyId,
      encrypted: got?.encrypted,
      state: got?.status,
    };
    const problems = !got
      ? [`gone: RDS does not know ${want.id}`]
      : [
          ...(got.account === securityAccount ? [] : [`owner ${got.account}, not the security account ${securityAccount}`]),
          ...(got.encrypted ? [] : ['not encrypted']),
          ...(evidenceKey && got.kmsKeyId !== evidenceKey ? [`key ${got.kmsKeyId ?? '(none)'}, not the evidence key ${evidenceKey}`] : []),
          ...(got.status === 'available' ? [] : [`status ${got.status}`]),
          ...recordProblems(got, want),
        ];
    const what = got ? `${source}, owner ${got.account}, encrypted under ${got.kmsKeyId ?? '(none)'}, ${got.status}` : '';
    const detail = problems.length ? `${problems.join('; ')}${what ? ` (${what})` : ''}` : what;
    out.push({ view, check: { subject: `db snapshot ${want.id}`, passed: !problems.length, detail } });
  }
  return out;
}

/**
 * What differs between a DB snapshot read back and its record in the verified `snapshots.json`: its database, the ARN it
 * was copied from, and the times RDS sets (`SnapshotCreateTime`, `OriginalSnapshotCreateTime`, to the second). A DB
 * snapshot's identifier is its creator's choice, so a copy deleted and made again under the same identifier is told
 * apart only by these ("DBSnapshot", Amazon RDS API Reference, https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBSnapshot.html).
 */
function recordProblems(got: DbSnapshotRecord, want: DbSnapshotRecord): string[] {
  const sec = (t: string | undefined) => (t ? Math.floor(Date.parse(t) / 1000) : undefined);
  return [
    ...(got.dbIdentifier === want.dbIdentifier ? [] : [`of ${got.dbIdentifier}, recorded ${want.dbIdentifier}`]),
    ...(got.sourceArn === want.sourceArn ? [] : [`copied from ${got.sourceArn ?? 'nothing'}, recorded ${want.sourceArn ?? 'nothing'}`]),
    ...(sec(got.createTime) === sec(want.createTime)
      ? []
      : [`created ${got.createTime ?? '(none)'}, recorded ${want.createTime ?? '(none)'}`]),
    ...(sec(got.originalCreateTime) === sec(want.originalCreateTime)
      ? []
      : [`original time ${got.originalCreateTime ?? '(none)'}, recorded ${want.originalCreateTime ?? '(none)'}`]),
  ];
}

/** Why a case has no manifest, in words. */
function noEvidenceReason(c: CaseRecord): string {
  if (!EVIDENCE_PLAYBOOKS.includes(c.playbook))
    return `the ${c.playbook} playbook keeps no evidence objects (a case-only response: the ledger's timeline and prior state are its record)`;
  if (['CONTAINED', 'RELEASED'].includes(c.status))
    return `the case is ${c.status} but the ledger records no manifest (evidence.manifest is missing: preservation never completed, or the record was removed)`;
  return `the case is ${c.status}: its playbook preserved nothing (a manifest is recorded only once evidence is preserved)`;
}

/**
 * The bucket's default retention and encryption key (GetObjectLockConfiguration, GetBucketEncryption), asked with
 * `ExpectedBucketOwner` = the security account: "If the account ID that you provide does not match the actual owner of
 * the bucket, the request fails with the HTTP status code 403 Forbidden (access denied)" (Amazon S3 API Reference, e.g.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectLockConfiguration.html), so a ledger rewritten to name
 * a bucket of another account is refused rather than read.
 */
async function bucketRules(s3: S3Client, bucket: string, owner: string): Promise<BucketRules> {
  let lock;
  try {
    lock = await s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket, ExpectedBucketOwner: owner }));
  } catch (err) {
    if (hasAwsCode(err, 'AccessDenied')) return { bucket, owner, refused: true };
    if (!hasAwsCode(err, 'ObjectLockConfigurationNotFoundError')) throw err;
  }
  const d = lock?.ObjectLockConfiguration?.Rule?.DefaultRetention;
  const enc = await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket, ExpectedBucketOwner: owner })).catch((err: unknown) => {
    if (hasAwsCode(err, 'ServerSideEncryptionConfigurationNotFoundError')) return undefined;
    throw err;
  });
  const kmsKeyId = enc?.ServerSideEncryptionConfiguration?.Rules?.find((r) => r.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID)
    ?.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID;
  const days = d?.Days ?? (d?.Years !== undefined ? d.Years * 365 : undefined);
  return { bucket, owner, mode: d?.Mode as BucketRules['mode'], days, kmsKeyId };
}

/** The bucket's own check: a default retention and a KMS key to check against. */
function bucketCheck(r: BucketRules): EvidenceCheck {
  if (r.refused)
    return {
      subject: 'bucket',
      passed: false,
      detail: `${r.bucket}: S3 refused to read it as the security account's (${r.owner}) bucket (403): another account owns it, or the caller may not read its Object Lock configuration`,
    };
  const problems = [
    ...(r.mode && r.days ? [] : ['has no default Object Lock retention']),
    ...(r.kmsKeyId ? [] : ['has no default SSE-KMS key']),
  ];
  return problems.length
    ? { subject: 'bucket', passed: false, detail: `${r.bucket} ${problems.join('; ')}` }
    : { subject: 'bucket', passed: true, detail: `${r.bucket}: default retention ${r.mode} ${r.days} days, key ${r.kmsKeyId}` };
}

/** One object version as read back: bytes and what GetObject says of its lock and encryption. */
interface VersionRead {
  readonly bytes: Buffer;
  readonly lastModified?: Date;
  readonly lockMode?: string;
  readonly retainUntil?: Date;
  readonly legalHold?: string;
  readonly kmsKeyId?: string;
}

/** Reads one object version; `undefined` when S3 has no such version (NoSuchVersion, NoSuchKey, or 400 for a malformed ID). */
async function readVersion(s3: S3Client, r: BucketRules, key: string, versionId: string): Promise<VersionRead | undefined> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: r.bucket, Key: key, VersionId: versionId, ExpectedBucketOwner: r.owner }));
    return {
      bytes: Buffer.from(await out.Body!.transformToByteArray()),
      lastModified: out.LastModified,
      lockMode: out.ObjectLockMode,
      retainUntil: out.ObjectLockRetainUntilDate,
      legalHold: out.ObjectLockLegalHoldStatus,
      kmsKeyId: out.SSEKMSKeyId,
    };
  } catch (err) {
    if (hasAwsCode(err, 'NoSuchVersion', 'NoSuchKey', 'InvalidArgument')) return undefined;
    throw err;
  }
}

/**
 * Every page of ListObjectVersions under `prefix` in the evidence bucket (the SDK has no paginator for it: two markers,
 * `NextKeyMarker` and `NextVersionIdMarker`, "ListObjectVersions", Amazon S3 API Reference).
 */
async function* versionPages(s3: S3Client, r: BucketRules, prefix: string): AsyncGenerator<ListObjectVersionsCommandOutput> {
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  do {
    const out = await s3.send(
      new ListObjectVersionsCommand({
        Bucket: r.bucket,
        Prefix: prefix,
        KeyMarker: keyMarker,
        VersionIdMarker: versionIdMarker,
        ExpectedBucketOwner: r.owner,
      }),
    );
    yield out;
    [keyMarker, versionIdMarker] = out.IsTruncated ? [out.NextKeyMarker, out.NextVersionIdMarker] : [undefined, undefined];
  } while (keyMarker);
}

/** The versions and delete markers of exactly `key` (ListObjectVersions by prefix, filtered to the key). */
async function versionsOf(s3: S3Client, r: BucketRules, key: string): Promise<{ versions: string[]; deleteMarkers: string[] }> {
  const versions: string[] = [];
  const deleteMarkers: string[] = [];
  for await (const out of versionPages(s3, r, key)) {
    versions.push(...(out.Versions ?? []).filter((v) => v.Key === key).map((v) => v.VersionId ?? 'null'));
    deleteMarkers.push(...(out.DeleteMarkers ?? []).filter((v) => v.Key === key).map((v) => v.VersionId ?? 'null'));
  }
  return { versions, deleteMarkers };
}

/** What is wrong with a version's lock against the bucket's default retention (empty when it holds). */
function lockProblems(v: VersionRead, r: BucketRules): string[] {
  if (!v.lockMode || !v.retainUntil) return ['no Object Lock retention (or the caller lacks s3:GetObjectRetention)'];
  const out: string[] = [];
  if (r.mode === 'COMPLIANCE' && v.lockMode !== 'COMPLIANCE') out.push(`lock mode ${v.lockMode}, the bucket's default is COMPLIANCE`);
  if (r.days && v.lastModified) {
    const needed = v.lastModified.getTime() + r.days * 86_400_000;
    if (v.retainUntil.getTime() + CLOCK_SLACK_MS < needed)
      out.push(
        `retained until ${v.retainUntil.toISOString()}, short of ${r.days} days from its creation (${new Date(needed).toISOString()})`,
      );
  }
  return out;
}

/** A version's lock in words, for a passing line. */
const lockText = (v: VersionRead): string => `${v.lockMode} until ${v.retainUntil?.toISOString()}, legal hold ${v.legalHold ?? 'OFF'}`;

/**
 * The checks of one evidence object at its recorded version: content (SHA-256, bytes, key, encryption), lock, history.
 * @param want - what the record says: key, version, SHA-256, and bytes when the record has them.
 * @returns the version read (when it exists) and the checks, in that order.
 */
async function checkObject(
  s3: S3Client,
  r: BucketRules,
  subject: string,
  want: { key: string; versionId?: string; sha256: string; bytes?: number; prefixes: readonly string[]; unversioned?: boolean },
): Promise<{ read?: VersionRead; checks: EvidenceCheck[] }> {
  const history = await versionsOf(s3, r, want.key);
  // A received event (`finding.json`) is listed by its content-addressed key without a version: its only version is it.
  const versionId = want.versionId ?? (want.unversioned && history.versions.length === 1 ? history.versions[0] : undefined);
  const at = `s3://${r.bucket}/${want.key}@${versionId ?? '(no version)'}`;
  if (!versionId) {
    const detail = `${at}: the record names no version, and the key has ${history.versions.length} version(s), not exactly one`;
    return { checks: [{ subject, passed: false, detail }] };
  }
  const read = await readVersion(s3, r, want.key, versionId);
  const historyCheck = historyProblems(history, versionId);
  if (!read) {
    const detail = `${at}: the recorded version is gone (the key now has ${history.versions.length ? `version(s) ${history.versions.join(', ')}` : 'no version'})`;
    return { checks: [{ subject, passed: false, detail }] };
  }
  const sha = sha256Hex(read.bytes);
  const content = [
    ...(sha === want.sha256 ? [] : [`SHA-256 ${sha}, recorded ${want.sha256}`]),
    ...(want.bytes === undefined || read.bytes.length === want.bytes ? [] : [`${read.bytes.length} bytes, recorded ${want.bytes}`]),
    ...(want.prefixes.some((p) => want.key.startsWith(p)) ? [] : [`key outside the case's evidence (${want.prefixes.join(', ')})`]),
    // Firebreak writes every evidence object with SSE-KMS under the evidence key; one without (SSE-S3 needs no KMS
    // permission) was written by someone else.
    ...(r.kmsKeyId && read.kmsKeyId !== r.kmsKeyId ? [`encrypted under ${read.kmsKeyId ?? 'no KMS key'}, not ${r.kmsKeyId}`] : []),
  ];
  const lock = lockProblems(read, r);
  const checks: EvidenceCheck[] = [
    content.length
      ? { subject, passed: false, detail: `${at}: ${content.join('; ')}` }
      : { subject, passed: true, detail: `${at}: SHA-256 ${sha}, ${read.bytes.length} bytes, as recorded` },
    lock.length
      ? { subject: `${subject} lock`, passed: false, detail: `${at}: ${lock.join('; ')}` }
      : { subject: `${subject} lock`, passed: true, detail: `${at}: ${lockText(read)}` },
    historyCheck.length
      ? { subject: `${subject} history`, passed: false, detail: `${at}: ${historyCheck.join('; ')}` }
      : { subject: `${subject} history`, passed: true, detail: `${at}: the key's only version, written once` },
  ];
  return { read, checks };
}

/** What is wrong with a key's history: Firebreak writes each key once, so any other version or a delete marker is someone else's. */
function historyProblems(h: { versions: string[]; deleteMarkers: string[] }, versionId: string): string[] {
  const others = h.versions.filter((v) => v !== versionId);
  return [
    ...(others.length ? [`another version was written to the key: ${others.join(', ')} (Firebreak writes each key once)`] : []),
    ...(h.deleteMarkers.length ? [`a delete marker hides it: ${h.deleteMarkers.join(', ')}`] : []),
  ];
}

/**
 * The manifest's checks (appended to `checks`) and the manifest parsed, when it is the recorded one and reads as the
 * case's manifest: its hash matches the ledger's, its schema is `firebreak.manifest/v1` and it names the case.
 */
async function checkManifest(
  s3: S3Client,
  r: BucketRules,
  ref: ManifestRef,
  c: CaseRecord,
  checks: EvidenceCheck[],
): Promise<EvidenceManifest | undefined> {
  const { read, checks: own } = await checkObject(s3, r, 'manifest', { ...ref, prefixes: [caseEvidencePrefix(c.account, c.caseId)] });
  checks.push(...own);
  if (!read || !own[0].passed) return undefined;
  let m: EvidenceManifest;
  try {
    m = JSON.parse(read.bytes.toString('utf8')) as EvidenceManifest;
  } catch {
    checks.push({ subject: 'manifest content', passed: false, detail: 'the manifest is not JSON' });
    return undefined;
  }
  const problems = [
    ...(m?.schema === 'firebreak.manifest/v1' ? [] : [`schema ${String(m?.schema)}, not firebreak.manifest/v1`]),
    ...(m?.caseId === c.caseId ? [] : [`names case ${String(m?.caseId)}`]),
    // The ledger's playbook chooses no check: the hashed manifest's does (rds-compromise's DB snapshot chain).
    ...(m?.playbook === c.playbook ? [] : [`playbook ${String(m?.playbook)}, the ledger says ${c.playbook}`]),
    ...(Array.isArray(m?.artifacts) && Array.isArray(m?.snapshots) ? [] : ['lists no artifacts or snapshots']),
  ];
  checks.push(
    problems.length
      ? { subject: 'manifest content', passed: false, detail: problems.join('; ') }
      : {
          subject: 'manifest content',
          passed: true,
          detail: `case ${m.caseId}, ${m.artifacts.length} artifact(s), ${m.snapshots.length} snapshot chain(s)`,
        },
  );
  return problems.length ? undefined : m;
}

/**
 * The checks of one artifact the manifest lists: under the case's prefix at its recorded version, or the received event
 * (`finding.json`), kept once under its content-addressed key (`received-events/<account>/<sha256>.json`,
 * lib/runtime/evidence/vault.ts `receivedEventKey`) and listed without a version: the key's only version is read.
 */
function checkArtifact(
  s3: S3Client,
  r: BucketRules,
  a: EvidenceManifest['artifacts'][number],
  c: CaseRecord,
): Promise<{ read?: VersionRead; checks: EvidenceCheck[] }> {
  const event = receivedEventKey(c.account, a.sha256);
  const unversioned = !a.versionId && a.key === event;
  const prefixes = unversioned ? [event] : [caseEvidencePrefix(c.account, c.caseId)];
  return checkObject(s3, r, `artifact ${a.name}`, { ...a, prefixes, unversioned });
}

/**
 * The manifests the ledger records as superseded, by the references they hold (`evidence["superseded#<key>"]`): the
 * key is the reference's, never the attribute's name, so a record named after one manifest cannot vouch for another.
 */
const supersededRefs = (c: CaseRecord): ManifestRef[] =>
  Object.entries(c.evidence ?? {})
    .filter(([k]) => k.startsWith('superseded#'))
    .map(([, v]) => v as ManifestRef);

/** The keys under `prefix` that have at least one version (ListObjectVersions; delete markers do not hide a key). */
async function keysUnder(s3: S3Client, r: BucketRules, prefix: string): Promise<Set<string>> {
  const keys = new Set<string>();
  for await (const out of versionPages(s3, r, prefix)) for (const v of out.Versions ?? []) if (v.Key) keys.add(v.Key);
  return keys;
}

/**
 * That every object under the case's evidence prefix is the recorded manifest, an artifact it lists, or a manifest
 * the ledger records as superseded (`evidence["superseded#<key>"]`, `CaseLedger.supersedeManifest`). Object Lock keeps
 * what Firebreak wrote: a manifest written later under a fresh key (one version, locked by the bucket's default) and
 * named by a rewritten ledger checks on its own, but the genuine manifest and any artifact it leaves out stay under
 * the prefix and are named here.
 */
async function prefixCheck(s3: S3Client, r: BucketRules, m: EvidenceManifest, ref: ManifestRef, c: CaseRecord): Promise<EvidenceCheck> {
  const prefix = caseEvidencePrefix(c.account, c.caseId);
  const keys = await keysUnder(s3, r, prefix);
  const superseded = supersededRefs(c).map((x) => x.key);
  const known = new Set([ref.key, ...m.artifacts.map((a) => a.key), ...superseded]);
  const unlisted = [...keys].filter((k) => !known.has(k)).sort();
  const at = `s3://${r.bucket}/${prefix}`;
  if (unlisted.length) return { subject: 'case prefix', passed: false, detail: `${at}: the manifest does not list ${unlisted.join(', ')}` };
  const older = superseded.filter((k) => keys.has(k));
  const also = older.length ? `, and superseded manifest(s) the ledger records: ${older.join(', ')}` : '';
  return {
    subject: 'case prefix',
    passed: true,
    detail: `${at}: ${keys.size} object(s), each the manifest or an artifact it lists${also}`,
  };
}

/**
 * The manifests the ledger records as superseded (`evidence["superseded#<key>"]`: a re-run that replaced a snapshot
 * wrote a manifest naming the new chain, `writeManifest`): each checked as an evidence object at its recorded version
 * ({@link checkObject}), and listing the same artifacts (key and SHA-256) as the current manifest, since only the
 * snapshot chain changes between them. So a manifest forged under a fresh key cannot add or leave out an artifact by
 * having the ledger call the genuine one superseded.
 */
async function supersededChecks(s3: S3Client, r: BucketRules, m: EvidenceManifest, c: CaseRecord): Promise<EvidenceCheck[]> {
  const ids = (l: readonly { key: string; sha256: string }[]) => new Set(l.map((a) => `${a.key} ${a.sha256}`));
  const current = ids(m.artifacts);
  const checks: EvidenceCheck[] = [];
  for (const prev of supersededRefs(c)) {
    const subject = 'superseded manifest';
    const out = await checkObject(s3, r, subject, { ...prev, prefixes: [caseEvidencePrefix(c.account, c.caseId)] });
    checks.push(...out.checks);
    if (!out.read || !out.checks[0].passed) continue;
    const at = `s3://${r.bucket}/${prev.key}@${prev.versionId}`;
    let listed: Set<string>;
    try {
      listed = ids((JSON.parse(out.read.bytes.toString('utf8')) as EvidenceManifest).artifacts);
    } catch {
      checks.push({ subject: `${subject} content`, passed: false, detail: `${at}: not a manifest` });
      continue;
    }
    const key = (id: string) => id.split(' ')[0];
    const differences = [
      ...[...current].filter((a) => !listed.has(a)).map((a) => `the manifest also lists ${key(a)}`),
      ...[...listed].filter((a) => !current.has(a)).map((a) => `it also lists ${key(a)}`),
    ];
    checks.push(
      differences.length
        ? {
            subject: `${subject} content`,
            passed: false,
            detail: `${at}: lists other artifacts than the manifest (${differences.join('; ')})`,
          }
        : { subject: `${subject} content`, passed: true, detail: `${at}: the same ${listed.size} artifact(s) as the manifest` },
    );
  }
  return checks;
}

/**
 * That the ledger's snapshot chain (`evidence.snapshots`, and each `snapshot#evidence#<volume>` record) names the same
 * security-account copies as the manifest, which its hash pins.
 */
function ledgerChainCheck(manifestChain: readonly SnapshotEvidence[], c: CaseRecord): EvidenceCheck {
  const ids = (l: readonly SnapshotEvidence[]) =>
    l
      .map((s) => `${s.sourceVolumeId}:${s.snapshotId}`)
      .sort()
      .join(',');
  const ledgerChain = (c.evidence?.snapshots as SnapshotEvidence[] | undefined) ?? [];
  const recorded = recordedSnapshots(c.evidence).filter((s) => s.stage === 'evidence');
  const problems = [
    ...(ids(ledgerChain) === ids(manifestChain) ? [] : [`the ledger's chain names ${ids(ledgerChain) || 'none'}`]),
    ...manifestChain
      .filter((s) => !recorded.some((x) => x.volumeId === s.sourceVolumeId && x.snapshotId === s.snapshotId))
      .map((s) => `no ledger record of ${s.snapshotId} as the evidence copy of ${s.sourceVolumeId}`),
  ];
  return problems.length
    ? { subject: 'snapshot chain', passed: false, detail: `the manifest names ${ids(manifestChain)}; ${problems.join('; ')}` }
    : { subject: 'snapshot chain', passed: true, detail: `${manifestChain.length} chain(s), as the ledger records them` };
}

/** One EBS snapshot of the manifest, read back by ID in the security account, and its check. */
async function checkSnapshot(
  ec2: EC2Client,
  s: SnapshotEvidence,
  securityAccount: string,
  evidenceKey: string | undefined,
): Promise<{ view: SnapshotView; check: EvidenceCheck }> {
  let snap: Snapshot | undefined;
  try {
    snap = (await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [s.snapshotId] }))).Snapshots?.[0];
  } catch (err) {
    if (!hasAwsCode(err, 'InvalidSnapshot.NotFound')) throw err;
  }
  const subject = `snapshot ${s.snapshotId}`;
  const view: SnapshotView = {
    snapshotId: s.snapshotId,
    sourceVolumeId: s.sourceVolumeId,
    ownerAccount: snap?.OwnerId,
    kmsKeyId: snap?.KmsKeyId,
    encrypted: snap?.Encrypted,
    state: snap?.State,
  };
  if (!snap)
    return { view, check: { subject, passed: false, detail: `gone: EC2 does not know ${s.snapshotId} (copy of ${s.sourceVolumeId})` } };
  const problems = [
    ...(snap.OwnerId === securityAccount ? [] : [`owner ${snap.OwnerId ?? '?'}, not the security account ${securityAccount}`]),
    ...(snap.Encrypted ? [] : ['not encrypted']),
    ...(evidenceKey && snap.KmsKeyId !== evidenceKey ? [`key ${snap.KmsKeyId ?? '(none)'}, not the evidence key ${evidenceKey}`] : []),
    ...(snap.State === 'completed' ? [] : [`state ${snap.State ?? '?'}`]),
  ];
  const what = `copy of ${s.sourceVolumeId}, owner ${snap.OwnerId}, ${snap.Encrypted ? `encrypted under ${snap.KmsKeyId}` : 'unencrypted'}, ${snap.State}`;
  return { view, check: { subject, passed: !problems.length, detail: problems.length ? `${problems.join('; ')} (${what})` : what } };
}

/**
 * One evidence copy's EBS snapshot lock against the bucket's default retention (the policy ShareAndCopySnapshots locks
 * by: lib/runtime/ec2/snapshot-lock.ts): locked, in COMPLIANCE when the bucket's default is COMPLIANCE (the state
 * `compliance`, not `compliance-cooloff`: "LockedSnapshotsInfo", EC2 API reference,
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_LockedSnapshotsInfo.html), until at least the bucket's
 * retention in days from the ledger's record of the copy (`recordedAt`), or from the snapshot's own start when the
 * ledger has no record of it (the chain check then fails on its own).
 */
async function checkSnapshotLock(
  ec2: EC2Client,
  s: SnapshotEvidence,
  c: CaseRecord,
  r: BucketRules,
): Promise<{ view: Pick<SnapshotView, 'lockState' | 'lockExpiresOn'>; check: EvidenceCheck }> {
  const info: LockedSnapshotsInfo | undefined = (await ec2.send(new DescribeLockedSnapshotsCommand({ SnapshotIds: [s.snapshotId] })))
    .Snapshots?.[0];
  const state = info?.LockState ?? 'none';
  const expires = info?.LockExpiresOn;
  const view = { lockState: state, lockExpiresOn: expires?.toISOString() };
  const subject = `snapshot lock ${s.snapshotId}`;
  const record = recordedSnapshots(c.evidence).find((x) => x.stage === 'evidence' && x.snapshotId === s.snapshotId);
  const problems = snapshotLockProblems(info, r, record?.recordedAt);
  const what = `${state}${expires ? ` until ${expires.toISOString()}` : ''}`;
  return { view, check: { subject, passed: !problems.length, detail: problems.length ? `${problems.join('; ')} (${what})` : what } };
}

/**
 * What is wrong with an evidence copy's EBS snapshot lock against the bucket's default retention (empty when it holds):
 * no lock in force; not in `compliance` state when the bucket's default is COMPLIANCE; or an expiry short of the
 * bucket's retention in days from `recordedAt` (the ledger's record of the copy, ISO-8601 UTC; unchecked without one).
 * @param info - the snapshot's DescribeLockedSnapshots entry, undefined when it has none.
 */
export function snapshotLockProblems(
  info: LockedSnapshotsInfo | undefined,
  r: { readonly mode?: 'GOVERNANCE' | 'COMPLIANCE'; readonly days?: number },
  recordedAt: string | undefined,
): string[] {
  const state = info?.LockState ?? 'none';
  const expires = info?.LockExpiresOn;
  if (state === 'none' || state === 'expired' || !expires) return [`not locked (lock state ${state})`];
  const out: string[] = [];
  if (r.mode === 'COMPLIANCE' && state !== 'compliance')
    out.push(`lock state ${state}, the bucket's default is COMPLIANCE (a governance or cooling-off lock can be removed)`);
  const needed = r.days && recordedAt ? Date.parse(recordedAt) + r.days * 86_400_000 : undefined;
  if (needed !== undefined && expires.getTime() + CLOCK_SLACK_MS < needed)
    out.push(`locked until ${expires.toISOString()}, short of ${r.days} days from its record (${new Date(needed).toISOString()})`);
  return out;
}
