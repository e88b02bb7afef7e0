import {
  CopyDBClusterSnapshotCommand,
  CopyDBSnapshotCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBSnapshotCommand,
  DBClusterSnapshot,
  DBSnapshot,
  DescribeDBClusterSnapshotAttributesCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotAttributesCommand,
  DescribeDBSnapshotsCommand,
  ModifyDBClusterSnapshotAttributeCommand,
  ModifyDBSnapshotAttributeCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { EvidenceIncomplete, EvidenceProvenance, NotYetConsistent } from '../../core/errors';
import { hasAwsCode } from '../aws-errors';

/**
 * The evidence chain of a DB instance (rds-compromise), after ec2-compromise's EBS chain: a manual snapshot in the
 * member account; when the instance is encrypted, a copy under the member's transit key (a snapshot encrypted with the
 * default `aws/rds` key cannot be shared: "You can't share a snapshot that has been encrypted using the default AWS KMS
 * key of the AWS account that shared the snapshot", RDS User Guide, "Sharing a DB snapshot",
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ShareSnapshot.html); that snapshot shared with the
 * security account (ModifyDBSnapshotAttribute `restore`, the account's ID only, never `all`); and the security
 * account's copy of it under the evidence key (CopyDBSnapshot with the shared snapshot's ARN as
 * SourceDBSnapshotIdentifier and a KmsKeyId, which a copy of an encrypted snapshot shared from another account
 * requires: RDS API Reference, CopyDBSnapshot, https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CopyDBSnapshot.html).
 * AWS's guidance: GuardDuty User Guide, "Remediating a potentially compromised database"
 * (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty-remediate-compromised-rds.html), and the AWS Security
 * Incident Response User Guide (https://docs.aws.amazon.com/security-ir/latest/userguide/), which preserve before changing.
 *
 * Every stage reads first and creates only what is missing, under the deterministic identifier of `snapshot-ids.ts`
 * (CreateDBSnapshot and CopyDBSnapshot refuse an existing identifier, `DBSnapshotAlreadyExists`, so two runs at once
 * make one snapshot and the loser reads the winner's). A crash between a create and its record converges: the re-run
 * finds the snapshot by its identifier. Nothing is taken for its name: each snapshot found is checked
 * ({@link provenanceProblems}) by owner (its ARN's account), instance, type, key, the source ARN a cross-account copy
 * records (`SourceDBSnapshotIdentifier`, "It only has a value in the case of a cross-account or cross-Region copy":
 * RDS API Reference, DBSnapshot), the original creation time a copy keeps (`OriginalSnapshotCreateTime`) and its own
 * creation time not before the case opened; one that fails is refused (`EvidenceProvenance`) and never deleted.
 *
 * An Aurora cluster member's data is the cluster's: its chain is the same with DB cluster snapshots
 * (CreateDBClusterSnapshot, CopyDBClusterSnapshot, Describe/ModifyDBClusterSnapshotAttribute(s): RDS API Reference,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CopyDBClusterSnapshot.html), whose copies record their
 * source whatever the account (`SourceDBClusterSnapshotArn`: RDS API Reference, DBClusterSnapshot) and carry no original
 * creation time.
 */

/** `instance`: DB snapshots of a DB instance; `cluster`: DB cluster snapshots of an Aurora cluster. */
export type DbSnapshotKind = 'instance' | 'cluster';

/** One stage's snapshot as read back from RDS (the record a case keeps, keyed by its identifier). */
export interface DbSnapshotRecord {
  readonly kind: DbSnapshotKind;
  readonly stage: 'member' | 'transit' | 'security';
  readonly id: string;
  readonly arn: string;
  /** The account that owns it: its ARN's. */
  readonly account: string;
  /** The DB instance's identifier, or the cluster's for a cluster snapshot. */
  readonly dbIdentifier: string;
  readonly encrypted: boolean;
  /** The key's ARN when encrypted. */
  readonly kmsKeyId?: string;
  /** The ARN it was copied from (DB snapshots: cross-account copies only; cluster snapshots: every copy). */
  readonly sourceArn?: string;
  /** When the member snapshot at the root of the chain was taken (ISO 8601; DB snapshots only): equal along the chain. */
  readonly originalCreateTime?: string;
  /** When this snapshot was created (ISO 8601). */
  readonly createTime?: string;
  /** `creating`, `available`, `failed`, … (Status). */
  readonly status: string;
}

/** What a stage's snapshot must be (`provenanceProblems`). */
export interface DbSnapshotExpectation {
  readonly stage: DbSnapshotRecord['stage'];
  readonly account: string;
  readonly dbIdentifier: string;
  /** The key it must carry (transit and security copies). */
  readonly kmsKeyId?: string;
  /** The source ARN the copy must record (none: it must record none). */
  readonly sourceArn?: string;
  /** The original creation time of the chain's root (DB snapshot copies). */
  readonly originalCreateTime?: string;
  /** Not created before this instant (the case's creation). */
  readonly notBefore: Date;
}

/** The RDS calls of one kind of snapshot. */
interface SnapshotApi {
  read(rds: RDSClient, stage: DbSnapshotRecord['stage'], id: string): Promise<DbSnapshotRecord | undefined>;
  create(rds: RDSClient, dbIdentifier: string, id: string): Promise<unknown>;
  copy(rds: RDSClient, source: string, id: string, kmsKeyId: string): Promise<unknown>;
  restore(rds: RDSClient, id: string): Promise<string[]>;
  share(rds: RDSClient, id: string, account: string): Promise<unknown>;
  readonly alreadyExists: readonly string[];
}

const iso = (d: Date | undefined) => (d ? { iso: d.toISOString() } : undefined);

function instanceRecord(stage: DbSnapshotRecord['stage'], s: DBSnapshot): DbSnapshotRecord {
  const arn = s.DBSnapshotArn ?? '';
  const original = iso(s.OriginalSnapshotCreateTime);
  const created = iso(s.SnapshotCreateTime);
  return {
    kind: 'instance',
    stage,
    id: s.DBSnapshotIdentifier ?? '',
    arn,
    account: arn.split(':')[4] ?? '',
    dbIdentifier: s.DBInstanceIdentifier ?? '',
    encrypted: s.Encrypted === true,
    ...(s.KmsKeyId ? { kmsKeyId: s.KmsKeyId } : {}),
    ...(s.SourceDBSnapshotIdentifier ? { sourceArn: s.SourceDBSnapshotIdentifier } : {}),
    ...(original ? { originalCreateTime: original.iso } : {}),
    ...(created ? { createTime: created.iso } : {}),
    status: s.Status ?? 'unknown',
  };
}

function clusterRecord(stage: DbSnapshotRecord['stage'], s: DBClusterSnapshot): DbSnapshotRecord {
  const arn = s.DBClusterSnapshotArn ?? '';
  const created = iso(s.SnapshotCreateTime);
  return {
    kind: 'cluster',
    stage,
    id: s.DBClusterSnapshotIdentifier ?? '',
    arn,
    account: arn.split(':')[4] ?? '',
    dbIdentifier: s.DBClusterIdentifier ?? '',
    encrypted: s.StorageEncrypted === true,
    ...(s.KmsKeyId ? { kmsKeyId: s.KmsKeyId } : {}),
    ...(s.SourceDBClusterSnapshotArn ? { sourceArn: s.SourceDBClusterSnapshotArn } : {}),
    ...(created ? { createTime: created.iso } : {}),
    status: s.Status ?? 'unknown',
  };
}

/** Runs a read, `undefined` when RDS says there is no such snapshot. */
async function unlessNotFound<T>(read: () => Promise<T | undefined>, codes: readonly string[]): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (hasAwsCode(err, ...codes)) return undefined;
    throw err;
  }
}

