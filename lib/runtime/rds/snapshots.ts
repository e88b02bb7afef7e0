import {
  CopyDBSnapshotCommand,
  CreateDBSnapshotCommand,
  DBSnapshot,
  DescribeDBSnapshotAttributesCommand,
  DescribeDBSnapshotsCommand,
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
 */

/** One stage's snapshot as read back from RDS (the record a case keeps, keyed by its identifier). */
export interface DbSnapshotRecord {
  readonly stage: 'member' | 'transit' | 'security';
  readonly id: string;
  readonly arn: string;
  /** The account that owns it: its ARN's. */
  readonly account: string;
  readonly dbInstanceIdentifier: string;
  readonly encrypted: boolean;
  /** The key's ARN when encrypted. */
  readonly kmsKeyId?: string;
  /** The ARN it was copied from (cross-account copies only). */
  readonly sourceArn?: string;
  /** When the member snapshot at the root of the chain was taken (ISO 8601): equal along the chain. */
  readonly originalCreateTime?: string;
  /** When this snapshot was created (ISO 8601). */
  readonly createTime?: string;
  /** `creating`, `available`, `failed`, … (DBSnapshot.Status). */
  readonly status: string;
}

/** What a stage's snapshot must be (`provenanceProblems`). */
export interface DbSnapshotExpectation {
  readonly stage: DbSnapshotRecord['stage'];
  readonly account: string;
  readonly dbInstanceIdentifier: string;
  /** The key it must carry (transit and security copies). */
  readonly kmsKeyId?: string;
  /** The source ARN a cross-account copy must record (the security copy). */
  readonly sourceArn?: string;
  /** The original creation time of the chain's root (copies). */
  readonly originalCreateTime?: string;
  /** Not created before this instant (the case's creation). */
  readonly notBefore: Date;
}

const NOT_FOUND = ['DBSnapshotNotFound', 'DBSnapshotNotFoundFault'];
const ALREADY_EXISTS = ['DBSnapshotAlreadyExists', 'DBSnapshotAlreadyExistsFault'];

function recordOf(stage: DbSnapshotRecord['stage'], s: DBSnapshot): DbSnapshotRecord {
  const arn = s.DBSnapshotArn ?? '';
  return {
    stage,
    id: s.DBSnapshotIdentifier ?? '',
    arn,
    account: arn.split(':')[4] ?? '',
    dbInstanceIdentifier: s.DBInstanceIdentifier ?? '',
    encrypted: s.Encrypted === true,
    ...(s.KmsKeyId ? { kmsKeyId: s.KmsKeyId } : {}),
    ...(s.SourceDBSnapshotIdentifier ? { sourceArn: s.SourceDBSnapshotIdentifier } : {}),
    ...(s.OriginalSnapshotCreateTime ? { originalCreateTime: s.OriginalSnapshotCreateTime.toISOString() } : {}),
    ...(s.SnapshotCreateTime ? { createTime: s.SnapshotCreateTime.toISOString() } : {}),
    status: s.Status ?? 'unknown',
  };
}

/**
 * Reads one manual DB snapshot by identifier (DescribeDBSnapshots).
 * @returns its record, or `undefined` when there is none (`DBSnapshotNotFound`).
 */
export async function readDbSnapshot(rds: RDSClient, stage: DbSnapshotRecord['stage'], id: string): Promise<DbSnapshotRecord | undefined> {
  try {
    const out = await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id }));
    const found = out.DBSnapshots?.[0];
    return found ? recordOf(stage, found) : undefined;
  } catch (err) {
    if (hasAwsCode(err, ...NOT_FOUND)) return undefined;
    throw err;
  }
}

const seconds = (iso: string | undefined): number => (iso ? Math.floor(Date.parse(iso) / 1000) : Number.NaN);

/**
 * What is wrong with a snapshot offered as a stage's evidence (empty when nothing): owner, instance, encryption and key,
 * recorded source, original creation time, creation not before the case (to the second), not failed.
 */
export function provenanceProblems(r: DbSnapshotRecord, want: DbSnapshotExpectation): string[] {
  const problems: string[] = [];
  if (r.account !== want.account) problems.push(`owned by ${r.account}, not ${want.account}`);
  if (r.dbInstanceIdentifier !== want.dbInstanceIdentifier) problems.push(`of ${r.dbInstanceIdentifier}, not ${want.dbInstanceIdentifier}`);
  if (want.kmsKeyId !== undefined && (!r.encrypted || r.kmsKeyId !== want.kmsKeyId))
    problems.push(`key ${r.kmsKeyId ?? 'none'}, not ${want.kmsKeyId}`);
  if ((r.sourceArn ?? undefined) !== want.sourceArn)
    problems.push(`copied from ${r.sourceArn ?? 'nothing'}, not ${want.sourceArn ?? 'nothing'}`);
  if (want.originalCreateTime !== undefined && seconds(r.originalCreateTime) !== seconds(want.originalCreateTime))
    problems.push(`original time ${r.originalCreateTime ?? 'none'}, not ${want.originalCreateTime}`);
  if (!(seconds(r.createTime) >= Math.floor(want.notBefore.getTime() / 1000)))
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
  want: DbSnapshotExpectation & { readonly id: string },
  create: () => Promise<unknown>,
): Promise<DbSnapshotRecord> {
  const found = await readDbSnapshot(rds, want.stage, want.id);
  if (found) return requireProvenance(found, want);
  try {
    await create();
  } catch (err) {
    if (!hasAwsCode(err, ...ALREADY_EXISTS)) throw err;
  }
  const made = await readDbSnapshot(rds, want.stage, want.id);
  if (!made) throw new NotYetConsistent(`DB snapshot ${want.id} (${want.stage}) does not read back yet`);
  return requireProvenance(made, want);
}

