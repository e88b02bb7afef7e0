import {
  AddRoleToInstanceProfileCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetInstanceProfileCommand,
  GetRolePolicyCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  RemoveRoleFromInstanceProfileCommand,
} from '@aws-sdk/client-iam';
import { readEventFile, replayEvent, EventEnvelope } from '../../lib/harness/local/replay';
import type { LocalSession } from '../../lib/harness/local/session';
import type { TwinWorld } from '../../lib/harness/local/twin';
import { instanceCredentialsDenyPolicy, instanceCredentialsPolicyName } from '../../lib/runtime/iam/instance-credentials';
import { parsePolicyDocument, policyText, ROLE_SESSION_REVOCATION_POLICY_NAME } from '../../lib/runtime/iam/policies';
import { markInvocationCrashed, registerSdkInterceptor } from '../../lib/runtime/sdk-hooks';
import { currentCallContext } from '../../lib/runtime/telemetry';
import { readNotifications } from '../../lib/harness/local/notifications';
import { useLocalSession } from '../support/local';
import { readCase } from '../support/read-back';

/*
 * ec2-compromise's deny on the instance role scoped to the contained instance (issue 15, item 1), on the emulator with
 * the synthesized state machine and the real handlers: every outcome is read back from IAM with the harness's own
 * client (GetInstanceProfile → the role → ListRolePolicies / GetRolePolicy), never from the step's return value.
 */

const BITCOIN = 'fixtures/events/guardduty-ec2-bitcoin-dns.json';
const BACKDOOR = 'fixtures/events/guardduty-ec2-backdoor-two-enis-ipv6.json';
const OPERATOR = 'arn:aws:iam::222222222222:user/firebreak-local-operator';
const EC2_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

/** The role of the twin's instance profile, read from IAM. */
async function roleOf(session: LocalSession, twin: TwinWorld): Promise<string> {
  const name = twin.instanceProfileArn.split('/').pop()!;
  return (await session.env.member.iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }))).InstanceProfile!.Roles![0]
    .RoleName!;
}

/** Every inline policy of a role, name → canonical document, read from IAM. */
async function rolePolicies(session: LocalSession, roleName: string): Promise<Record<string, string>> {
  const iam = session.env.member.iam;
  const names = (await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames ?? [];
  const docs = await Promise.all(
    names.map(async (n) => [
      n,
      JSON.stringify(
        parsePolicyDocument((await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: n }))).PolicyDocument!),
      ),
    ]),
  );
  return Object.fromEntries(docs);
}

/** The document Firebreak writes for an instance of the emulator's member account. */
function denyOf(session: LocalSession, instanceId: string): string {
  return policyText(instanceCredentialsDenyPolicy(`arn:aws:ec2:${session.env.region}:${session.env.memberAccount}:instance/${instanceId}`));
}

/** The IAM calls of an execution that change something. */
const iamMutations = (calls: readonly { operation: string; mutating: boolean }[]) =>
  calls.filter((c) => c.mutating && c.operation.startsWith('IAM.'));

/** A copy of a fixture whose instance profile (so the twin's role, `<profile>-role`) is named `profile`. */
function withProfile(file: string, profile: string): EventEnvelope {
  const e = JSON.parse(JSON.stringify(readEventFile(file)));
  e.detail.resource.instanceDetails.iamInstanceProfile.arn = `arn:aws:iam::${e.detail.accountId}:instance-profile/${profile}`;
  return e;
}

