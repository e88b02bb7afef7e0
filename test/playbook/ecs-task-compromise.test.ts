import { DescribeTasksCommand } from '@aws-sdk/client-ecs';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import { cli } from '../support/cli';
import { readEventFile, replayEvent } from '../../lib/harness/local/replay';
import type { EventEnvelope } from '../../lib/harness/local/replay';
import type { LocalSession } from '../../lib/harness/local/session';
import type { TaskTwin } from '../../lib/harness/local/task-twin';
import { readNotifications } from '../../lib/harness/local/notifications';
import { readCase } from '../support/read-back';
import { useLocalSession } from '../support/local';

/**
 * ecs-task-compromise (issue 15, item 4): a Runtime Monitoring finding on an ECS task waits for a person's approval at
 * High (catalog `ecs-task-high`), then preserves the task, its definition, ENI and service into the evidence bucket and
 * stops the task; release records that a stopped task cannot be restarted. Everything is read back from the emulator.
 */

const ECS = 'fixtures/events/guardduty-runtime-ecs-crypto.json';
const OPERATOR = 'arn:aws:iam::222222222222:user/firebreak-local-operator';

/** The fixture on a new finding ID each time (a case per finding), at a severity. */
function finding(tag: string, severity?: number): EventEnvelope & { detail: { id: string; severity: number } } {
  const e = JSON.parse(JSON.stringify(readEventFile(ECS))) as EventEnvelope & { detail: { id: string; severity: number } };
  e.detail.id = `${tag}${Math.random().toString(16).slice(2, 10)}`;
  if (severity !== undefined) e.detail.severity = severity;
  return e;
}

