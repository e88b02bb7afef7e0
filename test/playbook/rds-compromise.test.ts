import { CreateDBInstanceCommand, DescribeDBInstancesCommand, DescribeDBSnapshotsCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { createHash, randomBytes } from 'node:crypto';
import { Fault, FaultSchema, installFaults } from '../../lib/harness/gameday/faults';
import { readEventFile, replayEvent, EventEnvelope } from '../../lib/harness/local/replay';
import type { LocalSession } from '../../lib/harness/local/session';
import { harnessClients } from '../../lib/harness/local/harness-clients';
import { useLocalSession } from '../support/local';
import { evidenceVersions } from '../support/read-back';

const MEDIUM = 'fixtures/events/guardduty-rds-medium.json';

/** The fields of the finding these tests change. */
interface Finding {
  type: string;
  severity: number;
  id: string;
  service: { count?: number };
  resource: { rdsDbInstanceDetails: { dbInstanceIdentifier: string } };
}

/**
 * The High finding of these tests: guardduty-rds-medium.json with only what "RDS Protection finding types" (GuardDuty
 * User Guide, https://docs.aws.amazon.com/guardduty/latest/ug/findings-rds-protection.html) gives differently for the
 * High type `CredentialAccess:RDS/TorIPCaller.SuccessfulLogin` (a successful login from a Tor exit node): the type and a
 * severity in GuardDuty's High band; the instance identifier is the test's own DB instance (as the harness's twins
 * rename the resources a finding names), and the finding ID fresh so that each test opens its own case.
 */
function highFinding(dbInstanceIdentifier: string): EventEnvelope {
  const e = structuredClone(readEventFile(MEDIUM)) as EventEnvelope & { detail: Finding };
  e.detail.type = 'CredentialAccess:RDS/TorIPCaller.SuccessfulLogin';
  e.detail.severity = 8;
  e.detail.id = randomBytes(16).toString('hex');
  e.id = `${randomBytes(4).toString('hex')}-0000-0000-0000-000000000000`;
  e.detail.resource.rdsDbInstanceDetails.dbInstanceIdentifier = dbInstanceIdentifier;
  return e;
}

/** The same finding again, as GuardDuty sends an update: a new event, the finding's `service.count` one higher. */
function repeatOf(event: EventEnvelope): EventEnvelope {
  const e = structuredClone(event) as EventEnvelope & { detail: Finding };
  e.id = `${randomBytes(4).toString('hex')}-0000-0000-0000-000000000000`;
  e.detail.service.count = (e.detail.service.count ?? 1) + 1;
  return e;
}

async function caseItem(session: LocalSession, caseId: string) {
  const { env } = session;
  return (await env.security.ddb.send(new GetCommand({ TableName: env.ledgerTable, Key: { pk: `CASE#${caseId}`, sk: 'CASE' } }))).Item!;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** One record of `snapshots.json`'s chain (`DbSnapshotRecord`). */
interface ChainRecord {
  stage: 'member' | 'transit' | 'security';
  id: string;
  arn: string;
  account: string;
  kmsKeyId?: string;
  sourceArn?: string;
  originalCreateTime?: string;
  status: string;
}

/**
 * The case's evidence, read back with the harness's own S3 client: the manifest the case records (its SHA-256
 * recomputed), every artifact it lists (each SHA-256 recomputed) and their parsed documents by name.
 */
async function readEvidence(session: LocalSession, caseId: string) {
  const item = await caseItem(session, caseId);
  const ref = item.evidence?.manifest as { bucket: string; key: string; sha256: string; versionId?: string };
  const s3 = session.env.security.s3;
  const bytes = async (key: string) =>
    Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: key }))).Body!.transformToByteArray());
  const manifestBytes = await bytes(ref.key);
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as {
    caseId: string;
    playbook: string;
    artifacts: { name: string; key: string; sha256: string; bytes: number }[];
    snapshots: unknown[];
  };
  const docs: Record<string, unknown> = {};
  const hashes: [string, boolean][] = [];
  for (const a of manifest.artifacts) {
    const b = await bytes(a.key);
    hashes.push([a.name, sha256(b) === a.sha256 && b.length === a.bytes]);
    docs[a.name] = JSON.parse(b.toString('utf8'));
  }
  return { ref, manifestHashMatches: sha256(manifestBytes) === ref.sha256, manifest, hashes, docs };
}

/** Object versions under the case's evidence prefix, by key suffix (write once: one version each). */
async function versionsByName(session: LocalSession, caseId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const v of await evidenceVersions(session.env, caseId)) {
    const name = v.Key!.split('/').pop()!;
    out[name] = (out[name] ?? 0) + 1;
  }
  return out;
}

