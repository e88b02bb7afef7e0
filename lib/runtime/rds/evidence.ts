import type { DBCluster, DBInstance } from '@aws-sdk/client-rds';
import { putArtifactOnce, StoredArtifact } from '../evidence/vault';
import type { EvidenceTarget } from '../s3/preserve';
import type { DbPreservationResult } from './preserve';

/**
 * The artifacts of a preserved DB instance (rds-compromise), written into the security account's evidence bucket under
 * the case's prefix once the snapshot chain is complete (`<prefix>database/<name>`), each listed with its SHA-256 in the
 * case's `manifest.json`:
 * - `db-instance.json`: the DescribeDBInstances record of the instance as the completing PreserveDatabase run read it
 *   (before ContainDatabase changes anything): endpoint, `PubliclyAccessible`, security groups, subnet group, engine and
 *   version, parameter and option groups, encryption and its key, IAM database authentication, `DbiResourceId`,
 *   `InstanceCreateTime`, the master user's name and its Secrets Manager secret's ARN, tags (RDS API Reference,
 *   DBInstance: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBInstance.html);
 * - `db-cluster.json`, for an Aurora cluster member only: the DescribeDBClusters record of its cluster, whose storage the
 *   chain snapshots (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBCluster.html);
 * - `snapshots.json`: the chain as read back from RDS (member snapshot, transit copy when encrypted, the security
 *   account's copy): identifier, ARN, owning account, database, encryption key, recorded source, creation time,
 *   `OriginalSnapshotCreateTime`, status (`DbSnapshotRecord`, lib/runtime/rds/snapshots.ts).
 *
 * **What is kept.** Every field the records carry, but one: neither record holds a secret ("Amazon RDS API operations
 * never return the password", RDS API Reference, ModifyDBInstance, MasterUserPassword:
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html; `MasterUserSecret` is the secret's
 * ARN, status and key, not its value). `PendingModifiedValues.MasterUserPassword` ("the master credentials", present
 * while a password change is pending) is replaced by `"(omitted by Firebreak)"` all the same: that a change is pending is
 * evidence, its value never is, whatever a service (or an emulator) puts there.
 *
 * **Why not the manifest's `snapshots` list.** That list is the EBS chain of a volume (`SnapshotEvidence`:
 * `sourceVolumeId`, `memberSnapshotId`, …; lib/runtime/evidence/manifest.ts), which ec2-compromise's read-back and the
 * game-day report read as such; a DB snapshot has no volume. The DB chain is the `snapshots.json` artifact instead, so
 * the manifest covers it by its SHA-256 like any other artifact, and its `snapshots` stays empty.
 */

/** The value that replaces a pending master password in the evidence. */
export const OMITTED = '(omitted by Firebreak)';

/** A record with `PendingModifiedValues.MasterUserPassword` replaced by {@link OMITTED} when present (see the module's comment). */
export function withoutPendingPassword<T extends DBInstance | DBCluster>(record: T): T {
  const pending = record.PendingModifiedValues;
  if (pending?.MasterUserPassword === undefined) return record;
  return { ...record, PendingModifiedValues: { ...pending, MasterUserPassword: OMITTED } };
}

/**
 * The documents of a completed preservation, by artifact name, in the order they are written (pure).
 * @param result - `ensureDbPreserved`'s result once the chain is complete.
 * @returns `db-instance.json`, `db-cluster.json` (Aurora members only) and `snapshots.json`.
 */
export function dbEvidenceDocuments(result: DbPreservationResult): Record<string, unknown> {
  const { dbInstance, dbCluster } = result.described;
  return {
    'db-instance.json': { dbInstanceIdentifier: dbInstance.DBInstanceIdentifier ?? null, dbInstance: withoutPendingPassword(dbInstance) },
    ...(dbCluster
      ? { 'db-cluster.json': { dbClusterIdentifier: dbCluster.DBClusterIdentifier ?? null, dbCluster: withoutPendingPassword(dbCluster) } }
      : {}),
    'snapshots.json': { kind: result.kind, dbIdentifier: result.dbIdentifier, chain: result.chain },
  };
}

/**
 * Writes the documents of {@link dbEvidenceDocuments} into the evidence bucket, each once (`putArtifactOnce`,
 * `If-None-Match: *`: a re-run, a concurrent run or a run after a crash keeps the first object and gets its SHA-256).
 * @param evidence - the evidence bucket and key (security account) and the case's prefix (`caseEvidencePrefix`).
 * @param result - the completed preservation.
 * @returns the stored artifacts, in order.
 * @throws the S3 error when a write fails (the step fails; a re-run converges).
 */
export async function storeDbEvidence(evidence: EvidenceTarget, result: DbPreservationResult): Promise<StoredArtifact[]> {
  const artifacts: StoredArtifact[] = [];
  for (const [name, doc] of Object.entries(dbEvidenceDocuments(result))) {
    const body = `${JSON.stringify(doc, null, 2)}\n`;
    const key = `${evidence.prefix}database/${name}`;
    artifacts.push(await putArtifactOnce({ bucket: evidence.bucket, key, name, body, kmsKeyId: evidence.kmsKeyId }, { s3: evidence.s3 }));
  }
  return artifacts;
}