/** Waits until a case has a pending (unanswered) approval request; returns it. */
async function pendingApproval(session: LocalSession): Promise<{ caseId: string; resourceId: string }> {
  for (let i = 0; i < 300; i++) {
    const items =
      (
        await session.env.security.ddb.send(
          new ScanCommand({
            TableName: session.env.ledgerTable,
            FilterExpression: 'sk = :c AND attribute_exists(approval) AND playbook = :p',
            ExpressionAttributeValues: { ':c': 'CASE', ':p': 'ecs-task-compromise' },
          }),
        )
      ).Items ?? [];
    const found = items.find((c) => !c.approval.answer);
    if (found) return { caseId: found.caseId as string, resourceId: found.resourceId as string };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no approval request appeared');
}

/** The task as the emulator describes it (the harness's clients, not the playbook's). */
async function taskOf(session: LocalSession, taskArn: string) {
  const out = await session.env.member.ecs.send(new DescribeTasksCommand({ cluster: taskArn.split('/')[1], tasks: [taskArn] }));
  return out.tasks![0];
}

describe('ecs-task-compromise (synthesized state machine, real handlers, emulator)', () => {
  const local = useLocalSession({ taskTokenTimeoutMs: 8000 });
  const release = (caseId: string) =>
    local.session.runner.execute('release', { release: { caseId, reason: 'false positive: test', operator: OPERATOR } });

  it('a High task finding waits for approval with the task running; approved: preserved, stopped; release: nothing to undo', async () => {
    const running = replayEvent(local.session, finding('ecshigh'));
    const { caseId, resourceId } = await pendingApproval(local.session);
    const { item } = await readCase(local.session.env, caseId);
    expect(item).toMatchObject({ status: 'IN_PROGRESS', playbook: 'ecs-task-compromise' });
    expect(item!.incident.catalogEntryId).toBe('ecs-task-high');
    expect(item!.incident.resource).toMatchObject({ type: 'EcsTask', id: resourceId, taskArn: resourceId, cluster: 'example-ecs-cluster' });
    // Nothing stopped before a person approves, as read back from the emulator.
    expect(await taskOf(local.session, resourceId)).toMatchObject({ lastStatus: 'RUNNING', desiredStatus: 'RUNNING' });
    const asked = (await readNotifications(local.session.env)).filter((n) => n.caseId === caseId);
    const askedBody = asked.map((n) => n.body).join('\n');
    expect(askedBody).toContain(resourceId);
    // The case says the service brings the task back and gives the command a person runs (Firebreak never changes it).
    expect(askedBody).toContain('aws ecs update-service --cluster=example-ecs-cluster --service "$SERVICE" --desired-count 0');

    const r = await cli(['approve', caseId, '--reason', 'miner confirmed', '--endpoint', local.session.sfn.endpoint]);
    expect(r.code).toBe(0);
    const { report, taskTwin } = await running;
    expect(report.executions[0]).toMatchObject({ playbook: 'ecs-task-compromise', status: 'SUCCEEDED', outcome: 'CONTAINED', caseId });
    expect(report.checks.filter((c) => !c.passed)).toEqual([]);
    const twin = taskTwin as TaskTwin;
    expect(twin.taskArn).toBe(resourceId);
    const stopped = await taskOf(local.session, resourceId);
    expect(stopped).toMatchObject({ lastStatus: 'STOPPED', desiredStatus: 'STOPPED' });
    expect(stopped.stoppedReason).toContain(caseId);
    // The timeline says what StopTask changed (the case report's "Actions and prior state" lists it).
    const stop = (await readCase(local.session.env, caseId)).timeline.find((t) => t.step === 'StopTask')!;
    expect((stop.details.actions as { operation: string; target: string }[]).map((a) => [a.operation, a.target])).toEqual([
      ['ECS.StopTask', resourceId],
    ]);

    // The evidence: every artifact the manifest names, with the SHA-256 of its stored bytes; the prior statuses on the case.
    const after = (await readCase(local.session.env, caseId)).item!;
    expect(after.priorState).toMatchObject({ task: { taskArn: resourceId, lastStatus: 'RUNNING', desiredStatus: 'RUNNING' } });
    const manifestRef = after.evidence.manifest as { bucket: string; key: string; sha256: string };
    const s3 = local.session.env.security.s3;
    const bytes = async (key: string) =>
      Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: manifestRef.bucket, Key: key }))).Body!.transformToByteArray());
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const manifestBytes = await bytes(manifestRef.key);
    expect(sha(manifestBytes)).toBe(manifestRef.sha256);
    const manifest = JSON.parse(manifestBytes.toString('utf8')) as { artifacts: { name: string; key: string; sha256: string }[] };
    expect(manifest.artifacts.map((a) => a.name).sort()).toEqual([
      'network-interfaces.json',
      'service.json',
      'task-definition.json',
      'task.json',
    ]);
    for (const a of manifest.artifacts) {
      const b = await bytes(a.key);
      expect([a.name, sha(b)]).toEqual([a.name, a.sha256]);
      expect(b.toString('utf8')).not.toContain('not-for-evidence-');
    }
    const task = JSON.parse((await bytes(manifest.artifacts.find((a) => a.name === 'task.json')!.key)).toString('utf8'));
    expect(task.task).toMatchObject({ group: `service:${twin.service}`, tags: [{ key: 'team', value: 'workers' }] });

    const released = await release(caseId);
    expect(released).toMatchObject({ playbook: 'release', status: 'SUCCEEDED', outcome: 'RELEASED' });
    expect(released.calls.filter((c) => c.mutating && c.account === local.session.env.memberAccount)).toEqual([]);
    expect((await readCase(local.session.env, caseId)).item!.status).toBe('RELEASED');
    expect(await taskOf(local.session, resourceId)).toMatchObject({ lastStatus: 'STOPPED' });
  }, 180_000);

  it('denied: nothing preserved or stopped, a notify-only case', async () => {
    const running = replayEvent(local.session, finding('ecsdeny'));
    const { caseId, resourceId } = await pendingApproval(local.session);
    const r = await cli(['deny', caseId, '--reason', 'expected batch job', '--endpoint', local.session.sfn.endpoint]);
    expect(r.code).toBe(0);
    const { report } = await running;
    expect(report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'NOTIFIED' });
    expect(await taskOf(local.session, resourceId)).toMatchObject({ lastStatus: 'RUNNING', desiredStatus: 'RUNNING' });
  }, 180_000);

  it('a Medium task finding is a notified case; the task keeps running', async () => {
    const { report, taskTwin } = await replayEvent(local.session, finding('ecsmed', 5));
    expect(report.executions.map((x) => [x.playbook, x.status, x.outcome])).toEqual([['ecs-task-compromise', 'SUCCEEDED', 'NOTIFIED']]);
    expect(await taskOf(local.session, (taskTwin as TaskTwin).taskArn)).toMatchObject({ lastStatus: 'RUNNING' });
  }, 120_000);

  it('a dry run makes zero mutating calls in the member account and plans the StopTask', async () => {
    const built = await replayEvent(local.session, finding('ecsdry', 5));
    const dry = await local.session.runner.execute('ecs-task-compromise', {
      firebreak: { dryRun: true, trigger: 'manual', reason: 'plan only', operator: OPERATOR },
      event: { ...built.injected, detail: { ...(built.injected.detail as object), id: `ecsdry-plan-${Date.now()}` } },
    });
    expect(dry.status).toBe('DRY_RUN');
    expect(dry.calls.filter((c) => c.mutating && c.account === local.session.env.memberAccount)).toEqual([]);
    const plan = (dry.output?.plan as { actions: { operation: string }[] }).actions.map((a) => a.operation);
    expect(plan).toEqual(['ECS.StopTask']);
    expect(await taskOf(local.session, (built.taskTwin as TaskTwin).taskArn)).toMatchObject({ lastStatus: 'RUNNING' });
  }, 120_000);

  it('a finding whose task ARN is in another account is a notify-only case that says why; nothing touched', async () => {
    const e = finding('ecsother');
    const other = JSON.parse(JSON.stringify(e).split(':111111111111:task/').join(':333333333333:task/')) as typeof e;
    // Started directly (no twin: the harness would map the finding's task onto one in the member account).
    const x = await local.session.runner.execute('ecs-task-compromise', other);
    expect([x.status, x.outcome]).toEqual(['SUCCEEDED', 'NOTIFIED']);
    expect(x.calls.filter((c) => c.mutating && c.account === local.session.env.memberAccount)).toEqual([]);
    const { item } = await readCase(local.session.env, x.caseId!);
    expect(item!.incident.resource).toMatchObject({
      type: 'EcsTask',
      notActionable: expect.stringMatching(/not in the finding's account/),
    });
  }, 120_000);
});
