import { DescribeAutoScalingInstancesCommand } from '@aws-sdk/client-auto-scaling';
import { DeleteSecurityGroupCommand, DescribeAddressesCommand, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetTrailStatusCommand } from '@aws-sdk/client-cloudtrail';
import { IAMClient, ListAccessKeysCommand, ListAttachedUserPoliciesCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { awsDenyAllPolicyArn } from '../../lib/runtime/iam/policies';
import type { ApiCallTwin } from '../../lib/harness/local/api-call-twin';
import { readEventFile, replayEvent, EventEnvelope } from '../../lib/harness/local/replay';
import type { LocalExecutionResult } from '../../lib/harness/local/runner';
import type { LocalSession } from '../../lib/harness/local/session';
import type { TwinWorld } from '../../lib/harness/local/twin';
import { registerSdkInterceptor } from '../../lib/runtime/sdk-hooks';
import { ChatbotNotificationSchema } from '../support/chatbot-schema';
import { useLocalSession } from '../support/local';
import { caseSnapshots, casesForResource, evidenceVersions, objectSha256, readCase, readContainment } from '../support/read-back';

const BACKDOOR = 'fixtures/events/guardduty-ec2-backdoor-two-enis-ipv6.json';
const USER = 'fixtures/events/guardduty-iamuser-anomalous.json';
const STOP_LOGGING = 'fixtures/events/cloudtrail-stoplogging.json';
const OPERATOR = 'arn:aws:iam::222222222222:user/firebreak-local-operator';
const RELEASE_STEPS = ['LoadCase', 'ReleaseInstance', 'VerifyRelease', 'CloseRelease', 'NotifyRelease'];

function withSeverity(file: string, severity: number): EventEnvelope {
  const e = JSON.parse(JSON.stringify(readEventFile(file)));
  e.detail.severity = severity;
  return e;
}

/** The calls an execution made in the member account (every one of them, and the mutating ones). */
function memberCalls(session: LocalSession, x: LocalExecutionResult) {
  const all = x.calls.filter((c) => c.account === session.env.memberAccount);
  return { all, mutating: all.filter((c) => c.mutating) };
}

/** The instance as release must leave it, read back from the emulator (not through lib/). */
async function readInstance(session: LocalSession, twin: TwinWorld) {
  const { env } = session;
  const state = await readContainment(env, twin.instanceId, twin.vpcId);
  const instance = (await env.member.ec2.send(new DescribeInstancesCommand({ InstanceIds: [twin.instanceId] }))).Reservations![0]
    .Instances![0];
  const asg =
    (await env.member.autoScaling.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [twin.instanceId] }))).AutoScalingInstances ??
    [];
  const targets = twin.targetGroupArn
    ? ((await env.member.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: twin.targetGroupArn }))).TargetHealthDescriptions ??
      [])
    : [];
  const eips = Object.entries(twin.idMap)
    .filter(([from]) => /^\d+\.\d+\.\d+\.\d+$/.test(from))
    .map(([, to]) => to);
  const addresses = (await env.member.ec2.send(new DescribeAddressesCommand({ PublicIps: eips }))).Addresses ?? [];
  return {
    groupsByEni: Object.fromEntries(state.enis.map((e) => [e.id, [...e.groups].sort()])),
    profiles: state.activeProfiles.map((p) => p.IamInstanceProfile?.Arn),
    terminationProtection: state.terminationProtection,
    shutdownBehavior: state.shutdownBehavior,
    deleteOnTermination: state.deleteOnTermination,
    asg: asg.filter((a) => !/^(Detach|Terminat)/.test(a.LifecycleState ?? '')).map((a) => a.AutoScalingGroupName),
    targets: targets.filter((t) => t.Target?.Id === twin.instanceId && t.TargetHealth?.State !== 'draining').map((t) => t.Target?.Port),
    addresses: addresses.map((a) => a.NetworkInterfaceId),
    tags: Object.fromEntries((instance.Tags ?? []).filter((t) => t.Key?.startsWith('firebreak:')).map((t) => [t.Key, t.Value])),
    isolation: state.isolation.map((g) => g.GroupId),
  };
}

const sortedGroups = (byEni: Record<string, string[]>) => Object.fromEntries(Object.entries(byEni).map(([k, v]) => [k, [...v].sort()]));

