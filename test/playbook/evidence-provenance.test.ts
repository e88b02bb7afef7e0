import { createHash } from 'node:crypto';
import {
  CopySnapshotCommand,
  CreateSnapshotCommand,
  DeleteSnapshotCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  DescribeSnapshotAttributeCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  DetachVolumeCommand,
  Snapshot,
  Tag,
} from '@aws-sdk/client-ec2';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Fault, FaultSchema, installFaults } from '../../lib/harness/gameday/faults';
import { GuardDutyEventSchema } from '../../lib/core/incident/schema';
import { verifyContainment } from '../../lib/harness/local/checks';
import { readNotifications } from '../../lib/harness/local/notifications';
import { readEventFile, ReplayOptions, replayEvent } from '../../lib/harness/local/replay';
import type { LocalSession } from '../../lib/harness/local/session';
import type { LocalEnvironment } from '../../lib/harness/local/seed';
import { buildTwinWorld, TwinWorld } from '../../lib/harness/local/twin';
import { registerSdkInterceptor } from '../../lib/runtime/sdk-hooks';
import { copySnapshots } from '../../lib/runtime/playbook/ec2-compromise/copy-snapshots';
import { shareSnapshots } from '../../lib/runtime/playbook/ec2-compromise/share-snapshots';
import { snapshotVolumes } from '../../lib/runtime/playbook/ec2-compromise/snapshot-volumes';
import { CREATE_WINDOW_MS, MAX_CANDIDATE_REJECTIONS } from '../../lib/runtime/ec2/evidence';
import { EVIDENCE_CREATE_RETRY } from '../../lib/infra/playbooks/ec2-compromise/playbook';
import { stepDepsFromEnv } from '../../lib/runtime/playbook/deps';
import type { PlaybookState } from '../../lib/core/contracts/state';
import { cli } from '../support/cli';
import { useLocalSession } from '../support/local';
import { readCase } from '../support/read-back';

/**
 * Issue 11: a member-account principal with EC2 rights can tag snapshots like Firebreak's (the case ID is on the
 * instance's `firebreak:*` tags from Isolate on). Decoys planted before a re-run, between steps and inside the
 * window between a create call and its ledger write are never taken as evidence: the ledger records only the
 * snapshots Firebreak created (by the IDs the API returned), each provenance-checked, and names every decoy it
 * looked at as rejected, with why. Every assertion reads the ledger, the evidence bucket and both accounts' EC2
 * back with the harness clients (no interceptor touches them).
 */
const EVENT = 'fixtures/events/guardduty-ec2-bitcoin-dns.json';
/**
 * The world of this file's transit-stage tests: both volumes encrypted (the default EBS key), so every stage runs for
 * every volume as before unencrypted volumes skipped the transit copy; the unencrypted and mixed worlds have tests of
 * their own below.
 */
const WORLD = { extras: { encryptedVolumes: ['root', 'data'] } } satisfies ReplayOptions;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The tags Firebreak puts on its snapshots, plus the volume's own tags (CreateSnapshots CopyTagsFromSource=volume). */
async function firebreakTags(
  env: LocalEnvironment,
  caseId: string,
  findingId: string,
  stage: string,
  volumeId: string,
  extra: Record<string, string> = {},
): Promise<Tag[]> {
  const volume = (await env.member.ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }))).Volumes?.[0];
  const tags: Record<string, string> = {
    ...Object.fromEntries((volume?.Tags ?? []).map((t) => [t.Key!, t.Value!])),
    'firebreak:case-id': caseId,
    'firebreak:finding-id': findingId,
    'firebreak:stage': stage,
    ...extra,
  };
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/** A member-account snapshot of a volume, as an attacker takes it (untagged, or with the given tags). */
async function snapshotOf(env: LocalEnvironment, volumeId: string, tags?: Tag[]): Promise<string> {
  const out = await env.member.ec2.send(
    new CreateSnapshotCommand({
      VolumeId: volumeId,
      Description: 'Firebreak evidence, case (decoy)',
      TagSpecifications: tags ? [{ ResourceType: 'snapshot', Tags: tags }] : undefined,
    }),
  );
  return out.SnapshotId!;
}

async function tagSnapshot(env: LocalEnvironment, snapshotId: string, tags: Tag[]): Promise<void> {
  await env.member.ec2.send(new CreateTagsCommand({ Resources: [snapshotId], Tags: tags }));
}

/** Everything the case and the security account say the evidence is, read back independently. */
async function evidenceReadBack(env: LocalEnvironment, caseId: string) {
  const { item } = await readCase(env, caseId);
  const evidence = (item?.evidence ?? {}) as Record<string, Record<string, unknown>>;
  const recorded = Object.entries(evidence)
    .filter(([k]) => k.startsWith('snapshot#'))
    .map(([, v]) => v as { stage: string; volumeId: string; snapshotId: string; sourceSnapshotId?: string; how: string });
  const rejected = Object.entries(evidence)
    .filter(([k]) => k.startsWith('rejected#'))
    .map(([, v]) => v as { snapshotId: string; stage: string; kind: string; reasons: string[] });
  const manifestRef = evidence.manifest as { bucket: string; key: string } | undefined;
  const manifestText = manifestRef
    ? Buffer.from(
        await (
          await env.security.s3.send(new GetObjectCommand({ Bucket: manifestRef.bucket, Key: manifestRef.key }))
        ).Body!.transformToByteArray(),
      ).toString('utf8')
    : '';
  const manifest = manifestText
    ? (JSON.parse(manifestText) as {
        snapshots: { sourceVolumeId: string; memberSnapshotId: string; transitSnapshotId: string; snapshotId: string }[];
      })
    : undefined;
  const security =
    (
      await env.security.ec2.send(
        new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'tag:firebreak:case-id', Values: [caseId] }] }),
      )
    ).Snapshots ?? [];
  const member =
    (
      await env.member.ec2.send(
        new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'tag:firebreak:case-id', Values: [caseId] }] }),
      )
    ).Snapshots ?? [];
  return { item, recorded, rejected, manifest, manifestText, security, member };
}

/** A member snapshot's create-volume permissions: account IDs, and `group:<name>` for a group (DescribeSnapshotAttribute). */
async function sharedWith(env: LocalEnvironment, snapshotId: string): Promise<string[]> {
  const out = await env.member.ec2.send(
    new DescribeSnapshotAttributeCommand({ SnapshotId: snapshotId, Attribute: 'createVolumePermission' }),
  );
  return (out.CreateVolumePermissions ?? []).map((p) => p.UserId ?? `group:${p.Group}`).sort();
}

