import {
  CreateDBInstanceCommand,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
} from '@aws-sdk/client-rds';
import { randomBytes } from 'node:crypto';
import type { GuardDutyEvent } from '../../core/incident/schema';
import type { HarnessClients } from './harness-clients';

/** The twin of an RDS finding's DB instance, built in the emulator's member account. */
export interface DbTwin {
  readonly dbInstanceIdentifier: string;
  /** The instance identifier in the event → the twin's. */
  readonly idMap: Record<string, string>;
}

/**
 * Builds a twin of an RDS finding's DB instance (`resource.rdsDbInstanceDetails.dbInstanceIdentifier`) in the member
 * account: a standalone PostgreSQL instance named after it with a unique suffix (so that replays do not collide),
 * encrypted with the default key and publicly accessible (what rds-compromise's exposure containment turns off). An
 * Aurora cluster member is twinned as a standalone instance: the emulator's cluster chain is tested in
 * test/release/rds-database.test.ts. An instance that already exists under the finding's identifier (a test's own) is
 * used as it is.
 * @returns the twin, or `undefined` when the finding names no DB instance.
 */
export async function buildDbTwin(event: GuardDutyEvent, member: HarnessClients): Promise<DbTwin | undefined> {
  const details = event.detail.resource.rdsDbInstanceDetails as { dbInstanceIdentifier?: unknown } | undefined;
  const name = details?.dbInstanceIdentifier;
  if (event.detail.resource.resourceType !== 'RDSDBInstance' || typeof name !== 'string' || !/^[A-Za-z][A-Za-z0-9-]{0,40}$/.test(name))
    return undefined;
  const existing = await member.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: name })).then(
    (out) => out.DBInstances?.length,
    () => 0,
  );
  if (existing) return { dbInstanceIdentifier: name, idMap: {} };
  const dbInstanceIdentifier = `${name}-${randomBytes(3).toString('hex')}`;
  await member.rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: dbInstanceIdentifier,
      DBInstanceClass: 'db.t3.micro',
      Engine: 'postgres',
      MasterUsername: 'admin1',
      MasterUserPassword: randomBytes(12).toString('hex'),
      AllocatedStorage: 20,
      PubliclyAccessible: true,
      StorageEncrypted: true,
    }),
  );
  return { dbInstanceIdentifier, idMap: { [name]: dbInstanceIdentifier } };
}

/**
 * Deletes the twin DB instance (a drill's `delete-resource db-instance`: someone outside Firebreak deleted the database
 * before the event), as its owner would, with the harness clients: DeleteDBInstance without a final snapshot and
 * without keeping automated backups (RDS API Reference, DeleteDBInstance:
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBInstance.html).
 * @returns what was deleted, e.g. `DB instance database-1-1a2b3c (deleted)`.
 */
export async function deleteDbTwin(member: HarnessClients, twin: DbTwin): Promise<string> {
  await member.rds.send(
    new DeleteDBInstanceCommand({ DBInstanceIdentifier: twin.dbInstanceIdentifier, SkipFinalSnapshot: true, DeleteAutomatedBackups: true }),
  );
  return `DB instance ${twin.dbInstanceIdentifier} (deleted)`;
}

/**
 * The read-back checks of a contained rds-compromise case on the twin: the security account holds exactly one copy of
 * the instance's snapshot, owned by it, under the evidence key, copied from a member snapshot; the instance reads
 * `PubliclyAccessible` false (the twin is built public and the High fixture's remote address is public).
 */
export async function dbContainedChecks(
  env: { member: HarnessClients; security: HarnessClients; securityAccount: string; evidenceKeyArn: string },
  twin: DbTwin,
): Promise<{ name: string; passed: boolean; details: string }[]> {
  const db = (await env.member.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: twin.dbInstanceIdentifier })))
    .DBInstances?.[0];
  const copies = ((await env.security.rds.send(new DescribeDBSnapshotsCommand({ SnapshotType: 'manual' }))).DBSnapshots ?? []).filter(
    (s) => s.DBInstanceIdentifier === twin.dbInstanceIdentifier && s.DBSnapshotIdentifier?.startsWith('firebreak-evidence-'),
  );
  const copy = copies[0];
  return [
    {
      name: 'database-evidence-in-security-account',
      passed:
        copies.length === 1 &&
        copy?.DBSnapshotArn?.split(':')[4] === env.securityAccount &&
        copy.KmsKeyId === env.evidenceKeyArn &&
        /:snapshot:firebreak-(src|transit)-/.test(copy.SourceDBSnapshotIdentifier ?? ''),
      details: `${copies.length} security copy(ies); ${copy?.DBSnapshotIdentifier ?? '-'} from ${copy?.SourceDBSnapshotIdentifier ?? '-'} under ${copy?.KmsKeyId ?? '-'}`,
    },
    {
      name: 'database-not-public',
      passed: db?.PubliclyAccessible === false,
      details: `PubliclyAccessible ${String(db?.PubliclyAccessible)}`,
    },
  ];
}
