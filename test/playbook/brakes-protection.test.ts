import { CreateTagsCommand } from '@aws-sdk/client-ec2';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { GuardDutyEvent } from '../../lib/core/incident/schema';
import { readNotifications } from '../../lib/harness/local/notifications';
import { ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { buildCredentialTwin } from '../../lib/harness/local/credential-twin';
import { readEventFile, replayEvent } from '../../lib/harness/local/replay';
import type { LocalSession } from '../../lib/harness/local/session';
import { buildTwinWorld, TwinWorld } from '../../lib/harness/local/twin';
import { bigInstanceFinding } from '../support/big-finding';
import { cli } from '../support/cli';
import { useLocalSession } from '../support/local';
import { readCase, readContainment } from '../support/read-back';
import { subscribeMetrics } from '../../lib/runtime/metrics';

/**
 * Issue 14, item 1: a High finding on a protected instance (by the tag as the instance carries it now, by the tag the
 * finding carries, by the instance-ID list) waits for approval and contains nothing until approved. Everything is read
 * back from the emulator: the ENIs' groups, the Firebreak groups in the VPC, termination protection, the profile.
 */

const FIXTURE = 'fixtures/events/guardduty-ec2-bitcoin-dns.json';

/** The High fixture finding, with an ID of its own (one case per test). */
function highFinding(): GuardDutyEvent {
  const e = JSON.parse(JSON.stringify(readEventFile(FIXTURE)));
  e.detail.id = `brakes-${Math.random().toString(16).slice(2)}`;
  return e;
}

/** Waits until a case whose resource ID starts with `resourceId` has a pending (unanswered) approval request. */
async function pendingApproval(session: LocalSession, resourceId: string): Promise<string> {
  for (let i = 0; i < 300; i++) {
    const items =
      (
        await session.env.security.ddb.send(
          new ScanCommand({
            TableName: session.env.ledgerTable,
            FilterExpression: 'sk = :c AND begins_with(resourceId, :r) AND attribute_exists(approval)',
            ExpressionAttributeValues: { ':c': 'CASE', ':r': resourceId },
          }),
        )
      ).Items ?? [];
    const found = items.find((c) => !c.approval.answer);
    if (found) return found.caseId as string;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no approval request appeared for ${resourceId}`);
}

/** What containment would change on the twin, read back from the emulator. */
async function exposure(session: LocalSession, twin: TwinWorld) {
  const s = await readContainment(session.env, twin.instanceId, twin.vpcId);
  return {
    enis: s.enis,
    firebreakGroups: s.firebreakGroups.map((g) => g.GroupId),
    terminationProtection: s.terminationProtection,
    shutdownBehavior: s.shutdownBehavior,
    profiles: s.activeProfiles.map((p) => p.IamInstanceProfile?.Arn),
  };
}

/** Every ENI of the twin on one Firebreak isolation group alone. */
async function expectContained(session: LocalSession, twin: TwinWorld) {
  const s = await readContainment(session.env, twin.instanceId, twin.vpcId);
  expect(s.isolation).toHaveLength(1);
  for (const eni of s.enis) expect(eni.groups).toEqual([s.isolation[0].GroupId]);
  expect(s.terminationProtection).toBe(true);
}

describe('protected resources wait for approval (issue 14)', () => {
  const local = useLocalSession({ taskTokenTimeoutMs: 60_000 });
  const twinFor = async (event: GuardDutyEvent) => buildTwinWorld(event, local.session.env.member);

  it('holds an instance tagged firebreak:protect now (Contain reads it): nothing changes until approve, then it is contained', async () => {
    const event = highFinding();
    const twin = await twinFor(event);
    // The tag is put on the instance after the finding: the finding does not carry it, the instance does.
    await local.session.env.member.ec2.send(
      new CreateTagsCommand({ Resources: [twin.instanceId], Tags: [{ Key: 'firebreak:protect', Value: 'db-primary' }] }),
    );
    const before = await exposure(local.session, twin);
    const running = replayEvent(local.session, event, { twin });
    const caseId = await pendingApproval(local.session, twin.instanceId);

    expect(await exposure(local.session, twin)).toEqual(before);
    const { item, timeline } = await readCase(local.session.env, caseId);
    expect(item?.status).toBe('IN_PROGRESS');
    expect(item?.decisions?.hold).toMatchObject({ brake: 'protection', rule: 'tag', entry: 'firebreak:protect', source: 'instance' });
    expect(item?.approval?.hold).toMatchObject({ rule: 'tag' });
    expect(timeline.find((t) => t.step === 'Contain')).toMatchObject({ status: 'INFO', details: { outcome: 'HELD' } });
    expect(timeline.some((t) => t.step === 'Contain' && t.status === 'SUCCEEDED')).toBe(false);
    const page = (await readNotifications(local.session.env)).filter((n) => n.caseId === caseId && n.kind === 'approval-request');
    expect(page).toHaveLength(1);
    expect(page[0].body).toMatch(/Held: protected: the instance carries the tag firebreak:protect/);

    const r = await cli(['approve', caseId, '--reason', 'confirmed: contain the primary', '--endpoint', local.session.sfn.endpoint]);
    expect(r.code).toBe(0);
    const { report } = await running;
    // Approved: ContainClaimed is not held again, though the instance still carries the tag.
    expect(report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED', caseId });
    await expectContained(local.session, twin);
  }, 240_000);

  it('holds an instance in protection.instanceIds (Triage decides): deny leaves it as it was', async () => {
    const event = highFinding();
    const twin = await twinFor(event);
    const before = await exposure(local.session, twin);
    process.env.FIREBREAK_PROTECTION = JSON.stringify({ instanceIds: [twin.instanceId] });
    try {
      const running = replayEvent(local.session, event, { twin });
      const caseId = await pendingApproval(local.session, twin.instanceId);
      expect(await exposure(local.session, twin)).toEqual(before);
      const { item } = await readCase(local.session.env, caseId);
      expect(item?.approval?.hold).toMatchObject({ brake: 'protection', rule: 'instance-id', entry: twin.instanceId, source: 'config' });
      const r = await cli([
        'deny',
        caseId,
        '--reason',
        'production database: handled by the DBA',
        '--endpoint',
        local.session.sfn.endpoint,
      ]);
      expect(r.code).toBe(0);
      const { report } = await running;
      expect(report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'NOTIFIED', caseId });
      expect(await exposure(local.session, twin)).toEqual(before);
    } finally {
      delete process.env.FIREBREAK_PROTECTION;
    }
  }, 240_000);

  it('holds on the tag the finding carries (Triage, protection.tagKey), and a manual start is never held', async () => {
    // The fixture's instance carries `env` (instanceDetails.tags): configured as the protection tag here.
    const event = highFinding();
    const twin = await twinFor(event);
    const before = await exposure(local.session, twin);
    process.env.FIREBREAK_PROTECTION = JSON.stringify({ tagKey: 'env' });
    try {
      const running = replayEvent(local.session, event, { twin });
      const caseId = await pendingApproval(local.session, twin.instanceId);
      expect(await exposure(local.session, twin)).toEqual(before);
      expect((await readCase(local.session.env, caseId)).item?.approval?.hold).toMatchObject({
        rule: 'tag',
        entry: 'env',
        source: 'finding',
      });
      await cli(['deny', caseId, '--reason', 'not now', '--endpoint', local.session.sfn.endpoint]);
      await running;

      const manual = await cli([
        'run',
        'ec2-compromise',
        '--instance',
        twin.instanceId,
        '--reason',
        'the owner asked',
        '--wait',
        '--endpoint',
        local.session.sfn.endpoint,
      ]);
      expect(manual.stdout.find((l) => l.startsWith('SUCCEEDED'))).toMatch(/outcome CONTAINED/);
      await expectContained(local.session, twin);
    } finally {
      delete process.env.FIREBREAK_PROTECTION;
    }
  }, 240_000);

  it('holds a credential finding on a role in protection.roleNamePatterns (Decide): no session is revoked until approved', async () => {
    const event = JSON.parse(JSON.stringify(readEventFile('fixtures/events/guardduty-instance-credential-exfiltration.json')));
    event.detail.id = `brakes-${Math.random().toString(16).slice(2)}`;
    const credentialTwin = await buildCredentialTwin(event, local.session.env.member);
    const roleName = credentialTwin.roleName!;
    const policies = async () => (await local.session.env.member.iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames;
    const before = await policies();
    process.env.FIREBREAK_PROTECTION = JSON.stringify({ roleNamePatterns: [`${roleName.slice(0, 4)}*`] });
    try {
      const running = replayEvent(local.session, event, { credentialTwin });
      const caseId = await pendingApproval(local.session, `role/${roleName}/`);
      expect(await policies()).toEqual(before);
      expect((await readCase(local.session.env, caseId)).item?.approval?.hold).toMatchObject({
        brake: 'protection',
        rule: 'role-name-pattern',
        entry: `${roleName.slice(0, 4)}*`,
      });
      await cli(['deny', caseId, '--reason', 'break-glass role: the on-call owns it', '--endpoint', local.session.sfn.endpoint]);
      expect((await running).report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'NOTIFIED', caseId });
      expect(await policies()).toEqual(before);
    } finally {
      delete process.env.FIREBREAK_PROTECTION;
    }
  }, 240_000);

  it('holds a finding too large for Contain (Triage stores it, Claim, ContainClaimed) on a tagged instance, until approved', async () => {
    const big = await bigInstanceFinding(local.session.env.member.ec2);
    const event = big.event as unknown as GuardDutyEvent;
    const twin = await twinFor(event);
    await local.session.env.member.ec2.send(
      new CreateTagsCommand({ Resources: [twin.instanceId], Tags: [{ Key: 'firebreak:protect', Value: 'batch' }] }),
    );
    const before = await exposure(local.session, twin);
    const lines: string[] = [];
    const unsubscribe = subscribeMetrics((m) => lines.push(m.line));
    try {
      const running = replayEvent(local.session, event, { twin });
      const caseId = await pendingApproval(local.session, twin.instanceId);
      expect(await exposure(local.session, twin)).toEqual(before);
      const { item, timeline } = await readCase(local.session.env, caseId);
      expect(item?.decisions?.hold).toMatchObject({ brake: 'protection', rule: 'tag', source: 'instance' });
      expect(timeline.find((t) => t.step === 'Claim')).toBeDefined();
      expect(timeline.find((t) => t.step === 'Contain')).toMatchObject({ status: 'SUCCEEDED', details: { outcome: 'HELD' } });
      await cli(['approve', caseId, '--reason', 'contain it', '--endpoint', local.session.sfn.endpoint]);
      expect((await running).report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED', caseId });
      await expectContained(local.session, twin);
      // TimeToIsolate (lib/core/metrics.ts) runs to the end of the approved Contain, not of the held one (which changed nothing).
      const after = await readCase(local.session.env, caseId);
      const isolated = after.timeline.filter(
        (t) => t.step === 'Contain' && t.status === 'SUCCEEDED' && (t.details as { outcome?: string }).outcome !== 'HELD',
      );
      expect(isolated).toHaveLength(1);
      const end = Date.parse(isolated[0].at as string) + (isolated[0].durationMs as number);
      const emitted = lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((d) => d.caseId === caseId && typeof d.TimeToIsolate === 'number');
      expect(emitted).toHaveLength(1);
      expect(emitted[0].TimeToIsolate).toBeCloseTo((end - Date.parse(after.item!.createdAt as string)) / 1000, 3);
    } finally {
      unsubscribe();
    }
  }, 300_000);
});
