import { CreateTagsCommand } from '@aws-sdk/client-ec2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { GuardDutyEvent } from '../../lib/core/incident/schema';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../lib/harness/local/accounts';
import { readNotifications } from '../../lib/harness/local/notifications';
import { capturePages } from '../support/published-cards';
import { readEventFile } from '../../lib/harness/local/replay';
import type { LocalEnvironment } from '../../lib/harness/local/seed';
import { buildTwinWorld, remapEvent, TwinWorld } from '../../lib/harness/local/twin';
import { registerSdkInterceptor } from '../../lib/runtime/sdk-hooks';
import { casesForResource, readContainment } from '../support/read-back';
import { useLocalSession } from '../support/local';

const FIXTURE = 'fixtures/events/guardduty-ec2-backdoor-two-enis-ipv6.json';

/** The fixture's finding about a twin, remapped onto the emulator's member account and region. */
function findingAbout(twin: TwinWorld): Record<string, unknown> & { account: string; detail: Record<string, unknown> } {
  const raw = JSON.parse(JSON.stringify(readEventFile(FIXTURE))) as { account: string; detail: { accountId: string; region: string } };
  const map = { ...twin.idMap, [raw.detail.accountId]: '111111111111', [raw.account]: '111111111111', [raw.detail.region]: 'us-east-1' };
  return remapEvent(raw, map) as unknown as Record<string, unknown> & { account: string; detail: Record<string, unknown> };
}

/**
 * A game-day event about a twin: the fixture, remapped, from firebreak.gameday with a run ID, sent by
 * `sender` (the event's `account`: EventBridge puts the PutEvents caller's account there).
 */
function gameDayEvent(twin: TwinWorld, runId: string, sender = '222222222222'): Record<string, unknown> {
  const e = findingAbout(twin);
  return {
    ...e,
    account: sender,
    source: 'firebreak.gameday',
    id: `gd-${runId}`,
    detail: { ...e.detail, id: `gd-finding-${runId}`, firebreakGameDay: { runId } },
  };
}

/** The ledger's claim item on an instance for ec2-compromise, read directly. */
async function claimOf(env: LocalEnvironment, instanceId: string) {
  return (
    await env.security.ddb.send(
      new GetCommand({
        TableName: env.ledgerTable,
        Key: { pk: `CLAIM#ec2-compromise#${env.memberAccount}#${env.region}#${instanceId}`, sk: 'CLAIM' },
        ConsistentRead: true,
      }),
    )
  ).Item;
}

/** The `gameday-refused` notifications received so far that name a run. */
async function refusals(env: LocalEnvironment, runId: string) {
  return (await readNotifications(env))
    .filter((n) => n.kind === 'gameday-refused' && (JSON.parse(n.body) as { gameDayRunId?: string }).gameDayRunId === runId)
    .map((n) => JSON.parse(n.body) as { reason: string; sender: string; resource: string });
}

/** The event's detail without `firebreakGameDay`. */
function withoutRunId(e: Record<string, unknown>): Record<string, unknown> {
  const detail = { ...(e.detail as Record<string, unknown>) };
  delete detail.firebreakGameDay;
  return detail;
}

