import { DBCluster, DBInstance, DescribeDBClustersCommand, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { ResourceGone } from '../../core/errors';
import { hasAwsCode } from '../aws-errors';
import type { PlannedAction, StepMode } from '../ec2/instance';
import { dbEvidenceSnapshotIds, requireDbInstanceIdentifier } from './snapshot-ids';
import {
  DbSnapshotKind,
  DbSnapshotRecord,
  ensureDbSnapshotShared,
  ensureMemberDbSnapshot,
  ensureSecurityDbSnapshot,
  ensureTransitDbSnapshot,
  readDbSnapshot,
  requireAvailable,
} from './snapshots';

/** The DB instance as DescribeDBInstances gives it (never as the finding or a tag says). */
export interface DbInstanceFacts {
  readonly dbInstanceIdentifier: string;
  readonly dbInstanceArn: string;
  /** Set for an Aurora cluster member, whose storage is the cluster's: its evidence is a cluster snapshot. */
  readonly dbClusterIdentifier?: string;
  readonly storageEncrypted: boolean;
  readonly publiclyAccessible: boolean;
  /** The DescribeDBInstances record itself, as read (the evidence's `db-instance.json`: lib/runtime/rds/evidence.ts). */
  readonly described: DBInstance;
}

/**
 * Reads the instance (DescribeDBInstances).
 * @throws InvalidInput for an identifier that is not one (no call made). ResourceGone when there is no such instance.
 */
export async function readDbInstance(rds: RDSClient, dbInstanceIdentifier: string): Promise<DbInstanceFacts> {
  requireDbInstanceIdentifier(dbInstanceIdentifier);
  try {
    const db = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: dbInstanceIdentifier }))).DBInstances?.[0];
    if (!db?.DBInstanceArn) throw new ResourceGone(`DB instance ${dbInstanceIdentifier} not found`);
    return {
      dbInstanceIdentifier,
      dbInstanceArn: db.DBInstanceArn,
      ...(db.DBClusterIdentifier ? { dbClusterIdentifier: db.DBClusterIdentifier } : {}),
      storageEncrypted: db.StorageEncrypted === true,
      publiclyAccessible: db.PubliclyAccessible === true,
      described: db,
    };
  } catch (err) {
    if (hasAwsCode(err, 'DBInstanceNotFound', 'DBInstanceNotFoundFault'))
      throw new ResourceGone(`DB instance ${dbInstanceIdentifier} not found`, { cause: err });
    throw err;
  }
}

/** The records the chain's run read: the DB instance (DescribeDBInstances) and, for an Aurora member, its cluster (DescribeDBClusters). */
export interface DbDescriptions {
  readonly dbInstance: DBInstance;
  readonly dbCluster?: DBCluster;
}

/** What a chain snapshots: the instance, or the Aurora cluster whose storage it is (DescribeDBClusters). */
interface SnapshotSubject {
  readonly kind: DbSnapshotKind;
  readonly dbIdentifier: string;
  readonly arn: string;
  readonly encrypted: boolean;
  readonly described: DbDescriptions;
}

async function subjectOf(rds: RDSClient, db: DbInstanceFacts): Promise<SnapshotSubject> {
  const dbInstance = db.described;
  if (!db.dbClusterIdentifier)
    return {
      kind: 'instance',
      dbIdentifier: db.dbInstanceIdentifier,
      arn: db.dbInstanceArn,
      encrypted: db.storageEncrypted,
      described: { dbInstance },
    };
  try {
    const cluster = (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: db.dbClusterIdentifier }))).DBClusters?.[0];
    if (!cluster?.DBClusterArn) throw new ResourceGone(`DB cluster ${db.dbClusterIdentifier} not found`);
    return {
      kind: 'cluster',
      dbIdentifier: db.dbClusterIdentifier,
      arn: cluster.DBClusterArn,
      encrypted: cluster.StorageEncrypted === true,
      described: { dbInstance, dbCluster: cluster },
    };
  } catch (err) {
    if (hasAwsCode(err, 'DBClusterNotFoundFault', 'DBClusterNotFound'))
      throw new ResourceGone(`DB cluster ${db.dbClusterIdentifier} not found`, { cause: err });
    throw err;
  }
}

/** Where the evidence goes and what it is checked against. */
export interface DbPreservationTarget {
  readonly caseId: string;
  /** The case's creation: no snapshot made before it is evidence. */
  readonly notBefore: Date;
  readonly memberAccount: string;
  readonly securityAccount: string;
  /** The member account's transit key, as an ARN (DescribeKey of its alias). */
  readonly transitKeyArn: string;
  /** The security account's evidence key, as an ARN. */
  readonly evidenceKeyArn: string;
  /** The execution's one evidence deadline. */
  readonly deadline: Date;
}