describe('ec2-compromise: the instance role denied to the contained instance only', () => {
  // A zero lease lets a re-run take over a crashed execution's claim at once.
  const local = useLocalSession({ environment: { FIREBREAK_CLAIM_LEASE_SECONDS: '0' } });

  it('writes the deny on the role, reads it back, and a second instance of the same role gets its own policy', async () => {
    const { session } = local;
    const first = await replayEvent(session, withProfile(BITCOIN, 'shared-app'));
    expect(first.report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
    const role = await roleOf(session, first.twin!);
    const a = first.twin!.instanceId;
    expect(await rolePolicies(session, role)).toEqual({ [instanceCredentialsPolicyName(a)]: denyOf(session, a) });
    const { item, timeline } = await readCase(session.env, first.report.executions[0].caseId!);
    expect(item?.priorState?.instanceCredentials).toEqual({ roleName: role, policyName: instanceCredentialsPolicyName(a) });
    expect(timeline.find((t) => t.step === 'DenyInstanceCredentials')).toMatchObject({
      status: 'SUCCEEDED',
      details: { status: 'denied', verified: true },
    });
    expect(first.report.checks.find((c) => c.name === 'instance-credentials-denied')).toMatchObject({ passed: true });

    // Another instance with the same profile and role: its own policy; the first one's stays as it was.
    const second = await replayEvent(session, withProfile(BACKDOOR, 'shared-app'));
    expect(second.report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
    const b = second.twin!.instanceId;
    expect(await roleOf(session, second.twin!)).toBe(role);
    expect(await rolePolicies(session, role)).toEqual({
      [instanceCredentialsPolicyName(a)]: denyOf(session, a),
      [instanceCredentialsPolicyName(b)]: denyOf(session, b),
    });

    // A repeat of the finding is already handled: no IAM write.
    const repeat = JSON.parse(JSON.stringify(first.injected));
    repeat.detail.service.count += 1;
    const again = await replayEvent(session, repeat, { twin: first.twin });
    expect(again.report.executions[0].status).toBe('ALREADY_HANDLED');
    expect(iamMutations(again.executions[0].calls)).toEqual([]);
    expect(Object.keys(await rolePolicies(session, role))).toHaveLength(2);
  });

  it('converges when the step runs twice: the second run reads the policy and writes nothing', async () => {
    const { session } = local;
    const crashed = await replayEvent(session, withProfile(BITCOIN, 'rerun-app'), { execute: { crashAfter: 'DenyInstanceCredentials' } });
    expect(crashed.executions[0].status).toBe('CRASHED');
    expect(iamMutations(crashed.executions[0].calls).map((c) => c.operation)).toEqual(['IAM.PutRolePolicy']);
    const rerun = await session.runner.execute('ec2-compromise', crashed.injected);
    expect(rerun).toMatchObject({ status: 'SUCCEEDED', caseId: crashed.executions[0].caseId });
    expect(iamMutations(rerun.calls)).toEqual([]);
    const id = crashed.twin!.instanceId;
    expect(await rolePolicies(session, await roleOf(session, crashed.twin!))).toEqual({
      [instanceCredentialsPolicyName(id)]: denyOf(session, id),
    });
  });

  it("a re-run after the profile's role was swapped acts on the role it recorded, never writes on the new one", async () => {
    const { session } = local;
    const iam = session.env.member.iam;
    const crashed = await replayEvent(session, withProfile(BITCOIN, 'swapped-app'), { execute: { crashAfter: 'DenyInstanceCredentials' } });
    expect(crashed.executions[0].status).toBe('CRASHED');
    const first = await roleOf(session, crashed.twin!);
    const profile = crashed.twin!.instanceProfileArn.split('/').pop()!;
    // Between the runs, someone puts another role in the (disassociated) profile.
    await iam.send(new CreateRoleCommand({ RoleName: 'swapped-in-role', AssumeRolePolicyDocument: EC2_TRUST }));
    await iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: profile, RoleName: first }));
    await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: profile, RoleName: 'swapped-in-role' }));
    const rerun = await session.runner.execute('ec2-compromise', crashed.injected);
    expect(rerun).toMatchObject({ status: 'SUCCEEDED', caseId: crashed.executions[0].caseId });
    const id = crashed.twin!.instanceId;
    // Read back: the deny stays on the role the case recorded (the one release removes it from); the new role is untouched.
    expect(await rolePolicies(session, first)).toEqual({ [instanceCredentialsPolicyName(id)]: denyOf(session, id) });
    expect(await rolePolicies(session, 'swapped-in-role')).toEqual({});
    expect((await readCase(session.env, rerun.caseId!)).item?.priorState?.instanceCredentials).toMatchObject({ roleName: first });
  });

  it('a re-run after the recorded role was deleted ends the step with no-role, and the case goes on', async () => {
    const { session } = local;
    const iam = session.env.member.iam;
    const crashed = await replayEvent(session, withProfile(BITCOIN, 'deleted-app'), { execute: { crashAfter: 'DenyInstanceCredentials' } });
    const first = await roleOf(session, crashed.twin!);
    const profile = crashed.twin!.instanceProfileArn.split('/').pop()!;
    await iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: profile, RoleName: first }));
    for (const name of Object.keys(await rolePolicies(session, first)))
      await iam.send(new DeleteRolePolicyCommand({ RoleName: first, PolicyName: name }));
    await iam.send(new DeleteRoleCommand({ RoleName: first }));
    const rerun = await session.runner.execute('ec2-compromise', crashed.injected);
    expect(rerun).toMatchObject({ status: 'SUCCEEDED', caseId: crashed.executions[0].caseId });
    const { timeline } = await readCase(session.env, rerun.caseId!);
    expect(timeline.filter((t) => t.step === 'DenyInstanceCredentials').at(-1)).toMatchObject({
      status: 'SUCCEEDED',
      details: { status: 'no-role' },
    });
  });

  // Every mutating call DenyInstanceCredentials makes: the prior state's UpdateItem, PutRolePolicy, the timeline's PutItem.
  it.each(['DynamoDB.UpdateItem', 'IAM.PutRolePolicy', 'DynamoDB.PutItem'])(
    'converges after a crash right after its %s took effect (retried by the state machine)',
    async (operation) => {
      const { session } = local;
      const crashed = new Set<string>();
      let crashes = 0;
      const remove = registerSdkInterceptor({
        before: () => {
          const { invocationId } = currentCallContext();
          if (invocationId && crashed.has(invocationId)) throw new Error('the function crashed');
        },
        after: (call) => {
          const { step, invocationId } = currentCallContext();
          // The step's own calls, and its timeline entry (written after them, named in the item).
          const ours = step === 'DenyInstanceCredentials' || JSON.stringify(call.input).includes('"DenyInstanceCredentials"');
          if (call.operation !== operation || !ours || crashes++ > 0 || !invocationId) return;
          crashed.add(invocationId);
          markInvocationCrashed(invocationId);
          throw new Error(`the function crashed right after ${operation}`);
        },
      });
      let out;
      try {
        out = await replayEvent(session, withProfile(BACKDOOR, `crash-${operation.split('.')[1].toLowerCase()}`));
      } finally {
        remove();
      }
      expect(crashes).toBeGreaterThan(0);
      const x = out.executions[0];
      expect(x).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
      // One write of the policy in all: the retry read what the crashed attempt wrote, if it got that far.
      expect(iamMutations(x.calls).map((c) => c.operation)).toEqual(['IAM.PutRolePolicy']);
      const id = out.twin!.instanceId;
      const role = await roleOf(session, out.twin!);
      expect(await rolePolicies(session, role)).toEqual({ [instanceCredentialsPolicyName(id)]: denyOf(session, id) });
      const { item, timeline } = await readCase(session.env, x.caseId!);
      expect(item?.priorState?.instanceCredentials).toEqual({ roleName: role, policyName: instanceCredentialsPolicyName(id) });
      // A crashed invocation writes no entry of its own (one that crashed after writing it leaves it, as any step would):
      // every SUCCEEDED entry says the deny was written and read back.
      const done = timeline.filter((t) => t.step === 'DenyInstanceCredentials' && t.status === 'SUCCEEDED');
      expect(done.length).toBeGreaterThanOrEqual(1);
      for (const t of done) expect(t.details).toMatchObject({ status: 'denied', verified: true });
    },
  );

  it("records the role's earlier policy of the same name, and release puts it back; release of a deny it wrote removes it, twice over", async () => {
    const { session } = local;
    const release = (caseId: string) =>
      session.runner.execute('release', { release: { caseId, reason: 'false positive: sanctioned test', operator: OPERATOR } });
    const first = await replayEvent(session, withProfile(BITCOIN, 'release-app'));
    const second = await replayEvent(session, withProfile(BACKDOOR, 'release-app'));
    const role = await roleOf(session, first.twin!);
    const [a, b] = [first.twin!.instanceId, second.twin!.instanceId];

    const x = await release(first.report.executions[0].caseId!);
    expect(x.status).toBe('SUCCEEDED');
    expect(x.calls.filter((c) => c.operation === 'IAM.DeleteRolePolicy')).toHaveLength(1);
    // Only the first instance's deny is gone; the second instance stays denied.
    expect(await rolePolicies(session, role)).toEqual({ [instanceCredentialsPolicyName(b)]: denyOf(session, b) });
    const again = await release(first.report.executions[0].caseId!);
    expect(iamMutations(again.calls)).toEqual([]);

    // A deny of the second instance's name that someone changed since containment is left as it is, and reported.
    const changed = JSON.parse(denyOf(session, b));
    changed.Statement[0].Sid = 'ChangedByHand';
    await session.env.member.iam.send(
      new PutRolePolicyCommand({ RoleName: role, PolicyName: instanceCredentialsPolicyName(b), PolicyDocument: JSON.stringify(changed) }),
    );
    const y = await release(second.report.executions[0].caseId!);
    expect(y.status).toBe('SUCCEEDED');
    expect(iamMutations(y.calls)).toEqual([]);
    expect(JSON.stringify(y.output)).toMatch(/not the deny of .* this case wrote, nor the one from before containment; left as it is/);
    expect(Object.keys(await rolePolicies(session, role))).toEqual([instanceCredentialsPolicyName(b)]);
    expect(a).not.toBe(b);
  });

  it("leaves Firebreak's own role untouched, records why, and says so in the notification", async () => {
    const { session } = local;
    // The twin's role is `<profile>-role`: `firebreak-app-role` is one of Firebreak's own by name (protectedRoleReason).
    const out = await replayEvent(session, withProfile(BITCOIN, 'firebreak-app'));
    expect(out.report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
    expect(await roleOf(session, out.twin!)).toBe('firebreak-app-role');
    expect(await rolePolicies(session, 'firebreak-app-role')).toEqual({});
    expect(iamMutations(out.executions[0].calls)).toEqual([]);
    const { item, timeline } = await readCase(session.env, out.report.executions[0].caseId!);
    expect(item?.priorState?.instanceCredentials).toBeUndefined();
    expect(timeline.find((t) => t.step === 'DenyInstanceCredentials')?.details).toMatchObject({
      status: 'protected',
      reason: expect.stringMatching(/Firebreak's own roles: never touched/),
    });
    expect(out.report.checks.find((c) => c.name === 'instance-credentials-denied')).toMatchObject({ passed: false });
    const told = (await readNotifications(session.env)).filter(
      (n) => n.caseId === out.report.executions[0].caseId && n.kind === 'contained',
    );
    expect(told).toHaveLength(1);
    expect(JSON.parse(told[0].body).instanceCredentials).toMatchObject({ status: 'protected', roleName: 'firebreak-app-role' });
  });

  it('goes on to the evidence when IAM refuses the write, and says in the notification that the deny is not there', async () => {
    const { session } = local;
    const remove = registerSdkInterceptor({
      before(call) {
        if (call.operation === 'IAM.PutRolePolicy')
          throw Object.assign(
            new Error('User is not authorized to perform: iam:PutRolePolicy (explicit deny in a service control policy)'),
            {
              name: 'AccessDenied',
            },
          );
      },
    });
    let out;
    try {
      out = await replayEvent(session, withProfile(BITCOIN, 'scp-app'));
    } finally {
      remove();
    }
    const x = out.executions[0];
    expect(x).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
    expect(await rolePolicies(session, 'scp-app-role')).toEqual({});
    const { item, timeline } = await readCase(session.env, x.caseId!);
    expect(item?.status).toBe('CONTAINED');
    expect(timeline.find((t) => t.step === 'DenyInstanceCredentials')?.details).toMatchObject({
      status: 'access-denied',
      reason: expect.stringMatching(/AccessDenied.*NOT denied/),
    });
    const told = (await readNotifications(session.env)).filter((n) => n.caseId === x.caseId && n.kind === 'contained');
    expect(told).toHaveLength(1);
    expect(JSON.parse(told[0].body).instanceCredentials).toMatchObject({ status: 'access-denied' });
  });

  it('makes zero IAM calls that change anything for a dry run (sample finding), and plans the deny for a real instance', async () => {
    const { session } = local;
    const sample = await replayEvent(session, readEventFile('fixtures/events/guardduty-sample-ec2.json'));
    expect(sample.report.executions[0]).toMatchObject({ status: 'DRY_RUN' });
    expect(sample.report.apiCalls.mutating).toBe(0);
    expect(iamMutations(sample.executions[0].calls)).toEqual([]);
    const built = await replayEvent(session, withProfile(BACKDOOR, 'plan-app'), { execute: { crashAfter: 'Triage' } });
    const x = await session.runner.execute('ec2-compromise', {
      firebreak: { dryRun: true, trigger: 'manual', reason: 'test' },
      event: built.injected,
    });
    expect(x.status).toBe('DRY_RUN');
    expect(x.calls.filter((c) => c.mutating)).toEqual([]);
    const plan = (x.output?.plan as { actions: { operation: string; target: string; change: string }[] }).actions;
    expect(plan).toEqual(expect.arrayContaining([expect.objectContaining({ operation: 'IAM.PutRolePolicy', target: 'plan-app-role' })]));
    expect(await rolePolicies(session, 'plan-app-role')).toEqual({});
  });
});

