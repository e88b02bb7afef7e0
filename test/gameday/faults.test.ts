import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { GetUserCommand, ListAccessKeysCommand, ListAttachedUserPoliciesCommand, ListUserPoliciesCommand } from '@aws-sdk/client-iam';
import { InvalidInput } from '../../lib/core/errors';
import { validateDrill } from '../../lib/harness/gameday/drill';
import { runDrill } from '../../lib/harness/gameday/run-drill';
import { activeInterceptors } from '../../lib/runtime/sdk-hooks';
import { useLocalSession } from '../support/local';
import { readCase } from '../support/read-back';

/**
 * Fault injection in drills, on small drills written here: the faults really fire (counted), the
 * retry they claim is read back from the case timeline, and a drill whose expectation is wrong, or
 * whose fault never fires, fails its verdict.
 */

const FILE = 'runbooks/ec2-compromise/drill-test.yaml';
const BITCOIN = '../../fixtures/events/guardduty-ec2-bitcoin-dns.json';
const SAMPLE = '../../fixtures/events/guardduty-sample-ec2.json';

function drill(injections: Record<string, unknown>[], extra: Record<string, unknown> = {}) {
  return validateDrill(
    {
      name: 'faults-test',
      description: 'fault injection test',
      runbook: 'ec2-compromise',
      budget: { containSeconds: 60 },
      injections,
      ...extra,
    },
    FILE,
  );
}