/** The member-account snapshot, read by ID. */
async function memberSnapshot(env: LocalEnvironment, id: string): Promise<Snapshot | undefined> {
  return (await env.member.ec2.send(new DescribeSnapshotsCommand({ Filters: [{ Name: 'snapshot-id', Values: [id] }] }))).Snapshots?.[0];
}

/**
 * What must hold whatever decoys were planted: the case is CONTAINED; the ledger records one chain per volume of the
 * twin, none of it a decoy; the member snapshots are of the twin's volumes and started after the case opened; the
 * manifest in the bucket names exactly the recorded chain; the security account holds exactly the recorded final
 * copies; and the drill read-back's provenance check passes.
 */
async function expectOnlyFirebreakEvidence(env: LocalEnvironment, twin: TwinWorld, caseId: string, decoys: string[]) {
  const r = await evidenceReadBack(env, caseId);
  expect(r.item?.status).toBe('CONTAINED');
  // Read back independently: which of the twin's volumes are encrypted (only those go through the transit copy).
  const volumes = (await env.member.ec2.send(new DescribeVolumesCommand({ VolumeIds: twin.volumeIds }))).Volumes ?? [];
  const encrypted = twin.volumeIds.filter((v) => volumes.find((x) => x.VolumeId === v)?.Encrypted).sort();
  for (const [stage, want] of [
    ['source', twin.volumeIds],
    ['transit', encrypted],
    ['evidence', twin.volumeIds],
  ] as const) {
    expect([
      stage,
      r.recorded
        .filter((x) => x.stage === stage)
        .map((x) => x.volumeId)
        .sort(),
    ]).toEqual([stage, [...want].sort()]);
  }
  // An unencrypted volume has no transit copy in the member account at all, and its source snapshot is shared with
  // the security account only.
  const memberTransit = r.member.filter((s) => s.Tags?.some((t) => t.Key === 'firebreak:stage' && t.Value === 'transit'));
  for (const v of twin.volumeIds.filter((x) => !encrypted.includes(x))) {
    const src = r.recorded.find((x) => x.stage === 'source' && x.volumeId === v)!;
    expect([v, memberTransit.filter((s) => s.Tags?.some((t) => t.Key === 'firebreak:source-volume-id' && t.Value === v))]).toEqual([v, []]);
    expect([v, await sharedWith(env, src.snapshotId)]).toEqual([v, [env.securityAccount]]);
    expect(r.recorded.find((x) => x.stage === 'evidence' && x.volumeId === v)?.sourceSnapshotId).toBe(src.snapshotId);
  }
  const recordedIds = r.recorded.map((x) => x.snapshotId);
  for (const d of decoys) {
    expect([d, recordedIds.includes(d)]).toEqual([d, false]);
    expect([d, r.manifestText.includes(d)]).toEqual([d, false]);
  }
  for (const s of r.recorded.filter((x) => x.stage === 'source')) {
    const snap = await memberSnapshot(env, s.snapshotId);
    expect(snap?.VolumeId).toBe(s.volumeId);
    expect(snap?.OwnerId).toBe(env.memberAccount);
    expect(new Date(snap!.StartTime!).getTime()).toBeGreaterThanOrEqual(Math.floor(Date.parse(r.item!.createdAt) / 1000) * 1000);
  }
  for (const s of r.recorded.filter((x) => x.stage === 'transit')) {
    const snap = await memberSnapshot(env, s.snapshotId);
    expect([snap?.OwnerId, snap?.Encrypted, snap?.KmsKeyId]).toEqual([env.memberAccount, true, env.transitKeyArn]);
    expect(s.sourceSnapshotId).toBe(r.recorded.find((x) => x.stage === 'source' && x.volumeId === s.volumeId)?.snapshotId);
  }
  const finals = r.recorded.filter((x) => x.stage === 'evidence');
  expect(r.security.map((s) => s.SnapshotId).sort()).toEqual(finals.map((x) => x.snapshotId).sort());
  for (const s of r.security) expect([s.OwnerId, s.Encrypted, s.KmsKeyId]).toEqual([env.securityAccount, true, env.evidenceKeyArn]);
  const chain = (v: string) =>
    ['source', 'transit', 'evidence'].map((stage) => r.recorded.find((x) => x.stage === stage && x.volumeId === v)?.snapshotId);
  expect(r.manifest?.snapshots.map((m) => [m.sourceVolumeId, m.memberSnapshotId, m.transitSnapshotId, m.snapshotId]).sort()).toEqual(
    twin.volumeIds.map((v) => [v, ...chain(v)]).sort(),
  );
  const { checks } = await verifyContainment(env, twin, caseId);
  expect(checks.find((c) => c.name === 'evidence-snapshots-provenance')).toMatchObject({ passed: true });
  return r;
}

/**
 * Replays EVENT with a crash fault on `operation` (the call takes effect, then the invocation dies before the ledger
 * write), then, if the state machine's retry did not finish the case, resumes it with a second execution as the next
 * run would. `interceptors` are removed whatever happens. Returns the replay's result and the case ID.
 */
async function replayWithCrash(
  session: LocalSession,
  operation: string,
  after: number,
  seed: string,
  interceptors: (() => void)[],
  world: ReplayOptions = WORLD,
) {
  const installed = installFaults([FaultSchema.parse({ kind: 'crash', operation, after }) as Fault], {
    seed,
    deleteResource: async () => {
      throw new Error('no resource is deleted in this test');
    },
  });
  let result: Awaited<ReturnType<typeof replayEvent>> | undefined;
  try {
    result = await replayEvent(session, readEventFile(EVENT), world);
    expect(installed.reports()[0].injected).toBe(1);
  } finally {
    installed.remove();
    for (const remove of interceptors) remove();
  }
  const caseId = result!.executions[0].caseId!;
  // The step is retried by the state machine (Sandbox.Timedout), or the next run resumes the case.
  if ((await readCase(session.env, caseId)).item?.status !== 'CONTAINED') await session.runner.execute('ec2-compromise', result!.injected);
  return { result: result!, twin: result!.twin!, caseId };
}

/**
 * Runs a step as its Task state would: an `EvidenceCreateInProgress` is retried as ec2-compromise's
 * EVIDENCE_CREATE_RETRY declares (its intervals, backoff, cap and attempts); `ended` is told after every attempt.
 */
