import {
  CreateDBInstanceCommand,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
} from '@aws-sdk/client-rds';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { createHash, randomBytes } from 'node:crypto';
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

/** What the read-back checks read: both accounts' clients, the ledger and the evidence bucket's key. */
type DbCheckEnv = {
  member: HarnessClients;
  security: HarnessClients;
  securityAccount: string;
  evidenceKeyArn: string;
  ledgerTable: string;
};

/**
 * The read-back checks of a contained rds-compromise case on the twin: the security account holds exactly one copy of
 * the instance's snapshot, owned by it, under the evidence key, copied from a member snapshot; the case's evidence
 * manifest ({@link dbManifestCheck}); the instance reads `PubliclyAccessible` false (the twin is built public and the
 * High fixture's remote address is public).
 * @param caseId - the contained execution's case (none: the manifest check fails).
 */
export async function dbContainedChecks(
  env: DbCheckEnv,
  twin: DbTwin,
  caseId?: string,
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
    await dbManifestCheck(env, caseId, copy?.DBSnapshotIdentifier),
    {
      name: 'database-not-public',
      passed: db?.PubliclyAccessible === false,
      details: `PubliclyAccessible ${String(db?.PubliclyAccessible)}`,
    },
  ];
}

/**
 * `database-evidence-manifest`: the manifest the case records (`evidence.manifest`) read back from the evidence bucket
 * with the harness's own clients: its SHA-256 recomputed equals the recorded one, it is encrypted under the evidence
 * key, it lists `db-instance.json` and `snapshots.json`, every artifact's bytes hash to what it lists, and the
 * security-account copy `snapshots.json` names is the one RDS describes there.
 */
async function dbManifestCheck(
  env: DbCheckEnv,
  caseId: string | undefined,
  securityCopyId: string | undefined,
): Promise<{ name: string; passed: boolean; details: string }> {
  const name = 'database-evidence-manifest';
  const item = caseId
    ? (await env.security.ddb.send(new GetCommand({ TableName: env.ledgerTable, Key: { pk: `CASE#${caseId}`, sk: 'CASE' } }))).Item
    : undefined;
  const ref = (item?.evidence as { manifest?: { bucket: string; key: string; sha256: string } } | undefined)?.manifest;
  if (!ref) return { name, passed: false, details: `the case ${caseId ?? '-'} records no manifest` };
  const read = async (key: string) =>
    Buffer.from(await (await env.security.s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: key }))).Body!.transformToByteArray());
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  const [body, head] = await Promise.all([
    read(ref.key),
    env.security.s3.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key })),
  ]);
  const manifest = JSON.parse(body.toString('utf8')) as { artifacts: { name: string; key: string; sha256: string }[] };
  const bad: string[] = [];
  let chainSecurityId: string | undefined;
  for (const a of manifest.artifacts) {
    const bytes = await read(a.key);
    if (sha(bytes) !== a.sha256) bad.push(a.name);
    if (a.name === 'snapshots.json')
      chainSecurityId = (JSON.parse(bytes.toString('utf8')) as { chain: { stage: string; id: string }[] }).chain.find(
        (c) => c.stage === 'security',
      )?.id;
  }
  const names = manifest.artifacts.map((a) => a.name);
  const passed =
    sha(body) === ref.sha256 &&
    head.SSEKMSKeyId === env.evidenceKeyArn &&
    ['db-instance.json', 'snapshots.json'].every((n) => names.includes(n)) &&
    bad.length === 0 &&
    chainSecurityId !== undefined &&
    chainSecurityId === securityCopyId;
  return {
    name,
    passed,
    details: `${names.join(', ')}${bad.length ? `; hash mismatch: ${bad.join(', ')}` : '; hashes match'}; manifest ${sha(body) === ref.sha256 ? 'matches' : 'differs from'} the case; security copy ${chainSecurityId ?? '-'} (RDS: ${securityCopyId ?? '-'}); key ${head.SSEKMSKeyId ?? '-'}`,
  };
}
