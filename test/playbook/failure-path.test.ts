import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { installFaults } from '../../lib/harness/gameday/faults';
import { claimKey } from '../../lib/runtime/ledger/ledger';
import { readNotifications } from '../../lib/harness/local/notifications';
import { readEventFile, replayEvent } from '../../lib/harness/local/replay';
import type { LocalEnvironment } from '../../lib/harness/local/seed';
import { activeInterceptors } from '../../lib/runtime/sdk-hooks';
import { useLocalSession } from '../support/local';
import { casesForResource, readCase } from '../support/read-back';

/**
 * Issue 11: the failure path itself converges. Claim fails for good (every invocation's first ledger read
 * throttled, above the SDK's retry: the state machine's Retry is what runs again), then RecordFailure's own
 * SNS Publish is throttled too. RecordFailure must still open a case and tell, retried by its own Retry; and
 * when it cannot, the execution ends FAILED (what the playbooks' ExecutionsFailed alarm counts:
 * test/infra/security-account-stack.test.ts checks the alarms). Read back from the ledger and the queue.
 */

const EVENT = 'fixtures/events/guardduty-ec2-bitcoin-dns.json';
/** Contain (which claims, issue 13): 1 invocation + LAMBDA_TASK_RETRY's 4 retries, each failing on its claim read (DynamoDB GetItem). */
const CLAIM_INVOCATIONS = 5;
/**
 * The GetItems of each Contain invocation's first round, all made at once before it fails: the claim, and the blast-radius
 * breaker's account and organisation items (issue 14).
 */
const FIRST_ROUND_GET_ITEMS = 3;
/** Enough throttled GetItems to fail every Contain invocation, and none after. */
const CLAIM_READ_FAULTS = CLAIM_INVOCATIONS * FIRST_ROUND_GET_ITEMS;

const noDelete = { deleteResource: () => Promise.reject(new Error('no deletion here')) };

async function readClaim(env: LocalEnvironment, instanceId: string) {
  const pk = claimKey({ playbook: 'ec2-compromise', account: env.memberAccount, region: env.region, resource: { id: instanceId } });
  return (await env.security.ddb.send(new GetCommand({ TableName: env.ledgerTable, Key: { pk, sk: 'CLAIM' }, ConsistentRead: true }))).Item;
}

