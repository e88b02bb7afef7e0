import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { cli } from '../support/cli';
import { readEventFile, replayEvent } from '../../lib/harness/local/replay';
import type { EventEnvelope } from '../../lib/harness/local/replay';
import type { LocalSession } from '../../lib/harness/local/session';
import { readNotifications } from '../../lib/harness/local/notifications';
import { readCase, readContainment } from '../support/read-back';
import { useLocalSession } from '../support/local';

/**
 * Containers (issue 15, item 4): a Runtime Monitoring finding in a pod whose finding names the node's EC2 instance
 * (`resource.instanceDetails`) goes to ec2-compromise in approval mode (catalog `container-node-high`): the node hosts
 * other workloads, so a person approves before it is isolated. A pod finding without the node (Fargate, or a finding that
 * does not name it) is a finding-triage case, nothing contained. Everything is read back from the emulator.
 */

const NODE = 'fixtures/events/guardduty-runtime-eks-node-reverse-shell.json';
const NO_NODE = 'fixtures/events/guardduty-runtime-eks-reverse-shell.json';
const OPERATOR = 'arn:aws:iam::222222222222:user/firebreak-local-operator';

/** The fixture on a new finding ID each time (a case per finding). */
function finding(file: string, tag: string): EventEnvelope & { detail: { id: string; severity: number } } {
  const e = JSON.parse(JSON.stringify(readEventFile(file))) as EventEnvelope & { detail: { id: string; severity: number } };
  e.detail.id = `${tag}${Math.random().toString(16).slice(2, 10)}`;
  return e;
}

/** Waits until a case has a pending (unanswered) approval request; returns it. */
async function pendingApproval(session: LocalSession): Promise<{ caseId: string; resourceId: string }> {
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
    const found = items.find((c) => !c.approval.answer);
    if (found) return { caseId: found.caseId as string, resourceId: found.resourceId as string };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no approval request appeared');
}

async function vpcOf(session: LocalSession, instanceId: string): Promise<string> {
  const out = await session.env.member.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  return out.Reservations![0].Instances![0].VpcId!;
}

describe('container findings: the node through ec2-compromise in approval mode, the pod a case', () => {
  const local = useLocalSession({ taskTokenTimeoutMs: 8000 });
  const release = (caseId: string) =>
    local.session.runner.execute('release', { release: { caseId, reason: 'false positive: test', operator: OPERATOR } });

  it('a High Runtime finding in a pod that names its node: waits for approval, the node untouched; approved, contained; released', async () => {
    const running = replayEvent(local.session, finding(NODE, 'ctrnode'));
    const { caseId, resourceId } = await pendingApproval(local.session);
    const vpc = await vpcOf(local.session, resourceId);
    const { item } = await readCase(local.session.env, caseId);
    expect(item).toMatchObject({ status: 'IN_PROGRESS', playbook: 'ec2-compromise' });
    expect(item!.incident.catalogEntryId).toBe('container-node-high');
    expect(item!.incident.resource).toMatchObject({
      type: 'Instance',
      id: resourceId,
      workload: { platform: 'EKS', cluster: 'example-cluster', namespace: 'web', pod: 'web-frontend-6d9f7c8b5-x2k4q', kind: 'pods' },
    });
    // Paused: the node is not isolated before a person approves, as read back from the emulator.
    const paused = await readContainment(local.session.env, resourceId, vpc);
    expect(paused.firebreakGroups).toEqual([]);
    expect(paused.terminationProtection).toBe(false);
    // The approval request names the pod and gives its kubectl steps.
    const asked = (await readNotifications(local.session.env)).filter((n) => n.caseId === caseId);
    const body = asked.map((n) => n.body).join('\n');
    expect(body).toContain('web/web-frontend-6d9f7c8b5-x2k4q');
    expect(body).toContain('kubectl label pod/web-frontend-6d9f7c8b5-x2k4q --namespace=web firebreak/quarantine=true');

    const r = await cli(['approve', caseId, '--reason', 'node confirmed compromised', '--endpoint', local.session.sfn.endpoint]);
    expect(r.code).toBe(0);
    const { report } = await running;
    expect(report.executions[0]).toMatchObject({ playbook: 'ec2-compromise', status: 'SUCCEEDED', outcome: 'CONTAINED', caseId });
    expect(report.checks.filter((c) => !c.passed)).toEqual([]);
    const contained = await readContainment(local.session.env, resourceId, vpc);
    const isolation = contained.firebreakGroups.find((g) => g.GroupName?.startsWith('firebreak-isolation-'))!.GroupId!;
    expect(contained.enis.map((e) => e.groups)).toEqual(paused.enis.map(() => [isolation]));
    expect(contained.terminationProtection).toBe(true);

    const released = await release(caseId);
    expect(released).toMatchObject({ playbook: 'release', status: 'SUCCEEDED', outcome: 'RELEASED' });
    const after = await readContainment(local.session.env, resourceId, vpc);
    expect(after.enis).toEqual(paused.enis);
    expect(after.terminationProtection).toBe(false);
  }, 180_000);

  it('a pod finding without the node (Fargate, or not named): a finding-triage case naming the pod, nothing contained', async () => {
    const { report, executions } = await replayEvent(local.session, finding(NO_NODE, 'ctrpod'));
    expect(report.executions.map((x) => [x.playbook, x.status, x.outcome])).toEqual([['finding-triage', 'SUCCEEDED', 'NOTIFIED']]);
    const x = report.executions[0];
    expect(executions[0].calls.filter((c) => c.mutating && c.account === local.session.env.memberAccount)).toEqual([]);
    const { item } = await readCase(local.session.env, x.caseId!);
    expect(item!.incident.catalogEntryId).toBe('container-workload');
    const notes = (await readNotifications(local.session.env)).filter((n) => n.caseId === x.caseId);
    const body = JSON.parse(notes[0].body) as { resource: string; triage: string[] };
    expect(body.resource).toContain('pod web/web-frontend-6d9f7c8b5-x2k4q');
    expect(body.triage).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^kubectl get pod\/web-frontend-6d9f7c8b5-x2k4q --namespace=web --output=yaml > pod\.yaml/),
        expect.stringMatching(/^kubectl cordon|NODE=\$\(kubectl get pod\/web-frontend-6d9f7c8b5-x2k4q --namespace=web/),
      ]),
    );
  }, 120_000);

  it('a dry run of the node finding makes zero mutating calls in the member account', async () => {
    const built = await replayEvent(local.session, finding(NODE, 'ctrdry'), { execute: { crashAfter: 'Triage' } });
    const dry = await local.session.runner.execute('ec2-compromise', {
      firebreak: { dryRun: true, trigger: 'manual', reason: 'plan only', operator: OPERATOR },
      event: { ...built.injected, detail: { ...(built.injected.detail as object), id: `ctrdry-plan-${Date.now()}` } },
    });
    expect(dry.status).toBe('DRY_RUN');
    expect(dry.calls.filter((c) => c.mutating && c.account === local.session.env.memberAccount)).toEqual([]);
  }, 120_000);
});