/**
 * rds-compromise through its synthesized state machine, the real handlers and the emulator: the security account's
 * copy of the DB snapshot and the instance's public accessibility are read back with the harness's own clients.
 */
describe('rds-compromise playbook (synthesized state machine, real handlers, emulator)', () => {
  const local = useLocalSession({ environment: { FIREBREAK_CLAIM_LEASE_SECONDS: '0' } });
  const release = (caseId: string) =>
    local.session.runner.execute('release', {
      release: { caseId, reason: 'false positive: test', operator: 'arn:aws:iam::222222222222:user/responder-on-call' },
    });

  async function database(publiclyAccessible: boolean): Promise<string> {
    const id = `orders-${randomBytes(4).toString('hex')}`;
    await local.session.env.member.rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: id,
        DBInstanceClass: 'db.t3.micro',
        Engine: 'postgres',
        MasterUsername: 'admin1',
        MasterUserPassword: 'password-123',
        AllocatedStorage: 20,
        PubliclyAccessible: publiclyAccessible,
        StorageEncrypted: true,
      }),
    );
    return id;
  }
  const publiclyAccessible = async (id: string) =>
    (await local.session.env.member.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances![0]!
      .PubliclyAccessible;
  const securityCopies = async (id: string) => {
    const rds = harnessClients(local.session.env.endpoint, local.session.env.securityAccount).rds;
    const all = (await rds.send(new DescribeDBSnapshotsCommand({ SnapshotType: 'manual' }))).DBSnapshots ?? [];
    return all.filter((s) => s.DBInstanceIdentifier === id && s.DBSnapshotIdentifier!.startsWith('firebreak-evidence-'));
  };

  it('a High finding from a Tor exit node: the DB snapshot copied into the security account, public accessibility off', async () => {
    const db = await database(true);
    const { report } = await replayEvent(local.session, highFinding(db));
    const x = report.executions[0];
    expect(x).toMatchObject({ playbook: 'rds-compromise', status: 'SUCCEEDED', outcome: 'CONTAINED' });
    const copies = await securityCopies(db);
    expect(copies).toHaveLength(1);
    expect(copies[0]).toMatchObject({ Encrypted: true, KmsKeyId: local.session.env.evidenceKeyArn, Status: 'available' });
    expect(copies[0]!.DBSnapshotArn!.split(':')[4]).toBe(local.session.env.securityAccount);
    expect(copies[0]!.SourceDBSnapshotIdentifier).toMatch(/:snapshot:firebreak-transit-/);
    expect(await publiclyAccessible(db)).toBe(false);
    const item = await caseItem(local.session, x!.caseId!);
    expect(item.priorState.publicAccessibility).toMatchObject({ dbInstanceIdentifier: db, publiclyAccessible: true });

    // The evidence manifest the case records, in the security account's evidence bucket: every artifact at its SHA-256.
    const ev = await readEvidence(local.session, x!.caseId!);
    expect(ev.ref).toMatchObject({
      bucket: local.session.env.evidenceBucket,
      key: `cases/${local.session.env.memberAccount}/${x!.caseId}/manifest.json`,
    });
    expect(ev.manifestHashMatches).toBe(true);
    expect(ev.manifest).toMatchObject({ caseId: x!.caseId, playbook: 'rds-compromise', snapshots: [] });
    expect(ev.hashes).toEqual([
      ['db-instance.json', true],
      ['snapshots.json', true],
    ]);
    // db-instance.json: DescribeDBInstances as PreserveDatabase read it, before ContainDatabase (still public).
    const now = (await local.session.env.member.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: db }))).DBInstances![0]!;
    expect((ev.docs['db-instance.json'] as { dbInstance: unknown }).dbInstance).toMatchObject({
      DBInstanceIdentifier: db,
      DBInstanceArn: now.DBInstanceArn,
      DbiResourceId: now.DbiResourceId,
      PubliclyAccessible: true,
      StorageEncrypted: true,
    });
    // snapshots.json: the chain, each snapshot as RDS describes it now in its own account (the harness's clients).
    const chain = (ev.docs['snapshots.json'] as { kind: string; dbIdentifier: string; chain: ChainRecord[] }).chain;
    expect(ev.docs['snapshots.json']).toMatchObject({ kind: 'instance', dbIdentifier: db });
    expect(chain.map((c) => c.stage)).toEqual(['member', 'transit', 'security']);
    expect(chain.every((c) => c.originalCreateTime !== undefined && c.status === 'available')).toBe(true);
    expect(chain[2]!.id).toBe(copies[0]!.DBSnapshotIdentifier);
    const securityRds = harnessClients(local.session.env.endpoint, local.session.env.securityAccount).rds;
    for (const c of chain) {
      const rds: RDSClient = c.stage === 'security' ? securityRds : local.session.env.member.rds;
      const read = (await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: c.id }))).DBSnapshots![0]!;
      expect(c).toMatchObject({ arn: read.DBSnapshotArn, kmsKeyId: read.KmsKeyId, status: read.Status });
      expect([c.stage, c.account]).toEqual([c.stage, read.DBSnapshotArn!.split(':')[4]]);
      expect(c.originalCreateTime && Date.parse(c.originalCreateTime)).toEqual(read.OriginalSnapshotCreateTime?.getTime());
    }
    expect(chain[2]!.account).toBe(local.session.env.securityAccount);
    expect(chain[2]!.sourceArn).toBe(chain[1]!.arn);
    expect(await versionsByName(local.session, x!.caseId!)).toEqual({ 'db-instance.json': 1, 'snapshots.json': 1, 'manifest.json': 1 });
    expect(item.priorState.publicAccessibility.instanceCreateTime).toEqual(expect.any(String));

    // Release (releaser role): public accessibility back to the recorded value; the evidence is kept; a second release changes nothing.
    expect(await release(x!.caseId!)).toMatchObject({ status: 'SUCCEEDED', outcome: 'RELEASED' });
    expect(await publiclyAccessible(db)).toBe(true);
    expect(await securityCopies(db)).toHaveLength(1);
    const again = await release(x!.caseId!);
    expect(again.calls.filter((c) => c.mutating && c.account === local.session.env.memberAccount)).toEqual([]);
    expect(await publiclyAccessible(db)).toBe(true);
  }, 180_000);

  it('the same finding again changes nothing more; two at once make one security copy', async () => {
    const db = await database(true);
    const event = highFinding(db);
    const first = await replayEvent(local.session, event);
    expect(first.report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
    const caseId = first.report.executions[0]!.caseId!;
    const recorded = (await caseItem(local.session, caseId)).evidence.manifest;
    const again = await replayEvent(local.session, repeatOf(event));
    expect(again.report.executions.filter((x) => x.outcome === 'CONTAINED' && x.status === 'SUCCEEDED').length).toBeLessThanOrEqual(1);
    expect(await securityCopies(db)).toHaveLength(1);
    // One manifest, recorded once: the repeat neither rewrote an object nor re-pointed the case.
    expect((await caseItem(local.session, caseId)).evidence.manifest).toEqual(recorded);
    expect(await versionsByName(local.session, caseId)).toEqual({ 'db-instance.json': 1, 'snapshots.json': 1, 'manifest.json': 1 });

    const other = await database(true);
    const twice = highFinding(other);
    const both = await Promise.all([replayEvent(local.session, twice), replayEvent(local.session, repeatOf(twice))]);
    const runs = both.flatMap((r) => r.report.executions);
    expect(runs.filter((x) => x.status === 'FAILED')).toEqual([]);
    expect(runs.filter((x) => x.outcome === 'CONTAINED').length).toBeGreaterThanOrEqual(1);
    expect(await securityCopies(other)).toHaveLength(1);
    expect(await publiclyAccessible(other)).toBe(false);
    const caseIds = [...new Set(runs.map((x) => x.caseId).filter((c): c is string => !!c))];
    expect(caseIds).toHaveLength(1);
    const ev = await readEvidence(local.session, caseIds[0]!);
    expect([ev.manifestHashMatches, ev.hashes.every(([, ok]) => ok)]).toEqual([true, true]);
    expect(await versionsByName(local.session, caseIds[0]!)).toEqual({ 'db-instance.json': 1, 'snapshots.json': 1, 'manifest.json': 1 });
  }, 180_000);

  it('a second, different finding on the same DB instance attaches to its open case: no second chain, no second case', async () => {
    const db = await database(true);
    const first = (await replayEvent(local.session, highFinding(db))).report.executions[0]!;
    expect(first).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
    const second = (await replayEvent(local.session, highFinding(db))).report.executions[0]!;
    expect(second.outcome).not.toBe('CONTAINED');
    // One case, so one evidence chain (its identifiers derive from the case) and one prior state for release.
    expect(await securityCopies(db)).toHaveLength(1);
    expect(await publiclyAccessible(db)).toBe(false);
    expect((await caseItem(local.session, first.caseId!)).priorState.publicAccessibility).toMatchObject({ publiclyAccessible: true });
  }, 180_000);

  it.each(['PreserveDatabase', 'ContainDatabase'])(
    'a crash right after %s: the re-run converges (one security copy, off)',
    async (state) => {
      const db = await database(true);
      const event = highFinding(db);
      const crashed = await replayEvent(local.session, event, { execute: { crashAfter: state } });
      expect(crashed.report.executions[0]).toMatchObject({ status: 'FAILED', outcome: 'CRASHED' });
      const rerun = await replayEvent(local.session, repeatOf(event));
      expect(rerun.report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
      expect(await securityCopies(db)).toHaveLength(1);
      expect(await publiclyAccessible(db)).toBe(false);
      const caseId = rerun.report.executions[0]!.caseId!;
      expect(crashed.report.executions[0]!.caseId).toBe(caseId);
      const ev = await readEvidence(local.session, caseId);
      expect([ev.manifestHashMatches, ev.hashes.every(([, ok]) => ok)]).toEqual([true, true]);
      expect(await versionsByName(local.session, caseId)).toEqual({ 'db-instance.json': 1, 'snapshots.json': 1, 'manifest.json': 1 });
    },
    180_000,
  );

  // PutObject #1 of a High finding is Normalize's stored event; #2 to #4 are PreserveDatabase's db-instance.json,
  // snapshots.json and manifest.json (the fault's report says which step made the call).
  it.each([2, 3, 4])(
    'a crash right after the evidence bucket write #%i: the retry keeps the first object, one manifest recorded',
    async (after) => {
      const db = await database(true);
      const installed = installFaults([FaultSchema.parse({ kind: 'crash', operation: 'S3.PutObject', after }) as Fault], {
        seed: `rds-evidence-crash-${after}`,
        deleteResource: async () => {
          throw new Error('no resource is deleted in this test');
        },
      });
      let result: Awaited<ReturnType<typeof replayEvent>>;
      try {
        result = await replayEvent(local.session, highFinding(db));
        expect(installed.reports()[0]).toMatchObject({ injected: 1, bySteps: { PreserveDatabase: 1 } });
      } finally {
        installed.remove();
      }
      const x = result.report.executions[0]!;
      expect(x).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
      expect(await securityCopies(db)).toHaveLength(1);
      const ev = await readEvidence(local.session, x.caseId!);
      expect([ev.manifestHashMatches, ev.hashes]).toEqual([
        true,
        [
          ['db-instance.json', true],
          ['snapshots.json', true],
        ],
      ]);
      expect(await versionsByName(local.session, x.caseId!)).toEqual({ 'db-instance.json': 1, 'snapshots.json': 1, 'manifest.json': 1 });
    },
    180_000,
  );

  it('a dry run (an operator start with dryRun) makes zero mutating calls and plans the chain and the change', async () => {
    const db = await database(true);
    const event = highFinding(db);
    const dry = await local.session.runner.execute('rds-compromise', {
      firebreak: { dryRun: true, trigger: 'manual', reason: 'plan only', operator: 'arn:aws:iam::222222222222:user/responder-on-call' },
      event,
    });
    expect(dry.status).toBe('DRY_RUN');
    expect(dry.calls.filter((c) => c.mutating)).toEqual([]);
    const plan = (dry.output?.plan as { actions: { operation: string }[] }).actions.map((a) => a.operation);
    expect(plan).toEqual([
      'RDS.CreateDBSnapshot',
      'RDS.CopyDBSnapshot',
      'RDS.ModifyDBSnapshotAttribute',
      'RDS.CopyDBSnapshot',
      'S3.PutObject',
      'RDS.ModifyDBInstance',
    ]);
    expect(await securityCopies(db)).toHaveLength(0);
    expect(await publiclyAccessible(db)).toBe(true);
  }, 120_000);

  it('a dry run on an instance that is gone ends ResourceGone (a typed error), with zero mutating calls', async () => {
    const dry = await local.session.runner.execute('rds-compromise', {
      firebreak: { dryRun: true, trigger: 'manual', reason: 'plan only', operator: 'arn:aws:iam::222222222222:user/responder-on-call' },
      event: highFinding(`gone-${randomBytes(4).toString('hex')}`),
    });
    expect(dry).toMatchObject({ status: 'SUCCEEDED', outcome: 'RESOURCE_GONE' });
    expect(dry.calls.filter((c) => c.mutating)).toEqual([]);
  }, 120_000);

  it('a private instance is preserved and left as it is (nothing to turn off)', async () => {
    const db = await database(false);
    const { report } = await replayEvent(local.session, highFinding(db));
    expect(report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
    expect(await securityCopies(db)).toHaveLength(1);
    expect(await publiclyAccessible(db)).toBe(false);
    // Release never makes it public: Firebreak recorded no change.
    expect(await release(report.executions[0]!.caseId!)).toMatchObject({ status: 'SUCCEEDED', outcome: 'RELEASED' });
    expect(await publiclyAccessible(db)).toBe(false);
  }, 180_000);

  it('the Medium fixture opens a notified case and changes nothing', async () => {
    const { report } = await replayEvent(local.session, readEventFile(MEDIUM));
    expect(report.executions[0]).toMatchObject({ playbook: 'rds-compromise', status: 'SUCCEEDED', outcome: 'NOTIFIED' });
  });
});