const restoreOf = (attrs: { AttributeName?: string; AttributeValues?: string[] }[] | undefined) =>
  attrs?.find((a) => a.AttributeName === 'restore')?.AttributeValues ?? [];

const INSTANCE: SnapshotApi = {
  read: (rds, stage, id) =>
    unlessNotFound(async () => {
      const found = (await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id }))).DBSnapshots?.[0];
      return found ? instanceRecord(stage, found) : undefined;
    }, ['DBSnapshotNotFound', 'DBSnapshotNotFoundFault']),
  create: (rds, db, id) => rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: db, DBSnapshotIdentifier: id })),
  copy: (rds, source, id, KmsKeyId) =>
    rds.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: source, TargetDBSnapshotIdentifier: id, KmsKeyId })),
  restore: async (rds, id) =>
    restoreOf(
      (await rds.send(new DescribeDBSnapshotAttributesCommand({ DBSnapshotIdentifier: id }))).DBSnapshotAttributesResult
        ?.DBSnapshotAttributes,
    ),
  share: (rds, id, account) =>
    rds.send(new ModifyDBSnapshotAttributeCommand({ DBSnapshotIdentifier: id, AttributeName: 'restore', ValuesToAdd: [account] })),
  alreadyExists: ['DBSnapshotAlreadyExists', 'DBSnapshotAlreadyExistsFault'],
};