describe('ec2-compromise: protection lists and the option to revoke older sessions', () => {
  const local = useLocalSession({
    environment: {
      FIREBREAK_PROTECTION: JSON.stringify({ roleNamePatterns: ['Payments*'] }),
      FIREBREAK_REVOKE_INSTANCE_ROLE_SESSIONS: 'true',
    },
  });

  it('leaves a role that protection.roleNamePatterns names untouched (no deny, no revocation)', async () => {
    const { session } = local;
    const out = await replayEvent(session, withProfile(BITCOIN, 'payments-api'));
    expect(out.report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
    expect(await rolePolicies(session, 'payments-api-role')).toEqual({});
    expect(iamMutations(out.executions[0].calls)).toEqual([]);
    const { timeline } = await readCase(session.env, out.report.executions[0].caseId!);
    expect(timeline.find((t) => t.step === 'DenyInstanceCredentials')?.details).toMatchObject({
      status: 'protected',
      reason: expect.stringMatching(/protection.roleNamePatterns \(Payments\*\)/),
    });
  });

  it('two executions at once for one instance write one deny and one revocation (default claim lease)', async () => {
    const { session } = local;
    const base = await replayEvent(session, withProfile(BITCOIN, 'race-app'), { execute: { crashAfter: 'Triage' } });
    const [a, b] = await Promise.all([
      session.runner.execute('ec2-compromise', base.injected),
      session.runner.execute('ec2-compromise', base.injected),
    ]);
    expect([a.status, b.status].sort()).toEqual(['ALREADY_HANDLED', 'SUCCEEDED']);
    const id = base.twin!.instanceId;
    const policies = await rolePolicies(session, await roleOf(session, base.twin!));
    expect(Object.keys(policies).sort()).toEqual([instanceCredentialsPolicyName(id), ROLE_SESSION_REVOCATION_POLICY_NAME].sort());
    expect(policies[instanceCredentialsPolicyName(id)]).toBe(denyOf(session, id));
  });

  it('two instances of one role contained at once: two denies, one revocation with the later cutoff, every run verified', async () => {
    const { session } = local;
    // The twins first (Triage only), then both executions at once: replays share the session's routing, runners do not.
    const one = await replayEvent(session, withProfile(BITCOIN, 'fleet'), { execute: { crashAfter: 'Triage' } });
    const two = await replayEvent(session, withProfile(BACKDOOR, 'fleet'), { execute: { crashAfter: 'Triage' } });
    const runs = await Promise.all([one, two].map((r) => session.runner.execute('ec2-compromise', r.injected)));
    for (const x of runs) expect(x).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
    const policies = await rolePolicies(session, 'fleet-role');
    const [a, b] = [one.twin!.instanceId, two.twin!.instanceId];
    expect(policies[instanceCredentialsPolicyName(a)]).toBe(denyOf(session, a));
    expect(policies[instanceCredentialsPolicyName(b)]).toBe(denyOf(session, b));
    const cutoffs = await Promise.all(
      runs.map(async (x) => ((await readCase(session.env, x.caseId!)).item?.decisions?.revocationCutoff as string).replace(/\.000Z$/, 'Z')),
    );
    const later = [...cutoffs].sort().pop();
    expect(JSON.parse(policies[ROLE_SESSION_REVOCATION_POLICY_NAME]).Statement[0].Condition).toEqual({
      DateLessThan: { 'aws:TokenIssueTime': later },
    });
  });

  it("with the option, revokes the role's older sessions beside the deny, and release removes both", async () => {
    const { session } = local;
    const out = await replayEvent(session, withProfile(BITCOIN, 'batch'));
    expect(out.report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
    const caseId = out.report.executions[0].caseId!;
    const id = out.twin!.instanceId;
    const { item } = await readCase(session.env, caseId);
    // Recorded to the millisecond, rounded up to a whole second; the policy renders it to the second.
    const cutoff = (item?.decisions?.revocationCutoff as string).replace(/\.000Z$/, 'Z');
    expect(cutoff).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const policies = await rolePolicies(session, 'batch-role');
    expect(policies[instanceCredentialsPolicyName(id)]).toBe(denyOf(session, id));
    expect(JSON.parse(policies[ROLE_SESSION_REVOCATION_POLICY_NAME]).Statement[0].Condition).toEqual({
      DateLessThan: { 'aws:TokenIssueTime': cutoff },
    });

    const x = await session.runner.execute('release', { release: { caseId, reason: 'false positive', operator: OPERATOR } });
    expect(x.status).toBe('SUCCEEDED');
    expect(await rolePolicies(session, 'batch-role')).toEqual({});
  });
});