/**
 * Stage 1: the member account's manual snapshot of the instance (CreateDBSnapshot), or the one an earlier run made.
 * @param rds - the member account's RDS client (responder role).
 * @throws EvidenceProvenance when a snapshot under the identifier is not this instance's, made since the case opened.
 */
export function ensureMemberDbSnapshot(
  rds: RDSClient,
  args: { readonly account: string; readonly dbInstanceIdentifier: string; readonly id: string; readonly notBefore: Date },
): Promise<DbSnapshotRecord> {
  const want = { stage: 'member' as const, ...args };
  return ensureSnapshot(rds, want, () =>
    rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: args.dbInstanceIdentifier, DBSnapshotIdentifier: args.id })),
  );
}

/**
 * Stage 2, for an encrypted instance only: the member's copy of its snapshot under the transit key (CopyDBSnapshot in
 * the same account; such a copy records no source, so its link to the member snapshot is the instance and the original
 * creation time, which a copy keeps).
 * @param transitKeyArn - the transit key's ARN (its alias resolved by KMS DescribeKey), which the security account may use.
 * @throws NotYetConsistent while the member snapshot is not `available` (CopyDBSnapshot needs an available source).
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
    dbInstanceIdentifier: source.dbInstanceIdentifier,
    kmsKeyId: args.transitKeyArn,
    originalCreateTime: source.originalCreateTime ?? source.createTime,
    notBefore: args.notBefore,
  };
  return ensureSnapshot(rds, want, () => {
    requireAvailable([source], undefined);
    return rds.send(
      new CopyDBSnapshotCommand({
        SourceDBSnapshotIdentifier: source.id,
        TargetDBSnapshotIdentifier: args.id,
        KmsKeyId: args.transitKeyArn,
      }),
    );
  });
}

/**
 * Stage 3: shares the snapshot with the security account only (ModifyDBSnapshotAttribute `restore`, ValuesToAdd the
 * account's ID), after reading who may restore it now (DescribeDBSnapshotAttributes): nothing is written when it is
 * already shared with that account. A snapshot that is public (`all`) is refused: Firebreak's evidence is never public,
 * and it is not Firebreak's to un-share what another principal made public.
 * @param snapshot - the transit copy, or the member snapshot when the instance is unencrypted.
 * @returns whether this call shared it.
 * @throws EvidenceProvenance when the snapshot is public.
 */
export async function ensureDbSnapshotShared(rds: RDSClient, snapshot: DbSnapshotRecord, securityAccount: string): Promise<boolean> {
  const out = await rds.send(new DescribeDBSnapshotAttributesCommand({ DBSnapshotIdentifier: snapshot.id }));
  const restore = out.DBSnapshotAttributesResult?.DBSnapshotAttributes?.find((a) => a.AttributeName === 'restore')?.AttributeValues ?? [];
  if (restore.includes('all')) throw new EvidenceProvenance(`DB snapshot ${snapshot.id} is public (restore: all): refused as evidence`);
  if (restore.includes(securityAccount)) return false;
  await rds.send(
    new ModifyDBSnapshotAttributeCommand({ DBSnapshotIdentifier: snapshot.id, AttributeName: 'restore', ValuesToAdd: [securityAccount] }),
  );
  return true;
}

/**
 * Stage 4: the security account's copy of the shared snapshot under the evidence key (CopyDBSnapshot, the source by
 * its ARN). Its provenance: owned by the security account, copied from exactly the shared snapshot's ARN, under the
 * evidence key, of the instance, with the chain's original creation time.
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
    dbInstanceIdentifier: shared.dbInstanceIdentifier,
    kmsKeyId: args.evidenceKeyArn,
    sourceArn: shared.arn,
    originalCreateTime: shared.originalCreateTime ?? shared.createTime,
    notBefore: args.notBefore,
  };
  return ensureSnapshot(rds, want, () => {
    requireAvailable([shared], undefined);
    return rds.send(
      new CopyDBSnapshotCommand({
        SourceDBSnapshotIdentifier: shared.arn,
        TargetDBSnapshotIdentifier: args.id,
        KmsKeyId: args.evidenceKeyArn,
      }),
    );
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