const CLUSTER: SnapshotApi = {
  read: (rds, stage, id) =>
    unlessNotFound(async () => {
      const out = await rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: id }));
      const found = out.DBClusterSnapshots?.[0];
      return found ? clusterRecord(stage, found) : undefined;
    }, ['DBClusterSnapshotNotFoundFault', 'DBClusterSnapshotNotFound']),
  create: (rds, cluster, id) =>
    rds.send(new CreateDBClusterSnapshotCommand({ DBClusterIdentifier: cluster, DBClusterSnapshotIdentifier: id })),
  copy: (rds, source, id, KmsKeyId) =>
    rds.send(
      new CopyDBClusterSnapshotCommand({ SourceDBClusterSnapshotIdentifier: source, TargetDBClusterSnapshotIdentifier: id, KmsKeyId }),
    ),
  restore: async (rds, id) =>
    restoreOf(
      (await rds.send(new DescribeDBClusterSnapshotAttributesCommand({ DBClusterSnapshotIdentifier: id })))
        .DBClusterSnapshotAttributesResult?.DBClusterSnapshotAttributes,
    ),
  share: (rds, id, account) =>
    rds.send(
      new ModifyDBClusterSnapshotAttributeCommand({ DBClusterSnapshotIdentifier: id, AttributeName: 'restore', ValuesToAdd: [account] }),
    ),
  alreadyExists: ['DBClusterSnapshotAlreadyExistsFault', 'DBClusterSnapshotAlreadyExists'],
};

const API: Readonly<Record<DbSnapshotKind, SnapshotApi>> = { instance: INSTANCE, cluster: CLUSTER };

/**
 * Reads one manual snapshot by identifier (DescribeDBSnapshots or DescribeDBClusterSnapshots).
 * @returns its record, or `undefined` when there is none.
 */
export function readDbSnapshot(
  rds: RDSClient,
  kind: DbSnapshotKind,
  stage: DbSnapshotRecord['stage'],
  id: string,
): Promise<DbSnapshotRecord | undefined> {
  return API[kind].read(rds, stage, id);
}

const seconds = (iso: string | undefined): number => (iso ? Math.floor(Date.parse(iso) / 1000) : Number.NaN);

/**
 * What is wrong with a snapshot offered as a stage's evidence (empty when nothing): owner, database, encryption and key,
 * recorded source, original creation time (the chain's, and not before the case: a DB snapshot copy keeps its source's
 * `OriginalSnapshotCreateTime`, "Doesn't change when the snapshot is copied", RDS API Reference, DBSnapshot,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBSnapshot.html, so a member's same-account copy of an
 * older snapshot, which records no source, is refused), creation not before the case (to the second), not failed. A
 * snapshot that is not yet `available` has no `SnapshotCreateTime` (nor `OriginalSnapshotCreateTime`) in
 * DescribeDBSnapshots (https://github.com/boto/boto3/issues/952): its missing times are not problems yet; it is read
 * and checked again once available, before anything uses it (`requireAvailable`).
 */
