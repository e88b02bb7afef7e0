import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { claimKey } from '../../lib/runtime/ledger/ledger';
import { readNotifications } from '../../lib/harness/local/notifications';
import { readEventFile, replayEvent } from '../../lib/harness/local/replay';
import type { LocalEnvironment } from '../../lib/harness/local/seed';
import { registerSdkInterceptor } from '../../lib/runtime/sdk-hooks';
import { useLocalSession } from '../support/local';
import { readCase, readContainment } from '../support/read-back';
import { capturePages } from '../support/published-cards';

const EVENT = 'fixtures/events/guardduty-ec2-bitcoin-dns.json';

/** moto completes snapshots at once: DescribeSnapshots by ID reports them `pending` while this is registered. */
function snapshotsStayPending(onPoll?: () => void) {
  return registerSdkInterceptor({
    after(call, output) {
      if (call.operation !== 'EC2.DescribeSnapshots' || !call.input.SnapshotIds) return;
      onPoll?.();
      const snaps = (output.Snapshots as { State?: string }[] | undefined) ?? [];
      return { ...output, Snapshots: snaps.map((s) => ({ ...s, State: 'pending', Progress: '42%' })) };
    },
  });
}

/** The claim on the instance, read straight from the ledger table. */
async function readClaim(env: LocalEnvironment, instanceId: string) {
  const pk = claimKey({ playbook: 'ec2-compromise', account: env.memberAccount, region: env.region, resource: { id: instanceId } });
  return (await env.security.ddb.send(new GetCommand({ TableName: env.ledgerTable, Key: { pk, sk: 'CLAIM' }, ConsistentRead: true }))).Item;
}

async function failedNotifications(env: LocalEnvironment, caseId: string) {
  return (await readNotifications(env)).filter((n) => n.caseId === caseId && n.kind === 'failed');
}

