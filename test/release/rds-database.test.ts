import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  CopyDBSnapshotCommand,
  CreateDBSnapshotCommand,
  DeleteDBInstanceCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotAttributesCommand,
  DescribeDBSnapshotsCommand,
  ModifyDBSnapshotAttributeCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { CreateBucketCommand, GetObjectCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { InvalidInput, NotYetConsistent } from '../../lib/core/errors';
import { LOCAL_MEMBER_ACCOUNT, LOCAL_SECURITY_ACCOUNT } from '../../lib/harness/local/accounts';
import { harnessClients } from '../../lib/harness/local/harness-clients';
import { instrumentClient } from '../../lib/runtime/clients';
import { storeDbEvidence } from '../../lib/runtime/rds/evidence';
import { ensureDbPreserved, DbPreservationTarget } from '../../lib/runtime/rds/preserve';
import {
  DbPriorRecorder,
  DbPublicAccessPrior,
  ensureDbNotPublic,
  ensureDbPublicAccessRestored,
  verifyDbNotPublic,
} from '../../lib/runtime/rds/public-access';
import { dbEvidenceSnapshotIds } from '../../lib/runtime/rds/snapshot-ids';
import { useEmulator } from '../support/emulator';
import { mutating, recordCalls } from './world';

/**
 * rds-compromise's domain against the emulator: a DB instance preserved into the security account (member snapshot,
 * transit copy when encrypted, share, security copy under the evidence key) and its public accessibility turned off and
 * restored, every result read back with the harness's own clients (not the code's return values); repeats, two at
 * once, a crash after every mutating call, a dry run with zero mutating calls, provenance refusals, never widening.
 */
describe('rds-compromise: preserve a DB instance into the security account, contain and release its exposure', () => {
  const emulator = useEmulator();
  let admin: RDSClient;
  let member: RDSClient;
  let security: RDSClient;
  let securityAdmin: RDSClient;
  let memberKms: KMSClient;
  let target: DbPreservationTarget;
  const suffix = () => randomBytes(4).toString('hex');

  async function key(kms: KMSClient, alias: string, shareWith?: string): Promise<string> {
    const Policy = shareWith
      ? JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${shareWith}:root` }, Action: 'kms:*', Resource: '*' }],
        })
      : undefined;
    const arn = (await kms.send(new CreateKeyCommand(Policy ? { Policy } : {}))).KeyMetadata!.Arn!;
    await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: arn }));
    return arn;
  }

  beforeAll(async () => {
    const m = harnessClients(emulator.endpoint, LOCAL_MEMBER_ACCOUNT);
    const s = harnessClients(emulator.endpoint, LOCAL_SECURITY_ACCOUNT);
    admin = m.rds;
    memberKms = m.kms;
    member = harnessClients(emulator.endpoint, LOCAL_MEMBER_ACCOUNT).rds;
    instrumentClient(member, 'RDS', LOCAL_MEMBER_ACCOUNT);
    securityAdmin = s.rds;
    security = harnessClients(emulator.endpoint, LOCAL_SECURITY_ACCOUNT).rds;
    instrumentClient(security, 'RDS', LOCAL_SECURITY_ACCOUNT);
    target = {
      caseId: 'placeholder',
      notBefore: new Date(Date.now() - 1000),
      memberAccount: LOCAL_MEMBER_ACCOUNT,
      securityAccount: LOCAL_SECURITY_ACCOUNT,
      transitKeyArn: await key(m.kms, `alias/firebreak-transit-${suffix()}`, LOCAL_SECURITY_ACCOUNT),
      evidenceKeyArn: await key(s.kms, `alias/firebreak-evidence-${suffix()}`),
      deadline: new Date(Date.now() + 3_600_000),
    };
  });

  /** A fresh DB instance (public when asked; encrypted with the default key, a customer key, or not at all). */
  async function database(opts: { public?: boolean; encryption?: 'none' | 'default' | 'cmk' } = {}): Promise<string> {
    const id = `orders-${suffix()}`;
    const encryption = opts.encryption ?? 'none';
    const cmk = encryption === 'cmk' ? await key(memberKms, `alias/app-${suffix()}`) : undefined;
    await admin.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: id,
        DBInstanceClass: 'db.t3.micro',
        Engine: 'postgres',
        MasterUsername: 'admin1',
        MasterUserPassword: 'password-123',
        AllocatedStorage: 20,
        PubliclyAccessible: opts.public ?? false,
        StorageEncrypted: encryption !== 'none',
        ...(cmk ? { KmsKeyId: cmk } : {}),
      }),
    );
    return id;
  }

  const caseTarget = (): DbPreservationTarget => ({ ...target, caseId: `fb-${suffix()}` });
  const arnOf = async (db: string) =>
    (await admin.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: db }))).DBInstances![0]!.DBInstanceArn!;
  const snapshot = async (rds: RDSClient, id: string) =>
    (await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id }))).DBSnapshots![0]!;
  const countSnapshots = async (rds: RDSClient, db: string) =>
    (await rds.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: db, SnapshotType: 'manual' }))).DBSnapshots!.length;

  /** The security account's copy, read back: owner, key, recorded source, instance. */
  async function readSecurityCopy(caseId: string, db: string) {
    const ids = dbEvidenceSnapshotIds(caseId, await arnOf(db));
    const copy = await snapshot(securityAdmin, ids.security);
    return { ids, copy, owner: copy.DBSnapshotArn!.split(':')[4] };
  }

  it.each(['none', 'default', 'cmk'] as const)('preserves an instance (encryption %s) into the security account', async (encryption) => {
    const db = await database({ encryption });
    const t = caseTarget();
    const { result, calls } = await recordCalls(() => ensureDbPreserved(member, security, db, t, 'apply'));
    expect(result).toMatchObject({ kind: 'instance', dbIdentifier: db, described: { dbInstance: { DBInstanceIdentifier: db } } });
    expect(result!.described.dbCluster).toBeUndefined();
    const { ids, copy, owner } = await readSecurityCopy(t.caseId, db);
    const shared = encryption === 'none' ? ids.member : ids.transit;
    const sharedSnapshot = await snapshot(admin, shared);
    expect(owner).toBe(LOCAL_SECURITY_ACCOUNT);
    expect(copy).toMatchObject({ DBInstanceIdentifier: db, Encrypted: true, KmsKeyId: target.evidenceKeyArn, Status: 'available' });
    expect(copy.SourceDBSnapshotIdentifier).toBe(sharedSnapshot.DBSnapshotArn);
    const attrs = await admin.send(new DescribeDBSnapshotAttributesCommand({ DBSnapshotIdentifier: shared }));
    expect(attrs.DBSnapshotAttributesResult!.DBSnapshotAttributes!.find((a) => a.AttributeName === 'restore')!.AttributeValues).toEqual([
      LOCAL_SECURITY_ACCOUNT,
    ]);
    if (encryption !== 'none') expect(sharedSnapshot.KmsKeyId).toBe(target.transitKeyArn);
    expect(mutating(calls)).toEqual([
      'RDS.CreateDBSnapshot',
      ...(encryption === 'none' ? [] : ['RDS.CopyDBSnapshot']),
      'RDS.ModifyDBSnapshotAttribute',
      'RDS.CopyDBSnapshot',
    ]);
  });

  it('a repeat makes no call that changes anything and no second snapshot; two at once make one chain', async () => {
    const db = await database({ encryption: 'default' });
    const t = caseTarget();
    await Promise.all([ensureDbPreserved(member, security, db, t, 'apply'), ensureDbPreserved(member, security, db, t, 'apply')]);
    const { calls } = await recordCalls(() => ensureDbPreserved(member, security, db, t, 'apply'));
    expect(mutating(calls)).toEqual([]);
    expect(await countSnapshots(admin, db)).toBe(2); // the member snapshot and the transit copy
    expect(await countSnapshots(securityAdmin, db)).toBe(1);
    expect((await readSecurityCopy(t.caseId, db)).copy.KmsKeyId).toBe(target.evidenceKeyArn);
  });

  /** An RDS client that throws right after its `n`-th mutating call took effect (a crash after it). */
  function crashingClient(account: string, n: number): RDSClient {
    const c = harnessClients(emulator.endpoint, account).rds;
    let count = 0;
    c.middlewareStack.add(
      (next, context) => async (args) => {
        const out = await next(args);
        const op = String(context.commandName ?? '').replace(/Command$/, '');
        if (!op.startsWith('Describe') && ++count === n) throw new Error(`crash after ${op}`);
        return out;
      },
      { step: 'initialize', name: 'crashAfterNthMutation' },
    );
    return c;
  }

  it.each([
    ['member', 1],
    ['member', 2],
    ['member', 3],
    ['security', 1],
  ] as const)('a crash right after mutating call %s #%i: the re-run converges on one chain', async (side, n) => {
    const db = await database({ encryption: 'cmk' });
    const t = caseTarget();
    const m = side === 'member' ? crashingClient(LOCAL_MEMBER_ACCOUNT, n) : member;
    const s = side === 'security' ? crashingClient(LOCAL_SECURITY_ACCOUNT, n) : security;
    await expect(ensureDbPreserved(m, s, db, t, 'apply')).rejects.toThrow(/crash after/);
    await ensureDbPreserved(member, security, db, t, 'apply');
    expect(await countSnapshots(admin, db)).toBe(2);
    expect(await countSnapshots(securityAdmin, db)).toBe(1);
    const { ids, copy } = await readSecurityCopy(t.caseId, db);
    expect(copy.SourceDBSnapshotIdentifier).toBe((await snapshot(admin, ids.transit)).DBSnapshotArn);
  });

  it('a dry run makes zero mutating calls and lists what it would do', async () => {
    const db = await database({ encryption: 'default', public: true });
    const t = caseTarget();
    const { result, calls } = await recordCalls(async () => ({
      preserve: await ensureDbPreserved(member, security, db, t, 'plan'),
      contain: await ensureDbNotPublic(member, db, 'plan', () => Promise.reject(new Error('a plan records nothing'))),
    }));
    expect(mutating(calls)).toEqual([]);
    expect(result!.preserve.actions.map((a) => a.operation)).toEqual([
      'RDS.CreateDBSnapshot',
      'RDS.CopyDBSnapshot',
      'RDS.ModifyDBSnapshotAttribute',
      'RDS.CopyDBSnapshot',
    ]);
    expect(result!.contain.actions.map((a) => a.operation)).toEqual(['RDS.ModifyDBInstance']);
    expect(await countSnapshots(admin, db)).toBe(0);
    expect((await admin.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: db }))).DBInstances![0]!.PubliclyAccessible).toBe(true);
  });

  it('refuses a snapshot under its identifier that is not the evidence (another instance, or made before the case)', async () => {
    const db = await database();
    const other = await database();
    const t = caseTarget();
    const ids = dbEvidenceSnapshotIds(t.caseId, await arnOf(db));
    await admin.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: other, DBSnapshotIdentifier: ids.member }));
    await expect(ensureDbPreserved(member, security, db, t, 'apply')).rejects.toThrow(/refused: of .*, not /);
    const later = { ...caseTarget(), notBefore: new Date(Date.now() + 120_000) };
    await expect(ensureDbPreserved(member, security, db, later, 'apply')).rejects.toThrow(/before the case/);
    // A snapshot under its identifier made public by someone else: refused, not un-shared, not copied.
    const exposed = await database();
    const t2 = caseTarget();
    const exposedIds = dbEvidenceSnapshotIds(t2.caseId, await arnOf(exposed));
    await admin.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: exposed, DBSnapshotIdentifier: exposedIds.member }));
    await admin.send(
      new ModifyDBSnapshotAttributeCommand({ DBSnapshotIdentifier: exposedIds.member, AttributeName: 'restore', ValuesToAdd: ['all'] }),
    );
    await expect(ensureDbPreserved(member, security, exposed, t2, 'apply')).rejects.toThrow(/is public/);
    expect(await countSnapshots(securityAdmin, db)).toBe(0);
    expect(await countSnapshots(securityAdmin, exposed)).toBe(0);
  });

  it('refuses a member-made copy of a snapshot taken before the case, put under the member identifier', async () => {
    // A same-account CopyDBSnapshot records no source and has a new SnapshotCreateTime, but keeps the original's
    // OriginalSnapshotCreateTime ("Doesn't change when the snapshot is copied": RDS API Reference, DBSnapshot).
    const db = await database();
    const old = `old-${suffix()}`;
    await admin.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: db, DBSnapshotIdentifier: old }));
    const taken = (await snapshot(admin, old)).SnapshotCreateTime!.getTime();
    await new Promise((r) => setTimeout(r, 1100 - (taken % 1000)));
    const t = { ...caseTarget(), notBefore: new Date() };
    const ids = dbEvidenceSnapshotIds(t.caseId, await arnOf(db));
    await admin.send(new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: old, TargetDBSnapshotIdentifier: ids.member }));
    expect((await snapshot(admin, ids.member)).SnapshotCreateTime!.getTime()).toBeGreaterThanOrEqual(
      Math.floor(t.notBefore.getTime() / 1000) * 1000,
    );
    await expect(ensureDbPreserved(member, security, db, t, 'apply')).rejects.toThrow(/refused: original time .* before the case/);
    expect(await countSnapshots(securityAdmin, db)).toBe(0);
  });

  it('a snapshot still being created (no SnapshotCreateTime yet, as RDS reports it) is waited for, not refused', async () => {
    // RDS gives SnapshotCreateTime (and OriginalSnapshotCreateTime) only once the snapshot is available; moto reports
    // every snapshot available at once, so this client reports each DB snapshot as AWS does while it is being created.
    const creating = harnessClients(emulator.endpoint, LOCAL_MEMBER_ACCOUNT).rds;
    creating.middlewareStack.add(
      (next) => async (args) => {
        const out = await next(args);
        for (const s of (out.output as { DBSnapshots?: Record<string, unknown>[] }).DBSnapshots ?? []) {
          s.Status = 'creating';
          delete s.SnapshotCreateTime;
          delete s.OriginalSnapshotCreateTime;
        }
        return out;
      },
      { step: 'initialize', name: 'snapshotsStillCreating' },
    );
    const db = await database({ encryption: 'cmk' });
    const t = caseTarget();
    await expect(ensureDbPreserved(creating, security, db, t, 'apply')).rejects.toBeInstanceOf(NotYetConsistent);
    const { calls } = await recordCalls(() => ensureDbPreserved(member, security, db, t, 'apply'));
    expect(mutating(calls)).toEqual(['RDS.CopyDBSnapshot', 'RDS.ModifyDBSnapshotAttribute', 'RDS.CopyDBSnapshot']);
    expect(await countSnapshots(admin, db)).toBe(2);
    expect((await readSecurityCopy(t.caseId, db)).copy.Status).toBe('available');
  });

  /** An Aurora cluster (encrypted with the default key when asked) and one instance in it: the instance's identifier. */
  async function clusterMember(encrypted: boolean): Promise<{ db: string; cluster: string }> {
    const cluster = `aurora-${suffix()}`;
    await admin.send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: cluster,
        Engine: 'aurora-postgresql',
        MasterUsername: 'admin1',
        MasterUserPassword: 'password-123',
        StorageEncrypted: encrypted,
      }),
    );
    const db = `aurora-1-${suffix()}`;
    await admin.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: db,
        DBClusterIdentifier: cluster,
        DBInstanceClass: 'db.r5.large',
        Engine: 'aurora-postgresql',
      }),
    );
    return { db, cluster };
  }
  const clusterSnapshot = async (rds: RDSClient, id: string) =>
    (await rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: id }))).DBClusterSnapshots![0]!;
  const countClusterSnapshots = async (rds: RDSClient, cluster: string) =>
    (await rds.send(new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: cluster, SnapshotType: 'manual' }))).DBClusterSnapshots!
      .length;
  const clusterArn = async (cluster: string) =>
    (await admin.send(new DescribeDBClustersCommand({ DBClusterIdentifier: cluster }))).DBClusters![0]!.DBClusterArn!;

  it.each([false, true])('an Aurora cluster member (encrypted %s): its cluster preserved into the security account', async (encrypted) => {
    const { db, cluster } = await clusterMember(encrypted);
    const t = caseTarget();
    const { result, calls } = await recordCalls(() => ensureDbPreserved(member, security, db, t, 'apply'));
    expect(result).toMatchObject({ kind: 'cluster', dbIdentifier: cluster });
    // The records the run read (the evidence's db-instance.json and db-cluster.json).
    expect(result!.described.dbInstance).toMatchObject({ DBInstanceIdentifier: db, DBClusterIdentifier: cluster });
    expect(result!.described.dbCluster).toMatchObject({ DBClusterIdentifier: cluster, DBClusterArn: await clusterArn(cluster) });
    const ids = dbEvidenceSnapshotIds(t.caseId, await clusterArn(cluster));
    const shared = await clusterSnapshot(admin, encrypted ? ids.transit : ids.member);
    const copy = await clusterSnapshot(securityAdmin, ids.security);
    expect(copy.DBClusterSnapshotArn!.split(':')[4]).toBe(LOCAL_SECURITY_ACCOUNT);
    expect(copy).toMatchObject({
      DBClusterIdentifier: cluster,
      StorageEncrypted: true,
      KmsKeyId: target.evidenceKeyArn,
      Status: 'available',
    });
    expect(copy.SourceDBClusterSnapshotArn).toBe(shared.DBClusterSnapshotArn);
    if (encrypted) expect(shared.SourceDBClusterSnapshotArn).toBe((await clusterSnapshot(admin, ids.member)).DBClusterSnapshotArn);
    expect(mutating(calls)).toEqual([
      'RDS.CreateDBClusterSnapshot',
      ...(encrypted ? ['RDS.CopyDBClusterSnapshot'] : []),
      'RDS.ModifyDBClusterSnapshotAttribute',
      'RDS.CopyDBClusterSnapshot',
    ]);
    const again = await recordCalls(() => ensureDbPreserved(member, security, db, t, 'apply'));
    expect(mutating(again.calls)).toEqual([]);
  });

  it("an Aurora cluster member's evidence documents: db-instance.json, db-cluster.json, snapshots.json written once, two at once and again", async () => {
    const { db, cluster } = await clusterMember(true);
    const t = caseTarget();
    const result = await ensureDbPreserved(member, security, db, t, 'apply');
    const s3 = harnessClients(emulator.endpoint, LOCAL_SECURITY_ACCOUNT).s3;
    const bucket = `rds-evidence-${suffix()}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
    const evidence = { s3, bucket, prefix: `cases/${LOCAL_MEMBER_ACCOUNT}/${t.caseId}/`, kmsKeyId: target.evidenceKeyArn };
    // Two runs at once, the second having read the instance later (another body): one object per key, the same hashes.
    const later = {
      ...result,
      described: { ...result.described, dbInstance: { ...result.described.dbInstance, DBInstanceStatus: 'later' } },
    };
    const both = await Promise.all([storeDbEvidence(evidence, result), storeDbEvidence(evidence, later)]);
    const again = await storeDbEvidence(evidence, later);
    expect(both[0]!.map((a) => a.name)).toEqual(['db-instance.json', 'db-cluster.json', 'snapshots.json']);
    expect(both[1]!.map((a) => a.sha256)).toEqual(both[0]!.map((a) => a.sha256));
    expect(again.map((a) => a.sha256)).toEqual(both[0]!.map((a) => a.sha256));
    const versions = (await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: evidence.prefix }))).Versions ?? [];
    expect(versions.map((v) => v.Key!.slice(evidence.prefix.length)).sort()).toEqual([
      'database/db-cluster.json',
      'database/db-instance.json',
      'database/snapshots.json',
    ]);
    // Read back: each object's bytes hash to what the writes returned; the cluster and chain are the ones RDS describes.
    const docs: Record<string, { dbCluster?: { DBClusterIdentifier?: string }; chain?: { stage: string; id: string }[] }> = {};
    for (const a of both[0]!) {
      const bytes = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: a.key }))).Body!.transformToByteArray());
      expect([a.name, createHash('sha256').update(bytes).digest('hex')]).toEqual([a.name, a.sha256]);
      docs[a.name] = JSON.parse(bytes.toString('utf8'));
    }
    expect(docs['db-cluster.json']!.dbCluster!.DBClusterIdentifier).toBe(cluster);
    const ids = dbEvidenceSnapshotIds(t.caseId, await clusterArn(cluster));
    expect(docs['snapshots.json']!.chain!.map((c) => [c.stage, c.id])).toEqual([
      ['member', ids.member],
      ['transit', ids.transit],
      ['security', ids.security],
    ]);
    expect((await clusterSnapshot(securityAdmin, ids.security)).DBClusterSnapshotIdentifier).toBe(ids.security);
  });

  it.each([1, 2, 3])('an Aurora cluster member: a crash right after the member call #%i converges on one chain', async (n) => {
    const { db, cluster } = await clusterMember(true);
    const t = caseTarget();
    await expect(ensureDbPreserved(crashingClient(LOCAL_MEMBER_ACCOUNT, n), security, db, t, 'apply')).rejects.toThrow(/crash after/);
    await Promise.all([ensureDbPreserved(member, security, db, t, 'apply'), ensureDbPreserved(member, security, db, t, 'apply')]);
    expect(await countClusterSnapshots(admin, cluster)).toBe(2);
    expect(await countClusterSnapshots(securityAdmin, cluster)).toBe(1);
    const plan = await recordCalls(() => ensureDbPreserved(member, security, db, caseTarget(), 'plan'));
    expect(mutating(plan.calls)).toEqual([]);
    expect(plan.result!.actions.map((a) => a.operation)).toEqual([
      'RDS.CreateDBClusterSnapshot',
      'RDS.CopyDBClusterSnapshot',
      'RDS.ModifyDBClusterSnapshotAttribute',
      'RDS.CopyDBClusterSnapshot',
    ]);
  });

  it.each(['', '1db', 'db--x', 'db-', 'db_x', '--endpoint-url=http://x', 'a'.repeat(64), 'db\n'])(
    'bad input %p: InvalidInput, no call made',
    async (bad) => {
      const { record, prior } = ledger();
      const { error, calls } = await recordCalls(() => ensureDbPreserved(member, security, bad, caseTarget(), 'apply'));
      expect(error).toBeInstanceOf(InvalidInput);
      const contain = await recordCalls(() => ensureDbNotPublic(member, bad, 'apply', record));
      expect(contain.error).toBeInstanceOf(InvalidInput);
      expect([...calls, ...contain.calls]).toEqual([]);
      expect(prior).toEqual({});
    },
  );

  /** An in-memory prior-state record with the ledger's semantics: the first record of a key wins. */
  function ledger(): { record: DbPriorRecorder; prior: Record<string, unknown> } {
    const prior: Record<string, unknown> = {};
    const record: DbPriorRecorder = async <T>(k: string, value: T) => {
      if (!(k in prior)) prior[k] = structuredClone(value);
      return prior[k] as T;
    };
    return { record, prior };
  }
  const isPublic = async (db: string) =>
    (await admin.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: db }))).DBInstances![0]!.PubliclyAccessible;

  it('turns public accessibility off (prior recorded), converges on repeats and two at once, and release restores it', async () => {
    const db = await database({ public: true });
    const { record, prior } = ledger();
    await Promise.all([ensureDbNotPublic(member, db, 'apply', record), ensureDbNotPublic(member, db, 'apply', record)]);
    expect(await isPublic(db)).toBe(false);
    await verifyDbNotPublic(member, db);
    const again = await recordCalls(() => ensureDbNotPublic(member, db, 'apply', record));
    expect(mutating(again.calls)).toEqual([]);
    const instance = (await admin.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: db }))).DBInstances![0]!;
    expect(prior).toEqual({
      publicAccessibility: {
        dbInstanceIdentifier: db,
        dbiResourceId: instance.DbiResourceId,
        instanceCreateTime: instance.InstanceCreateTime!.toISOString(),
        publiclyAccessible: true,
      },
    });
    const released = prior.publicAccessibility as DbPublicAccessPrior;
    const plan = await recordCalls(() => ensureDbPublicAccessRestored(member, db, released, 'plan'));
    expect(mutating(plan.calls)).toEqual([]);
    expect(await isPublic(db)).toBe(false);
    await ensureDbPublicAccessRestored(member, db, released, 'apply');
    expect(await isPublic(db)).toBe(true);
    const twice = await recordCalls(() => ensureDbPublicAccessRestored(member, db, released, 'apply'));
    expect(mutating(twice.calls)).toEqual([]);
  });

  it('never widens: release leaves alone another instance created later under the contained identifier', async () => {
    const db = await database({ public: true });
    const { record, prior } = ledger();
    await ensureDbNotPublic(member, db, 'apply', record);
    await admin.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: db, SkipFinalSnapshot: true }));
    await new Promise((r) => setTimeout(r, 20));
    await admin.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: db,
        DBInstanceClass: 'db.t3.micro',
        Engine: 'postgres',
        MasterUsername: 'admin1',
        MasterUserPassword: 'password-123',
        AllocatedStorage: 20,
        PubliclyAccessible: false,
      }),
    );
    const { result, calls } = await recordCalls(() =>
      ensureDbPublicAccessRestored(member, db, prior.publicAccessibility as DbPublicAccessPrior, 'apply'),
    );
    expect(result!.outcome).toBe('not-changed');
    expect(mutating(calls)).toEqual([]);
    expect(await isPublic(db)).toBe(false);
  });

  it('never widens: a private instance is left alone by containment and by release', async () => {
    const db = await database({ public: false });
    const { record, prior } = ledger();
    const { calls } = await recordCalls(async () => {
      await ensureDbNotPublic(member, db, 'apply', record);
      await ensureDbPublicAccessRestored(member, db, prior.publicAccessibility as DbPublicAccessPrior | undefined, 'apply');
    });
    expect(mutating(calls)).toEqual([]);
    expect(prior).toEqual({});
    expect(await isPublic(db)).toBe(false);
  });

  it('a crash right after ModifyDBInstance: the re-run changes nothing more and release restores the recorded value', async () => {
    const db = await database({ public: true });
    const { record, prior } = ledger();
    await expect(ensureDbNotPublic(crashingClient(LOCAL_MEMBER_ACCOUNT, 1), db, 'apply', record)).rejects.toThrow(/crash after/);
    const rerun = await recordCalls(() => ensureDbNotPublic(member, db, 'apply', record));
    expect(mutating(rerun.calls)).toEqual([]);
    expect(await isPublic(db)).toBe(false);
    await expect(
      ensureDbPublicAccessRestored(crashingClient(LOCAL_MEMBER_ACCOUNT, 1), db, prior.publicAccessibility as DbPublicAccessPrior, 'apply'),
    ).rejects.toThrow(/crash after/);
    await ensureDbPublicAccessRestored(member, db, prior.publicAccessibility as DbPublicAccessPrior, 'apply');
    expect(await isPublic(db)).toBe(true);
  });
});
