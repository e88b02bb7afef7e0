import {
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DeleteSnapshotCommand,
  DescribeAddressesCommand,
  DescribeLockedSnapshotsCommand,
  EC2Client,
  LockSnapshotCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { ensureSnapshotsLocked, EvidenceLockPolicy, LockTarget, requiredExpiry } from '../../lib/runtime/ec2/snapshot-lock';
import { EventEnvelope, readEventFile, replayEvent } from '../../lib/harness/local/replay';
import { useLocalSession } from '../support/local';
import { caseSnapshots, casesForResource, evidenceVersions, objectSha256, readCase, readContainment } from '../support/read-back';

const COMPLIANCE: EvidenceLockPolicy = { mode: 'COMPLIANCE', retentionDays: 30 };
const GOVERNANCE: EvidenceLockPolicy = { mode: 'GOVERNANCE', retentionDays: 30 };
const BITCOIN = 'fixtures/events/guardduty-ec2-bitcoin-dns.json';
const BACKDOOR = 'fixtures/events/guardduty-ec2-backdoor-two-enis-ipv6.json';

describe('ec2-compromise playbook (synthesized state machine, real handlers, emulator)', () => {
  const local = useLocalSession();

  it.each([BITCOIN, BACKDOOR])('contains %s and lands its evidence in the security account', async (file) => {
    const { env } = local.session;
    const { report, twin } = await replayEvent(local.session, readEventFile(file), {
      extras: { autoScalingGroup: true, targetGroup: true },
    });
    expect(report.executions).toHaveLength(1);
    const x = report.executions[0];
    expect(x).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
    const caseId = x.caseId!;

    const state = await readContainment(env, twin!.instanceId, twin!.vpcId);
    expect(state.isolation).toHaveLength(1);
    const iso = state.isolation[0];
    expect(iso.IpPermissions).toEqual([]);
    expect(iso.IpPermissionsEgress).toEqual([]);
    expect(state.enis).toHaveLength(twin!.networkInterfaceIds.length);
    for (const eni of state.enis) expect(eni.groups).toEqual([iso.GroupId]);
    expect(state.terminationProtection).toBe(true);
    expect(state.shutdownBehavior).toBe('stop');
    expect(state.deleteOnTermination).toEqual([false, false]);
    expect(state.activeProfiles).toEqual([]);
    // The fixture's ENI has a public IP: its twin Elastic IP is disassociated.
    const eips = Object.entries(twin!.idMap)
      .filter(([from]) => /^\d+\.\d+\.\d+\.\d+$/.test(from))
      .map(([, to]) => to);
    expect(eips).toHaveLength(1);
    const addresses = (await env.member.ec2.send(new DescribeAddressesCommand({ PublicIps: eips }))).Addresses ?? [];
    expect(addresses).toHaveLength(1);
    expect(addresses[0].AssociationId).toBeUndefined();

    const snaps = await caseSnapshots(env, caseId);
    expect(snaps.security).toHaveLength(twin!.volumeIds.length);
    for (const s of snaps.security) {
      expect(s.OwnerId).toBe(env.securityAccount);
      expect(s.State).toBe('completed');
      expect(s.Encrypted).toBe(true);
      expect(s.KmsKeyId).toBe(env.evidenceKeyArn);
    }
    expect(new Set(snaps.security.map((s) => s.Tags?.find((t) => t.Key === 'firebreak:source-volume-id')?.Value))).toEqual(
      new Set(twin!.volumeIds),
    );

    const { item, timeline } = await readCase(env, caseId);
    expect(item?.status).toBe('CONTAINED');
    // Each security account copy is under EBS snapshot lock (read back from EC2, not from the step): the template's
    // default mode (COMPLIANCE, no cooling-off period), until its record's time plus evidenceRetentionDays (90); the
    // member account's snapshots carry none. The case records each lock, and the step's timeline entry lists them.
    const locks = (
      await env.security.ec2.send(new DescribeLockedSnapshotsCommand({ SnapshotIds: snaps.security.map((s) => s.SnapshotId!) }))
    ).Snapshots!;
    expect(locks).toHaveLength(snaps.security.length);
    for (const l of locks) {
      const record = Object.values(item!.evidence as Record<string, { stage?: string; snapshotId?: string; recordedAt?: string }>).find(
        (r) => r.stage === 'evidence' && r.snapshotId === l.SnapshotId,
      )!;
      const until = new Date(Math.ceil((Date.parse(record.recordedAt!) + 90 * 86_400_000) / 1000) * 1000);
      expect([l.LockState, l.LockExpiresOn?.toISOString(), l.CoolOffPeriod]).toEqual(['compliance', until.toISOString(), undefined]);
      expect(item!.evidence[`lock#${l.SnapshotId}`]).toEqual({
        snapshotId: l.SnapshotId,
        lockMode: 'compliance',
        lockExpiresOn: until.toISOString(),
        changed: true,
      });
    }
    expect(
      (await env.member.ec2.send(new DescribeLockedSnapshotsCommand({ SnapshotIds: snaps.member.map((s) => s.SnapshotId!) }))).Snapshots,
    ).toEqual([]);
    const shared = timeline.find((t) => t.step === 'ShareAndCopySnapshots' && t.status === 'SUCCEEDED');
    expect((shared?.details as { locks: unknown[] }).locks).toHaveLength(snaps.security.length);
    const manifest = item?.evidence?.manifest as { bucket: string; key: string; sha256: string };
    expect(await objectSha256(env, manifest.bucket, manifest.key)).toBe(manifest.sha256);
    expect(timeline.map((t) => t.step)).toEqual(expect.arrayContaining(['Claim', 'Contain', 'SnapshotVolumes', 'WriteManifest', 'Notify']));
    // The prior state needed for release is recorded.
    expect(item?.priorState?.isolate?.securityGroupsByEni).toEqual(twin!.originalGroupsByEni);
    expect(item?.priorState?.preserve?.disableApiTermination).toBe(false);
    expect(item?.priorState?.isolate?.elasticIps).toHaveLength(1);
    expect(item?.priorState?.isolate?.instanceProfileArn).toBe(twin!.instanceProfileArn);
    expect(report.checks.filter((c) => !c.passed)).toEqual([]);
  });

  it('treats a second replay and a repeat of the finding as already handled, creating nothing', async () => {
    const { env } = local.session;
    const event = readEventFile(BITCOIN);
    const first = await replayEvent(local.session, event);
    const caseId = first.report.executions[0].caseId!;
    const snapsBefore = await caseSnapshots(env, caseId);
    const versionsBefore = await evidenceVersions(env, caseId);
    const groupsBefore = (await readContainment(env, first.twin!.instanceId, first.twin!.vpcId)).firebreakGroups.length;

    const again = await replayEvent(local.session, event, { twin: first.twin });
    const repeat = JSON.parse(JSON.stringify(event));
    repeat.detail.service.count += 1;
    const repeated = await replayEvent(local.session, repeat, { twin: first.twin });

    for (const r of [again, repeated]) {
      expect(r.report.executions[0]).toMatchObject({ status: 'ALREADY_HANDLED', caseId });
      expect(r.report.executions[0].steps.map((s) => s.name)).toEqual(['Triage', 'Contain']);
    }
    const snapsAfter = await caseSnapshots(env, caseId);
    expect(snapsAfter.member).toHaveLength(snapsBefore.member.length);
    expect(snapsAfter.security).toHaveLength(snapsBefore.security.length);
    expect(await evidenceVersions(env, caseId)).toHaveLength(versionsBefore.length);
    expect((await readContainment(env, first.twin!.instanceId, first.twin!.vpcId)).firebreakGroups).toHaveLength(groupsBefore);
    expect(await casesForResource(env, first.twin!.instanceId)).toHaveLength(1);
    const { timeline } = await readCase(env, caseId);
    expect(timeline.filter((t) => t.details?.outcome === 'ALREADY_HANDLED')).toHaveLength(2);
  });

  it('produces one case when two executions start at once for the same instance', async () => {
    const { env, runner } = local.session;
    const base = await replayEvent(local.session, readEventFile(BACKDOOR), { execute: { crashAfter: 'Triage' } });
    // The first replay only built the twin (crashed before Claim); now race two executions.
    const event = base.injected;
    const id = runner.playbook('ec2-compromise').logicalId;
    const [a, b] = await Promise.all([runner.execute(id, event), runner.execute(id, event)]);
    expect([a.status, b.status].sort()).toEqual(['ALREADY_HANDLED', 'SUCCEEDED']);
    expect(a.caseId).toBe(b.caseId);
    expect(await casesForResource(env, base.twin!.instanceId)).toHaveLength(1);
    const state = await readContainment(env, base.twin!.instanceId, base.twin!.vpcId);
    expect(state.firebreakGroups).toHaveLength(2);
    const snaps = await caseSnapshots(env, a.caseId!);
    expect(snaps.security).toHaveLength(2);
    // The twin's volumes are unencrypted: their snapshots are shared as they are, with no transit copy.
    expect(snaps.member).toHaveLength(2);
  });

  it('ends cleanly with ResourceGone when the instance was terminated before the run', async () => {
    const { env } = local.session;
    const event = readEventFile(BITCOIN);
    const built = await replayEvent(local.session, event, { execute: { crashAfter: 'Triage' } });
    await env.member.ec2.send(new TerminateInstancesCommand({ InstanceIds: [built.twin!.instanceId] }));
    const { report } = await replayEvent(local.session, event, { twin: built.twin });
    const x = report.executions[0];
    expect(x.outcome).toBe('RESOURCE_GONE');
    expect(x.status).toBe('SUCCEEDED');
    const preserve = x.steps.find((s) => s.name === 'Contain')!;
    expect(preserve.status).toBe('FAILED');
    // ResourceGone is not retried: one DescribeInstances, no change attempted.
    expect(preserve.apiCalls['EC2.DescribeInstances']).toBe(1);
    expect(report.apiCalls.byOperation['EC2.ModifyInstanceAttribute']).toBeUndefined();
    const { item, timeline } = await readCase(env, x.caseId!);
    expect(item?.status).toBe('RESOURCE_GONE');
    expect(timeline.some((t) => t.step === 'RecordResourceGone')).toBe(true);
  });

  it('runs a sample finding as a dry run with zero mutating calls and touches nothing', async () => {
    const { env } = local.session;
    const { report } = await replayEvent(local.session, readEventFile('fixtures/events/guardduty-sample-ec2.json'));
    expect(report.event.sample).toBe(true);
    expect(report.executions[0]).toMatchObject({ status: 'DRY_RUN', outcome: 'DRY_RUN' });
    expect(report.apiCalls.mutating).toBe(0);
    expect(await casesForResource(env, 'i-99999999')).toEqual([]);
  });

  it('dry-runs a real instance on request: returns the plan, changes nothing', async () => {
    const { env, runner } = local.session;
    const built = await replayEvent(local.session, readEventFile(BACKDOOR), { execute: { crashAfter: 'Triage' } });
    const x = await runner.execute('ec2-compromise', {
      firebreak: { dryRun: true, trigger: 'manual', reason: 'test' },
      event: built.injected,
    });
    expect(x.status).toBe('DRY_RUN');
    expect(x.calls.filter((c) => c.mutating)).toEqual([]);
    const plan = (x.output?.plan as { actions: { operation: string }[] }).actions.map((a) => a.operation);
    expect(plan).toEqual(
      expect.arrayContaining([
        'EC2.ModifyInstanceAttribute',
        'EC2.ModifyNetworkInterfaceAttribute',
        'EC2.CreateSecurityGroup',
        'EC2.CreateSnapshots',
        'EC2.LockSnapshot',
      ]),
    );
    // The security account copies' lock, in the configured mode for the retention (the template's defaults), no cooling-off.
    const lock = (x.output?.plan as { actions: { operation: string; change: string }[] }).actions.find(
      (a) => a.operation === 'EC2.LockSnapshot',
    );
    expect(lock?.change).toMatch(/^lock each evidence copy in compliance mode for 90 days .*no cooling-off period/);
    // The plan says which volumes skip the transit copy: the twin's, unencrypted, every one of them.
    const copies = (x.output?.plan as { actions: { operation: string; change: string }[] }).actions.filter(
      (a) => a.operation === 'EC2.CopySnapshot',
    );
    expect(copies.map((a) => a.change)).toEqual([expect.stringMatching(/^unencrypted .*skips transit/)]);
    for (const v of built.twin!.volumeIds) expect(copies[0].change).toContain(v);
    const state = await readContainment(env, built.twin!.instanceId, built.twin!.vpcId);
    expect(state.firebreakGroups).toEqual([]);
    expect(state.terminationProtection).toBe(false);
    expect(state.enis.map((e) => e.groups)).toEqual(Object.values(built.twin!.originalGroupsByEni));
  });

  it('opens a notify-only case for a Medium finding, changes nothing, and escalates when the finding turns High', async () => {
    const { env } = local.session;
    const medium = JSON.parse(JSON.stringify(readEventFile(BITCOIN)));
    medium.detail.severity = 5;
    const first = await replayEvent(local.session, medium);
    expect(first.report.routing.matched).toEqual(['firebreak-ec2-compromise-medium']);
    expect(first.report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'NOTIFIED' });
    const caseId = first.report.executions[0].caseId!;
    expect((await readCase(env, caseId)).item?.status).toBe('NOTIFIED');
    const before = await readContainment(env, first.twin!.instanceId, first.twin!.vpcId);
    expect(before.firebreakGroups).toEqual([]);
    expect(before.terminationProtection).toBe(false);
    expect(first.report.apiCalls.byOperation['SNS.Publish']).toBe(1);

    const high = JSON.parse(JSON.stringify(medium));
    high.detail.severity = 8;
    high.detail.service.count += 1;
    const second = await replayEvent(local.session, high, { twin: first.twin });
    expect(second.report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED', caseId });
    const after = await readContainment(env, first.twin!.instanceId, first.twin!.vpcId);
    expect(after.enis.every((e) => e.groups.length === 1 && e.groups[0] === after.isolation[0].GroupId)).toBe(true);
    expect((await readCase(env, caseId)).item?.status).toBe('CONTAINED');
  });

  it('counts the SSH brute-force victim finding (Low) below the severity floor: no playbook, nothing touched', async () => {
    const { report } = await replayEvent(local.session, readEventFile('fixtures/events/guardduty-ec2-ssh-bruteforce-victim.json'));
    expect(report.routing.matched).toEqual(['firebreak-below-floor']);
    expect(report.executions).toEqual([]);
    expect(report.response).toMatch(/^NO_MATCH: below the severity floor/);
    expect(report.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining(['below-floor-counted', 'security-groups-unchanged', 'no-evidence-snapshots']),
    );
    expect(report.checks.every((c) => c.passed)).toBe(true);
  });

  it.each([
    ['a Runtime Monitoring reverse shell (no resourceRole)', 'fixtures/events/guardduty-runtime-ec2-reverse-shell.json', undefined],
    ['a High Tor client GuardDuty marks TARGET', 'fixtures/events/guardduty-ec2-torclient-target.json', 'TARGET'],
  ])('contains %s, with every read-back check of ec2-compromise', async (_what, file, role) => {
    const { env } = local.session;
    const event = readEventFile(file) as EventEnvelope & { detail: { severity: number; service: { resourceRole?: string } } };
    expect([event.detail.severity, event.detail.service.resourceRole]).toEqual([8, role]);
    const { report, twin } = await replayEvent(local.session, event);
    expect(report.routing.matched).toEqual(['firebreak-ec2-compromise-high']);
    expect(report.executions.map((x) => [x.playbook, x.status, x.outcome])).toEqual([['ec2-compromise', 'SUCCEEDED', 'CONTAINED']]);
    const state = await readContainment(env, twin!.instanceId, twin!.vpcId);
    expect(state.isolation).toHaveLength(1);
    for (const eni of state.enis) expect(eni.groups).toEqual([state.isolation[0].GroupId]);
    expect(state.terminationProtection).toBe(true);
    expect(state.activeProfiles).toEqual([]);
    expect((await caseSnapshots(env, report.executions[0].caseId!)).security.length).toBeGreaterThan(0);
    expect(report.checks.length).toBeGreaterThan(10);
    expect(report.checks.filter((c) => !c.passed)).toEqual([]);
  });

  it('does not contain the victim of SSH brute force (TARGET) even at High: a notified case, the instance untouched', async () => {
    const event = readEventFile('fixtures/events/guardduty-ec2-ssh-bruteforce-victim.json') as EventEnvelope & {
      detail: { severity: number; id: string };
    };
    const high = { ...event, detail: { ...event.detail, severity: 8, id: 'f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0' } };
    const { env } = local.session;
    const { report, twin } = await replayEvent(local.session, high);
    expect(report.executions.map((x) => [x.playbook, x.status, x.outcome])).toEqual([['ec2-compromise', 'SUCCEEDED', 'NOTIFIED']]);
    expect(report.executions[0].decision).toMatch(/SSHBruteForce with resourceRole TARGET: the instance is the target/);
    expect(report.apiCalls.mutatingInMemberAccount).toBe(0);
    // Read back independently: the instance keeps its groups and its termination setting; no snapshot.
    const after = await readContainment(env, twin!.instanceId, twin!.vpcId);
    expect(after.isolation).toEqual([]);
    expect(after.enis.flatMap((e) => e.groups)).toEqual(Object.values(twin!.idMap).filter((id) => id.startsWith('sg-')));
    expect(report.checks.every((c) => c.passed)).toBe(true);
  });
  /**
   * ensureSnapshotsLocked (lib/runtime/ec2/snapshot-lock.ts) against the emulator's EBS snapshot lock
   * (emulator/firebreak_moto/snapshot_lock.py): read-then-apply, idempotent (twice, two at once, after a crash right after
   * its LockSnapshot call), a dry run that locks nothing, and never a weaker or shorter lock than the one in force. Every
   * outcome is read back with DescribeLockedSnapshots, independently of what the function returned. It shares
   * this file's emulator session (no world of its own); the step's use of it is checked above and in crash-recovery.test.ts.
   */
  describe('EBS snapshot lock of the evidence copies', () => {
    let ec2: EC2Client;
    let calls: string[];
    /** The security account's client, counting the LockSnapshot calls it sends. */
    let counted: EC2Client;

    const snapshot = async (): Promise<LockTarget> => {
      const volume = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: `${local.session.env.region}a`, Size: 8 }));
      const snap = await ec2.send(new CreateSnapshotCommand({ VolumeId: volume.VolumeId! }));
      return { snapshotId: snap.SnapshotId!, recordedAt: new Date().toISOString() };
    };
    const readLock = async (id: string) => (await ec2.send(new DescribeLockedSnapshotsCommand({ SnapshotIds: [id] }))).Snapshots?.[0];

    beforeAll(() => {
      ec2 = local.session.env.security.ec2;
      counted = {
        send: (command: { constructor: { name: string } }) => {
          calls.push(command.constructor.name);
          return ec2.send(command as never);
        },
      } as unknown as EC2Client;
    });
    beforeEach(() => {
      calls = [];
    });

    it('locks what is not locked, then converges: a second run, two runs at once and a run after a crash make no LockSnapshot', async () => {
      const [a, b] = [await snapshot(), await snapshot()];
      const first = await ensureSnapshotsLocked({ targets: [a, b], policy: COMPLIANCE, mode: 'apply' }, { ec2: counted });
      expect(calls).toEqual(['DescribeLockedSnapshotsCommand', 'LockSnapshotCommand', 'LockSnapshotCommand']);
      for (const t of [a, b]) {
        const lock = await readLock(t.snapshotId);
        expect([lock?.LockState, lock?.LockExpiresOn?.toISOString()]).toEqual(['compliance', requiredExpiry(t, COMPLIANCE).toISOString()]);
        expect(lock?.CoolOffPeriod).toBeUndefined();
      }
      expect(first.locks.map((l) => l.changed)).toEqual([true, true]);
      // A locked evidence copy cannot be deleted.
      await expect(ec2.send(new DeleteSnapshotCommand({ SnapshotId: a.snapshotId }))).rejects.toMatchObject({
        name: 'OperationNotPermitted',
      });

      // Twice, and as the re-run after a crash right after the LockSnapshot calls (nothing recorded): it reads the locks back.
      calls = [];
      const again = await ensureSnapshotsLocked({ targets: [a, b], policy: COMPLIANCE, mode: 'apply' }, { ec2: counted });
      expect(calls).toEqual(['DescribeLockedSnapshotsCommand']);
      expect(again.locks).toEqual(first.locks.map((l) => ({ ...l, changed: false })));

      // Two at once on a fresh snapshot: both may lock (same mode, same expiry); the snapshot ends locked once, as asked.
      const c = await snapshot();
      await Promise.all([1, 2].map(() => ensureSnapshotsLocked({ targets: [c], policy: COMPLIANCE, mode: 'apply' }, { ec2 })));
      const lock = await readLock(c.snapshotId);
      expect([lock?.LockState, lock?.LockExpiresOn?.toISOString()]).toEqual(['compliance', requiredExpiry(c, COMPLIANCE).toISOString()]);
    });

    it('plans without locking (dry run: only the read)', async () => {
      const t = await snapshot();
      const plan = await ensureSnapshotsLocked({ targets: [t], policy: COMPLIANCE, mode: 'plan' }, { ec2: counted });
      expect(calls).toEqual(['DescribeLockedSnapshotsCommand']);
      expect(plan.actions).toEqual([
        { operation: 'EC2.LockSnapshot', target: t.snapshotId, change: `compliance until ${requiredExpiry(t, COMPLIANCE).toISOString()}` },
      ]);
      expect(await readLock(t.snapshotId)).toBeUndefined();
    });

    it('never weakens or shortens a lock in force: a longer governance lock is kept, and made compliance when that is configured', async () => {
      const t = await snapshot();
      const later = new Date(requiredExpiry(t, GOVERNANCE).getTime() + 10 * 86_400_000);
      await ec2.send(new LockSnapshotCommand({ SnapshotId: t.snapshotId, LockMode: 'governance', ExpirationDate: later }));
      await ensureSnapshotsLocked({ targets: [t], policy: GOVERNANCE, mode: 'apply' }, { ec2: counted });
      expect(calls).toEqual(['DescribeLockedSnapshotsCommand']);
      await ensureSnapshotsLocked({ targets: [t], policy: COMPLIANCE, mode: 'apply' }, { ec2: counted });
      const lock = await readLock(t.snapshotId);
      expect([lock?.LockState, lock?.LockExpiresOn?.toISOString()]).toEqual(['compliance', later.toISOString()]);
      // A compliance lock in force is kept when governance is configured, and extended, not shortened, when short.
      const u = await snapshot();
      const sooner = new Date(Date.now() + 2 * 86_400_000);
      await ec2.send(new LockSnapshotCommand({ SnapshotId: u.snapshotId, LockMode: 'compliance', ExpirationDate: sooner }));
      await ensureSnapshotsLocked({ targets: [u], policy: GOVERNANCE, mode: 'apply' }, { ec2 });
      const extended = await readLock(u.snapshotId);
      expect([extended?.LockState, extended?.LockExpiresOn?.toISOString()]).toEqual([
        'compliance',
        requiredExpiry(u, GOVERNANCE).toISOString(),
      ]);
    });
  });
});