describe('drill faults', () => {
  const local = useLocalSession();
  /** Every instance in the member account, read back from the emulator. */
  const instanceIds = async () =>
    ((await local.session.env.member.ec2.send(new DescribeInstancesCommand({}))).Reservations ?? [])
      .flatMap((r) => r.Instances ?? [])
      .map((i) => i.InstanceId)
      .sort();
  const dir = `${process.cwd()}/runbooks/ec2-compromise`;

  afterEach(() => expect(activeInterceptors()).toEqual([]));

  it('counts each injected throttle; the state machine retries the step, as the case timeline shows', async () => {
    const s = await runDrill(
      local.session,
      drill([
        {
          name: 'throttled isolation',
          event: BITCOIN,
          faults: [{ kind: 'throttle', operation: 'EC2.ModifyNetworkInterfaceAttribute', rate: 1, times: 2 }],
          expect: { behaviour: 'recover', status: 'SUCCEEDED', outcome: 'CONTAINED', checks: 'all' },
        },
      ]),
      dir,
    );
    const i = s.injections[0];
    expect(i.verdicts.filter((v) => !v.passed)).toEqual([]);
    expect(i.faults).toEqual([
      expect.objectContaining({ kind: 'throttle', operation: 'EC2.ModifyNetworkInterfaceAttribute', injected: 2, bySteps: { Contain: 2 } }),
    ]);
    expect(i.verdicts.find((v) => v.name === 'faults injected')).toMatchObject({
      passed: true,
      details: expect.stringMatching(/2 injected of \d+ matching call\(s\) in Contain×2/),
    });
    // Read back: Contain is on the timeline twice FAILED (Throttled), then SUCCEEDED.
    const { timeline } = await readCase(local.session.env, i.report.executions[0].caseId!);
    const isolate = timeline.filter((t) => t.step === 'Contain').sort((a, b) => String(a.sk).localeCompare(String(b.sk)));
    expect(isolate.map((t) => t.status)).toEqual(['FAILED', 'FAILED', 'SUCCEEDED']);
    expect(isolate[0].error.name).toBe('Throttled');
  });

  it('deletes the instance after the named step, once', async () => {
    const s = await runDrill(
      local.session,
      drill([
        {
          name: 'deleted after Contain',
          event: BITCOIN,
          faults: [{ kind: 'delete-resource', resource: 'instance', after: 'Contain' }],
          expect: { behaviour: 'recover', status: 'SUCCEEDED', outcome: 'RESOURCE_GONE', checks: 'all' },
        },
      ]),
      dir,
    );
    const i = s.injections[0];
    expect(i.faults![0]).toMatchObject({ injected: 1, bySteps: { DenyInstanceCredentials: 1 } });
    expect(i.report.executions[0].steps.find((st) => st.name === 'Contain')?.status).toBe('SUCCEEDED');
    expect(i.passed).toBe(true);
  });

  describe('on an IAM user (credential-compromise)', () => {
    const USER = '../../fixtures/events/guardduty-iamuser-anomalous.json';
    const credentialDrill = (resource: 'access-key' | 'iam-user', outcome: string) =>
      validateDrill(
        {
          name: 'faults-test-credentials',
          description: 'principal deletion test',
          runbook: 'credential-compromise',
          budget: { containSeconds: 60 },
          injections: [
            {
              name: `${resource} deleted before the event`,
              event: USER,
              mutate: { severity: 8 },
              faults: [{ kind: 'delete-resource', resource }],
              expect: { behaviour: 'recover', status: 'SUCCEEDED', outcome, checks: 'all' },
            },
          ],
        },
        'runbooks/credential-compromise/drill-test.yaml',
      );
    const credentialDir = `${process.cwd()}/runbooks/credential-compromise`;

    it("deletes the finding's access key before the event: the user is still denied and the case CONTAINED", async () => {
      const s = await runDrill(local.session, credentialDrill('access-key', 'CONTAINED'), credentialDir);
      const i = s.injections[0];
      expect(i.verdicts.filter((v) => !v.passed)).toEqual([]);
      expect(i.faults![0]).toMatchObject({
        kind: 'delete-resource',
        injected: 1,
        deleted: expect.stringMatching(/^access key AKIA\w+ of ci-deployer-\w+ \(deleted\)$/),
      });
      const [, keyId, userName] = /^access key (\S+) of (\S+)/.exec(i.faults![0].deleted!)!;
      // Read back: the key is gone, the user's other key is there and Active, the deny-all policy is on the user.
      const iam = local.session.env.member.iam;
      const keys = (await iam.send(new ListAccessKeysCommand({ UserName: userName }))).AccessKeyMetadata ?? [];
      expect(keys.map((k) => k.AccessKeyId)).not.toContain(keyId);
      expect(keys.map((k) => k.Status)).toEqual(['Active']);
      expect(((await iam.send(new ListUserPoliciesCommand({ UserName: userName }))).PolicyNames ?? []).sort()).toEqual(['deploy']);
      expect(
        ((await iam.send(new ListAttachedUserPoliciesCommand({ UserName: userName }))).AttachedPolicies ?? []).map((p) => p.PolicyArn),
      ).toEqual(['arn:aws:iam::aws:policy/AWSDenyAll']);
      expect((await readCase(local.session.env, i.report.executions[0].caseId!)).item?.status).toBe('CONTAINED');
      expect(i.report.checks.map((c) => c.name)).toEqual(
        expect.arrayContaining(['finding-key-deleted', 'deny-all-policy-on-user', 'revocation-lists-user-keys']),
      );
    });

    it('deletes the IAM user before the event: RESOURCE_GONE, and the checks read the user back as gone', async () => {
      const s = await runDrill(local.session, credentialDrill('iam-user', 'RESOURCE_GONE'), credentialDir);
      const i = s.injections[0];
      expect(i.verdicts.filter((v) => !v.passed)).toEqual([]);
      const [, userName] = /^IAM user (\S+) \(deleted\)$/.exec(i.faults![0].deleted!)!;
      await expect(local.session.env.member.iam.send(new GetUserCommand({ UserName: userName }))).rejects.toMatchObject({
        name: expect.stringMatching(/^NoSuchEntity/),
      });
      expect((await readCase(local.session.env, i.report.executions[0].caseId!)).item?.status).toBe('RESOURCE_GONE');
      expect(i.report.checks.map((c) => c.name)).toEqual(
        expect.arrayContaining(['case-status-resource-gone', 'user-really-gone', 'resource-gone-notified']),
      );
    });

    it('says why when the world has no IAM user to delete', async () => {
      await expect(
        runDrill(
          local.session,
          drill([
            {
              name: 'no user',
              event: BITCOIN,
              faults: [{ kind: 'delete-resource', resource: 'access-key' }],
              expect: { behaviour: 'recover', status: 'SUCCEEDED' },
            },
          ]),
          dir,
        ),
      ).rejects.toThrow(/delete-resource access-key: the injection's world has no IAM user/);
      expect(activeInterceptors()).toEqual([]);
    });
  });

  it('fails the verdicts of wrong expectations: a recovery stated as fail-loudly, a fault that never fires, a wrong containment count', async () => {
    const s = await runDrill(
      local.session,
      drill([
        {
          name: 'says fail-loudly, but the throttle is retried',
          event: BITCOIN,
          faults: [{ kind: 'throttle', operation: 'EC2.CopySnapshot', rate: 1, times: 1 }],
          expect: { behaviour: 'fail-loudly', status: 'FAILED', checks: 'all' },
        },
        {
          name: 'a dry run never copies a snapshot',
          event: SAMPLE,
          faults: [{ kind: 'throttle', operation: 'EC2.CopySnapshot', rate: 1 }],
          expect: { behaviour: 'recover', status: 'DRY_RUN', checks: ['dry-run-zero-mutating-calls'] },
        },
        {
          name: 'expects two containments of one finding',
          event: BITCOIN,
          repeat: { times: 2 },
          expect: { behaviour: 'recover', containments: 2, checks: 'all' },
        },
      ]),
      dir,
    );
    expect(s.passed).toBe(false);
    const failed = (n: number) => s.injections[n].verdicts.filter((v) => !v.passed).map((v) => v.name);
    expect(failed(0)).toEqual(expect.arrayContaining(['status', 'behaviour fail-loudly', 'checks']));
    expect(s.injections[0].report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
    expect(failed(1)).toEqual(['faults injected']);
    expect(s.injections[1].faults![0]).toMatchObject({ injected: 0, matchingCalls: 0 });
    expect(s.injections[1].verdicts.find((v) => v.name === 'faults injected')?.details).toMatch(/never fired: throttle EC2\.CopySnapshot/);
    expect(failed(2)).toEqual(['containments']);
    expect(s.injections[2].runs!.map((r) => r.status)).toEqual(['SUCCEEDED', 'ALREADY_HANDLED']);
  });

  it('fails the verdict of issue 10 faults that never fire, and puts the environment an injection set back', async () => {
    // A sample finding is a dry run: no DescribeInstances with ENIs, no snapshot poll, no Contain, no execution long enough to time out.
    const before = process.env.FIREBREAK_NOT_FOUND_GRACE_SECONDS;
    const s = await runDrill(
      local.session,
      drill([
        {
          name: 'nothing to fault',
          event: SAMPLE,
          environment: { FIREBREAK_NOT_FOUND_GRACE_SECONDS: 3 },
          faults: [
            { kind: 'omit-network-interfaces' },
            { kind: 'snapshots-pending' },
            { kind: 'lambda-timeout', state: 'Contain' },
            { kind: 'execution-timeout', seconds: 60 },
            { kind: 'not-found', operation: 'EC2.DescribeInstances' },
          ],
          expect: { behaviour: 'recover', status: 'DRY_RUN', checks: ['dry-run-zero-mutating-calls'] },
        },
      ]),
      dir,
    );
    const i = s.injections[0];
    expect(i.verdicts.filter((v) => !v.passed).map((v) => v.name)).toEqual(['faults injected']);
    expect(i.faults!.map((f) => [f.kind, f.injected])).toEqual([
      ['omit-network-interfaces', 0],
      ['snapshots-pending', 0],
      ['lambda-timeout', 0],
      ['execution-timeout', 0],
      ['not-found', 0],
    ]);
    expect(i.verdicts.find((v) => v.name === 'faults injected')?.details).toMatch(
      /never fired: omit-network-interfaces.*; snapshots-pending.*; lambda-timeout Contain.*; execution-timeout after 60 s; not-found EC2\.DescribeInstances/,
    );
    expect(process.env.FIREBREAK_NOT_FOUND_GRACE_SECONDS).toBe(before);
  });

  it('reads where the ENIs ended: a denial of every move leaves them unchanged, so expecting them isolated fails the checks', async () => {
    const s = await runDrill(
      local.session,
      drill([
        {
          name: 'denied, said isolated',
          event: BITCOIN,
          faults: [{ kind: 'deny', operation: 'EC2.ModifyNetworkInterfaceAttribute' }],
          expect: { behaviour: 'fail-loudly', status: 'FAILED', networkInterfaces: 'isolated', checks: 'all' },
        },
      ]),
      dir,
    );
    const i = s.injections[0];
    expect(i.verdicts.filter((v) => !v.passed).map((v) => v.name)).toEqual(['checks']);
    const failed = i.report.checks.filter((c) => !c.passed);
    expect(failed.map((c) => c.name)).toEqual([expect.stringMatching(/^eni-isolated:eni-/)]);
    // Read back independently: the ENI is on exactly its own groups, and the not-wider check passed.
    expect(i.report.checks.find((c) => c.name.startsWith('eni-not-wider:'))?.passed).toBe(true);
    expect(failed[0].details).toMatch(/^on (sg-\w+); its own groups: \1$/);
  });

  it('removes the faults even when the injection throws', async () => {
    // The sample finding names no instance: the deletion cannot happen, and runDrill says why.
    await expect(
      runDrill(
        local.session,
        drill([
          {
            name: 'nothing to delete',
            event: SAMPLE,
            faults: [
              { kind: 'delete-resource', resource: 'instance' },
              { kind: 'throttle', operation: 'EC2.DescribeInstances' },
            ],
            expect: { behaviour: 'recover', status: 'DRY_RUN' },
          },
        ]),
        dir,
      ),
    ).rejects.toThrow(/delete-resource instance: the injection's world has no instance/);
    expect(activeInterceptors()).toEqual([]);
  });

  it('refuses a step budget or a deletion point that is not a state of the runbook, before injecting anything', async () => {
    for (const [extra, injection, message] of [
      [
        { budget: { containSeconds: 60, stepSeconds: { Contai: 5 } } },
        {},
        /budget\.stepSeconds names Contai, which is not a state of the ec2-compromise state machine \(states: .*Contain/,
      ],
      [
        {},
        { faults: [{ kind: 'delete-resource', resource: 'instance', after: 'Preserved' }] },
        /injections\.0\.faults\.0\.after names Preserved, which is not a state/,
      ],
      [
        {},
        { faults: [{ kind: 'lambda-timeout', state: 'Isolat' }] },
        /injections\.0\.faults\.0\.state names Isolat, which is not a state of the ec2-compromise state machine/,
      ],
    ] as const) {
      const d = drill([{ name: 'x', event: BITCOIN, expect: { behaviour: 'recover', status: 'SUCCEEDED' }, ...injection }], extra);
      // Nothing built or started: no instance twinned, no interceptor left (read back from the emulator).
      const instancesBefore = await instanceIds();
      const err = await runDrill(local.session, d, dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidInput);
      expect((err as Error).message).toMatch(message);
      expect(await instanceIds()).toEqual(instancesBefore);
      expect(activeInterceptors()).toEqual([]);
    }
  });
});
