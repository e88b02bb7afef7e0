import { DescribeLockedSnapshotsCommand } from '@aws-sdk/client-ec2';
import { GetInstanceProfileCommand, GetRolePolicyCommand } from '@aws-sdk/client-iam';
import { readEventFile, ReplayOptions, replayEvent } from '../../lib/harness/local/replay';
import { instanceCredentialsDenyPolicy, instanceCredentialsPolicyName } from '../../lib/runtime/iam/instance-credentials';
import { parsePolicyDocument, policyText } from '../../lib/runtime/iam/policies';
import type { LocalSession } from '../../lib/harness/local/session';
import { useLocalSession } from '../support/local';
import { caseSnapshots, evidenceVersions, objectSha256, readCase, readContainment } from '../support/read-back';

const EVENT = 'fixtures/events/guardduty-ec2-backdoor-two-enis-ipv6.json';

/** The end state of one contained instance, read from the emulator, in a form two runs can be compared by. */
async function endState(session: LocalSession, caseId: string, instanceId: string, vpcId: string) {
  const { env } = session;
  const c = await readContainment(env, instanceId, vpcId);
  const snaps = await caseSnapshots(env, caseId);
  const { item, timeline } = await readCase(env, caseId);
  const manifest = item?.evidence?.manifest as { bucket: string; key: string; sha256: string } | undefined;
  // The instance role's deny (issue 15), read from IAM: the twin's profile is `web-app`, its role `web-app-role`.
  const role = (await env.member.iam.send(new GetInstanceProfileCommand({ InstanceProfileName: 'web-app' }))).InstanceProfile?.Roles?.[0]
    ?.RoleName;
  const deny = await env.member.iam
    .send(new GetRolePolicyCommand({ RoleName: role, PolicyName: instanceCredentialsPolicyName(instanceId) }))
    .then((out) => JSON.stringify(parsePolicyDocument(out.PolicyDocument!)))
    .catch(() => 'absent');
  return {
    instanceDenied:
      deny === policyText(instanceCredentialsDenyPolicy(`arn:aws:ec2:${env.region}:${env.memberAccount}:instance/${instanceId}`)),
    enisOnlyIsolation: c.enis.every((e) => e.groups.length === 1 && e.groups[0] === c.isolation[0]?.GroupId),
    isolationRules: (c.isolation[0]?.IpPermissions?.length ?? -1) + (c.isolation[0]?.IpPermissionsEgress?.length ?? -1),
    firebreakGroups: c.firebreakGroups.length,
    terminationProtection: c.terminationProtection,
    shutdownBehavior: c.shutdownBehavior,
    deleteOnTermination: c.deleteOnTermination,
    activeProfiles: c.activeProfiles.length,
    memberSnapshots: snaps.member.length,
    securitySnapshots: snaps.security.length,
    securitySnapshotsCompleted: snaps.security.every((s) => s.State === 'completed' && s.OwnerId === env.securityAccount),
    // Every security account copy under EBS snapshot lock, as the case records it (read back from EC2: issue 16).
    securitySnapshotsLocked: await lockedAsRecorded(
      session,
      caseId,
      snaps.security.map((s) => s.SnapshotId!),
    ),
    evidenceObjectVersions: (await evidenceVersions(env, caseId)).length,
    manifestMatches: manifest ? (await objectSha256(env, manifest.bucket, manifest.key)) === manifest.sha256 : false,
    caseStatus: item?.status,
    notificationsSent: Object.keys(item?.notifications ?? {}).sort(),
    priorGroups: Object.keys(item?.priorState?.isolate?.securityGroupsByEni ?? {}).length,
    timelineHasEveryStep: [
      'Contain',
      'DenyInstanceCredentials',
      'SnapshotVolumes',
      'CopySnapshots',
      'ShareAndCopySnapshots',
      'CollectArtifacts',
      'WriteManifest',
      'Notify',
    ].every((s) => timeline.some((t) => t.step === s && t.status === 'SUCCEEDED')),
  };
}

/** Whether each snapshot's lock read back (DescribeLockedSnapshots) is in force and the one the case records for it. */
async function lockedAsRecorded(session: LocalSession, caseId: string, ids: string[]): Promise<boolean> {
  if (!ids.length) return false;
  const { item } = await readCase(session.env, caseId);
  const locks = (await session.env.security.ec2.send(new DescribeLockedSnapshotsCommand({ SnapshotIds: ids }))).Snapshots ?? [];
  return ids.every((id) => {
    const l = locks.find((x) => x.SnapshotId === id);
    const recorded = item?.evidence?.[`lock#${id}`] as { lockMode: string; lockExpiresOn: string } | undefined;
    return !!l && l.LockState === recorded?.lockMode && l.LockExpiresOn?.toISOString() === recorded?.lockExpiresOn;
  });
}

/**
 * The twin's volumes as built (unencrypted: their snapshots are shared as they are, CopySnapshots makes no call) and
 * encrypted (the transit copies are made): a crash after each mutating step converges in both.
 */