describe('ec2-compromise execution lifecycle (issue 10)', () => {
  // The default claim lease (900 s): a claim left IN_PROGRESS would block every repeat of the finding.
  const local = useLocalSession();

  it('closes the case FAILED and tells, once, when the execution times out (evidence stuck pending)', async () => {
    const remove = snapshotsStayPending();
    let replay;
    let pages: Awaited<ReturnType<typeof capturePages>>['pages'];
    try {
      ({ result: replay, pages } = await capturePages(() =>
        replayEvent(local.session, readEventFile(EVENT), { execute: { timeoutSeconds: 3 } }),
      ));
    } finally {
      remove();
    }
    const x = replay.executions[0];
    expect(x.status).toBe('TIMED_OUT');
    // CloseOrphanedCase's page has the case's `failed` card (schema-checked), in the case's thread.
    expect(pages.map((p) => [p.kind, p.caseId, p.card?.metadata?.eventType, p.card?.metadata?.threadId])).toEqual([
      ['failed', x.caseId, 'failed', x.caseId],
    ]);
    expect(pages[0].card!.content.description).toContain(
      'The execution ended (timed out) before it recorded an outcome; the case is FAILED.',
    );
    expect(x.statusChange?.matched).toContain('firebreak-playbook-execution-ended');
    const { env } = local.session;
    const { item, timeline } = await readCase(env, x.caseId!);
    expect(item?.status).toBe('FAILED');
    expect((await readClaim(env, replay.twin!.instanceId))?.status).toBe('FAILED');
    expect(timeline.filter((t) => t.step === 'CloseOrphanedCase')).toEqual([
      expect.objectContaining({
        status: 'FAILED',
        executionName: x.executionName,
        error: expect.objectContaining({ name: 'ExecutionTimedOut' }),
      }),
    ]);
    expect(item?.notifications?.[`failed#${x.executionName}`]).toBeDefined();
    const told = await failedNotifications(env, x.caseId!);
    expect(told).toHaveLength(1);
    expect(JSON.parse(told[0].body)).toMatchObject({ kind: 'failed', caseId: x.caseId, execution: { status: 'TIMED_OUT' } });
    // EventBridge delivers at least once: a second delivery changes nothing and tells nobody again.
    const again = await local.session.runner.invokeFunction(x.statusChange!.invoked[0].logicalId, x.statusChange!.event);
    expect(again).toEqual({ action: 'already-closed', caseId: x.caseId, notified: false });
    expect(await failedNotifications(env, x.caseId!)).toHaveLength(1);
    expect((await readCase(env, x.caseId!)).timeline.filter((t) => t.step === 'CloseOrphanedCase')).toHaveLength(1);
  }, 120_000);

  it('closes the case FAILED and tells when the execution is stopped (ABORTED)', async () => {
    const stop = new AbortController();
    const remove = snapshotsStayPending(() => stop.abort());
    let replay;
    try {
      replay = await replayEvent(local.session, readEventFile(EVENT), { execute: { abortSignal: stop.signal } });
    } finally {
      remove();
    }
    const x = replay.executions[0];
    expect(x.status).toBe('ABORTED');
    const { item, timeline } = await readCase(local.session.env, x.caseId!);
    expect(item?.status).toBe('FAILED');
    expect(timeline.some((t) => t.step === 'CloseOrphanedCase' && t.error?.name === 'ExecutionAborted')).toBe(true);
    expect(await failedNotifications(local.session.env, x.caseId!)).toHaveLength(1);
  }, 120_000);

  it('retries a step that hits its Lambda timeout once, and contains the incident', async () => {
    const { report, twin, executions } = await replayEvent(local.session, readEventFile(EVENT), {
      execute: { lambdaTimeouts: { Triage: 1, Contain: 1, CheckSnapshots: 1, Notify: 1 } },
    });
    const x = executions[0];
    expect([x.status, x.outcome]).toEqual(['SUCCEEDED', 'CONTAINED']);
    for (const name of ['Triage', 'Contain', 'CheckSnapshots', 'Notify']) {
      const step = x.steps.find((s) => s.name === name)!;
      expect([name, step.invocations, step.status]).toEqual([name, 2, 'SUCCEEDED']);
    }
    expect(x.steps.find((s) => s.name === 'Contain')!.error).toMatch(/^Sandbox\.Timedout: .*Task timed out after 120\.00 seconds/);
    // Read back: every ENI is in the isolation group alone; the case is contained and told once.
    const c = await readContainment(local.session.env, twin!.instanceId, twin!.vpcId);
    expect(c.isolation).toHaveLength(1);
    expect(c.enis.every((e) => e.groups.length === 1 && e.groups[0] === c.isolation[0].GroupId)).toBe(true);
    const { item } = await readCase(local.session.env, x.caseId!);
    expect(item?.status).toBe('CONTAINED');
    expect((await readNotifications(local.session.env)).filter((n) => n.caseId === x.caseId && n.kind === 'contained')).toHaveLength(1);
    expect(report.checks.filter((chk) => !chk.passed)).toEqual([]);
  }, 120_000);

  it('releases the claim of a failed execution, even one whose Contain never returned, so a later finding contains at once', async () => {
    // Contain claims the case in its conditional write (issue 13), then outlives its Lambda timeout on every attempt: the
    // state never gets the case.
    const first = await replayEvent(local.session, readEventFile(EVENT), { execute: { lambdaTimeouts: { Contain: 10 } } });
    const failed = first.executions[0];
    expect(failed.status).toBe('FAILED');
    const { env } = local.session;
    const claim = await readClaim(env, first.twin!.instanceId);
    expect(claim).toMatchObject({ status: 'FAILED', owner: failed.executionName });
    const caseId = claim!.caseId as string;
    const { item, timeline } = await readCase(env, caseId);
    expect(item?.status).toBe('FAILED');
    expect(timeline.some((t) => t.step === 'RecordFailure' && t.error?.name === 'Sandbox.Timedout')).toBe(true);
    // Told once: by RecordFailure; the execution's end (FAILED) finds the case recorded and tells nobody again.
    expect(failed.statusChange?.invoked[0].result).toMatchObject({ action: 'already-closed', notified: false });
    expect(await failedNotifications(env, caseId)).toHaveLength(1);
    // Contain ran to its end before each timeout: never more open than found, every ENI is on the isolation group alone.
    const before = await readContainment(env, first.twin!.instanceId, first.twin!.vpcId);
    expect(before.isolation).toHaveLength(1);
    expect(before.enis.every((e) => e.groups.length === 1 && e.groups[0] === before.isolation[0].GroupId)).toBe(true);

    // The next delivery of the finding, well inside the 900 s lease, takes the case over and contains.
    const later = await local.session.runner.execute('ec2-compromise', first.injected);
    expect([later.status, later.outcome, later.caseId]).toEqual(['SUCCEEDED', 'CONTAINED', caseId]);
    const after = await readContainment(env, first.twin!.instanceId, first.twin!.vpcId);
    expect(after.isolation).toHaveLength(1);
    expect(after.enis.every((e) => e.groups.length === 1 && e.groups[0] === after.isolation[0].GroupId)).toBe(true);
    expect((await readCase(env, caseId)).item?.status).toBe('CONTAINED');
    expect(await readClaim(env, first.twin!.instanceId)).toMatchObject({ status: 'CONTAINED', owner: later.executionName });
  }, 120_000);
});
