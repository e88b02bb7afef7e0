import { readNotifications } from '../../lib/harness/local/notifications';
import { replayEvent, validateEvent } from '../../lib/harness/local/replay';
import type { TwinWorld } from '../../lib/harness/local/twin';
import { findingOf } from '../support/findings';
import { useLocalSession } from '../support/local';
import { readCase, readContainment } from '../support/read-back';
import { capturePages } from '../support/published-cards';

/**
 * Never silent on one resource (issue 9): a case is per instance, so a later, different finding about
 * the same instance attaches to the open case. Each such finding is told to a person once (an `attached`
 * notification), a repeat of a finding is not told again, and a finding that calls for containment
 * still escalates the case. Read back from the notification queue, the ledger and the instance.
 */
describe('findings that attach to an open case', () => {
  const local = useLocalSession();

  async function notesFor(caseId: string, findingId?: string) {
    return (await readNotifications(local.session.env))
      .filter((n) => n.caseId === caseId)
      .filter(
        (n) => !findingId || (JSON.parse(n.body) as { incident?: { finding?: { id?: string } } }).incident?.finding?.id === findingId,
      );
  }

  it("a victim's case, then a Medium compromise finding (told once, repeats not), then a High one (contained)", async () => {
    const victim = validateEvent(findingOf('UnauthorizedAccess:EC2/SSHBruteForce', 'Instance', 5, 'TARGET', 11));
    const first = await replayEvent(local.session, victim);
    const twin: TwinWorld = first.twin!;
    const caseId = first.report.executions[0].caseId!;
    expect(first.report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'NOTIFIED' });

    const portscan = findingOf('Recon:EC2/Portscan', 'Instance', 5, 'ACTOR', 12);
    const { result: second, pages } = await capturePages(() => replayEvent(local.session, validateEvent(portscan), { twin }));
    expect(second.report.executions[0]).toMatchObject({ status: 'ALREADY_HANDLED', caseId });
    // The attached notice's card (schema-checked), in the case's thread, naming the attached finding.
    expect(pages.map((p) => [p.kind, p.caseId, p.card?.metadata?.eventType, p.card?.metadata?.threadId])).toEqual([
      ['attached', caseId, 'attached', caseId],
    ]);
    expect(pages[0].card!.content.description).toContain('`Recon:EC2/Portscan`');
    expect(pages[0].card!.content.nextSteps).toContain(`Triage it with the case: \`firebreak cases show ${caseId}\``);
    const attached = await notesFor(caseId, portscan.detail.id);
    expect(attached.map((n) => n.kind)).toEqual(['attached']);
    expect(JSON.parse(attached[0].body)).toMatchObject({ caseStatus: 'NOTIFIED', summary: expect.stringContaining('Recon:EC2/Portscan') });

    // GuardDuty's repeat of the same finding (same ID, higher count) is not told again.
    const repeat = { ...portscan, detail: { ...portscan.detail, service: { ...portscan.detail.service, count: 7 } } };
    await replayEvent(local.session, validateEvent(repeat), { twin });
    expect(await notesFor(caseId, portscan.detail.id)).toHaveLength(1);

    // A High compromise finding escalates the same case and contains the instance.
    const c2 = findingOf('Backdoor:EC2/C&CActivity.B', 'Instance', 8, 'ACTOR', 13);
    const third = await replayEvent(local.session, validateEvent(c2), { twin });
    expect(third.report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED', caseId });
    const state = await readContainment(local.session.env, twin.instanceId, twin.vpcId);
    for (const eni of state.enis) expect(eni.groups).toEqual([state.isolation[0].GroupId]);
    const { item } = await readCase(local.session.env, caseId);
    expect(item?.status).toBe('CONTAINED');
    expect([...(item!.findingIds as Set<string>)].sort()).toEqual([victim.detail.id, portscan.detail.id, c2.detail.id].sort());
  });

  it('a High victim finding after a notify-only case is told, and never contained', async () => {
    const medium = validateEvent(findingOf('Backdoor:EC2/Spambot', 'Instance', 5, 'ACTOR', 21));
    const first = await replayEvent(local.session, medium);
    const caseId = first.report.executions[0].caseId!;
    const probe = findingOf('Recon:EC2/PortProbeUnprotectedPort', 'Instance', 8, 'TARGET', 22);
    const second = await replayEvent(local.session, validateEvent(probe), { twin: first.twin });
    expect(second.report.executions[0]).toMatchObject({ status: 'ALREADY_HANDLED', caseId });
    expect((await notesFor(caseId, probe.detail.id)).map((n) => n.kind)).toEqual(['attached']);
    const state = await readContainment(local.session.env, first.twin!.instanceId, first.twin!.vpcId);
    expect(state.isolation).toEqual([]);
    expect(second.report.apiCalls.mutatingInMemberAccount).toBe(0);
  });
});
