import { CreateTagsCommand } from '@aws-sdk/client-ec2';
import type { GuardDutyEvent } from '../../lib/incident/schema';
import { readEventFile } from '../../lib/local/replay';
import { buildTwinWorld, remapEvent, TwinWorld } from '../../lib/local/twin';
import { readCase, readContainment } from '../support/read-back';
import { useLocalSession } from '../support/local';

const FIXTURE = 'fixtures/events/guardduty-ec2-backdoor-two-enis-ipv6.json';

/** A game-day event about a twin: the fixture, remapped, from firebreak.gameday with a run ID. */
function gameDayEvent(twin: TwinWorld, runId: string): Record<string, unknown> {
  const raw = JSON.parse(JSON.stringify(readEventFile(FIXTURE))) as { account: string; detail: { accountId: string; region: string } };
  const map = { ...twin.idMap, [raw.detail.accountId]: '111111111111', [raw.account]: '111111111111', [raw.detail.region]: 'us-east-1' };
  const e = remapEvent(raw, map) as unknown as Record<string, unknown> & { detail: Record<string, unknown> };
  return { ...e, source: 'firebreak.gameday', id: `gd-${runId}`, detail: { ...e.detail, id: `gd-finding-${runId}`, firebreakGameDay: { runId } } };
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

  it('contains nothing for a forged game-day event naming an untagged instance (read back from the emulator)', async () => {
    const twin = await buildTwinWorld(readEventFile(FIXTURE) as unknown as GuardDutyEvent, local.session.env.member);
    const before = await readContainment(local.session.env, twin.instanceId, twin.vpcId);
    const { routing, executions } = await inject(gameDayEvent(twin, 'gd-forged-1'));
    expect(routing.matched).toEqual(['firebreak-gameday-ec2-compromise-high']);
    expect(executions).toHaveLength(1);
    const x = executions[0];
    expect(x).toMatchObject({ status: 'SUCCEEDED', outcome: 'NOTIFIED' });
    expect(x.calls.filter((c) => c.mutating && c.account === local.session.env.memberAccount)).toEqual([]);
    const after = await readContainment(local.session.env, twin.instanceId, twin.vpcId);
    expect(after).toEqual(before);
    expect(after.firebreakGroups).toEqual([]);
    const { item } = await readCase(local.session.env, x.caseId!);
    expect(item).toMatchObject({ status: 'NOTIFIED', incident: { trigger: 'gameday', gameDayRunId: 'gd-forged-1' } });
    expect(String(x.output?.decision && (x.output.decision as { reason: string }).reason)).toMatch(/not a game-day canary \(no firebreak:gameday tag\)/);
  });

  it('refuses a canary of another game day, and contains the canary of its own', async () => {
    const twin = await buildTwinWorld(readEventFile(FIXTURE) as unknown as GuardDutyEvent, local.session.env.member);
    await local.session.env.member.ec2.send(new CreateTagsCommand({ Resources: [twin.instanceId], Tags: [{ Key: 'firebreak:gameday', Value: 'gd-run-a' }] }));
    const other = await inject(gameDayEvent(twin, 'gd-run-b'));
    expect(other.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'NOTIFIED' });
    expect(String((other.executions[0].output?.decision as { reason: string }).reason)).toMatch(/a canary of another game day \(firebreak:gameday=gd-run-a\)/);
    expect((await readContainment(local.session.env, twin.instanceId, twin.vpcId)).firebreakGroups).toEqual([]);

    // Its own game day's event may act: it escalates the notify-only case the refused event opened.
    const own = await inject(gameDayEvent(twin, 'gd-run-a'));
    expect(own.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
    const state = await readContainment(local.session.env, twin.instanceId, twin.vpcId);
    for (const eni of state.enis) expect(eni.groups).toEqual([state.isolation[0].GroupId]);
  });

  it('matches no rule for a game-day source on the default bus, nor a GuardDuty source on the firebreak bus', async () => {
    const twin = await buildTwinWorld(readEventFile(FIXTURE) as unknown as GuardDutyEvent, local.session.env.member);
    const e = gameDayEvent(twin, 'gd-x');
    expect((await local.session.router.route(e as never, 'default')).matched).toEqual([]);
    expect((await local.session.router.route({ ...e, source: 'aws.guardduty', detail: withoutRunId(e) } as never, 'firebreak')).matched).toEqual([]);
  });

  it('rejects a game-day event without a run ID at Normalize, touching nothing', async () => {
    const twin = await buildTwinWorld(readEventFile(FIXTURE) as unknown as GuardDutyEvent, local.session.env.member);
    const e = gameDayEvent(twin, 'gd-y');
    const x = await local.session.runner.execute('ec2-compromise', { ...e, detail: withoutRunId(e) });
    expect(x.status).toBe('FAILED');
    expect(x.error?.message).toMatch(/firebreakGameDay/);
    expect(x.calls.filter((c) => c.mutating && c.account === local.session.env.memberAccount)).toEqual([]);
  });
});