/**
 * A case contained by a run that crashed right after Contain (evidence not started), and the state with which another
 * execution (`executionName`) resumes it, as its steps would receive it.
 */
async function containedThenCrashed(session: LocalSession) {
  const first = await replayEvent(session, readEventFile(EVENT), { ...WORLD, execute: { crashAfter: 'Contain' } });
  const caseId = first.executions[0].caseId!;
  const { item } = await readCase(session.env, caseId);
  const state = (executionName: string) =>
    ({
      incident: item!.incident,
      event: first.injected as unknown as Record<string, unknown>,
      run: { executionName, startTime: new Date().toISOString() },
      case: { caseId, status: 'RESUMED' as const },
    }) as PlaybookState;
  return { caseId, twin: first.twin!, state };
}

async function asStateMachine<T>(attempt: () => Promise<T>, ended: () => void): Promise<T> {
  const r = EVIDENCE_CREATE_RETRY;
  for (let retries = 0; ; retries += 1) {
    try {
      return await attempt();
    } catch (err) {
      if ((err as Error).name !== r.errors![0] || retries >= r.maxAttempts!) throw err;
      const wait = Math.min(r.interval!.toSeconds() * r.backoffRate! ** retries, r.maxDelay!.toSeconds());
      await sleep(wait * 1000);
    } finally {
      ended();
    }
  }
}

/**
 * Holds the first `operation` call in `accountId` (the first create call of a stage) until an attempt of a step ends
 * (`run` gets the function to call then); the others pass.
 */
async function withSlowFirstCreate<T>(operation: string, accountId: string, run: (ended: () => void) => Promise<T>): Promise<T> {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let held = false;
  const remove = registerSdkInterceptor({
    before: async (call) => {
      if (call.operation !== operation || call.accountId !== accountId || held) return;
      held = true;
      await released;
    },
  });
  try {
    return await run(release);
  } finally {
    release();
    remove();
  }
}