/** The managed policies attached to an IAM user, read back from IAM. */
async function attachedPolicies(iam: IAMClient, userName: string): Promise<string[]> {
  return ((await iam.send(new ListAttachedUserPoliciesCommand({ UserName: userName }))).AttachedPolicies ?? []).map((p) => p.PolicyArn!);
}

describe('release playbook (synthesized state machine, real handlers, emulator)', () => {
  const local = useLocalSession();
  const release = (caseId: string, reason = 'false positive: the backdoor was a sanctioned pentest') =>
    local.session.runner.execute('release', { release: { caseId, reason, operator: OPERATOR } });

  /** Contains the two-ENI instance (with an ASG and a target group) and returns the case and the twin. */
  async function containBackdoor() {
    const event = readEventFile(BACKDOOR);
    const { report, twin, executions } = await replayEvent(local.session, event, { extras: { autoScalingGroup: true, targetGroup: true } });
    expect(report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
    return { event, caseId: report.executions[0].caseId!, twin: twin!, containment: executions[0] };
  }

  it('restores the instance from its recorded prior state through the releaser role, keeps the evidence, and lets a new finding open a new case', async () => {
    const { env } = local.session;
    const { event, caseId, twin, containment } = await containBackdoor();
    // Containment acted through the responder role only.
    expect([...new Set(memberCalls(local.session, containment).all.map((c) => c.role))]).toEqual(['FirebreakResponder']);
    const contained = await readInstance(local.session, twin);
    expect(Object.values(contained.groupsByEni).every((g) => g.length === 1 && g[0] === contained.isolation[0])).toBe(true);
    expect(contained.profiles).toEqual([]);
    expect(contained.asg).toEqual([]);
    expect(contained.targets).toEqual([]);
    const prior = (await readCase(env, caseId)).item!.priorState as {
      preserve: { shutdownBehavior: string; deleteOnTermination: Record<string, boolean> };
    };
    const snapshotsBefore = await caseSnapshots(env, caseId);
    const versionsBefore = await evidenceVersions(env, caseId);
    expect(snapshotsBefore.security).toHaveLength(twin.volumeIds.length);

    const x = await release(caseId);
    expect(x).toMatchObject({ playbook: 'release', status: 'SUCCEEDED', outcome: 'RELEASED', caseId });
    expect(x.steps.map((s) => s.name)).toEqual(RELEASE_STEPS);
    // Separation of duties: every member-account call went through the releaser role, none through the responder.
    const calls = memberCalls(local.session, x);
    expect(calls.mutating.length).toBeGreaterThan(0);
    expect([...new Set(calls.all.map((c) => c.role))]).toEqual(['FirebreakReleaser']);

    const after = await readInstance(local.session, twin);
    // Each ENI has exactly its original groups again, per ENI.
    expect(after.groupsByEni).toEqual(sortedGroups(twin.originalGroupsByEni));
    expect(Object.keys(after.groupsByEni)).toHaveLength(2);
    expect(after.profiles).toEqual([twin.instanceProfileArn]);
    expect(after.asg).toEqual([twin.autoScalingGroupName]);
    expect(after.targets).toEqual([80]);
    expect(after.terminationProtection).toBe(false);
    expect(after.shutdownBehavior).toBe(prior.preserve.shutdownBehavior);
    expect(after.shutdownBehavior).toBe('terminate');
    expect(after.deleteOnTermination).toEqual(Object.values(prior.preserve.deleteOnTermination));
    expect(after.deleteOnTermination).toEqual([true, true]);
    expect(after.addresses).toEqual([twin.networkInterfaceIds[0]]);
    // The status tag goes; the case tag stays as the record of which case touched the instance.
    expect(after.tags).toEqual({ 'firebreak:case-id': caseId });

    // Evidence is never deleted: the snapshots, the artifacts and the manifest are all still there.
    const snapshotsAfter = await caseSnapshots(env, caseId);
    expect(snapshotsAfter.member.map((s) => s.SnapshotId).sort()).toEqual(snapshotsBefore.member.map((s) => s.SnapshotId).sort());
    expect(snapshotsAfter.security.map((s) => s.SnapshotId).sort()).toEqual(snapshotsBefore.security.map((s) => s.SnapshotId).sort());
    expect(await evidenceVersions(env, caseId)).toHaveLength(versionsBefore.length);
    const { item, timeline } = await readCase(env, caseId);
    const manifest = item!.evidence.manifest as { bucket: string; key: string; sha256: string };
    expect(await objectSha256(env, manifest.bucket, manifest.key)).toBe(manifest.sha256);

    expect(item!.status).toBe('RELEASED');
    expect(item!.releaseDetails).toMatchObject({
      operator: OPERATOR,
      reason: expect.stringContaining('pentest'),
      previousStatus: 'CONTAINED',
    });
    const releaseEntries = timeline.filter((t) => t.executionName === x.executionName);
    expect(releaseEntries.map((t) => t.step).sort()).toEqual([...RELEASE_STEPS].sort());
    for (const t of releaseEntries) expect([t.step, t.trigger, t.operator]).toEqual([t.step, 'manual', OPERATOR]);
    expect(x.steps.find((s) => s.name === 'NotifyRelease')!.apiCalls['SNS.Publish']).toBe(1);

    // A second release ends ALREADY_RELEASED and touches nothing.
    const again = await release(caseId);
    expect(again).toMatchObject({ status: 'SUCCEEDED', outcome: 'ALREADY_RELEASED', caseId });
    expect(again.steps.map((s) => s.name)).toEqual(['LoadCase']);
    expect(memberCalls(local.session, again).all).toEqual([]);
    expect(again.calls.filter((c) => c.mutating && !c.operation.startsWith('DynamoDB.'))).toEqual([]);
    expect(await readInstance(local.session, twin)).toEqual(after);

    // A new finding on the same instance opens a new case and contains it again.
    const repeat = JSON.parse(JSON.stringify(event));
    repeat.detail.id = `${String(event.detail.id).slice(0, -4)}beef`;
    repeat.detail.service.count += 1;
    const next = await replayEvent(local.session, repeat, { twin });
    expect(next.report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
    const newCaseId = next.report.executions[0].caseId!;
    expect(newCaseId).not.toBe(caseId);
    expect((await casesForResource(env, twin.instanceId)).map((c) => c.status).sort()).toEqual(['CONTAINED', 'RELEASED']);
    const recontained = await readInstance(local.session, twin);
    expect(Object.values(recontained.groupsByEni).every((g) => g.length === 1 && g[0] === recontained.isolation[0])).toBe(true);
    expect(recontained.profiles).toEqual([]);
    // The new case recorded the restored state as its own prior state: it can be released in turn.
    expect(sortedGroups((await readCase(env, newCaseId)).item!.priorState.isolate.securityGroupsByEni)).toEqual(
      sortedGroups(twin.originalGroupsByEni),
    );
    expect((await readCase(env, caseId)).item!.status).toBe('RELEASED');
  });

  it("releases leaked credentials: the finding's key Active again, the deny-all policy gone, the other key untouched", async () => {
    const { env } = local.session;
    const { report, credentialTwin: t } = await replayEvent(local.session, withSeverity(USER, 8));
    expect(report.executions[0]).toMatchObject({ playbook: 'credential-compromise', outcome: 'CONTAINED' });
    const caseId = report.executions[0].caseId!;
    const iam = env.member.iam;
    expect(await attachedPolicies(iam, t!.userName!)).toEqual([awsDenyAllPolicyArn()]);
    // Since containment, someone deactivated the user's other key: release must leave it as it is now.
    await iam.send(new UpdateAccessKeyCommand({ UserName: t!.userName, AccessKeyId: t!.otherAccessKeyId, Status: 'Inactive' }));

    const x = await release(caseId, 'false positive: the CI runner moved to a new region');
    expect(x).toMatchObject({ status: 'SUCCEEDED', outcome: 'RELEASED', caseId });
    expect(x.steps.map((s) => s.name)).toEqual(['LoadCase', 'ReleaseCredentials', 'VerifyRelease', 'CloseRelease', 'NotifyRelease']);
    const calls = memberCalls(local.session, x);
    expect([...new Set(calls.all.map((c) => c.role))]).toEqual(['FirebreakReleaser']);
    expect(calls.mutating.map((c) => c.operation).sort()).toEqual(['IAM.DetachUserPolicy', 'IAM.UpdateAccessKey']);

    const keys = (await iam.send(new ListAccessKeysCommand({ UserName: t!.userName }))).AccessKeyMetadata ?? [];
    expect(Object.fromEntries(keys.map((k) => [k.AccessKeyId, k.Status]))).toEqual({
      [t!.accessKeyId!]: 'Active',
      [t!.otherAccessKeyId!]: 'Inactive',
    });
    expect(await attachedPolicies(iam, t!.userName!)).toEqual([]);
    expect((await readCase(env, caseId)).item!.status).toBe('RELEASED');
  });

  it('releases the actor a cloudtrail-tamper case revoked, and leaves the restarted trail logging', async () => {
    const { env } = local.session;
    const { report, credentialTwin } = await replayEvent(local.session, readEventFile(STOP_LOGGING));
    const t = credentialTwin as ApiCallTwin;
    expect(report.executions[0]).toMatchObject({ playbook: 'cloudtrail-tamper', outcome: 'CONTAINED' });
    const caseId = report.executions[0].caseId!;
    expect(await attachedPolicies(env.member.iam, t.userName!)).toEqual([awsDenyAllPolicyArn()]);

    const x = await release(caseId, 'false positive: a change window stopped the trail');
    expect(x).toMatchObject({ status: 'SUCCEEDED', outcome: 'RELEASED', caseId });
    expect(x.steps.map((s) => s.name)).toEqual(['LoadCase', 'ReleaseCredentials', 'VerifyRelease', 'CloseRelease', 'NotifyRelease']);
    expect([...new Set(memberCalls(local.session, x).all.map((c) => c.role))]).toEqual(['FirebreakReleaser']);
    const keys = (await env.member.iam.send(new ListAccessKeysCommand({ UserName: t.userName }))).AccessKeyMetadata ?? [];
    expect(keys.find((k) => k.AccessKeyId === t.accessKeyId)?.Status).toBe('Active');
    expect(await attachedPolicies(env.member.iam, t.userName!)).toEqual([]);
    // StartLogging restored what the attacker changed: release never stops a trail.
    expect((await env.member.cloudtrail.send(new GetTrailStatusCommand({ Name: t.trailName! }))).IsLogging).toBe(true);
    expect((await readCase(env, caseId)).item!.status).toBe('RELEASED');
  });

  it('refuses to release a NOTIFIED case with a clear error and touches nothing', async () => {
    const { env } = local.session;
    const medium = withSeverity(BACKDOOR, 5);
    const { report, twin } = await replayEvent(local.session, medium);
    expect(report.executions[0]).toMatchObject({ outcome: 'NOTIFIED' });
    const caseId = report.executions[0].caseId!;
    const before = await readInstance(local.session, twin!);

    const x = await release(caseId);
    expect(x.status).toBe('FAILED');
    expect(x.error!.message).toMatch(
      /LoadCase failed: NotReleasable: Case fb-\d{8}-[0-9a-f]{10} is NOTIFIED: a notify-only case changed nothing/,
    );
    expect(x.steps.map((s) => [s.name, s.status])).toEqual([
      ['LoadCase', 'FAILED'],
      ['RecordFailure', 'SUCCEEDED'],
    ]);
    expect(memberCalls(local.session, x).all).toEqual([]);
    expect(await readInstance(local.session, twin!)).toEqual(before);
    const { item, timeline } = await readCase(env, caseId);
    expect(item!.status).toBe('NOTIFIED');
    const entries = timeline.filter((t) => t.executionName === x.executionName);
    expect(entries.map((t) => [t.step, t.status, t.error?.name, t.operator]).sort()).toEqual([
      ['LoadCase', 'FAILED', 'NotReleasable', OPERATOR],
      ['RecordFailure', 'FAILED', 'NotReleasable', OPERATOR],
    ]);
  });

  it('refuses a case that does not exist and a malformed request, before any member call', async () => {
    const missing = await release('fb-20990101-0000000000');
    expect(missing.status).toBe('FAILED');
    expect(missing.error!.message).toContain('No case fb-20990101-0000000000 in the ledger');
    const malformed = await local.session.runner.execute('release', { release: { caseId: 'i-0123456789abcdef0', operator: OPERATOR } });
    expect(malformed.status).toBe('FAILED');
    expect(malformed.error!.message).toMatch(/InvalidInput: .*caseId/);
    for (const x of [missing, malformed]) expect(memberCalls(local.session, x).all).toEqual([]);
  });

  it('blocks, changing nothing, when a recorded security group was deleted since containment; the case stays CONTAINED', async () => {
    const { env } = local.session;
    const { caseId, twin } = await containBackdoor();
    const before = await readInstance(local.session, twin);
    const [eni, groups] = Object.entries(twin.originalGroupsByEni)[1];
    await env.member.ec2.send(new DeleteSecurityGroupCommand({ GroupId: groups[0] }));

    const x = await release(caseId);
    expect(x.status).toBe('FAILED');
    expect(x.error!.message).toContain(
      `ReleaseBlocked: Release of ${twin.instanceId} blocked, nothing changed: ${eni}: recorded security group(s) ${groups[0]} no longer exist`,
    );
    expect(memberCalls(local.session, x).mutating).toEqual([]);
    expect(await readInstance(local.session, twin)).toEqual(before);
    expect((await readCase(env, caseId)).item!.status).toBe('CONTAINED');
  });

  it('marks the case FAILED when a release fails after changing something, and a second release finishes it', async () => {
    const { env } = local.session;
    const { caseId, twin } = await containBackdoor();
    // The last phase (Auto Scaling) is refused once, after the network and the target group are back.
    let refused = 0;
    const published: Record<string, unknown>[] = [];
    const remove = registerSdkInterceptor({
      before(call) {
        if (call.operation === 'SNS.Publish') published.push(call.input);
        if (call.operation === 'AutoScaling.AttachInstances' && refused++ === 0) {
          throw Object.assign(new Error('User is not authorized to perform: autoscaling:AttachInstances'), { name: 'AccessDenied' });
        }
      },
    });
    let first: LocalExecutionResult;
    try {
      first = await release(caseId);
    } finally {
      remove();
    }
    expect(first.status).toBe('FAILED');
    expect(first.error!.message).toContain('ReleaseInstance failed: AccessDenied');
    expect((await readCase(env, caseId)).item!.status).toBe('FAILED');
    // The failed release is a case event like any other: a Chatbot card (https) beside the unchanged JSON (default).
    const failedPage = published.find((p) => JSON.stringify(p.MessageAttributes).includes('release-failed'))!;
    expect(failedPage.MessageStructure).toBe('json');
    const byProtocol = JSON.parse(failedPage.Message as string) as Record<string, string>;
    expect(JSON.parse(byProtocol.default)).toMatchObject({ kind: 'release-failed', caseId, caseStatus: 'FAILED' });
    const card = ChatbotNotificationSchema.parse(JSON.parse(byProtocol.https));
    expect(card).toMatchObject({ metadata: { threadId: caseId, eventType: 'failed' } });
    expect(card.content.nextSteps).toContain('Runbook: runbooks/release/runbook.md');
    const partly = await readInstance(local.session, twin);
    expect(partly.groupsByEni).toEqual(sortedGroups(twin.originalGroupsByEni));
    expect(partly.asg).toEqual([]);

    const second = await release(caseId, 'finishing the release after the Auto Scaling denial');
    expect(second).toMatchObject({ status: 'SUCCEEDED', outcome: 'RELEASED' });
    expect(memberCalls(local.session, second).mutating.map((c) => c.operation)).toEqual(['AutoScaling.AttachInstances']);
    expect((await readInstance(local.session, twin)).asg).toEqual([twin.autoScalingGroupName]);
    const { item } = await readCase(env, caseId);
    expect(item!.status).toBe('RELEASED');
    expect(item!.releaseDetails.previousStatus).toBe('FAILED');
  });

  it('refuses a case whose containment is still running (IN_PROGRESS)', async () => {
    const { env } = local.session;
    const { report } = await replayEvent(local.session, readEventFile(BACKDOOR), { execute: { crashAfter: 'Contain' } });
    const caseId = report.executions[0].caseId!;
    expect((await readCase(env, caseId)).item!.status).toBe('IN_PROGRESS');
    const x = await release(caseId);
    expect(x.status).toBe('FAILED');
    expect(x.error!.message).toContain(`Case ${caseId} is IN_PROGRESS: containment is still running on it`);
    expect(memberCalls(local.session, x).all).toEqual([]);
    expect((await readCase(env, caseId)).item!.status).toBe('IN_PROGRESS');
  });
});