const WORLDS = [
  { world: 'unencrypted volumes', options: {}, transit: false },
  { world: 'encrypted volumes', options: { extras: { encryptedVolumes: ['root', 'data'] } } satisfies ReplayOptions, transit: true },
] as const;

describe('ec2-compromise crash recovery', () => {
  // A zero lease lets the re-run take over the crashed execution's claim at once (in AWS the
  // lease is FIREBREAK_CLAIM_LEASE_SECONDS, 900 s by default; a failed execution is taken over at once).
  const local = useLocalSession({ environment: { FIREBREAK_CLAIM_LEASE_SECONDS: '0' } });
  const reference: Record<string, Awaited<ReturnType<typeof endState>>> = {};
  const mutatingSteps: Record<string, string[]> = {};

  beforeAll(async () => {
    for (const { world, options } of WORLDS) {
      const { report, twin } = await replayEvent(local.session, readEventFile(EVENT), options);
      const x = report.executions[0];
      expect(x.outcome).toBe('CONTAINED');
      reference[world] = await endState(local.session, x.caseId!, twin!.instanceId, twin!.vpcId);
      mutatingSteps[world] = x.steps
        .filter((s) => Object.keys(s.apiCalls).some((op) => !/\.(Describe|Get|List|Head|Query)/.test(op)))
        .map((s) => s.name);
    }
  }, 240_000);

  it.each(WORLDS)('finds the mutating steps of an uninterrupted run ($world)', ({ world, transit }) => {
    expect(mutatingSteps[world]).toEqual(
      // Contain claims the case in its first write (issue 13): Triage before it makes no call.
      expect.arrayContaining([
        'Contain',
        'DenyInstanceCredentials',
        'SnapshotVolumes',
        'ShareAndCopySnapshots',
        'CollectArtifacts',
        'WriteManifest',
        'Notify',
      ]),
    );
    // CopySnapshots mutates only where a volume is encrypted (its transit copy); else it makes no call at all.
    expect(mutatingSteps[world].includes('CopySnapshots')).toBe(transit);
    expect(reference[world]).toMatchObject({
      instanceDenied: true,
      enisOnlyIsolation: true,
      isolationRules: 0,
      firebreakGroups: 2,
      caseStatus: 'CONTAINED',
      manifestMatches: true,
      memberSnapshots: transit ? 4 : 2,
      securitySnapshots: 2,
      securitySnapshotsLocked: true,
    });
  });

  it.each(['NotifyOnly', 'CloseNotified'])(
    'ends a notify-only (Medium) case as an uninterrupted run after a crash right after %s',
    async (step) => {
      const medium = JSON.parse(JSON.stringify(readEventFile('fixtures/events/guardduty-ec2-bitcoin-dns.json')));
      medium.detail.severity = 5;
      const crashed = await replayEvent(local.session, medium, { execute: { crashAfter: step } });
      expect(crashed.executions[0].status).toBe('CRASHED');
      const rerun = await local.session.runner.execute('ec2-compromise', crashed.injected);
      expect(rerun.status).toBe(step === 'CloseNotified' ? 'ALREADY_HANDLED' : 'SUCCEEDED');
      const { item, timeline } = await readCase(local.session.env, crashed.executions[0].caseId!);
      expect(item?.status).toBe('NOTIFIED');
      expect(timeline.filter((e) => e.step === 'Notify' && e.details?.published === true)).toHaveLength(1);
      const state = await readContainment(local.session.env, crashed.twin!.instanceId, crashed.twin!.vpcId);
      expect(state.firebreakGroups).toEqual([]);
      expect(state.terminationProtection).toBe(false);
    },
  );

  // (A crash right after Triage leaves nothing to recover: Contain claims the case, issue 13.)
  const STEPS = [
    'Contain',
    'DenyInstanceCredentials',
    'SnapshotVolumes',
    'CopySnapshots',
    'ShareAndCopySnapshots',
    'CollectArtifacts',
    'WriteManifest',
    'Notify',
  ];
  it.each(WORLDS.flatMap(({ world, options }) => STEPS.map((step) => ({ world, options, step }))))(
    'ends in the same state as an uninterrupted run after a crash right after $step ($world)',
    async ({ world, options, step }) => {
      const crashed = await replayEvent(local.session, readEventFile(EVENT), { ...options, execute: { crashAfter: step } });
      const first = crashed.executions[0];
      expect(first.status).toBe('CRASHED');
      const rerun = await local.session.runner.execute('ec2-compromise', crashed.injected);
      // Notify closes the case in its own write (issue 13): a crash after it leaves the case CONTAINED.
      expect(rerun.status).toBe(step === 'Notify' ? 'ALREADY_HANDLED' : 'SUCCEEDED');
      expect(rerun.caseId).toBe(first.caseId);
      const state = await endState(local.session, first.caseId!, crashed.twin!.instanceId, crashed.twin!.vpcId);
      expect(state).toEqual(reference[world]);
    },
  );
});
