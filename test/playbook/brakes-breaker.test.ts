import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { GuardDutyEvent } from '../../lib/core/incident/schema';
import { readNotifications } from '../../lib/harness/local/notifications';
import { readEventFile } from '../../lib/harness/local/replay';
import type { LocalExecutionResult } from '../../lib/harness/local/runner';
import type { LocalSession } from '../../lib/harness/local/session';
import { buildTwinWorld, remapEvent, TwinWorld } from '../../lib/harness/local/twin';
import { buildCredentialTwin } from '../../lib/harness/local/credential-twin';
import { ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { cli } from '../support/cli';
import { useLocalSession } from '../support/local';
import { readCase, readContainment } from '../support/read-back';

/**
 * Issue 14, item 2: with a breaker of N, N+3 distinct High findings started at once contain exactly N; the other 3
 * wait for approval, one page is sent; `firebreak breaker reset` lets them proceed. Started concurrently through the
 * local runner (each its own execution); which instances are isolated is read back from the emulator, the pages from
 * the notification queue, the breaker and the cases from the ledger.
 */

const N = 2;
const FIXTURE = 'fixtures/events/guardduty-ec2-bitcoin-dns.json';
const OPERATOR = 'arn:aws:iam::222222222222:user/firebreak-local-operator';

function highFinding(n: number): GuardDutyEvent {
  const e = JSON.parse(JSON.stringify(readEventFile(FIXTURE)));
  e.detail.id = `breaker-${n}-${Math.random().toString(16).slice(2)}`;
  return e;
}

/** Whether every ENI of the twin is on one Firebreak isolation group alone, read back from EC2. */
async function isolated(session: LocalSession, twin: TwinWorld): Promise<boolean> {
  const s = await readContainment(session.env, twin.instanceId, twin.vpcId);
  return s.isolation.length === 1 && s.enis.every((e) => e.groups.length === 1 && e.groups[0] === s.isolation[0].GroupId);
}

/** The cases of the session whose approval is pending, by resource. */
async function waiting(session: LocalSession): Promise<Map<string, string>> {
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
  return new Map(items.filter((c) => !c.approval.answer).map((c) => [c.resourceId as string, c.caseId as string]));
}

describe('the blast-radius breaker (issue 14)', () => {
  const local = useLocalSession({
    environment: { FIREBREAK_BREAKER: JSON.stringify({ perAccount: N, perOrganization: 100, windowSeconds: 3600 }) },
    taskTokenTimeoutMs: 300_000,
  });
  let twins: TwinWorld[];
  let runs: Promise<LocalExecutionResult>[];
  let finished: Map<string, LocalExecutionResult>;
  let held: Map<string, string>;

  beforeAll(async () => {
    const events = Array.from({ length: N + 3 }, (_, n) => highFinding(n));
    twins = [];
    for (const e of events) twins.push(await buildTwinWorld(e, local.session.env.member));
    finished = new Map();
    // All at once, each its own execution of the synthesized state machine (the router reads its rule queues one event at a
    // time, so the events go to the runner directly, on their twins as a replay would put them).
    const env = local.session.env;
    runs = events.map((e, n) => {
      const onTwin = remapEvent(e, { ...twins[n].idMap, [e.detail.accountId]: env.memberAccount, [e.detail.region]: env.region });
      return local.session.runner.execute('ec2-compromise', onTwin).then((x) => {
        finished.set(twins[n].instanceId, x);
        return x;
      });
    });
    for (let i = 0; i < 600 && (finished.size < N || (held = await waiting(local.session)).size < 3); i++)
      await new Promise((r) => setTimeout(r, 200));
  }, 300_000);

  it('contains exactly N; the other 3 are claimed, changed in nothing, and wait for approval', async () => {
    expect(finished.size).toBe(N);
    for (const x of finished.values()) expect(x).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
    const states = await Promise.all(twins.map((t) => isolated(local.session, t)));
    expect(states.filter(Boolean)).toHaveLength(N);
    expect(held.size).toBe(3);
    for (const t of twins.filter((_, n) => !states[n])) {
      const caseId = held.get(t.instanceId)!;
      expect(caseId).toBeDefined();
      const s = await readContainment(local.session.env, t.instanceId, t.vpcId);
      expect(s.firebreakGroups).toEqual([]);
      expect(s.terminationProtection).toBe(false);
      const { item, timeline } = await readCase(local.session.env, caseId);
      expect(item?.approval?.hold).toMatchObject({ brake: 'breaker', rule: 'account' });
      expect(timeline.find((e) => e.step === 'Contain')).toMatchObject({ status: 'INFO', details: { outcome: 'HELD' } });
    }
  });

  it('pages once for the trip, and no held case pages on its own', async () => {
    const notes = await readNotifications(local.session.env);
    expect(notes.filter((n) => n.kind === 'breaker-tripped')).toHaveLength(1);
    const heldIds = new Set(held.values());
    expect(notes.filter((n) => n.kind === 'approval-request' && heldIds.has(n.caseId ?? ''))).toEqual([]);
  });

  it('`firebreak breaker status` shows the count, the limit and window, the trip and the held cases', async () => {
    const r = await cli(['breaker', 'status', '--json', '--endpoint', local.session.sfn.endpoint]);
    expect(r.code).toBe(0);
    const status = JSON.parse(r.stdout.join('\n'));
    const account = status.items.find((i: { scope: string }) => i.scope === 'account');
    expect(account).toMatchObject({ count: N, limit: N, windowSeconds: 3600 });
    expect(account.trippedAt).toEqual(expect.any(String));
    expect(status.items.find((i: { scope: string }) => i.scope === 'organization')).toMatchObject({ count: N, limit: 100 });
    expect(status.held.map((h: { caseId: string }) => h.caseId).sort()).toEqual([...held.values()].sort());
    expect(status.held.every((h: { waiting: boolean }) => h.waiting)).toBe(true);
  });

  it('`firebreak breaker reset --reason` records who and why, and lets the held cases proceed to containment', async () => {
    const refused = await cli(['breaker', 'reset', '--endpoint', local.session.sfn.endpoint]);
    expect(refused.code).toBe(2);
    const r = await cli(['breaker', 'reset', '--reason', 'false positive storm ruled out', '--endpoint', local.session.sfn.endpoint]);
    expect(r.stderr).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout[0]).toBe(`Reset the breaker as ${OPERATOR}: 2 item(s) cleared, 3 held case(s) approved.`);
    const results = await Promise.all(runs);
    for (const x of results) expect(x).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
    expect((await Promise.all(twins.map((t) => isolated(local.session, t)))).every(Boolean)).toBe(true);
    for (const caseId of held.values()) {
      const { timeline } = await readCase(local.session.env, caseId);
      expect(timeline.find((e) => e.step === 'BreakerReset')).toMatchObject({
        operator: OPERATOR,
        details: { reason: 'false positive storm ruled out', action: 'approve' },
      });
      expect(timeline.find((e) => e.step === 'RecordApproval')).toMatchObject({ operator: OPERATOR, details: { decision: 'approve' } });
    }
    const breakerTimeline =
      (
        await local.session.env.security.ddb.send(
          new QueryCommand({
            TableName: local.session.env.ledgerTable,
            KeyConditionExpression: 'pk = :p AND begins_with(sk, :tl)',
            ExpressionAttributeValues: { ':p': `BREAKER#account#${local.session.env.memberAccount}`, ':tl': 'TL#' },
          }),
        )
      ).Items ?? [];
    expect(breakerTimeline.map((e) => e.step).sort()).toEqual(['BreakerReset', 'BreakerTripped']);
    expect(breakerTimeline.find((e) => e.step === 'BreakerReset')).toMatchObject({
      operator: OPERATOR,
      details: { reason: 'false positive storm ruled out' },
    });
    const after = JSON.parse((await cli(['breaker', 'status', '--json', '--endpoint', local.session.sfn.endpoint])).stdout.join('\n'));
    expect(after.held).toEqual([]);
    expect(after.items.map((i: { count: number; trippedAt?: string }) => [i.count, i.trippedAt])).toEqual([
      [0, undefined],
      [0, undefined],
    ]);
  }, 300_000);

  it('is taken in Decide for the other playbooks: N+1 credential findings at once revoke N, the last waits, one more page', async () => {
    const env = local.session.env;
    const events = Array.from({ length: N + 1 }, (_, n) => {
      const e = JSON.parse(JSON.stringify(readEventFile('fixtures/events/guardduty-instance-credential-exfiltration.json')));
      e.detail.id = `breaker-creds-${n}-${Math.random().toString(16).slice(2)}`;
      return e;
    });
    const creds: Awaited<ReturnType<typeof buildCredentialTwin>>[] = [];
    for (const e of events) creds.push(await buildCredentialTwin(e, env.member));
    const executions = events.map((e, n) =>
      local.session.runner.execute(
        'credential-compromise',
        remapEvent(e, { ...creds[n].idMap, [e.detail.accountId]: env.memberAccount, [e.detail.region]: env.region }),
      ),
    );
    let pending = new Map<string, string>();
    for (let i = 0; i < 300 && (pending = await waiting(local.session)).size < 1; i++) await new Promise((r) => setTimeout(r, 200));
    expect(pending.size).toBe(1);
    const [[resourceId, caseId]] = [...pending];
    const heldRole = creds.find((c) => resourceId.startsWith(`role/${c.roleName}/`))!.roleName!;
    const { item, timeline } = await readCase(env, caseId);
    expect(item?.approval?.hold).toMatchObject({ brake: 'breaker', rule: 'account' });
    expect(timeline.find((e) => e.step === 'Decide')).toMatchObject({ status: 'INFO', details: { outcome: 'HELD' } });
    const policies = async (role: string) => (await env.member.iam.send(new ListRolePoliciesCommand({ RoleName: role }))).PolicyNames;
    expect(await policies(heldRole)).toEqual([]);
    expect((await readNotifications(env)).filter((n) => n.kind === 'breaker-tripped')).toHaveLength(2);

    await cli(['deny', caseId, '--reason', 'known automation', '--endpoint', local.session.sfn.endpoint]);
    const results = await Promise.all(executions);
    expect(results.map((x) => x.outcome).sort()).toEqual([...Array(N).fill('CONTAINED'), 'NOTIFIED'].sort());
    for (const c of creds) expect(((await policies(c.roleName!)) ?? []).length > 0).toBe(c.roleName !== heldRole);
  }, 300_000);
});
