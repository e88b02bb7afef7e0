import { readEventFile } from '../../lib/harness/local/replay';
import { buildTwinWorld, TwinWorld } from '../../lib/harness/local/twin';
import type { GuardDutyEvent } from '../../lib/core/incident/schema';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { cli } from '../support/cli';
import { registerSdkInterceptor } from '../../lib/runtime/sdk-hooks';
import { casesForResource, readCase, readContainment } from '../support/read-back';
import { useLocalSession } from '../support/local';
import { HEAVY_MODULE, spawnCli } from '../support/spawn-cli';

const TWO_ENIS = 'fixtures/events/guardduty-ec2-backdoor-two-enis-ipv6.json';

describe('operator commands (run, status, cases) against a local stack', () => {
  const local = useLocalSession();
  let twin: TwinWorld;
  let endpoint: string;

  beforeAll(async () => {
    endpoint = local.session.sfn.endpoint;
    twin = await buildTwinWorld(readEventFile(TWO_ENIS) as unknown as GuardDutyEvent, local.session.env.member);
  }, 120_000);

  it('dry-runs a manual containment: the plan, and nothing changes', async () => {
    const before = await readContainment(local.session.env, twin.instanceId, twin.vpcId);
    const r = await cli([
      'run',
      'ec2-compromise',
      '--instance',
      twin.instanceId,
      '--reason',
      'suspected beaconing',
      '--dry-run',
      '--wait',
      '--json',
      '--endpoint',
      endpoint,
    ]);
    expect(r.stderr).toEqual([]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout.join('\n'));
    expect(out).toMatchObject({ action: 'started', end: { status: 'SUCCEEDED', output: { outcome: 'DRY_RUN' } } });
    expect(out.end.output.plan.actions.map((a: { operation: string }) => a.operation)).toContain('EC2.ModifyNetworkInterfaceAttribute');
    const after = await readContainment(local.session.env, twin.instanceId, twin.vpcId);
    expect(after).toEqual(before);
    expect(await casesForResource(local.session.env, twin.instanceId)).toEqual([]);
  });

  it("prints a dry run's plan as text, one line per change, and suggests no command that fails", async () => {
    const r = await cli([
      'run',
      'ec2-compromise',
      '--instance',
      twin.instanceId,
      '--reason',
      'what would it do',
      '--dry-run',
      '--wait',
      '--endpoint',
      endpoint,
    ]);
    expect(r.stderr).toEqual([]);
    expect(r.code).toBe(0);
    const at = r.stdout.findIndex((l) => l.startsWith('  plan (dry run, nothing changed):'));
    expect(at).toBeGreaterThan(-1);
    const planLines = r.stdout.slice(at + 1).filter((l) => l.startsWith('    '));
    expect(planLines).toEqual(expect.arrayContaining([expect.stringMatching(/^ {4}EC2\.ModifyNetworkInterfaceAttribute +eni-\w+ +\S/)]));
    // Every firebreak command it suggests runs.
    for (const line of r.stdout.filter((l) => l.includes('firebreak '))) {
      const suggested = line
        .slice(line.indexOf('firebreak ') + 'firebreak '.length)
        .trim()
        .split(/\s+/);
      const ran = await cli([...suggested, '--endpoint', endpoint]);
      expect({ line, code: ran.code, stderr: ran.stderr }).toEqual({ line, code: 0, stderr: [] });
    }
  });

  let caseId: string;
  let executionArn: string;

  it('contains the instance, following it state by state, with the operator on the timeline', async () => {
    const r = await cli([
      'run',
      'ec2-compromise',
      '--instance',
      twin.instanceId,
      '--reason',
      'confirmed C2 traffic',
      '--wait',
      '--endpoint',
      endpoint,
    ]);
    expect(r.stderr).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout[0]).toMatch(
      /^Started ec2-compromise on instance i-\w+ \(111111111111\/us-east-1\) as arn:aws:iam::222222222222:user\/firebreak-local-operator$/,
    );
    for (const step of ['Triage', 'Contain', 'WriteManifest', 'Notify']) {
      expect(r.stdout).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^  ok   ${step}\\s+\\d+\\.\\d s$`))]));
    }
    const last = r.stdout.find((l) => l.startsWith('SUCCEEDED'))!;
    expect(last).toMatch(/outcome CONTAINED {2}case fb-\d{8}-[0-9a-f]{10}/);
    caseId = /case (fb-\S+)/.exec(last)![1];
    executionArn = /execution (\S+)/.exec(r.stdout.join('\n'))![1];

    // Read back from the emulator: every ENI on the isolation group only.
    const state = await readContainment(local.session.env, twin.instanceId, twin.vpcId);
    expect(state.enis.length).toBe(2);
    for (const eni of state.enis) expect(eni.groups).toEqual([state.isolation[0].GroupId]);
    const { item, timeline } = await readCase(local.session.env, caseId);
    expect(item).toMatchObject({
      status: 'CONTAINED',
      incident: { trigger: 'manual', reason: 'confirmed C2 traffic', operator: 'arn:aws:iam::222222222222:user/firebreak-local-operator' },
    });
    expect(timeline.find((t) => t.step === 'Claim')).toMatchObject({ trigger: 'manual' });
  });

  it('attaches a second run on the same target to the open case instead of containing again', async () => {
    const executions = local.session.sfn.list().length;
    const r = await cli(['run', 'ec2-compromise', '--instance', twin.instanceId, '--reason', 'again', '--endpoint', endpoint]);
    expect(r.code).toBe(0);
    expect(r.stdout[0]).toBe(
      `Attached to open case ${caseId} (CONTAINED): ec2-compromise on instance ${twin.instanceId} (111111111111/us-east-1); nothing new was started.`,
    );
    expect(local.session.sfn.list()).toHaveLength(executions);
    expect((await casesForResource(local.session.env, twin.instanceId)).map((c) => c.caseId)).toEqual([caseId]);
  });

  it('shows the status of the case and of its execution', async () => {
    const byCase = await cli(['status', caseId, '--endpoint', endpoint, '--json']);
    expect(byCase.code).toBe(0);
    expect(JSON.parse(byCase.stdout.join('\n'))).toMatchObject({
      case: { caseId, status: 'CONTAINED' },
      execution: { executionArn, status: 'SUCCEEDED' },
      lastStep: { step: 'Notify' },
    });
    const byArn = await cli(['status', executionArn, '--endpoint', endpoint]);
    expect(byArn.code).toBe(0);
    expect(byArn.stdout[0]).toBe(`case ${caseId}  CONTAINED  ec2-compromise on ${twin.instanceId} (111111111111/us-east-1)`);
    expect(byArn.stdout[1]).toMatch(new RegExp(`^execution ${executionArn.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}  SUCCEEDED`));
  });

  it('status, run as ./firebreak against the local stack, reads the case and loads no CDK, cdk-nag, local-runner or harness module', async () => {
    const r = await spawnCli(['status', caseId, '--endpoint', endpoint, '--json']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(JSON.parse(r.stdout)).toMatchObject({ case: { caseId, status: 'CONTAINED' }, execution: { executionArn, status: 'SUCCEEDED' } });
    expect(r.modules).toEqual(expect.arrayContaining([expect.stringMatching(/[\\/]lib[\\/]operator[\\/]cases\.[jt]s$/)]));
    expect(r.modules.filter((m) => HEAVY_MODULE.test(m))).toEqual([]);
  });

  it('lists open cases and shows a case with its timeline, prior state and evidence', async () => {
    const list = await cli(['cases', 'list', '--open', '--json', '--endpoint', endpoint]);
    expect(JSON.parse(list.stdout.join('\n'))).toEqual(
      expect.arrayContaining([expect.objectContaining({ caseId, status: 'CONTAINED', resourceId: twin.instanceId, trigger: 'manual' })]),
    );
    const other = await cli(['cases', 'list', '--account', '333333333333', '--json', '--endpoint', endpoint]);
    expect(JSON.parse(other.stdout.join('\n'))).toEqual([]);
    const text = await cli(['cases', 'list', '--endpoint', endpoint]);
    expect(text.stdout[0]).toMatch(/^CASE\s+STATUS\s+PLAYBOOK/);

    const show = await cli(['cases', 'show', caseId, '--json', '--endpoint', endpoint]);
    const detail = JSON.parse(show.stdout.join('\n'));
    expect(Object.keys(detail.case.priorState).sort()).toEqual(['instanceCredentials', 'isolate', 'preserve']);
    expect(Object.keys(detail.case.evidence)).toEqual(expect.arrayContaining(['manifest']));
    const isolate = detail.timeline.find((t: { step: string }) => t.step === 'Contain');
    expect(isolate).toMatchObject({ status: 'SUCCEEDED', trigger: 'manual' });
    expect(isolate.apiCalls['EC2.ModifyNetworkInterfaceAttribute']).toBeGreaterThanOrEqual(4);
    const human = await cli(['cases', 'show', caseId, '--endpoint', endpoint]);
    expect(human.stdout[0]).toBe(`case ${caseId}  CONTAINED`);
    expect(human.stdout.some((l) => /SUCCEEDED\s+Contain\s+manual run-/.test(l))).toBe(true);
    expect(human.stdout.some((l) => /calls: .*EC2\.ModifyNetworkInterfaceAttribute×\d/.test(l))).toBe(true);
  });

  it('releases the case: each ENI back on exactly its original groups; a second release starts nothing; a new run opens a new case', async () => {
    const r = await cli(['release', caseId, '--reason', 'false positive: sanctioned pentest', '--wait', '--endpoint', endpoint]);
    expect(r.stderr).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout[0]).toBe(`Started release of case ${caseId} as arn:aws:iam::222222222222:user/firebreak-local-operator`);
    expect(r.stdout).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ {2}ok {3}ReleaseInstance\s/),
        expect.stringMatching(/^SUCCEEDED {2}outcome RELEASED/),
      ]),
    );
    const state = await readContainment(local.session.env, twin.instanceId, twin.vpcId);
    for (const eni of state.enis) expect([eni.id, [...eni.groups].sort()]).toEqual([eni.id, [...twin.originalGroupsByEni[eni.id]].sort()]);
    expect(state.terminationProtection).toBe(false);
    expect((await readCase(local.session.env, caseId)).item).toMatchObject({ status: 'RELEASED' });
    const status = JSON.parse((await cli(['status', caseId, '--json', '--endpoint', endpoint])).stdout.join('\n'));
    expect(status).toMatchObject({
      case: { status: 'RELEASED' },
      execution: { executionArn: expect.stringContaining(':execution:firebreak-release:release-'), status: 'SUCCEEDED' },
    });

    const again = await cli(['release', caseId, '--reason', 'again please', '--endpoint', endpoint]);
    expect(again.code).toBe(0);
    expect(again.stdout[0]).toMatch(new RegExp(`^Case ${caseId} was already released at .*; nothing was started\\.$`));

    const rerun = await cli([
      'run',
      'ec2-compromise',
      '--instance',
      twin.instanceId,
      '--reason',
      'it came back',
      '--wait',
      '--json',
      '--endpoint',
      endpoint,
    ]);
    expect(rerun.code).toBe(0);
    const out = JSON.parse(rerun.stdout.join('\n'));
    expect(out).toMatchObject({ action: 'started', end: { status: 'SUCCEEDED', output: { outcome: 'CONTAINED' } } });
    expect(out.executionName).toMatch(/-v[1-9]\d*$/);
    const cases = await casesForResource(local.session.env, twin.instanceId);
    expect(cases.map((c) => c.status).sort()).toEqual(['CONTAINED', 'RELEASED']);
  });

  it('refuses to release a case with nothing to release, in one line with exit 2', async () => {
    const r = await cli(['release', 'fb-20200101-0000000000', '--reason', 'no such case', '--endpoint', endpoint]);
    expect(r.code).toBe(2);
    expect(r.stderr).toEqual([expect.stringMatching(/no case fb-20200101-0000000000 in the ledger/)]);
  });

  it('ends a run on a role that does not exist RESOURCE_GONE (exit 0), naming the step that found it gone', async () => {
    const r = await cli(['run', 'credential-compromise', '--role', 'no-such-role', '--reason', 'test', '--wait', '--endpoint', endpoint]);
    expect(r.code).toBe(0);
    expect(r.stdout).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ {2}FAIL RevokeCredentials\s+\d+\.\d s {2}ResourceGone: .*no-such-role/),
        expect.stringMatching(/^SUCCEEDED {2}outcome RESOURCE_GONE {2}case fb-/),
      ]),
    );
  });

  it('reports a failed execution with exit 1, the failing step and its error', async () => {
    const world = await buildTwinWorld(readEventFile(TWO_ENIS) as unknown as GuardDutyEvent, local.session.env.member);
    // Fault injection (the emulator grants everything): the member role is denied isolating ENIs.
    const remove = registerSdkInterceptor({
      before: (call) => {
        if (call.operation === 'EC2.ModifyNetworkInterfaceAttribute')
          throw Object.assign(new Error('User is not authorized to perform: ec2:ModifyNetworkInterfaceAttribute'), {
            name: 'UnauthorizedOperation',
            $metadata: { httpStatusCode: 403 },
          });
      },
    });
    try {
      const r = await cli([
        'run',
        'ec2-compromise',
        '--instance',
        world.instanceId,
        '--reason',
        'denied drill',
        '--wait',
        '--endpoint',
        endpoint,
      ]);
      expect(r.code).toBe(1);
      expect(r.stdout).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^ {2}FAIL Contain\s+\d+\.\d s {2}AccessDenied: .*ModifyNetworkInterfaceAttribute/),
          expect.stringMatching(/^FAILED {2}outcome - /),
          expect.stringMatching(/^ {2}failed step: Contain: AccessDenied: .*not authorized/),
        ]),
      );
    } finally {
      remove();
    }
  });

  it.each([
    [['run', 'ec2-compromise', '--reason', 'x y z'], /a target is required/],
    [['run', 'ec2-compromise', '--instance', 'i-0123456789abcdef0'], /--reason TEXT is required/],
    [['run', 'ec2-compromise', '--instance', 'web-1', '--reason', 'bad id'], /instanceId: must be an instance ID/],
    [['run', 'credential-compromise', '--instance', 'i-0123456789abcdef0', '--reason', 'wrong kind'], /cannot act on a instance target/],
    [['run', 'credential-compromise', '--access-key', 'AKIAEXAMPLE123456789', '--reason', 'no user'], /--access-key needs --user/],
    [['run', 'ec2-compromise', '--instance', 'i-0123456789abcdef0', '--role', 'r', '--reason', 'two'], /one target only/],
    [['run', 'root-activity', '--role', 'r', '--reason', 'nope'], /only ec2-compromise and credential-compromise/],
    [
      ['run', 'ec2-compromise', '--instance', 'i-0123456789abcdef0', '--account', '12', '--reason', 'bad account'],
      /account: must be a 12-digit account ID/,
    ],
    [
      ['run', 'ec2-compromise', '--instance', 'i-0123456789abcdef0', '--region', 'mars', '--reason', 'bad region'],
      /region: must be a region/,
    ],
    [['status', 'case-1'], /is not a case ID/],
    [['cases', 'show', 'nope'], /is not a case ID/],
    [['cases', 'list', '--account', 'x'], /must be a 12-digit account ID/],
    [['release', 'fb-20261129-0123456789'], /--reason TEXT is required/],
    [['release', 'nope', '--reason', 'why not'], /is not a case ID/],
    [['approve', 'nope'], /is not a case ID/],
    [['deny', 'fb-20261129-0123456789'], /deny needs --reason/],
  ])('rejects %j with one line and exit 2, before connecting anywhere', async (argv, message) => {
    // The endpoint has nothing listening: reaching it would fail with "no local stack answers".
    const r = await cli([...argv, '--endpoint', 'http://127.0.0.1:9']);
    expect(r.code).toBe(2);
    expect(r.stdout).toEqual([]);
    expect(r.stderr).toEqual([expect.stringMatching(message)]);
    expect(r.stderr[0]).toMatch(/^firebreak: error: /);
  });

  it('prints what a member account could have written escaped: no control or bidirectional character reaches the terminal', async () => {
    // A case whose resource ID and finding type carry ANSI sequences, a carriage return and a right-to-left override
    // (a forged event, or a tampered item), written straight into the ledger.
    const hostile = 'i-0abc\u001b[2J\u001b[31mOWNED\r\u202eexe.txt';
    const caseId = 'fb-20261202-00000000aa';
    const now = new Date().toISOString();
    await local.session.env.security.ddb.send(
      new PutCommand({
        TableName: local.session.env.ledgerTable,
        Item: {
          pk: `CASE#${caseId}`,
          sk: 'CASE',
          caseId,
          playbook: 'ec2-compromise',
          account: '111111111111',
          region: 'us-east-1',
          resourceId: hostile,
          status: 'FAILED',
          createdAt: now,
          updatedAt: now,
          findingIds: new Set(['f-1']),
          priorState: {},
          evidence: {},
          notifications: {},
          decisions: {},
          incident: { trigger: 'auto', finding: { id: 'f-1', type: `Backdoor:EC2/C&CActivity.B\u001b]0;title\u0007`, severity: 8 } },
        },
      }),
    );
    // eslint-disable-next-line no-control-regex
    const raw = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/;
    const list = await cli(['cases', 'list', '--endpoint', endpoint]);
    const row = list.stdout.find((l) => l.startsWith(caseId))!;
    expect(row).toContain('i-0abc\\u001b[2J\\u001b[31mOWNED\\u000d\\u202eexe.txt');
    for (const out of [
      list,
      await cli(['cases', 'show', caseId, '--endpoint', endpoint]),
      await cli(['status', caseId, '--endpoint', endpoint]),
    ]) {
      expect(out.stdout.filter((l) => raw.test(l))).toEqual([]);
    }
    // --json stays valid JSON and gives back exactly what the ledger holds.
    const json = await cli(['cases', 'list', '--json', '--endpoint', endpoint]);
    expect(json.stdout.some((l) => raw.test(l))).toBe(false);
    expect(JSON.parse(json.stdout.join('\n')).find((c: { caseId: string }) => c.caseId === caseId).resourceId).toBe(hostile);
  });

  it('rejects an endpoint that is not a local stack with one line and exit 2', async () => {
    const r = await cli(['cases', 'list', '--endpoint', local.session.env.endpoint]);
    expect(r.code).toBe(2);
    expect(r.stderr).toEqual([expect.stringMatching(/is not a Firebreak local stack/)]);
  });

  it.each([['run'], ['status'], ['cases', 'list'], ['cases', 'show'], ['release'], ['approve'], ['deny'], ['local', 'up']])(
    'documents arguments and exit codes in %j --help',
    async (...cmd) => {
      const r = await cli([...cmd, '--help']);
      expect(r.code).toBe(0);
      const help = r.stdout.join('\n');
      expect(help).toMatch(/Usage: firebreak /);
      expect(help).toMatch(/Exit codes:\n {2}0 .*\n {2}1 .*\n {2}2 /);
    },
  );
});
