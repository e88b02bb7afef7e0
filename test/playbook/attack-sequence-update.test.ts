import { DescribeInstancesCommand, DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { cli } from '../support/cli';
import { EventEnvelope, replayEvent } from '../../lib/harness/local/replay';
import { buildSequenceTwins, SequenceTwins } from '../../lib/harness/local/sequence-twin';
import { readNotifications } from '../../lib/harness/local/notifications';
import type { GuardDutyEvent } from '../../lib/core/incident/schema';
import { isolationGroupName } from '../../lib/core/tags';
import type { LocalSession } from '../../lib/harness/local/session';
import { CaseLedger } from '../../lib/runtime/ledger/ledger';
import { showCase } from '../../lib/operator/cases';
import { renderCase } from '../../lib/cli/render';
import { useLocalSession } from '../support/local';
import { readCase } from '../support/read-back';
import { keySequenceUpdate, variant } from '../support/attack-sequence';

/**
 * Issue 15 item 6: GuardDuty updates an attack sequence finding in place (same finding ID, `service.count` raised:
 * "GuardDuty finding aggregation", GuardDuty User Guide), and the update may name resources the first finding did not.
 * The update chains exactly those, on the same case, and tells a person; an update that adds nothing is already handled.
 */

async function instanceIsolated(ec2: EC2Client, instanceId: string): Promise<boolean> {
  const instance = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations![0].Instances![0];
  const filter = [{ Name: 'group-name', Values: [isolationGroupName(instance.VpcId!)] }];
  const iso = ((await ec2.send(new DescribeSecurityGroupsCommand({ Filters: filter }))).SecurityGroups ?? []).map((g) => g.GroupId);
  const groups = (instance.NetworkInterfaces ?? []).map((e) => (e.Groups ?? []).map((g) => g.GroupId));
  return iso.length === 1 && groups.length > 0 && groups.every((g) => g.length === 1 && g[0] === iso[0]);
}

async function keyStatus(session: LocalSession, twins: SequenceTwins) {
  const { userName, accessKeyId } = twins.credentialTwin!;
  const keys = (await session.env.member.iam.send(new ListAccessKeysCommand({ UserName: userName! }))).AccessKeyMetadata ?? [];
  return keys.find((k) => k.AccessKeyId === accessKeyId)?.Status;
}

/** The executions started with `chainedFrom` = the case, by state machine name. */
const chainedFrom = (session: LocalSession, caseId: string) =>
  session.sfn
    .list()
    .filter((x) => (JSON.parse(x.input) as { firebreak?: { chainedFrom?: string } }).firebreak?.chainedFrom === caseId)
    .map((x) => x.stateMachineArn.split(':').pop())
    .sort();

/** The first finding (one key) replayed on twins built for the update's resources (the key and the instance). */
async function firstFinding(session: LocalSession, findingId: string) {
  const { first, update } = keySequenceUpdate(findingId);
  const twins = await buildSequenceTwins(update as unknown as GuardDutyEvent, session.env.member);
  const r = await replayEvent(session, first, twins);
  const caseId = r.executions[0].caseId!;
  return { first, update, twins, caseId, report: r.report };
}

/** The notifications of a case (received so far in the session) whose summary says the sequence was updated. */
async function updateNotices(session: LocalSession, caseId: string) {
  return (await readNotifications(session.env)).filter((n) => n.caseId === caseId && n.body.includes('sequence updated'));
}

describe('attack-sequence: an update of the sequence that names an instance too', () => {
  const local = useLocalSession({ environment: { FIREBREAK_CLAIM_LEASE_SECONDS: '0' } });

  it('chains only the instance, on the same case, read back; tells a person; a repeat of either is already handled', async () => {
    const { first, update, twins, caseId, report } = await firstFinding(local.session, '5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e01');
    expect(report.executions.map((x) => [x.playbook, x.outcome])).toEqual([
      ['attack-sequence', 'CONTAINED'],
      ['credential-compromise', 'CONTAINED'],
    ]);
    expect(await keyStatus(local.session, twins)).toBe('Inactive');
    expect(await instanceIsolated(local.session.env.member.ec2, twins.twin!.instanceId)).toBe(false);
    // A repeat that adds nothing (GuardDuty raised the count only) is already handled and starts nothing.
    const repeat = JSON.parse(JSON.stringify(first)) as EventEnvelope & { detail: { service: { count: number } } };
    repeat.detail.service.count += 1;
    const before = local.session.sfn.list().length;
    const again = await replayEvent(local.session, repeat, twins);
    expect(again.report.executions.map((x) => x.status)).toEqual(['ALREADY_HANDLED']);
    expect(local.session.sfn.list()).toHaveLength(before);

    expect(chainedFrom(local.session, caseId)).toEqual(['firebreak-credential-compromise']);
    const updated = await replayEvent(local.session, update, twins);
    // The replay reports every chain on the case (the key's run, started by the first finding, too).
    expect(updated.report.executions.map((x) => [x.playbook, x.status, x.outcome])).toEqual([
      ['attack-sequence', 'SUCCEEDED', 'CONTAINED'],
      ['credential-compromise', 'SUCCEEDED', 'CONTAINED'],
      ['ec2-compromise', 'SUCCEEDED', 'CONTAINED'],
    ]);
    expect(updated.report.executions[0].caseId).toBe(caseId);
    expect(updated.report.checks.filter((c) => !c.passed)).toEqual([]);
    const chains = (updated.executions[0].output?.sequenceChains as { chains: { playbook: string; alreadyStarted: boolean }[] }).chains;
    expect(chains.map((c) => [c.playbook, c.alreadyStarted])).toEqual([
      ['credential-compromise', true],
      ['ec2-compromise', false],
    ]);
    // Read back from the emulator and the ledger: the instance isolated, one ec2-compromise case chained from the sequence case.
    expect(await instanceIsolated(local.session.env.member.ec2, twins.twin!.instanceId)).toBe(true);
    expect(await keyStatus(local.session, twins)).toBe('Inactive');
    expect(chainedFrom(local.session, caseId)).toEqual(['firebreak-credential-compromise', 'firebreak-ec2-compromise']);
    const ec2Case = (await readCase(local.session.env, updated.report.executions[2].caseId!)).item!;
    expect(ec2Case.incident?.chainedFrom).toBe(caseId);
    const seqCase = (await readCase(local.session.env, caseId)).item!;
    expect(seqCase.status).toBe('CONTAINED');
    expect(Object.keys(seqCase.decisions ?? {}).filter((k) => k.startsWith('chain#')).length).toBe(2);
    // `firebreak cases show`: the case lists both chains, the chained case names the sequence case.
    const ledger = new CaseLedger({ ddb: local.session.env.security.ddb, tableName: local.session.env.ledgerTable });
    const shown = renderCase(await showCase({ ledger }, caseId)).join('\n');
    expect(shown).toMatch(/chained {3}credential-compromise A[KS]IA/);
    expect(shown).toMatch(/chained {3}ec2-compromise i-/);
    expect(renderCase(await showCase({ ledger }, ec2Case.caseId)).join('\n')).toContain(`chained from ${caseId}`);
    // A person is told what the update added and that it was chained.
    const notices = await updateNotices(local.session, caseId);
    expect(notices).toHaveLength(1);
    expect(notices[0].body).toMatch(/sequence updated: 1 new resource\(s\), chained: ec2-compromise \d{12} i-/);

    // The same update again adds nothing: already handled, nothing started, nobody told again.
    const count = local.session.sfn.list().length;
    const twice = await replayEvent(local.session, update, twins);
    expect(twice.report.executions.map((x) => x.status)).toEqual(['ALREADY_HANDLED']);
    expect(local.session.sfn.list()).toHaveLength(count);
    expect(await updateNotices(local.session, caseId)).toHaveLength(1);
  });

  it('the same update delivered twice at once starts the instance run once', async () => {
    const { update, twins, caseId } = await firstFinding(local.session, '5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e02');
    const built = await replayEvent(local.session, update, { ...twins, execute: { crashAfter: 'Normalize' } });
    const runs = await Promise.all([0, 1].map(() => local.session.runner.execute('attack-sequence', built.injected)));
    await local.session.sfn.settle();
    expect(runs.every((x) => x.caseId === caseId)).toBe(true);
    expect(chainedFrom(local.session, caseId)).toEqual(['firebreak-credential-compromise', 'firebreak-ec2-compromise']);
    expect(await instanceIsolated(local.session.env.member.ec2, twins.twin!.instanceId)).toBe(true);
    expect((await updateNotices(local.session, caseId)).length).toBeGreaterThanOrEqual(1);
  });

  it.each(['Claim', 'ChainSequenceContainment', 'Notify'])(
    'a crash right after %s of the update converges: one instance run, the case contained, a person told',
    async (step) => {
      const id = `5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e1${step.length % 10}`;
      const { update, twins, caseId } = await firstFinding(local.session, id);
      const crashed = await replayEvent(local.session, update, { ...twins, execute: { crashAfter: step } });
      expect(crashed.executions[0].status).toBe('CRASHED');
      const rerun = await local.session.runner.execute('attack-sequence', crashed.injected);
      expect(rerun).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED', caseId });
      await local.session.sfn.settle();
      expect(chainedFrom(local.session, caseId)).toEqual(['firebreak-credential-compromise', 'firebreak-ec2-compromise']);
      expect(await instanceIsolated(local.session.env.member.ec2, twins.twin!.instanceId)).toBe(true);
      expect((await readCase(local.session.env, caseId)).item?.status).toBe('CONTAINED');
      expect(await updateNotices(local.session, caseId)).toHaveLength(1);
    },
  );

  it('a key a person released since stays released when the update names it again; the new instance is chained', async () => {
    const { update, twins, caseId, report } = await firstFinding(local.session, '5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e07');
    // The sequence case itself cannot be released (NotReleasable: it changed nothing); its chained cases can.
    const keyCase = report.executions[1].caseId!;
    const r = await cli(['release', keyCase, '--reason', 'key rotated, user reviewed', '--wait', '--endpoint', local.session.sfn.endpoint]);
    expect(r.code).toBe(0);
    expect(await keyStatus(local.session, twins)).toBe('Active');
    const updated = await replayEvent(local.session, update, twins);
    expect(updated.report.executions[0]).toMatchObject({ playbook: 'attack-sequence', status: 'SUCCEEDED', outcome: 'CONTAINED', caseId });
    await local.session.sfn.settle();
    expect(chainedFrom(local.session, caseId)).toEqual(['firebreak-credential-compromise', 'firebreak-ec2-compromise']);
    expect(await keyStatus(local.session, twins)).toBe('Active');
    expect(await instanceIsolated(local.session.env.member.ec2, twins.twin!.instanceId)).toBe(true);
  });

  it('a sample of the update is a dry run: zero mutating calls, nothing started', async () => {
    const { update } = await firstFinding(local.session, '5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e03');
    const before = local.session.sfn.list().length;
    const sample = variant(update, '5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e04', { sample: true });
    const { report, executions } = await replayEvent(local.session, sample);
    expect(report.executions.map((x) => x.status)).toEqual(['DRY_RUN']);
    expect(executions[0].calls.filter((c) => c.mutating)).toEqual([]);
    expect(local.session.sfn.list()).toHaveLength(before);
  });
});

describe('attack-sequence: an update in a deployment that only notifies for sequences', () => {
  const local = useLocalSession({
    environment: { FIREBREAK_CATALOG_OVERRIDES: JSON.stringify({ 'attack-sequence-high': { mode: 'notify' } }) },
  });

  it('names the new instance in a notification and chains nothing; a repeat is already handled', async () => {
    const { update, twins, caseId, report } = await firstFinding(local.session, '5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e05');
    expect(report.executions.map((x) => [x.playbook, x.outcome])).toEqual([['attack-sequence', 'NOTIFIED']]);
    const updated = await replayEvent(local.session, update, twins);
    expect(updated.report.executions.map((x) => [x.playbook, x.status, x.outcome])).toEqual([['attack-sequence', 'SUCCEEDED', 'NOTIFIED']]);
    expect(updated.report.executions[0].caseId).toBe(caseId);
    const notices = await updateNotices(local.session, caseId);
    expect(notices).toHaveLength(1);
    expect(notices[0].body).toMatch(/sequence updated: 1 new resource\(s\), named, nothing chained: ec2-compromise \d{12} i-/);
    expect(chainedFrom(local.session, caseId)).toEqual([]);
    expect(await instanceIsolated(local.session.env.member.ec2, twins.twin!.instanceId)).toBe(false);
    const twice = await replayEvent(local.session, update, twins);
    expect(twice.report.executions.map((x) => x.status)).toEqual(['ALREADY_HANDLED']);
    expect(await updateNotices(local.session, caseId)).toHaveLength(1);
  });
});

/** The attack-sequence case that waits for an answer to its approval request (polled: the execution runs meanwhile). */
async function pendingApproval(session: LocalSession): Promise<string | undefined> {
  for (let i = 0; i < 100; i++) {
    const items = (
      await session.env.security.ddb.send(
        new ScanCommand({
          TableName: session.env.ledgerTable,
          FilterExpression: 'sk = :c AND attribute_exists(approval) AND attribute_not_exists(approval.answer) AND playbook = :p',
          ExpressionAttributeValues: { ':c': 'CASE', ':p': 'attack-sequence' },
        }),
      )
    ).Items;
    if (items?.[0]) return items[0].caseId as string;
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}

describe('attack-sequence: an update in a deployment that puts sequences in approval mode', () => {
  const local = useLocalSession({
    environment: { FIREBREAK_CATALOG_OVERRIDES: JSON.stringify({ 'attack-sequence-high': { mode: 'approval' } }) },
    taskTokenTimeoutMs: 15_000,
  });

  it('asks a person again, naming the new instance, and chains it only once approved', async () => {
    const { first, update } = keySequenceUpdate('5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e06');
    const twins = await buildSequenceTwins(update as unknown as GuardDutyEvent, local.session.env.member);
    const approve = (caseId: string) =>
      cli(['approve', caseId, '--reason', 'the SOC confirmed it', '--endpoint', local.session.sfn.endpoint]);
    const running = replayEvent(local.session, first, twins);
    const caseId = (await pendingApproval(local.session))!;
    expect((await approve(caseId)).stderr).toEqual([]);
    expect((await running).report.executions[0]).toMatchObject({ playbook: 'attack-sequence', outcome: 'CONTAINED', caseId });

    const updating = replayEvent(local.session, update, twins);
    expect(await pendingApproval(local.session)).toBe(caseId);
    expect(chainedFrom(local.session, caseId)).toEqual(['firebreak-credential-compromise']);
    const asked = (await readNotifications(local.session.env)).filter((n) => n.body.includes('waits for approval'));
    expect(asked).toHaveLength(2);
    expect(asked[1].body).toMatch(/sequence updated: 1 new resource\(s\), waiting for this approval: ec2-compromise \d{12} i-/);
    expect((await approve(caseId)).stderr).toEqual([]);
    expect((await updating).report.executions[0]).toMatchObject({ playbook: 'attack-sequence', outcome: 'CONTAINED', caseId });
    await local.session.sfn.settle();
    expect(chainedFrom(local.session, caseId)).toEqual(['firebreak-credential-compromise', 'firebreak-ec2-compromise']);
    expect(await instanceIsolated(local.session.env.member.ec2, twins.twin!.instanceId)).toBe(true);
  });
});
