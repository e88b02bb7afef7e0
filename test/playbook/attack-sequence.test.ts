import { DescribeInstancesCommand, DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { SFNClient } from '@aws-sdk/client-sfn';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { cli } from '../support/cli';
import { EventEnvelope, replayEvent } from '../../lib/harness/local/replay';
import { isolationGroupName } from '../../lib/core/tags';
import type { LocalSession } from '../../lib/harness/local/session';
import { useLocalSession } from '../support/local';
import { readCase } from '../support/read-back';
import { keyAndInstanceSequence, variant } from '../support/attack-sequence';
import { readNotifications } from '../../lib/harness/local/notifications';
import { Fault, FaultSchema, installFaults } from '../../lib/harness/gameday/faults';
import { CaseLedger } from '../../lib/runtime/ledger/ledger';
import { showCase } from '../../lib/operator/cases';
import { renderCase } from '../../lib/cli/render';

async function instanceIsolated(ec2: EC2Client, instanceId: string): Promise<boolean> {
  const instance = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations![0].Instances![0];
  const filter = [{ Name: 'group-name', Values: [isolationGroupName(instance.VpcId!)] }];
  const iso = ((await ec2.send(new DescribeSecurityGroupsCommand({ Filters: filter }))).SecurityGroups ?? []).map((g) => g.GroupId);
  const groups = (instance.NetworkInterfaces ?? []).map((e) => (e.Groups ?? []).map((g) => g.GroupId));
  return iso.length === 1 && groups.length > 0 && groups.every((g) => g.length === 1 && g[0] === iso[0]);
}

async function keyStatus(session: LocalSession, userName: string, accessKeyId: string) {
  const keys = (await session.env.member.iam.send(new ListAccessKeysCommand({ UserName: userName }))).AccessKeyMetadata ?? [];
  return keys.find((k) => k.AccessKeyId === accessKeyId)?.Status;
}

const chainedFrom = (session: LocalSession, caseId: string) =>
  session.sfn.list().filter((x) => (JSON.parse(x.input) as { firebreak?: { chainedFrom?: string } }).firebreak?.chainedFrom === caseId);

describe('attack-sequence: a sequence naming an access key and an instance', () => {
  const local = useLocalSession({ environment: { FIREBREAK_CLAIM_LEASE_SECONDS: '0' } });

  it('opens one sequence case, chains credential-compromise and ec2-compromise, and links the cases both ways', async () => {
    const { report, twin, credentialTwin } = await replayEvent(local.session, keyAndInstanceSequence());
    const [seq, ...chained] = report.executions;
    expect(seq).toMatchObject({ playbook: 'attack-sequence', status: 'SUCCEEDED', outcome: 'CONTAINED' });
    expect(chained.map((x) => [x.playbook, x.outcome]).sort()).toEqual([
      ['credential-compromise', 'CONTAINED'],
      ['ec2-compromise', 'CONTAINED'],
    ]);
    expect(report.checks.filter((c) => !c.passed)).toEqual([]);
    expect(report.checks.map((c) => c.name)).toContain('sequence-chained');
    // Read back from the emulator: the key is inactive, the instance on the isolation group only.
    expect(await keyStatus(local.session, credentialTwin!.userName!, credentialTwin!.accessKeyId!)).toBe('Inactive');
    expect(await instanceIsolated(local.session.env.member.ec2, twin!.instanceId)).toBe(true);
    // The ledger: the sequence case lists its chains; each chained case names the sequence case.
    const seqCase = (await readCase(local.session.env, seq.caseId!)).item!;
    const chains = Object.entries(seqCase.decisions ?? {}).filter(([k]) => k.startsWith('chain#'));
    expect(chains.map(([, v]) => (v as { playbook: string }).playbook).sort()).toEqual(['credential-compromise', 'ec2-compromise']);
    for (const x of chained) expect((await readCase(local.session.env, x.caseId!)).item?.incident?.chainedFrom).toBe(seq.caseId);
    expect(chainedFrom(local.session, seq.caseId!)).toHaveLength(2);
    // `firebreak cases show`, both ways: the sequence case lists the chained runs, each chained case names the sequence case.
    const ledger = new CaseLedger({ ddb: local.session.env.security.ddb, tableName: local.session.env.ledgerTable });
    const shown = renderCase(await showCase({ ledger }, seq.caseId!)).join('\n');
    for (const x of chainedFrom(local.session, seq.caseId!)) expect(shown).toContain(x.executionArn);
    expect(shown).toMatch(/chained {3}credential-compromise AKIA/);
    expect(shown).toMatch(/chained {3}ec2-compromise i-/);
    expect(shown).toContain('sequence  7a3c5e7f9b1d4c2e8f0a2b4c6d8e0f1a: 2 signal(s)');
    expect(shown).toMatch(
      /EC2_NETWORK_INTERFACE eni-\S+ in \d{12}\/us-east-1: EC2_NETWORK_INTERFACE eni-\S+: Firebreak has no containment for it/,
    );
    for (const x of chained) expect(renderCase(await showCase({ ledger }, x.caseId!)).join('\n')).toContain(`chained from ${seq.caseId}`);
    // With Step Functions at hand (as the CLI has it), each chained run is shown with its case.
    const sfn = new SFNClient({
      region: 'us-east-1',
      endpoint: local.session.sfn.endpoint,
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    });
    const withCases = await showCase({ ledger, sfn }, seq.caseId!);
    expect(withCases.case.chained.map((r) => [r.caseId, r.status]).sort()).toEqual(chained.map((x) => [x.caseId, 'SUCCEEDED']).sort());
    for (const x of chained) expect(renderCase(withCases).join('\n')).toContain(`case ${x.caseId} SUCCEEDED`);
  });
});

describe('attack-sequence: repeats, concurrency and crashes start each chained run once', () => {
  const local = useLocalSession({ environment: { FIREBREAK_CLAIM_LEASE_SECONDS: '0' } });

  it('a repeat of the finding is already handled and starts nothing', async () => {
    const event = variant(keyAndInstanceSequence(), 'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1');
    const first = await replayEvent(local.session, event);
    const caseId = first.report.executions[0].caseId!;
    const before = local.session.sfn.list().length;
    const again = await replayEvent(local.session, event, { twin: first.twin, credentialTwin: first.credentialTwin });
    expect(again.report.executions.map((x) => x.status)).toEqual(['ALREADY_HANDLED']);
    expect(local.session.sfn.list()).toHaveLength(before);
    expect(chainedFrom(local.session, caseId)).toHaveLength(2);
  });

  it('two deliveries at once start each chained run once', async () => {
    const built = await replayEvent(local.session, variant(keyAndInstanceSequence(), 'b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2'), {
      execute: { crashAfter: 'Normalize' },
    });
    const runs = await Promise.all([0, 1].map(() => local.session.runner.execute('attack-sequence', built.injected)));
    await local.session.sfn.settle();
    const caseId = runs.find((x) => x.caseId)!.caseId!;
    expect(runs.every((x) => x.caseId === caseId)).toBe(true);
    const chained = chainedFrom(local.session, caseId);
    expect(chained.map((x) => x.stateMachineArn.split(':').pop()).sort()).toEqual([
      'firebreak-credential-compromise',
      'firebreak-ec2-compromise',
    ]);
    expect(await keyStatus(local.session, built.credentialTwin!.userName!, built.credentialTwin!.accessKeyId!)).toBe('Inactive');
    expect(await instanceIsolated(local.session.env.member.ec2, built.twin!.instanceId)).toBe(true);
  });

  it.each(['ChainSequenceContainment', 'Notify'])('a crash right after %s converges: one chained run per resource', async (step) => {
    const id = step === 'Notify' ? 'c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3' : 'd4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4';
    const crashed = await replayEvent(local.session, variant(keyAndInstanceSequence(), id), { execute: { crashAfter: step } });
    expect(crashed.executions[0].status).toBe('CRASHED');
    const caseId = crashed.executions[0].caseId!;
    const rerun = await local.session.runner.execute('attack-sequence', crashed.injected);
    expect(rerun).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED', caseId });
    await local.session.sfn.settle();
    expect((rerun.output?.sequenceChains as { chains: { alreadyStarted: boolean }[] }).chains.map((c) => c.alreadyStarted)).toEqual([
      true,
      true,
    ]);
    expect(chainedFrom(local.session, caseId)).toHaveLength(2);
    expect(await keyStatus(local.session, crashed.credentialTwin!.userName!, crashed.credentialTwin!.accessKeyId!)).toBe('Inactive');
    expect(await instanceIsolated(local.session.env.member.ec2, crashed.twin!.instanceId)).toBe(true);
    expect((await readCase(local.session.env, caseId)).item?.status).toBe('CONTAINED');
  });
});

describe('attack-sequence: a crash right after each StartExecution converges', () => {
  const local = useLocalSession();

  it.each([1, 2])('the invocation dies right after StartExecution %i: the retry starts each chained run once', async (after) => {
    const installed = installFaults([FaultSchema.parse({ kind: 'crash', operation: 'SFN.StartExecution', after }) as Fault], {
      seed: `sequence-crash-${after}`,
      deleteResource: async () => {
        throw new Error('no resource is deleted in this test');
      },
    });
    let result: Awaited<ReturnType<typeof replayEvent>>;
    try {
      result = await replayEvent(local.session, variant(keyAndInstanceSequence(), `9${after}`.padEnd(32, '0')));
      expect(installed.reports()[0].injected).toBe(1);
    } finally {
      installed.remove();
    }
    const seq = result.executions[0];
    expect(seq).toMatchObject({ playbook: 'attack-sequence', status: 'SUCCEEDED', outcome: 'CONTAINED' });
    expect(seq.steps.find((st) => st.name === 'ChainSequenceContainment')?.invocations).toBe(2);
    await local.session.sfn.settle();
    expect(chainedFrom(local.session, seq.caseId!)).toHaveLength(2);
    expect(await keyStatus(local.session, result.credentialTwin!.userName!, result.credentialTwin!.accessKeyId!)).toBe('Inactive');
    expect(await instanceIsolated(local.session.env.member.ec2, result.twin!.instanceId)).toBe(true);
  });
});

describe('attack-sequence: what it must not do', () => {
  const local = useLocalSession();
  let n = 0;

  it('a sample sequence is a dry run: the plan names the chained starts, zero mutating calls, nothing started', async () => {
    const { report, executions } = await replayEvent(
      local.session,
      variant(keyAndInstanceSequence(), 'e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5', { sample: true }),
    );
    expect(report.executions.map((x) => x.status)).toEqual(['DRY_RUN']);
    expect(executions[0].calls.filter((c) => c.mutating)).toEqual([]);
    const plan = executions[0].output?.plan as { actions: { operation: string; target: string }[] };
    expect(plan.actions.map((a) => a.operation)).toEqual(['StepFunctions.StartExecution', 'StepFunctions.StartExecution']);
    expect(plan.actions.map((a) => a.target.split(':')[0]).sort()).toEqual(['credential-compromise', 'ec2-compromise']);
    expect(local.session.sfn.list()).toHaveLength(0);
  });

  it.each([
    ['an access key uid that is no access key ID', (r: Record<string, unknown>[]) => (r[2].uid = 'AKIA$(touch /tmp/x)')],
    ['an instance uid that is no instance ID', (r: Record<string, unknown>[]) => (r[0].uid = 'i-0b7e5d3c1a9f8e6d4/../../other')],
    ['an account that is not 12 digits', (r: Record<string, unknown>[]) => (r[0].accountId = '11111111111x')],
  ])('%s: InvalidInput, nothing started, nothing changed', async (_, mutate) => {
    // Run as received (no twin: the harness would map a hostile ID onto a real key), in the emulator's member account.
    const event = keyAndInstanceSequence(mutate) as EventEnvelope & { detail: { accountId: string } };
    event.detail.accountId = local.session.env.memberAccount;
    const before = local.session.sfn.list().length;
    const x = await local.session.runner.execute(
      'attack-sequence',
      variant(event, `f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6${String(++n).padStart(2, '0')}`),
    );
    expect(x.status).toBe('FAILED');
    expect(x.steps.find((st) => st.name === 'Normalize')).toMatchObject({ error: expect.stringContaining('InvalidInput') });
    expect(x.calls.filter((c) => c.mutating && c.account === local.session.env.memberAccount)).toEqual([]);
    expect(x.calls.filter((c) => c.operation.endsWith('StartExecution'))).toEqual([]);
    expect(local.session.sfn.list()).toHaveLength(before);
  });

  it('a sequence naming nothing containable still opens a notified case that names its resources', async () => {
    const event = variant(
      keyAndInstanceSequence((r) =>
        r.splice(0, r.length, { uid: 'example-bucket', accountId: '111111111111', resourceType: 'S3_BUCKET', region: 'us-east-1' }),
      ),
      '0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a',
    );
    const { report, executions } = await replayEvent(local.session, event);
    expect(report.executions.map((x) => [x.playbook, x.status, x.outcome])).toEqual([['attack-sequence', 'SUCCEEDED', 'NOTIFIED']]);
    expect(report.checks.filter((c) => !c.passed)).toEqual([]);
    const note = (await readNotifications(local.session.env)).find((n) => n.caseId === executions[0].caseId && n.kind === 'notify-only');
    expect(note?.body).toContain('S3_BUCKET example-bucket');
    expect(chainedFrom(local.session, executions[0].caseId!)).toHaveLength(0);
  });

  it('a resource in an account the deployment does not list is named on the case, and nothing is done to it', async () => {
    const event = variant(
      keyAndInstanceSequence((r) => {
        r[0].accountId = '999999999999';
        r[0].uid = 'i-0b7e5d3c1a9f8e6d4';
      }),
      '0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b',
    );
    const { report, executions } = await replayEvent(local.session, event);
    const seq = executions[0];
    expect(seq).toMatchObject({ playbook: 'attack-sequence', outcome: 'CONTAINED' });
    const routes = (seq.output?.incident as { sequence: { resources: { playbook?: string; why: string }[] } }).sequence.resources;
    expect(routes.filter((r) => r.playbook).map((r) => r.playbook)).toEqual(['credential-compromise']);
    expect(routes.some((r) => r.why.includes('999999999999, which the deployment does not list'))).toBe(true);
    expect(report.executions.map((x) => x.playbook).sort()).toEqual(['attack-sequence', 'credential-compromise']);
  });
});

describe('attack-sequence: a deployment that puts sequences in approval mode', () => {
  const local = useLocalSession({
    environment: { FIREBREAK_CATALOG_OVERRIDES: JSON.stringify({ 'attack-sequence-high': { mode: 'approval' } }) },
    taskTokenTimeoutMs: 15_000,
  });

  it('starts no chained run until a person approves; then chains each resource', async () => {
    const running = replayEvent(local.session, variant(keyAndInstanceSequence(), 'aa'.repeat(16)));
    let caseId: string | undefined;
    for (let i = 0; i < 100 && !caseId; i++) {
      const items = (
        await local.session.env.security.ddb.send(
          new ScanCommand({
            TableName: local.session.env.ledgerTable,
            FilterExpression: 'sk = :c AND attribute_exists(approval) AND playbook = :p',
            ExpressionAttributeValues: { ':c': 'CASE', ':p': 'attack-sequence' },
          }),
        )
      ).Items;
      caseId = items?.[0]?.caseId as string | undefined;
      if (!caseId) await new Promise((r) => setTimeout(r, 100));
    }
    expect(caseId).toBeDefined();
    expect(chainedFrom(local.session, caseId!)).toHaveLength(0);
    const r = await cli(['approve', caseId!, '--reason', 'the SOC confirmed the sequence', '--endpoint', local.session.sfn.endpoint]);
    expect(r.stderr).toEqual([]);
    const { report, credentialTwin, twin } = await running;
    expect(report.executions[0]).toMatchObject({ playbook: 'attack-sequence', status: 'SUCCEEDED', outcome: 'CONTAINED' });
    expect(chainedFrom(local.session, caseId!)).toHaveLength(2);
    expect(await keyStatus(local.session, credentialTwin!.userName!, credentialTwin!.accessKeyId!)).toBe('Inactive');
    expect(await instanceIsolated(local.session.env.member.ec2, twin!.instanceId)).toBe(true);
  });
});