describe('game-day events act only on resources tagged firebreak:gameday=<run ID>', () => {
  const local = useLocalSession();

  async function inject(event: Record<string, unknown>, bus: 'default' | 'firebreak' = 'firebreak') {
    const routing = await local.session.router.route(event as never, bus);
    const executions = [];
    for (const id of routing.stateMachines) executions.push(await local.session.runner.execute(id, event));
    return { routing, executions };
  }

  it('refuses, before any claim, a game-day event naming an untagged instance: no claim, no case, one gameday-refused notification (read back)', async () => {
    const twin = await buildTwinWorld(readEventFile(FIXTURE) as unknown as GuardDutyEvent, local.session.env.member);
    const before = await readContainment(local.session.env, twin.instanceId, twin.vpcId);
    const { routing, executions } = await inject(gameDayEvent(twin, 'gd-forged-1'));
    expect(routing.matched).toEqual(['firebreak-gameday-ec2-compromise-high']);
    expect(routing.delivered).toMatchObject({ account: local.session.env.securityAccount, source: 'firebreak.gameday' });
    expect(executions).toHaveLength(1);
    const x = executions[0];
    expect(x).toMatchObject({ status: 'SUCCEEDED', outcome: 'GAMEDAY_REFUSED' });
    expect(x.steps.map((st) => st.name)).not.toContain('Claim');
    expect(x.calls.filter((c) => c.mutating && c.account === local.session.env.memberAccount)).toEqual([]);
    const after = await readContainment(local.session.env, twin.instanceId, twin.vpcId);
    expect(after).toEqual(before);
    expect(after.firebreakGroups).toEqual([]);
    expect(await claimOf(local.session.env, twin.instanceId)).toBeUndefined();
    expect(await casesForResource(local.session.env, twin.instanceId)).toEqual([]);
    const told = await refusals(local.session.env, 'gd-forged-1');
    expect(told).toHaveLength(1);
    expect(told[0].reason).toMatch(/not a game-day canary \(no firebreak:gameday tag\)/);
  });

  it('refuses a canary of another game day, and contains the canary of its own', async () => {
    const twin = await buildTwinWorld(readEventFile(FIXTURE) as unknown as GuardDutyEvent, local.session.env.member);
    await local.session.env.member.ec2.send(
      new CreateTagsCommand({ Resources: [twin.instanceId], Tags: [{ Key: 'firebreak:gameday', Value: 'gd-run-a' }] }),
    );
    const { result: other, pages } = await capturePages(() => inject(gameDayEvent(twin, 'gd-run-b')));
    expect(other.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'GAMEDAY_REFUSED' });
    // Its card (schema-checked): about no case, the resource made inert, never the reason (it quotes the canary's tag).
    expect(pages.map((p) => [p.kind, p.caseId, p.card?.metadata?.eventType, p.card?.metadata?.threadId])).toEqual([
      ['gameday-refused', undefined, 'gameday-refused', undefined],
    ]);
    expect(pages[0].card!.content.description).toContain(`\`${twin.instanceId}\``);
    expect(JSON.stringify(pages[0].card)).not.toContain('gd-run-a');
    expect((await refusals(local.session.env, 'gd-run-b'))[0]?.reason).toMatch(
      /a canary of another game day \(firebreak:gameday=gd-run-a\)/,
    );
    expect((await readContainment(local.session.env, twin.instanceId, twin.vpcId)).firebreakGroups).toEqual([]);
    expect(await claimOf(local.session.env, twin.instanceId)).toBeUndefined();

    // Its own game day's event may act.
    const own = await inject(gameDayEvent(twin, 'gd-run-a'));
    expect(own.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
    const state = await readContainment(local.session.env, twin.instanceId, twin.vpcId);
    for (const eni of state.enis) expect(eni.groups).toEqual([state.isolation[0].GroupId]);
  });

  it('matches no rule for a game-day source on the default bus, nor a GuardDuty source on the firebreak bus', async () => {
    const twin = await buildTwinWorld(readEventFile(FIXTURE) as unknown as GuardDutyEvent, local.session.env.member);
    const e = gameDayEvent(twin, 'gd-x');
    expect((await local.session.router.route(e as never, 'default')).matched).toEqual([]);
    expect(
      (await local.session.router.route({ ...e, source: 'aws.guardduty', detail: withoutRunId(e) } as never, 'firebreak')).matched,
    ).toEqual([]);
  });

  it('rejects a game-day event without a run ID at Normalize, touching nothing', async () => {
    const twin = await buildTwinWorld(readEventFile(FIXTURE) as unknown as GuardDutyEvent, local.session.env.member);
    const e = gameDayEvent(twin, 'gd-y');
    const { result: x, pages } = await capturePages(() =>
      local.session.runner.execute('ec2-compromise', { ...e, detail: withoutRunId(e) }),
    );
    expect(x.status).toBe('FAILED');
    // RecordFailure before Normalize succeeded: its page has a card about no case (schema-checked), the event as it came.
    expect(pages.map((p) => [p.kind, p.caseId, p.card?.metadata?.eventType, p.card?.metadata?.threadId])).toEqual([
      ['failed', undefined, 'failed', undefined],
    ]);
    expect(pages[0].card!.content.description).toMatch(/^\*Case:\* none\n/);
    expect(pages[0].card!.content.description).toContain('the event was not read as a finding');
    expect(x.error?.message).toMatch(/firebreakGameDay/);
    expect(x.calls.filter((c) => c.mutating && c.account === local.session.env.memberAccount)).toEqual([]);
  });

  it('opens no case when GameDayGuard itself fails (its target unchecked): FAILED, told without a case, nothing claimed', async () => {
    const { env } = local.session;
    const twin = await buildTwinWorld(readEventFile(FIXTURE) as unknown as GuardDutyEvent, env.member);
    // Fault injection: every DescribeInstances in the member account fails for good (AccessDenied is not retried).
    const remove = registerSdkInterceptor({
      before: (call) => {
        if (call.operation === 'EC2.DescribeInstances' && call.accountId === env.memberAccount)
          throw Object.assign(new Error('injected: denied'), { name: 'UnauthorizedOperation' });
      },
    });
    let executions;
    let pages: Awaited<ReturnType<typeof capturePages>>['pages'];
    try {
      ({
        result: { executions },
        pages,
      } = await capturePages(() => inject(gameDayEvent(twin, 'gd-guard-fails'))));
    } finally {
      remove();
    }
    // RecordFailure's page before a case exists has a card too (schema-checked), about no case.
    expect(pages.map((p) => [p.kind, p.caseId, p.card?.metadata?.eventType, p.card?.metadata?.threadId])).toEqual([
      ['failed', undefined, 'failed', undefined],
    ]);
    expect(pages[0].card!.content.title).toBe(':x: Firebreak playbook failed');
    expect(pages[0].card!.content.description).toMatch(/^\*Case:\* none \(ec2-compromise\)\n/);
    const x = executions[0];
    expect(x.status).toBe('FAILED');
    expect(x.steps.map((st) => st.name)).toEqual(expect.arrayContaining(['GameDayGuard', 'RecordFailure']));
    expect(x.steps.map((st) => st.name)).not.toContain('Claim');
    // Read back: no claim and no case on the instance; one failed notification, naming no case.
    expect(await claimOf(env, twin.instanceId)).toBeUndefined();
    expect(await casesForResource(env, twin.instanceId)).toEqual([]);
    const told = (await readNotifications(env)).filter((n) => n.kind === 'failed' && n.body.includes(twin.instanceId));
    expect(told).toHaveLength(1);
    expect(JSON.parse(told[0].body)).toMatchObject({ kind: 'failed', error: { name: 'AccessDenied' } });
    expect(JSON.parse(told[0].body).caseId).toBeUndefined();
    // The status-change step does not open one either.
    expect(x.statusChange?.invoked).toHaveLength(1);
    expect(await local.session.runner.invokeFunction(x.statusChange!.invoked[0].logicalId, x.statusChange!.event)).toEqual({
      action: 'not-owner',
      notified: false,
    });
    expect(await casesForResource(env, twin.instanceId)).toEqual([]);
  });

  describe('game-day events from a member account (issue 11)', () => {
    it('matches no game-day rule when a member account sends it, and, started anyway, is refused before any claim without a member call', async () => {
      const { env } = local.session;
      const twin = await buildTwinWorld(readEventFile(FIXTURE) as unknown as GuardDutyEvent, env.member);
      // Even a target tagged as the run's canary: the sender alone refuses it, before any read in the member account.
      await env.member.ec2.send(
        new CreateTagsCommand({ Resources: [twin.instanceId], Tags: [{ Key: 'firebreak:gameday', Value: 'gd-member-1' }] }),
      );
      const event = gameDayEvent(twin, 'gd-member-1', env.memberAccount);
      const routing = await local.session.router.route(event as never, 'firebreak', { sender: env.member });
      expect(routing).toMatchObject({ matched: [], stateMachines: [] });
      // Defence in depth: the execution a rule would have started had it matched (EventBridge delivers the sender's account).
      const x = await local.session.runner.execute('ec2-compromise', event);
      expect(x).toMatchObject({ status: 'SUCCEEDED', outcome: 'GAMEDAY_REFUSED' });
      expect(x.calls.filter((c) => c.account === env.memberAccount)).toEqual([]);
      expect(await claimOf(env, twin.instanceId)).toBeUndefined();
      expect(await casesForResource(env, twin.instanceId)).toEqual([]);
      const told = await refusals(env, 'gd-member-1');
      expect(told).toHaveLength(1);
      expect(told[0]).toMatchObject({ sender: env.memberAccount });
      expect(told[0].reason).toMatch(
        new RegExp(`sent by account ${env.memberAccount}, not by the security account ${env.securityAccount}`),
      );
      // The same event from the security account matches its rule.
      expect((await local.session.router.route(gameDayEvent(twin, 'gd-member-1') as never, 'firebreak')).matched).toEqual([
        'firebreak-gameday-ec2-compromise-high',
      ]);
    });

    it("starts no playbook for a member account's PutEvents through the local stack, and one for the security account's", async () => {
      const { env, sfn } = local.session;
      const twin = await buildTwinWorld(readEventFile(FIXTURE) as unknown as GuardDutyEvent, env.member);
      const e = gameDayEvent(twin, 'gd-stack-1');
      const put = async (account?: string) => {
        const client = new EventBridgeClient({ region: LOCAL_REGION, endpoint: sfn.endpoint, credentials: LOCAL_CREDENTIALS });
        if (account) {
          client.middlewareStack.add(
            (next) => (args) => {
              (args.request as { headers: Record<string, string> }).headers['x-moto-account-id'] = account;
              return next(args);
            },
            { step: 'finalizeRequest', name: 'motoAccount' },
          );
        }
        await client.send(
          new PutEventsCommand({
            Entries: [
              { Source: 'firebreak.gameday', DetailType: 'GuardDuty Finding', Detail: JSON.stringify(e.detail), EventBusName: 'firebreak' },
            ],
          }),
        );
        await sfn.settle();
        return sfn
          .list()
          .filter(
            (x) =>
              (JSON.parse(x.input) as { detail?: { firebreakGameDay?: { runId?: string } } }).detail?.firebreakGameDay?.runId ===
              'gd-stack-1',
          );
      };
      expect(await put(env.memberAccount)).toEqual([]);
      const started = await put();
      expect(started).toHaveLength(1);
      expect(JSON.parse(started[0].input)).toMatchObject({ account: env.securityAccount });
      expect(started[0].result).toMatchObject({ outcome: 'GAMEDAY_REFUSED' });
      expect(await claimOf(env, twin.instanceId)).toBeUndefined();
    });

    it('contains a real finding that follows a flood of 12 forged game-day events naming the same instance (read back)', async () => {
      const { env } = local.session;
      const twin = await buildTwinWorld(readEventFile(FIXTURE) as unknown as GuardDutyEvent, env.member);
      const forged = Array.from({ length: 12 }, (_, n) => gameDayEvent(twin, `gd-flood-${n}`, env.memberAccount));
      for (const e of forged)
        expect((await local.session.router.route(e as never, 'firebreak', { sender: env.member })).matched).toEqual([]);
      // As if every forged event had reached the playbook: all at once, and the real finding 150 ms later.
      const flood = Promise.all(forged.map((e) => local.session.runner.execute('ec2-compromise', e)));
      await new Promise((r) => setTimeout(r, 150));
      const real = findingAbout(twin);
      const routing = await local.session.router.route(real as never, 'default');
      expect(routing.stateMachines).toHaveLength(1);
      const contained = await local.session.runner.execute(routing.stateMachines[0], real);
      const forgedRuns = await flood;
      expect(forgedRuns.map((x) => x.outcome)).toEqual(forged.map(() => 'GAMEDAY_REFUSED'));
      expect(contained).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });

      const state = await readContainment(env, twin.instanceId, twin.vpcId);
      expect(state.enis.length).toBeGreaterThan(0);
      for (const eni of state.enis) expect(eni.groups).toEqual([state.isolation[0].GroupId]);
      const cases = await casesForResource(env, twin.instanceId);
      expect(cases).toHaveLength(1);
      expect(cases[0]).toMatchObject({ status: 'CONTAINED', incident: { trigger: 'auto' } });
      expect(await claimOf(env, twin.instanceId)).toMatchObject({ caseId: cases[0].caseId });
    });
  });
});