/** What preservation did, or (planned) would do. */
export interface DbPreservationResult {
  /** `instance`: DB snapshots of the instance; `cluster`: DB cluster snapshots of the Aurora cluster it belongs to. */
  readonly kind: DbSnapshotKind;
  /** The instance's, or the cluster's, identifier. */
  readonly dbIdentifier: string;
  /** The chain's snapshots as read back, member first (empty when planned). */
  readonly chain: DbSnapshotRecord[];
  /** The instance (and cluster) as this run read them, before any snapshot call. */
  readonly described: DbDescriptions;
  readonly actions: PlannedAction[];
}

/**
 * Preserves a DB instance into the security account (the chain of `snapshots.ts`): member snapshot, transit copy when
 * encrypted, share, security copy; for an Aurora cluster member (DescribeDBInstances `DBClusterIdentifier`) the same
 * chain of cluster snapshots of its cluster, whose storage it is. Each stage waits for its source to be `available`
 * (`NotYetConsistent`, retried, until `target.deadline`, then `EvidenceIncomplete`).
 * @param member - RDS in the member account (responder role). @param security - RDS in the security account.
 * @param mode - `plan`: reads only and lists the creates and the share it would make (zero mutating calls).
 * @throws EvidenceProvenance when a snapshot under a stage's identifier is not the evidence it should be.
 *   ResourceGone when the instance or its cluster is gone.
 */
export async function ensureDbPreserved(
  member: RDSClient,
  security: RDSClient,
  dbInstanceIdentifier: string,
  target: DbPreservationTarget,
  mode: StepMode,
): Promise<DbPreservationResult> {
  const subject = await subjectOf(member, await readDbInstance(member, dbInstanceIdentifier));
  const { kind, dbIdentifier, described } = subject;
  const ids = dbEvidenceSnapshotIds(target.caseId, subject.arn);
  if (mode === 'plan')
    return { kind, dbIdentifier, chain: [], described, actions: await planDbPreservation(member, security, subject, ids) };
  const notBefore = target.notBefore;
  const source = await ensureMemberDbSnapshot(member, kind, { account: target.memberAccount, dbIdentifier, id: ids.member, notBefore });
  requireAvailable([source], target.deadline);
  const chain = [source];
  let shared = source;
  if (source.encrypted) {
    shared = await ensureTransitDbSnapshot(member, { source, id: ids.transit, transitKeyArn: target.transitKeyArn, notBefore });
    requireAvailable([shared], target.deadline);
    chain.push(shared);
  }
  await ensureDbSnapshotShared(member, shared, target.securityAccount);
  const copy = await ensureSecurityDbSnapshot(security, {
    shared,
    account: target.securityAccount,
    id: ids.security,
    evidenceKeyArn: target.evidenceKeyArn,
    notBefore,
  });
  requireAvailable([copy], target.deadline);
  return { kind, dbIdentifier, chain: [...chain, copy], described, actions: [] };
}

async function planDbPreservation(
  member: RDSClient,
  security: RDSClient,
  subject: SnapshotSubject,
  ids: { member: string; transit: string; security: string },
): Promise<PlannedAction[]> {
  const { kind } = subject;
  const op = (instanceOp: string) => (kind === 'cluster' ? instanceOp.replace('DBSnapshot', 'DBClusterSnapshot') : instanceOp);
  const actions: PlannedAction[] = [];
  const missing = async (rds: RDSClient, stage: DbSnapshotRecord['stage'], id: string, operation: string, change: string) => {
    if (!(await readDbSnapshot(rds, kind, stage, id))) actions.push({ operation: op(operation), target: id, change });
  };
  await missing(member, 'member', ids.member, 'RDS.CreateDBSnapshot', `snapshot of ${kind} ${subject.dbIdentifier}`);
  if (subject.encrypted) await missing(member, 'transit', ids.transit, 'RDS.CopyDBSnapshot', 'copy under the transit key');
  const shared = subject.encrypted ? ids.transit : ids.member;
  actions.push({
    operation: op('RDS.ModifyDBSnapshotAttribute'),
    target: shared,
    change: 'restore: add the security account (if not yet)',
  });
  await missing(security, 'security', ids.security, 'RDS.CopyDBSnapshot', 'security account copy under the evidence key');
  return actions;
}
