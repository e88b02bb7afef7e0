import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { cli } from '../support/cli';
import { readEventFile, replayEvent } from '../../lib/harness/local/replay';
import type { LocalSession } from '../../lib/harness/local/session';
import { readCase, readContainment } from '../support/read-back';
import { useLocalSession } from '../support/local';
import { installFaults } from '../../lib/harness/gameday/faults';
import { readNotifications } from '../../lib/harness/local/notifications';

/** A Medium finding (the approval-mode entry here), on a new twin each time. */
function mediumFinding() {
  const e = JSON.parse(JSON.stringify(readEventFile('fixtures/events/guardduty-ec2-bitcoin-dns.json')));
  e.detail.severity = 5;
  e.detail.id = `approval-${Math.random().toString(16).slice(2)}`;
  return e;
}

/** Waits until a case has a pending (unanswered) approval request; returns it. */
async function pendingApproval(session: LocalSession, seen: Set<string>): Promise<{ caseId: string; resourceId: string }> {
  for (let i = 0; i < 200; i++) {
    const items =
      (
        await session.env.security.ddb.send(
          new ScanCommand({
            TableName: session.env.ledgerTable,
            FilterExpression: 'sk = :c AND attribute_exists(approval)',
            ExpressionAttributeValues: { ':c': 'CASE' },
          }),
        )
      ).Items ?? [];
    const found = items.find((c) => !seen.has(c.caseId) && !c.approval.answer);
    if (found) {
      seen.add(found.caseId);
      return { caseId: found.caseId, resourceId: found.resourceId };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no approval request appeared');
}

const OPERATOR = 'arn:aws:iam::222222222222:user/firebreak-local-operator';

describe('approval mode (waitForTaskToken): approve, deny, timeout', () => {
  const local = useLocalSession({
    environment: { FIREBREAK_CATALOG_OVERRIDES: JSON.stringify({ 'ec2-compromise-medium': { mode: 'approval' } }) },
    // Locally an approval waits 8 s instead of the deployment's approvalTimeoutSeconds (1 h by default).
    taskTokenTimeoutMs: 8000,
  });
  const seen = new Set<string>();

  it('pauses and contains nothing until approve; then contains, with the approver on the timeline', async () => {
    const running = replayEvent(local.session, mediumFinding());
    const { caseId, resourceId } = await pendingApproval(local.session, seen);
    // Paused: nothing contained yet, as read back from the emulator.
    const instance = (await readCase(local.session.env, caseId)).item!;
    expect(instance.status).toBe('IN_PROGRESS');
    const paused = await readContainment(local.session.env, resourceId, await vpcOf(local.session, resourceId));
    expect(paused.firebreakGroups).toEqual([]);
    expect(paused.terminationProtection).toBe(false);

    const r = await cli(['approve', caseId, '--reason', 'confirmed by the SOC', '--endpoint', local.session.sfn.endpoint]);
    expect(r.stderr).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout[0]).toBe(`Approved case ${caseId} as ${OPERATOR}: containment goes ahead`);
    const { report } = await running;
    expect(report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED', caseId });
    expect(report.checks.filter((c) => !c.passed)).toEqual([]);
    const { item, timeline } = await readCase(local.session.env, caseId);
    expect(item?.approval?.answer).toMatchObject({ decision: 'approve', by: OPERATOR, reason: 'confirmed by the SOC', action: 'contain' });
    expect(timeline.find((t) => t.step === 'RequestApproval')).toMatchObject({ status: 'SUCCEEDED' });
    expect(timeline.find((t) => t.step === 'RecordApproval')).toMatchObject({
      status: 'SUCCEEDED',
      trigger: 'manual',
      operator: OPERATOR,
      details: { decision: 'approve', by: OPERATOR, action: 'contain' },
    });

    // Answered once: a second answer is refused with one line and exit 2.
    const again = await cli(['deny', caseId, '--reason', 'too late', '--endpoint', local.session.sfn.endpoint]);
    expect(again.code).toBe(2);
    expect(again.stderr).toEqual([
      expect.stringMatching(/already answered: approve by arn:aws:iam::222222222222:user\/firebreak-local-operator/),
    ]);
  });

  it('ends with no containment after deny, with the denier and the reason on the timeline', async () => {
    const running = replayEvent(local.session, mediumFinding());
    const { caseId, resourceId } = await pendingApproval(local.session, seen);
    const r = await cli(['deny', caseId, '--reason', 'known scanner, false positive', '--endpoint', local.session.sfn.endpoint]);
    expect(r.code).toBe(0);
    const { report } = await running;
    expect(report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'NOTIFIED', caseId });
    expect(report.checks.filter((c) => !c.passed)).toEqual([]);
    const state = await readContainment(local.session.env, resourceId, await vpcOf(local.session, resourceId));
    expect(state.firebreakGroups).toEqual([]);
    expect(state.terminationProtection).toBe(false);
    const { item, timeline } = await readCase(local.session.env, caseId);
    expect(item?.status).toBe('NOTIFIED');
    expect(timeline.find((t) => t.step === 'RecordApproval')).toMatchObject({
      trigger: 'manual',
      operator: OPERATOR,
      details: { decision: 'deny', reason: 'known scanner, false positive', action: 'notify' },
    });
  });

  it('takes the configured default (notify-only) when nobody answers in time, and says so on the timeline', async () => {
    const { report } = await replayEvent(local.session, mediumFinding());
    const x = report.executions[0];
    expect(x).toMatchObject({ status: 'SUCCEEDED', outcome: 'NOTIFIED' });
    const { item, timeline } = await readCase(local.session.env, x.caseId!);
    seen.add(x.caseId!);
    expect(item?.approval?.answer).toMatchObject({ decision: 'timeout', by: 'timeout', action: 'notify' });
    expect(timeline.find((t) => t.step === 'RecordApproval')).toMatchObject({
      trigger: 'auto',
      details: { decision: 'timeout', by: 'timeout', action: 'notify' },
    });
    // The request is closed: answering it now is refused.
    const late = await cli(['approve', x.caseId!, '--endpoint', local.session.sfn.endpoint]);
    expect(late.code).toBe(2);
  }, 60_000);

  it('pages the approval request even when its first publish is throttled: the retry sends it (once), then the answer goes through', async () => {
    // The first SNS.Publish of the run (RequestApproval's page) is throttled: the state machine retries RequestApproval.
    const installed = installFaults([{ kind: 'throttle', operation: 'SNS.Publish', rate: 1, times: 1 }], {
      seed: 'approval-page',
      deleteResource: () => Promise.reject(new Error('no deletion here')),
    });
    let running: ReturnType<typeof replayEvent> | undefined;
    try {
      running = replayEvent(local.session, mediumFinding());
      const { caseId } = await pendingApproval(local.session, seen);
      // The page reaches a person before anyone answers: one approval-request message, read from the notification queue.
      let pages: Awaited<ReturnType<typeof readNotifications>> = [];
      for (let i = 0; i < 100 && pages.length === 0; i++) {
        pages = (await readNotifications(local.session.env)).filter((n) => n.caseId === caseId && n.kind === 'approval-request');
        if (!pages.length) await new Promise((r) => setTimeout(r, 100));
      }
      expect(pages).toHaveLength(1);
      expect(installed.reports()[0]).toMatchObject({ injected: 1 });
      const r = await cli(['deny', caseId, '--reason', 'test', '--endpoint', local.session.sfn.endpoint]);
      expect(r.code).toBe(0);
      expect((await running).report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'NOTIFIED' });
    } finally {
      installed.remove();
      await running?.catch(() => undefined);
    }
  }, 60_000);

  it('pages the second approval request of a case: a new finding escalates the denied case and asks again', async () => {
    const first = replayEvent(local.session, mediumFinding());
    const { caseId } = await pendingApproval(local.session, seen);
    expect((await cli(['deny', caseId, '--reason', 'first look: benign', '--endpoint', local.session.sfn.endpoint])).code).toBe(0);
    const done = await first;
    expect(done.report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'NOTIFIED', caseId });
    const firstToken = (await readCase(local.session.env, caseId)).item!.approval.taskToken as string;
    // Another finding on the same instance: the notify-only case is escalated (catalog mode approval) and asks again.
    const second = replayEvent(local.session, mediumFinding(), { twin: done.twin });
    try {
      let waiting = false;
      for (let i = 0; i < 200 && !waiting; i++) {
        const approval = (await readCase(local.session.env, caseId)).item!.approval;
        waiting = approval.taskToken !== firstToken && !approval.answer;
        if (!waiting) await new Promise((r) => setTimeout(r, 100));
      }
      expect(waiting).toBe(true);
      // Each request reaches a person: two approval-request pages for the case, read from the notification queue.
      let pages: Awaited<ReturnType<typeof readNotifications>> = [];
      for (let i = 0; i < 30 && pages.length < 2; i++) {
        pages = (await readNotifications(local.session.env)).filter((n) => n.caseId === caseId && n.kind === 'approval-request');
        if (pages.length < 2) await new Promise((r) => setTimeout(r, 100));
      }
      expect(pages).toHaveLength(2);
      expect((await cli(['deny', caseId, '--reason', 'still benign', '--endpoint', local.session.sfn.endpoint])).code).toBe(0);
      expect((await second).report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'NOTIFIED', caseId });
    } finally {
      await second.catch(() => undefined);
    }
  }, 60_000);

  it('refuses to approve a case that is not waiting for approval', async () => {
    const high = JSON.parse(JSON.stringify(readEventFile('fixtures/events/guardduty-ec2-bitcoin-dns.json')));
    const { report } = await replayEvent(local.session, high);
    const r = await cli(['approve', report.executions[0].caseId!, '--endpoint', local.session.sfn.endpoint]);
    expect(r.code).toBe(2);
    expect(r.stderr).toEqual([expect.stringMatching(/is not waiting for an approval \(status CONTAINED\)/)]);
    const deny = await cli(['deny', report.executions[0].caseId!, '--endpoint', 'http://127.0.0.1:9']);
    expect(deny.stderr).toEqual([expect.stringMatching(/deny needs --reason/)]);
  });
});

async function vpcOf(session: LocalSession, instanceId: string): Promise<string> {
  const { DescribeInstancesCommand } = await import('@aws-sdk/client-ec2');
  const out = await session.env.member.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  return out.Reservations![0].Instances![0].VpcId!;
}