export function provenanceProblems(r: DbSnapshotRecord, want: DbSnapshotExpectation): string[] {
  const problems: string[] = [];
  if (r.account !== want.account) problems.push(`owned by ${r.account}, not ${want.account}`);
  if (r.dbIdentifier !== want.dbIdentifier) problems.push(`of ${r.dbIdentifier}, not ${want.dbIdentifier}`);
  if (want.kmsKeyId !== undefined && (!r.encrypted || r.kmsKeyId !== want.kmsKeyId))
    problems.push(`key ${r.kmsKeyId ?? 'none'}, not ${want.kmsKeyId}`);
  if (r.sourceArn !== want.sourceArn) problems.push(`copied from ${r.sourceArn ?? 'nothing'}, not ${want.sourceArn ?? 'nothing'}`);
  // RDS reports a snapshot's times only once it is available: until then they are checked on a later read (nothing
  // uses a snapshot that is not available, and every run reads and checks each stage again).
  const untimed = (t: string | undefined) => t === undefined && r.status !== 'available';
  if (
    want.originalCreateTime !== undefined &&
    !untimed(r.originalCreateTime) &&
    seconds(r.originalCreateTime) !== seconds(want.originalCreateTime)
  )
    problems.push(`original time ${r.originalCreateTime ?? 'none'}, not ${want.originalCreateTime}`);
  // A same-account copy of an older snapshot is new (SnapshotCreateTime) but keeps its original's time.
  if (r.originalCreateTime !== undefined && !(seconds(r.originalCreateTime) >= Math.floor(want.notBefore.getTime() / 1000)))
    problems.push(`original time ${r.originalCreateTime}, before the case (${want.notBefore.toISOString()})`);
  if (!untimed(r.createTime) && !(seconds(r.createTime) >= Math.floor(want.notBefore.getTime() / 1000)))
    problems.push(`created ${r.createTime ?? 'at no time'}, before the case (${want.notBefore.toISOString()})`);
  if (r.status === 'failed' || r.status === 'error') problems.push(`status ${r.status}`);
  return problems;
}

function requireProvenance(r: DbSnapshotRecord, want: DbSnapshotExpectation): DbSnapshotRecord {
  const problems = provenanceProblems(r, want);
  if (problems.length > 0) throw new EvidenceProvenance(`DB snapshot ${r.id} (${r.stage}) refused: ${problems.join('; ')}`);
  return r;
}

/** Reads the stage's snapshot; when absent, creates it with `create` and reads it back (a concurrent create's too). */
async function ensureSnapshot(
  rds: RDSClient,
  kind: DbSnapshotKind,
  want: DbSnapshotExpectation & { readonly id: string },
  create: () => Promise<unknown>,
): Promise<DbSnapshotRecord> {
  const found = await readDbSnapshot(rds, kind, want.stage, want.id);
  if (found) return requireProvenance(found, want);
  try {
    await create();
  } catch (err) {
    if (!hasAwsCode(err, ...API[kind].alreadyExists)) throw err;
  }
  const made = await readDbSnapshot(rds, kind, want.stage, want.id);
  if (!made) throw new NotYetConsistent(`DB snapshot ${want.id} (${want.stage}) does not read back yet`);
  return requireProvenance(made, want);
}

/**
 * Stage 1: the member account's manual snapshot of the instance (CreateDBSnapshot) or of the cluster
 * (CreateDBClusterSnapshot), or the one an earlier run made.
 * @param rds - the member account's RDS client (responder role).
 * @throws EvidenceProvenance when a snapshot under the identifier is not this database's, made since the case opened.
 */
export function ensureMemberDbSnapshot(
  rds: RDSClient,
  kind: DbSnapshotKind,
  args: { readonly account: string; readonly dbIdentifier: string; readonly id: string; readonly notBefore: Date },
): Promise<DbSnapshotRecord> {
  const want = { stage: 'member' as const, ...args };
  return ensureSnapshot(rds, kind, want, () => API[kind].create(rds, args.dbIdentifier, args.id));
}

/**
 * Stage 2, for an encrypted database only: the member's copy of its snapshot under the transit key (CopyDBSnapshot or
 * CopyDBClusterSnapshot in the same account). A DB snapshot copied in its own account records no source: its link to
 * the member snapshot is the instance and the original creation time, which a copy keeps; a cluster snapshot's copy
 * records its source's ARN.
 * @param transitKeyArn - the transit key's ARN (its alias resolved by KMS DescribeKey), which the security account may use.
 * @throws NotYetConsistent while the member snapshot is not `available` (a copy needs an available source).
 */