describe('ec2-compromise evidence provenance (issue 11)', () => {
  const local = useLocalSession({ environment: { FIREBREAK_CLAIM_LEASE_SECONDS: '0' } });

  it('refuses decoys planted before a re-run and between steps: another volume, the right volume before the case opened, an unencrypted copy, a copy under another key, a look-alike no create call explains', async () => {
    const { env } = local.session;
    const event = readEventFile(EVENT);
    const twin = await buildTwinWorld(GuardDutyEventSchema.parse(event), env.member, WORLD.extras);
    // Taken before the case opens (tagged later, once the case ID is on the instance), then a second passes so that
    // its StartTime (EC2 reports whole seconds) is before the case's.
    const early = await snapshotOf(env, twin.volumeIds[0]);
    await sleep(1500);

    // The first run stops after Contain: the case is open and its ID is on the instance's tags.
    const first = await replayEvent(local.session, event, { twin, execute: { crashAfter: 'Contain' } });
    expect(first.executions[0].status).toBe('CRASHED');
    const caseId = first.executions[0].caseId!;
    const findingId = (await readCase(env, caseId)).item!.incident.finding.id as string;
    await tagSnapshot(env, early, await firebreakTags(env, caseId, findingId, 'source', twin.volumeIds[0]));
    const az = (await env.member.ec2.send(new DescribeVolumesCommand({ VolumeIds: [twin.volumeIds[0]] }))).Volumes![0].AvailabilityZone!;
    const stranger = (await env.member.ec2.send(new CreateVolumeCommand({ AvailabilityZone: az, Size: 8 }))).VolumeId!;
    const otherVolume = await snapshotOf(env, stranger, await firebreakTags(env, caseId, findingId, 'source', twin.volumeIds[0]));

    // The re-run stops after SnapshotVolumes; then copies that look like Firebreak's transit copies are planted.
    const second = await local.session.runner.execute('ec2-compromise', first.injected, { crashAfter: 'SnapshotVolumes' });
    expect(second.status).toBe('CRASHED');
    const afterSnapshots = await evidenceReadBack(env, caseId);
    const source0 = afterSnapshots.recorded.find((x) => x.stage === 'source' && x.volumeId === twin.volumeIds[0])!.snapshotId;
    const source1 = afterSnapshots.recorded.find((x) => x.stage === 'source' && x.volumeId === twin.volumeIds[1])!.snapshotId;
    const transitTags = (i: number, src: string) =>
      firebreakTags(env, caseId, findingId, 'transit', twin.volumeIds[i], {
        'firebreak:source-snapshot-id': src,
        'firebreak:source-volume-id': twin.volumeIds[i],
      });
    const copy = async (src: string, tags: Tag[], key?: string) =>
      (
        await env.member.ec2.send(
          new CopySnapshotCommand({
            SourceSnapshotId: src,
            SourceRegion: env.region,
            Encrypted: key ? true : undefined,
            KmsKeyId: key,
            Description: `Firebreak transit copy of ${src}, case ${caseId}`,
            TagSpecifications: [{ ResourceType: 'snapshot', Tags: tags }],
          }),
        )
      ).SnapshotId!;
    // The volumes are encrypted, so any copy of their snapshots is: an unencrypted look-alike is a snapshot of another,
    // unencrypted volume, tagged as volume 0's transit copy.
    const unencrypted = await snapshotOf(env, stranger, await transitTags(0, source0));
    const attackerKey = (await env.member.kms.send(new CreateKeyCommand({ Description: 'not the transit key' }))).KeyMetadata!.Arn!;
    const otherKey = await copy(source1, await transitTags(1, source1), attackerKey);
    // Perfect in every property Firebreak can read (owner, transit key, size, time, tags): but no transit copy was ever requested.
    const lookAlike = await copy(source1, await transitTags(1, source1), env.transitKeyArn);
    // And one more member snapshot of the right volume, after the case opened, while its source is recorded.
    const lateSource = await snapshotOf(env, twin.volumeIds[1], await firebreakTags(env, caseId, findingId, 'source', twin.volumeIds[1]));

    const third = await local.session.runner.execute('ec2-compromise', first.injected);
    expect(third.status).toBe('SUCCEEDED');
    const r = await expectOnlyFirebreakEvidence(env, twin, caseId, [early, otherVolume, unencrypted, otherKey, lookAlike, lateSource]);
    // The decoys it looked at are on the case as rejected, each with why.
    const why = (id: string) => r.rejected.find((x) => x.snapshotId === id)?.reasons.join('; ');
    expect(why(early)).toMatch(/before the case opened/);
    expect(why(otherVolume)).toMatch(new RegExp(`volume ${stranger}.*not one of the instance's volumes`));
    expect(why(unencrypted)).toMatch(/not encrypted/);
    expect(why(otherKey)).toMatch(new RegExp(`key ${attackerKey}, not ${env.transitKeyArn}`));
    expect(why(lookAlike)).toMatch(/transit snapshot in the member account is never recovered by tag/);
    // The source was recorded when the late decoy came: nothing looked for it, and it is nothing to the case.
    expect(why(lateSource)).toBeUndefined();
    expect(r.recorded.every((x) => x.how === 'created')).toBe(true);
  }, 240_000);

  it('after a crash between CreateSnapshots and the ledger write, recovers nothing by tag in the member account: the orphans and a decoy planted in that window are refused, new snapshots made', async () => {
    const { env } = local.session;
    const planted: { sameVolume?: string; otherVolume?: string; volume0?: string } = {};
    let orphans: string[] = [];
    // What Firebreak's first CreateSnapshots made (its answer, before the crash loses it).
    const recordOrphans = registerSdkInterceptor({
      after: (call, output) => {
        if (call.operation === 'EC2.CreateSnapshots' && !orphans.length)
          orphans = (output.Snapshots as { SnapshotId: string }[]).map((s) => s.SnapshotId);
      },
    });
    // In the crash window (the call took effect, nothing recorded yet) the attacker plants a perfect snapshot of
    // volume 0 and a snapshot of another volume, both with every Firebreak tag (read from Firebreak's own request).
    // Registered before the crash fault, so it runs first on the same call.
    const removePlanter = registerSdkInterceptor({
      after: async (call, output) => {
        if (call.operation !== 'EC2.CreateSnapshots' || planted.sameVolume) return;
        const made = output.Snapshots as { VolumeId: string; SnapshotId: string }[];
        const tags = (call.input.TagSpecifications as { Tags: Tag[] }[])[0].Tags;
        const caseId = tags.find((t) => t.Key === 'firebreak:case-id')!.Value!;
        const findingId = tags.find((t) => t.Key === 'firebreak:finding-id')!.Value!;
        planted.volume0 = made[0].VolumeId;
        planted.sameVolume = await snapshotOf(
          env,
          made[0].VolumeId,
          await firebreakTags(env, caseId, findingId, 'source', made[0].VolumeId),
        );
        const az = (await env.member.ec2.send(new DescribeVolumesCommand({ VolumeIds: [made[0].VolumeId] }))).Volumes![0].AvailabilityZone!;
        const stranger = (await env.member.ec2.send(new CreateVolumeCommand({ AvailabilityZone: az, Size: 8 }))).VolumeId!;
        planted.otherVolume = await snapshotOf(env, stranger, await firebreakTags(env, caseId, findingId, 'source', made[0].VolumeId));
      },
    });
    const { twin, caseId } = await replayWithCrash(local.session, 'EC2.CreateSnapshots', 1, 'evidence-provenance', [
      removePlanter,
      recordOrphans,
    ]);

    expect(orphans).toHaveLength(2);
    const r = await expectOnlyFirebreakEvidence(env, twin, caseId, [planted.sameVolume!, planted.otherVolume!]);
    const source = (v: string) => r.recorded.find((x) => x.stage === 'source' && x.volumeId === v)!;
    const volume1 = twin.volumeIds.find((v) => v !== planted.volume0)!;
    const orphanOf = async (v: string) => {
      for (const id of orphans) if ((await memberSnapshot(env, id))?.VolumeId === v) return id;
      return undefined;
    };
    // Nothing in the member account is recovered by tag: Firebreak's own orphans (which a member principal's look-alike
    // could not be told from) and the decoy are refused, and each volume gets a snapshot its create call answered.
    const why = (id: string) => r.rejected.find((x) => x.snapshotId === id)?.reasons.join('; ');
    for (const v of [volume1, planted.volume0!]) {
      const orphan = await orphanOf(v);
      expect(source(v).how).toBe('created');
      expect([orphan, planted.sameVolume].includes(source(v).snapshotId)).toBe(false);
      expect(why(orphan!)).toMatch(/source snapshot in the member account is never recovered by tag/);
    }
    expect(why(planted.sameVolume!)).toMatch(/source snapshot in the member account is never recovered by tag/);
    expect(why(planted.otherVolume!)).toMatch(/not one of the instance's volumes/);
    // The intent was recorded before the call.
    expect(r.item?.decisions?.[`snapshotIntent#source#${volume1}`]).toEqual(expect.objectContaining({ at: expect.any(String) }));
  }, 240_000);

  it('shares an unencrypted source snapshot as it is: no transit copy, the security copy under the evidence key descends from it, shared with the security account only; CopySnapshots and CheckMemberCopies make no call', async () => {
    const { env } = local.session;
    const { executions, twin } = await replayEvent(local.session, readEventFile(EVENT));
    const caseId = executions[0].caseId!;
    const volumes = (await env.member.ec2.send(new DescribeVolumesCommand({ VolumeIds: twin!.volumeIds }))).Volumes ?? [];
    expect(volumes.map((v) => !!v.Encrypted)).toEqual([false, false]);
    const r = await expectOnlyFirebreakEvidence(env, twin!, caseId, []);
    expect(r.recorded.filter((x) => x.stage === 'transit')).toEqual([]);
    expect(r.member.filter((s) => s.Tags?.some((t) => t.Key === 'firebreak:stage' && t.Value === 'transit'))).toEqual([]);
    // CopySnapshots' entry (deferred, written by ShareAndCopySnapshots) says what it decided and why, and made no call.
    const { timeline } = await readCase(env, caseId);
    const copy = timeline.filter((t) => t.step === 'CopySnapshots');
    expect(copy).toHaveLength(1);
    expect(copy[0]).toMatchObject({ status: 'SUCCEEDED', apiCalls: {} });
    expect((copy[0].details as { sharedAsIs: { volumeId: string }[] }).sharedAsIs.map((x) => x.volumeId).sort()).toEqual(
      [...twin!.volumeIds].sort(),
    );
  }, 180_000);

  it('mixed: the encrypted volume goes through the transit copy, the unencrypted one is shared as it is', async () => {
    const { env } = local.session;
    const { executions, twin } = await replayEvent(local.session, readEventFile(EVENT), { extras: { encryptedVolumes: ['data'] } });
    const caseId = executions[0].caseId!;
    const [root, data] = twin!.volumeIds;
    const r = await expectOnlyFirebreakEvidence(env, twin!, caseId, []);
    const of = (stage: string, v: string) => r.recorded.find((x) => x.stage === stage && x.volumeId === v);
    expect(of('transit', root)).toBeUndefined();
    expect(of('evidence', root)?.sourceSnapshotId).toBe(of('source', root)?.snapshotId);
    expect(of('transit', data)?.sourceSnapshotId).toBe(of('source', data)?.snapshotId);
    expect(of('evidence', data)?.sourceSnapshotId).toBe(of('transit', data)?.snapshotId);
  }, 180_000);

  it.each([
    ['EC2.ModifySnapshotAttribute', 1],
    ['EC2.CopySnapshot', 1],
  ])(
    'converges after a crash right after %s (call %i) when the source snapshots are shared as they are',
    async (operation, after) => {
      const { env } = local.session;
      const { twin, caseId } = await replayWithCrash(local.session, operation, after, `shared-as-is-${operation}`, [], {});
      const r = await expectOnlyFirebreakEvidence(env, twin, caseId, []);
      expect(r.recorded.filter((x) => x.stage === 'transit')).toEqual([]);
    },
    180_000,
  );

  it("recovers the security account's orphan copy after a crash between CopySnapshot and the ledger write: no duplicate there", async () => {
    const { env } = local.session;
    const securityCopies: string[] = [];
    const recordCopies = registerSdkInterceptor({
      after: (call, output) => {
        if (call.operation === 'EC2.CopySnapshot' && call.accountId === env.securityAccount)
          securityCopies.push(output.SnapshotId as string);
      },
    });
    // Two transit copies in the member account, then the security account's: the invocation that makes the first of
    // those crashes right after it took effect (its ID never reaches the ledger).
    const { twin, caseId } = await replayWithCrash(local.session, 'EC2.CopySnapshot', 3, 'evidence-security-orphan', [recordCopies]);
    const r = await expectOnlyFirebreakEvidence(env, twin, caseId, []);
    // The crashed call's copy is the case's: adopted, not copied again.
    const orphan = securityCopies[0];
    expect(r.recorded.find((x) => x.snapshotId === orphan)).toMatchObject({ stage: 'evidence', how: 'recovered' });
    expect(r.security.map((x) => x.SnapshotId)).toContain(orphan);
  }, 180_000);

  it("fails the drill read-back check evidence-snapshots-provenance when the case's evidence is swapped for a decoy", async () => {
    const { env } = local.session;
    const { report, twin } = await replayEvent(local.session, readEventFile(EVENT), WORLD);
    const caseId = report.executions[0].caseId!;
    expect(report.checks.find((c) => c.name === 'evidence-snapshots-provenance')).toMatchObject({ passed: true });
    const { item } = await readCase(env, caseId);
    const findingId = item!.incident.finding.id as string;
    // What issue 11's attack achieved before: the case naming a snapshot of the attacker's choosing (another volume), written here straight into the ledger.
    const az = (await env.member.ec2.send(new DescribeVolumesCommand({ VolumeIds: [twin!.volumeIds[0]] }))).Volumes![0].AvailabilityZone!;
    const stranger = (await env.member.ec2.send(new CreateVolumeCommand({ AvailabilityZone: az, Size: 8 }))).VolumeId!;
    const decoy = await snapshotOf(env, stranger, await firebreakTags(env, caseId, findingId, 'source', twin!.volumeIds[0]));
    const key = `snapshot#source#${twin!.volumeIds[0]}`;
    await env.security.ddb.send(
      new UpdateCommand({
        TableName: env.ledgerTable,
        Key: { pk: `CASE#${caseId}`, sk: 'CASE' },
        UpdateExpression: 'SET evidence.#k.snapshotId = :d',
        ExpressionAttributeNames: { '#k': key },
        ExpressionAttributeValues: { ':d': decoy },
      }),
    );
    const swapped = (await verifyContainment(env, twin!, caseId)).checks.find((c) => c.name === 'evidence-snapshots-provenance')!;
    expect(swapped.passed).toBe(false);
    expect(swapped.details).toMatch(new RegExp(`member snapshot ${decoy} is of ${stranger}`));
  }, 120_000);

  it('converges on one snapshot per volume and stage when two runs take the evidence steps at the same time, the first to create being slow', async () => {
    const { env } = local.session;
    const { caseId, twin, state } = await containedThenCrashed(local.session);
    // The runner set the functions' environment in this process: the steps run here as two concurrent invocations would.
    const deps = stepDepsFromEnv();
    const [a, b] = [state('concurrent-a'), state('concurrent-b')];
    // Each stage's first create call (made by the run that holds the stage's create calls) is held until an attempt of
    // the other run has ended: however long that run waits, the first run's record comes after it (issue 13: under load
    // the first run's path from its intent to its record outlasted the other's wait, which then created its own).
    const both = <T>(operation: string, accountId: string, step: (s: PlaybookState) => Promise<T>) =>
      withSlowFirstCreate(operation, accountId, (ended) =>
        Promise.all([asStateMachine(() => step(a), ended), asStateMachine(() => step(b), ended)]),
      );
    const [sa, sb] = await both('EC2.CreateSnapshots', env.memberAccount, (s) => snapshotVolumes(s, deps));
    expect(sb.snapshotIds).toEqual(sa.snapshotIds);
    const [ta, tb] = await both('EC2.CopySnapshot', env.memberAccount, (s) => copySnapshots({ ...s, snapshots: s === a ? sa : sb }, deps));
    expect(tb.snapshotIds).toEqual(ta.snapshotIds);
    const [fa, fb] = await both('EC2.CopySnapshot', env.securityAccount, (s) =>
      shareSnapshots({ ...s, snapshots: s === a ? sa : sb, memberCopies: s === a ? ta : tb }, deps),
    );
    expect(fb.snapshotIds).toEqual(fa.snapshotIds);

    const r = await evidenceReadBack(env, caseId);
    const stageOf = (s: Snapshot) => s.Tags?.find((t) => t.Key === 'firebreak:stage')?.Value;
    // One snapshot per volume at each stage exists at all (no duplicate was created), and it is the recorded one.
    for (const stage of ['source', 'transit']) {
      const made = r.member
        .filter((s) => stageOf(s) === stage)
        .map((s) => s.SnapshotId)
        .sort();
      expect([stage, made]).toEqual([
        stage,
        r.recorded
          .filter((x) => x.stage === stage)
          .map((x) => x.snapshotId)
          .sort(),
      ]);
      expect(made).toHaveLength(twin.volumeIds.length);
    }
    expect(r.security.map((s) => s.SnapshotId).sort()).toEqual(
      r.recorded
        .filter((x) => x.stage === 'evidence')
        .map((x) => x.snapshotId)
        .sort(),
    );
    expect(r.security).toHaveLength(twin.volumeIds.length);
    expect(r.rejected).toEqual([]);
  }, 120_000);

  it("creates nothing while another run's lease on the create call may be live, and takes it over once that run's invocation has surely ended", async () => {
    const { env } = local.session;
    const { caseId, twin, state } = await containedThenCrashed(local.session);
    const deps = stepDepsFromEnv();
    const sources = async () =>
      (await evidenceReadBack(env, caseId)).member.filter((s) => s.Tags?.some((t) => t.Key === 'firebreak:stage' && t.Value === 'source'));
    // Run a's invocation dies right before its CreateSnapshots: its intent (the lease) is recorded, nothing was made.
    const dies = registerSdkInterceptor({
      before: (call) => {
        if (call.operation === 'EC2.CreateSnapshots') throw new Error('the invocation died');
      },
    });
    try {
      await expect(snapshotVolumes(state('crashed-a'), deps)).rejects.toThrow(/the invocation died/);
    } finally {
      dies();
    }
    // Another execution creates nothing while a's invocation may still be running (its Lambda timeout from its intent).
    const b = state('resuming-b');
    await expect(snapshotVolumes(b, deps)).rejects.toMatchObject({ name: 'EvidenceCreateInProgress' });
    expect(await sources()).toEqual([]);
    // Once it has surely ended, b takes the lease over and makes the snapshots: one per volume, recorded, none refused.
    const later = { ...deps, now: () => new Date(Date.now() + CREATE_WINDOW_MS + 1000) };
    const batch = await snapshotVolumes(b, later);
    const r = await evidenceReadBack(env, caseId);
    const made = (await sources()).map((s) => s.SnapshotId).sort();
    expect(made).toHaveLength(twin.volumeIds.length);
    expect([...batch.snapshotIds].sort()).toEqual(made);
    expect(
      r.recorded.filter((x) => x.stage === 'source').map((x) => [x.snapshotId, (x as { executionName?: string }).executionName]),
    ).toEqual(expect.arrayContaining(made.map((id) => [id, 'resuming-b'])));
    expect(r.rejected).toEqual([]);
    for (const v of twin.volumeIds)
      expect(r.item?.decisions?.[`snapshotIntent#source#${v}`]).toMatchObject({ executionName: 'resuming-b' });
  }, 120_000);

  it("snapshots the volumes attached when SnapshotVolumes first runs: one detached since Contain is not the instance's, and is neither recorded nor snapshotted", async () => {
    const { env } = local.session;
    const { caseId, twin, state } = await containedThenCrashed(local.session);
    const volumes = (await env.member.ec2.send(new DescribeVolumesCommand({ VolumeIds: twin.volumeIds }))).Volumes!;
    const data = volumes.find((v) => v.Attachments?.some((a) => a.Device !== '/dev/xvda' && a.Device !== '/dev/sda1'))!;
    await env.member.ec2.send(new DetachVolumeCommand({ VolumeId: data.VolumeId!, InstanceId: twin.instanceId }));
    const batch = await snapshotVolumes(state('after-detach'), stepDepsFromEnv());
    const kept = twin.volumeIds.filter((v) => v !== data.VolumeId);
    expect(batch.sourceVolumeIds).toEqual(kept);
    const r = await evidenceReadBack(env, caseId);
    expect(r.item?.decisions?.evidenceVolumes).toEqual(kept);
    expect(r.member.map((s) => s.VolumeId).sort()).toEqual([...kept].sort());
    expect(r.recorded.map((x) => x.volumeId)).toEqual(kept);
  }, 120_000);

  it('replaces a recorded snapshot the attacker deleted between steps, and records the deleted one as rejected', async () => {
    const { env } = local.session;
    const first = await replayEvent(local.session, readEventFile(EVENT), { ...WORLD, execute: { crashAfter: 'SnapshotVolumes' } });
    const caseId = first.executions[0].caseId!;
    const twin = first.twin!;
    const before = await evidenceReadBack(env, caseId);
    const gone = before.recorded.find((x) => x.stage === 'source' && x.volumeId === twin.volumeIds[0])!.snapshotId;
    await env.member.ec2.send(new DeleteSnapshotCommand({ SnapshotId: gone }));
    const rerun = await local.session.runner.execute('ec2-compromise', first.injected);
    expect(rerun.status).toBe('SUCCEEDED');
    const r = await expectOnlyFirebreakEvidence(env, twin, caseId, [gone]);
    expect(r.recorded.find((x) => x.stage === 'source' && x.volumeId === twin.volumeIds[0])).toMatchObject({
      how: 'created',
      snapshotId: expect.not.stringMatching(gone),
    });
    expect(r.rejected.find((x) => x.snapshotId === gone)).toMatchObject({
      kind: 'recorded',
      reasons: [expect.stringMatching(/not found/)],
    });
    // The other volume's recorded snapshot was kept.
    expect(r.recorded.find((x) => x.stage === 'source' && x.volumeId === twin.volumeIds[1])?.snapshotId).toBe(
      before.recorded.find((x) => x.stage === 'source' && x.volumeId === twin.volumeIds[1])!.snapshotId,
    );
  }, 120_000);

  it('never takes a look-alike as the replacement of a recorded snapshot the attacker deleted: a snapshot of the same volume, a transit copy of the recorded source under the transit key, each with every Firebreak tag', async () => {
    const { env } = local.session;
    const first = await replayEvent(local.session, readEventFile(EVENT), { ...WORLD, execute: { crashAfter: 'CheckMemberCopies' } });
    const caseId = first.executions[0].caseId!;
    const twin = first.twin!;
    const findingId = (await readCase(env, caseId)).item!.incident.finding.id as string;
    const before = await evidenceReadBack(env, caseId);
    const recordedId = (stage: string, v: string) => before.recorded.find((x) => x.stage === stage && x.volumeId === v)!.snapshotId;
    const [v0, v1] = twin.volumeIds;
    // Volume 0: the attacker deletes the recorded member snapshot and takes one of the same volume (after the case
    // opened, so it passes every provenance property), tagged as Firebreak tags its own.
    const source0 = recordedId('source', v0);
    await env.member.ec2.send(new DeleteSnapshotCommand({ SnapshotId: source0 }));
    const sourceDecoy = await snapshotOf(env, v0, await firebreakTags(env, caseId, findingId, 'source', v0));
    // Volume 1: the attacker deletes the recorded transit copy and copies the recorded source under the transit key
    // (the key policy lets the member account use it), with every tag Firebreak's copy carried.
    const transit1 = recordedId('transit', v1);
    const source1 = recordedId('source', v1);
    await env.member.ec2.send(new DeleteSnapshotCommand({ SnapshotId: transit1 }));
    const transitDecoy = (
      await env.member.ec2.send(
        new CopySnapshotCommand({
          SourceSnapshotId: source1,
          SourceRegion: env.region,
          Encrypted: true,
          KmsKeyId: env.transitKeyArn,
          Description: `Firebreak transit copy of ${source1}, case ${caseId}`,
          TagSpecifications: [
            {
              ResourceType: 'snapshot',
              Tags: await firebreakTags(env, caseId, findingId, 'transit', v1, {
                'firebreak:source-snapshot-id': source1,
                'firebreak:source-volume-id': v1,
              }),
            },
          ],
        }),
      )
    ).SnapshotId!;

    const rerun = await local.session.runner.execute('ec2-compromise', first.injected);
    expect(rerun.status).toBe('SUCCEEDED');
    const r = await expectOnlyFirebreakEvidence(env, twin, caseId, [source0, sourceDecoy, transit1, transitDecoy]);
    expect(r.recorded.every((x) => x.how === 'created')).toBe(true);
    const why = (id: string) => r.rejected.find((x) => x.snapshotId === id)?.reasons.join('; ');
    expect(why(sourceDecoy)).toMatch(/source snapshot in the member account is never recovered by tag/);
    expect(why(transitDecoy)).toMatch(/transit snapshot in the member account is never recovered by tag/);
    expect(r.rejected.find((x) => x.snapshotId === transit1)).toMatchObject({
      kind: 'recorded',
      reasons: [expect.stringMatching(/not found/)],
    });
  }, 180_000);

  it('writes a new manifest when a re-run replaced the chain after the first manifest, and keeps the first as superseded', async () => {
    const { env } = local.session;
    const first = await replayEvent(local.session, readEventFile(EVENT), { ...WORLD, execute: { crashAfter: 'WriteManifest' } });
    const caseId = first.executions[0].caseId!;
    const twin = first.twin!;
    const before = await evidenceReadBack(env, caseId);
    const firstManifest = before.item!.evidence!.manifest as { key: string };
    expect(firstManifest.key).toMatch(/manifest\.json$/);
    const gone = before.recorded.find((x) => x.stage === 'source' && x.volumeId === twin.volumeIds[0])!.snapshotId;
    expect(before.manifestText).toContain(gone);
    await env.member.ec2.send(new DeleteSnapshotCommand({ SnapshotId: gone }));

    const rerun = await local.session.runner.execute('ec2-compromise', first.injected);
    expect(rerun.status).toBe('SUCCEEDED');
    const r = await evidenceReadBack(env, caseId);
    expect(r.item?.status).toBe('CONTAINED');
    // The case points at a new manifest, which names exactly the chain the case records now (read from S3).
    const manifest = r.item!.evidence!.manifest as { key: string };
    expect(manifest.key).not.toBe(firstManifest.key);
    const chain = (v: string) =>
      ['source', 'transit', 'evidence'].map((stage) => r.recorded.find((x) => x.stage === stage && x.volumeId === v)?.snapshotId);
    expect(r.manifest?.snapshots.map((m) => [m.sourceVolumeId, m.memberSnapshotId, m.transitSnapshotId, m.snapshotId]).sort()).toEqual(
      twin.volumeIds.map((v) => [v, ...chain(v)]).sort(),
    );
    expect(r.manifestText).not.toContain(gone);
    expect((r.item!.evidence!.snapshots as { memberSnapshotId: string }[]).map((x) => x.memberSnapshotId)).not.toContain(gone);
    // The first manifest is still in the bucket, unchanged, and on the case as superseded.
    expect(r.item!.evidence![`superseded#${firstManifest.key}`]).toMatchObject({
      key: firstManifest.key,
      supersededAt: expect.any(String),
    });
    const old = await env.security.s3.send(new GetObjectCommand({ Bucket: env.evidenceBucket, Key: firstManifest.key }));
    expect(Buffer.from(await old.Body!.transformToByteArray()).toString('utf8')).toBe(before.manifestText);
    // `firebreak evidence verify` accepts the superseded manifest the ledger records: it lists the same artifacts.
    const verified = await cli(['evidence', 'verify', caseId, '--endpoint', local.session.sfn.endpoint]);
    expect(verified.stdout.filter((l) => l.startsWith('FAIL'))).toEqual([]);
    expect(verified.stdout).toContainEqual(
      expect.stringMatching(/^PASS {2}superseded manifest content +.*: the same \d+ artifact\(s\) as the manifest$/),
    );
    expect(verified.code).toBe(0);
  }, 180_000);

  it('writes a new manifest when the first was written but never recorded (a crash) and a re-run replaced the chain', async () => {
    const { env } = local.session;
    const first = await replayEvent(local.session, readEventFile(EVENT), { ...WORLD, execute: { crashAfter: 'WriteManifest' } });
    const caseId = first.executions[0].caseId!;
    const twin = first.twin!;
    const before = await evidenceReadBack(env, caseId);
    // As if WriteManifest had crashed between its PutObject and its ledger write.
    await env.security.ddb.send(
      new UpdateCommand({
        TableName: env.ledgerTable,
        Key: { pk: `CASE#${caseId}`, sk: 'CASE' },
        UpdateExpression: 'REMOVE evidence.manifest, evidence.snapshots',
      }),
    );
    const gone = before.recorded.find((x) => x.stage === 'source' && x.volumeId === twin.volumeIds[1])!.snapshotId;
    await env.member.ec2.send(new DeleteSnapshotCommand({ SnapshotId: gone }));

    const rerun = await local.session.runner.execute('ec2-compromise', first.injected);
    expect(rerun.status).toBe('SUCCEEDED');
    const r = await evidenceReadBack(env, caseId);
    const manifest = r.item!.evidence!.manifest as { key: string };
    expect(manifest.key).toMatch(/manifest-[0-9a-f]{16}\.json$/);
    expect(r.manifestText).not.toContain(gone);
    const chain = (v: string) =>
      ['source', 'transit', 'evidence'].map((stage) => r.recorded.find((x) => x.stage === stage && x.volumeId === v)?.snapshotId);
    expect(r.manifest?.snapshots.map((m) => [m.sourceVolumeId, m.memberSnapshotId, m.transitSnapshotId, m.snapshotId]).sort()).toEqual(
      twin.volumeIds.map((v) => [v, ...chain(v)]).sort(),
    );
    // The case's chain and its manifest's agree.
    expect((r.item!.evidence!.snapshots as { memberSnapshotId: string }[]).map((x) => x.memberSnapshotId).sort()).toEqual(
      r.manifest!.snapshots.map((m) => m.memberSnapshotId).sort(),
    );
  }, 180_000);

  it('links the stored event to its case at Claim, and a start on the named instance that resumes the case writes finding.json from it', async () => {
    const { env } = local.session;
    const first = await replayEvent(local.session, readEventFile(EVENT), { ...WORLD, execute: { crashAfter: 'Contain' } });
    const caseId = first.executions[0].caseId!;
    const twin = first.twin!;
    const sent = Buffer.from(JSON.stringify(first.injected), 'utf8');
    const sha = createHash('sha256').update(sent).digest('hex');
    // The link is an item of its own beside the case item (pk CASE#<id>, sk EVENT#<sha256>), read straight from the table.
    const linked = (
      await env.security.ddb.send(
        new GetCommand({ TableName: env.ledgerTable, Key: { pk: `CASE#${caseId}`, sk: `EVENT#${sha}` }, ConsistentRead: true }),
      )
    ).Item;
    expect(linked).toMatchObject({ bucket: env.evidenceBucket, key: `received-events/${env.memberAccount}/${sha}.json`, sha256: sha });
    expect(Object.keys((await readCase(env, caseId)).item!.evidence ?? {}).filter((k) => k.startsWith('event#'))).toEqual([]);

    // The operator resumes the case on the instance's name: this execution has no event of its own.
    const resume = await local.session.runner.execute('ec2-compromise', {
      firebreak: {
        target: { kind: 'instance', instanceId: twin.instanceId, account: env.memberAccount, region: env.region },
        reason: 'resume after a crash',
      },
    });
    expect([resume.status, resume.caseId]).toEqual(['SUCCEEDED', caseId]);
    const r = await evidenceReadBack(env, caseId);
    const manifest = JSON.parse(r.manifestText) as { artifacts: { name: string; key: string; sha256: string }[] };
    const finding = manifest.artifacts.find((a) => a.name === 'finding.json')!;
    const body = await env.security.s3.send(new GetObjectCommand({ Bucket: env.evidenceBucket, Key: finding.key }));
    expect(Buffer.from(await body.Body!.transformToByteArray()).equals(sent)).toBe(true);
    expect(finding.sha256).toBe(sha);
  }, 180_000);

  it('records at most MAX_CANDIDATE_REJECTIONS decoys per stage and run on the case, and counts the rest', async () => {
    const { env } = local.session;
    const first = await replayEvent(local.session, readEventFile(EVENT), { ...WORLD, execute: { crashAfter: 'Contain' } });
    const caseId = first.executions[0].caseId!;
    const twin = first.twin!;
    const findingId = (await readCase(env, caseId)).item!.incident.finding.id as string;
    const decoys: string[] = [];
    for (let n = 0; n < MAX_CANDIDATE_REJECTIONS + 5; n += 1)
      decoys.push(await snapshotOf(env, twin.volumeIds[0], await firebreakTags(env, caseId, findingId, 'source', twin.volumeIds[0])));
    const rerun = await local.session.runner.execute('ec2-compromise', first.injected);
    expect(rerun.status).toBe('SUCCEEDED');
    const r = await expectOnlyFirebreakEvidence(env, twin, caseId, decoys);
    const sourceRejections = r.rejected.filter((x) => x.stage === 'source');
    expect(sourceRejections).toHaveLength(MAX_CANDIDATE_REJECTIONS);
    for (const x of sourceRejections) expect(x.reasons.join('; ')).toMatch(/was ever requested by the case|never recovered by tag/);
    // The rest are counted on the step's timeline entry, not written to the case item.
    const { timeline } = await readCase(env, caseId);
    expect(
      timeline
        .filter((t) => t.step === 'SnapshotVolumes')
        .map((t) => (t.details as { unrecordedRejections?: number } | undefined)?.unrecordedRejections),
    ).toContain(5);
  }, 180_000);

  it("fails CheckSnapshots with EvidenceProvenance, FAILED and notified, when a recorded snapshot reads back as another volume's", async () => {
    const { env } = local.session;
    const az = `${env.region}a`;
    const stranger = (await env.member.ec2.send(new CreateVolumeCommand({ AvailabilityZone: az, Size: 8 }))).VolumeId!;
    // Fault injection at the SDK boundary (moto cannot change a snapshot's volume): CheckSnapshots' read by ID answers
    // the first snapshot as one of another volume, as a swapped snapshot would read.
    const remove = registerSdkInterceptor({
      after: (call, output) => {
        if (call.operation !== 'EC2.DescribeSnapshots' || !call.input.SnapshotIds || call.accountId !== env.memberAccount) return;
        const snaps = (output.Snapshots as Snapshot[] | undefined) ?? [];
        return { ...output, Snapshots: snaps.map((x, i) => (i === 0 ? { ...x, VolumeId: stranger } : x)) };
      },
    });
    let result: Awaited<ReturnType<typeof replayEvent>> | undefined;
    try {
      result = await replayEvent(local.session, readEventFile(EVENT), WORLD);
    } finally {
      remove();
    }
    const caseId = result!.executions[0].caseId!;
    const { item, timeline } = await readCase(env, caseId);
    expect(item?.status).toBe('FAILED');
    expect(timeline.find((t) => t.step === 'RecordFailure')?.error).toMatchObject({
      name: 'EvidenceProvenance',
      message: expect.stringContaining(`volume ${stranger}`),
    });
    expect(await readNotifications(env)).toEqual(expect.arrayContaining([expect.objectContaining({ caseId, kind: 'failed' })]));
    // Nothing went further than the member snapshots: no copy was made from a snapshot that failed its check.
    expect((await evidenceReadBack(env, caseId)).recorded.map((x) => x.stage)).toEqual(['source', 'source']);
  }, 120_000);
});