describe('the failure path when Claim failed (issue 11)', () => {
  const local = useLocalSession();
  afterEach(() => expect(activeInterceptors()).toEqual([]));

  /** Replays the fixture with the faults installed (their reports beside the replay's), and removes them whatever happens. */
  async function replayUnder(faults: Parameters<typeof installFaults>[0], seed: string) {
    const installed = installFaults(faults, { seed, ...noDelete });
    try {
      return { ...(await replayEvent(local.session, readEventFile(EVENT))), faultReports: installed.reports() };
    } finally {
      installed.remove();
    }
  }

  it('RecordFailure retries its own failed publish, opens a FAILED case and tells', async () => {
    const replay = await replayUnder(
      [
        { kind: 'throttle', operation: 'DynamoDB.GetItem', rate: 1, times: CLAIM_READ_FAULTS },
        { kind: 'throttle', operation: 'SNS.Publish', rate: 1, times: 3 },
      ],
      'failure-path',
    );
    const x = replay.executions[0];
    expect(x.status).toBe('FAILED');
    expect(x.steps.find((s) => s.name === 'Contain')).toMatchObject({ status: 'FAILED', invocations: CLAIM_INVOCATIONS });
    // Three publishes throttled: RecordFailure ran four times, the last one told.
    expect(x.steps.find((s) => s.name === 'RecordFailure')).toMatchObject({ status: 'SUCCEEDED', invocations: 4 });
    expect(replay.faultReports.map((r) => r.injected)).toEqual([CLAIM_READ_FAULTS, 3]);

    const { env } = local.session;
    const instanceId = replay.twin!.instanceId;
    const cases = await casesForResource(env, instanceId);
    expect(cases).toHaveLength(1);
    const caseId = String(cases[0].caseId);
    const { item, timeline } = await readCase(env, caseId);
    expect(item?.status).toBe('FAILED');
    // The claim is FAILED, never IN_PROGRESS: the next finding takes it over at once.
    expect(await readClaim(env, instanceId)).toMatchObject({ caseId, status: 'FAILED', owner: x.executionName });
    const recorded = timeline.filter((t) => t.step === 'RecordFailure');
    expect(recorded.length).toBeGreaterThanOrEqual(1);
    expect(recorded[0]).toMatchObject({
      status: 'FAILED',
      executionName: x.executionName,
      details: expect.objectContaining({ openedBy: 'RecordFailure' }),
    });
    expect(recorded[0].error.name).toBe('Throttled');
    const told = (await readNotifications(env)).filter((n) => n.caseId === caseId && n.kind === 'failed');
    expect(told).toHaveLength(1);
    expect(JSON.parse(told[0].body)).toMatchObject({ kind: 'failed', caseId, error: { name: 'Throttled' } });
    expect(item?.notifications?.[`failed#${x.executionName}`]).toBeDefined();
    // The execution-ended rule found the failure told: nothing more.
    expect(x.statusChange?.invoked[0].result).toMatchObject({ action: 'already-closed', notified: false });

    // The FAILED case blocks nothing: the same finding again contains the instance, on that case.
    const again = await replayEvent(local.session, readEventFile(EVENT), { twin: replay.twin });
    expect(again.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED', caseId });
  }, 120_000);

  it('when every publish fails, RecordFailure exhausts its retries and the execution ends FAILED (the alarm), with the case FAILED in the ledger', async () => {
    const replay = await replayUnder(
      [
        { kind: 'throttle', operation: 'DynamoDB.GetItem', rate: 1, times: CLAIM_READ_FAULTS },
        { kind: 'throttle', operation: 'SNS.Publish', rate: 1 },
      ],
      'failure-path-2',
    );
    const x = replay.executions[0];
    expect(x.status).toBe('FAILED');
    // 1 + RECORD_FAILURE_RETRY's 10 retries (MaxAttempts counts retries).
    expect(x.steps.find((s) => s.name === 'RecordFailure')).toMatchObject({ status: 'FAILED', invocations: 11 });
    const { env } = local.session;
    const cases = await casesForResource(env, replay.twin!.instanceId);
    expect(cases.map((c) => c.status)).toEqual(['FAILED']);
    expect((await readNotifications(env)).filter((n) => n.caseId === cases[0].caseId)).toEqual([]);
    // The execution-ended rule's function could not tell either (its publish throttled too): in AWS, EventBridge
    // retries it, then its DLQ alarm fires; the execution's FAILED status is what ExecutionsFailed counts.
    expect(x.statusChange?.matched).toContain('firebreak-playbook-execution-ended');
    expect(x.statusChange?.invoked[0].error).toMatch(/Throttled/);
  }, 120_000);
  it("when RecordFailure cannot write the ledger either, the execution-ended rule opens the case FAILED and tells (after EventBridge's retry)", async () => {
    const replay = await replayUnder(
      [
        { kind: 'throttle', operation: 'DynamoDB.GetItem', rate: 1, times: CLAIM_READ_FAULTS },
        { kind: 'throttle', operation: 'DynamoDB.TransactWriteItems', rate: 1 },
      ],
      'failure-path-3',
    );
    const x = replay.executions[0];
    expect(x.status).toBe('FAILED');
    expect(x.steps.find((s) => s.name === 'RecordFailure')).toMatchObject({ status: 'FAILED', invocations: 11 });
    const { env } = local.session;
    const instanceId = replay.twin!.instanceId;
    expect(await casesForResource(env, instanceId)).toEqual([]);
    // The first delivery failed as well (the ledger still throttled); EventBridge retries the target.
    expect(x.statusChange?.invoked[0].error).toMatch(/Throttled/);
    const retried = await local.session.runner.invokeFunction(x.statusChange!.invoked[0].logicalId, x.statusChange!.event);
    expect(retried).toMatchObject({ action: 'opened', notified: true });
    const cases = await casesForResource(env, instanceId);
    expect(cases.map((c) => c.status)).toEqual(['FAILED']);
    const caseId = String(cases[0].caseId);
    expect(await readClaim(env, instanceId)).toMatchObject({ caseId, status: 'FAILED', owner: x.executionName });
    const { timeline } = await readCase(env, caseId);
    expect(timeline.filter((t) => t.step === 'CloseOrphanedCase')).toEqual([
      expect.objectContaining({
        status: 'FAILED',
        executionName: x.executionName,
        error: expect.objectContaining({ name: 'ExecutionFailed' }),
        details: expect.objectContaining({ openedBy: 'CloseOrphanedCase' }),
      }),
    ]);
    const told = (await readNotifications(env)).filter((n) => n.caseId === caseId && n.kind === 'failed');
    expect(told).toHaveLength(1);
    // A second delivery tells nobody again.
    await expect(local.session.runner.invokeFunction(x.statusChange!.invoked[0].logicalId, x.statusChange!.event)).resolves.toMatchObject({
      action: 'already-closed',
      notified: false,
    });
  }, 120_000);
});