export function ensureTransitDbSnapshot(
  rds: RDSClient,
  args: { readonly source: DbSnapshotRecord; readonly id: string; readonly transitKeyArn: string; readonly notBefore: Date },
): Promise<DbSnapshotRecord> {
  const { source } = args;
  const want = {
    stage: 'transit' as const,
    id: args.id,
    account: source.account,
    dbIdentifier: source.dbIdentifier,
    kmsKeyId: args.transitKeyArn,
    ...(source.kind === 'cluster' ? { sourceArn: source.arn } : { originalCreateTime: source.originalCreateTime ?? source.createTime }),
    notBefore: args.notBefore,
  };
  return ensureSnapshot(rds, source.kind, want, () => {
    requireAvailable([source], undefined);
    return API[source.kind].copy(rds, source.id, args.id, args.transitKeyArn);
  });
}

/**
 * Stage 3: shares the snapshot with the security account only (Modify(DBCluster)SnapshotAttribute `restore`,
 * ValuesToAdd the account's ID), after reading who may restore it now (Describe(DBCluster)SnapshotAttributes): nothing
 * is written when it is already shared with that account. A snapshot that is public (`all`) is refused: Firebreak's
 * evidence is never public, and it is not Firebreak's to un-share what another principal made public.
 * @param snapshot - the transit copy, or the member snapshot when the database is unencrypted.
 * @returns whether this call shared it.
 * @throws EvidenceProvenance when the snapshot is public.
 */
export async function ensureDbSnapshotShared(rds: RDSClient, snapshot: DbSnapshotRecord, securityAccount: string): Promise<boolean> {
  const restore = await API[snapshot.kind].restore(rds, snapshot.id);
  if (restore.includes('all')) throw new EvidenceProvenance(`DB snapshot ${snapshot.id} is public (restore: all): refused as evidence`);
  if (restore.includes(securityAccount)) return false;
  await API[snapshot.kind].share(rds, snapshot.id, securityAccount);
  return true;
}

/**
 * Stage 4: the security account's copy of the shared snapshot under the evidence key (the source by its ARN). Its
 * provenance: owned by the security account, copied from exactly the shared snapshot's ARN, under the evidence key, of
 * the database, with the chain's original creation time (DB snapshots).
 * @param rds - the security account's RDS client.
 * @throws NotYetConsistent while the shared snapshot is not `available`.
 */
export function ensureSecurityDbSnapshot(
  rds: RDSClient,
  args: {
    readonly shared: DbSnapshotRecord;
    readonly account: string;
    readonly id: string;
    readonly evidenceKeyArn: string;
    readonly notBefore: Date;
  },
): Promise<DbSnapshotRecord> {
  const { shared } = args;
  const want = {
    stage: 'security' as const,
    id: args.id,
    account: args.account,
    dbIdentifier: shared.dbIdentifier,
    kmsKeyId: args.evidenceKeyArn,
    sourceArn: shared.arn,
    ...(shared.kind === 'instance' ? { originalCreateTime: shared.originalCreateTime ?? shared.createTime } : {}),
    notBefore: args.notBefore,
  };
  return ensureSnapshot(rds, shared.kind, want, () => {
    requireAvailable([shared], undefined);
    return API[shared.kind].copy(rds, shared.arn, args.id, args.evidenceKeyArn);
  });
}

/**
 * The polling rule: every snapshot `available`, else `NotYetConsistent` (the state machine waits and polls again) until
 * the evidence deadline, after which `EvidenceIncomplete`; a `failed` snapshot is `EvidenceIncomplete` at once.
 * @param deadline - the execution's one evidence deadline, or `undefined` for none (a source checked before a copy).
 */
export function requireAvailable(snapshots: readonly DbSnapshotRecord[], deadline: Date | undefined, now: Date = new Date()): void {
  const failed = snapshots.filter((s) => s.status === 'failed' || s.status === 'error');
  if (failed.length > 0) throw new EvidenceIncomplete(`DB snapshot ${failed.map((s) => s.id).join(', ')} failed`);
  const pending = snapshots.filter((s) => s.status !== 'available');
  if (pending.length === 0) return;
  const names = pending.map((s) => `${s.id} (${s.status})`).join(', ');
  if (deadline && now.getTime() > deadline.getTime())
    throw new EvidenceIncomplete(`DB snapshot ${names} not available by ${deadline.toISOString()}`);
  throw new NotYetConsistent(`DB snapshot ${names} not available yet`);
}
