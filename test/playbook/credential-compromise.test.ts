import { CreateRoleCommand, DeleteRoleCommand, RemoveRoleFromInstanceProfileCommand, DeleteAccessKeyCommand, DeleteUserPolicyCommand, DeleteUserCommand, GetRolePolicyCommand, GetUserPolicyCommand, ListAccessKeysCommand, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { readEventFile, replayEvent, EventEnvelope } from '../../lib/local/replay';
import type { LocalSession } from '../../lib/local/session';
import type { CredentialTwin } from '../../lib/local/credential-twin';
import { useLocalSession } from '../support/local';
import { readCase } from '../support/read-back';

const USER = 'fixtures/events/guardduty-iamuser-anomalous.json';
const INSTANCE_CREDS = 'fixtures/events/guardduty-instance-credential-exfiltration.json';

function withSeverity(file: string, severity: number): EventEnvelope {
  const e = JSON.parse(JSON.stringify(readEventFile(file)));
  e.detail.severity = severity;
  return e;
}

async function userState(session: LocalSession, t: CredentialTwin) {
  const iam = session.env.member.iam;
  const keys = (await iam.send(new ListAccessKeysCommand({ UserName: t.userName }))).AccessKeyMetadata ?? [];
  const policy = await iam.send(new GetUserPolicyCommand({ UserName: t.userName, PolicyName: 'FirebreakDenyAll' })).catch(() => undefined);
  return {
    findingKey: keys.find((k) => k.AccessKeyId === t.accessKeyId)?.Status,
    otherKey: keys.find((k) => k.AccessKeyId === t.otherAccessKeyId)?.Status,
    denyAll: policy?.PolicyDocument ? JSON.parse(decodeURIComponent(policy.PolicyDocument)) : undefined,
  };
}

async function rolePolicies(session: LocalSession, roleName: string) {
  const iam = session.env.member.iam;
  const names = (await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames ?? [];
  const docs: Record<string, unknown> = {};
  for (const n of names) docs[n] = JSON.parse(decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: n }))).PolicyDocument!));
  return docs;
}

describe('credential-compromise playbook (synthesized state machine, real handlers, emulator)', () => {
  const local = useLocalSession({ environment: { FIREBREAK_CLAIM_LEASE_SECONDS: '0' } });

  it('deactivates only the finding\'s key of an IAM user at High severity and denies the user (resourceRole TARGET, as AWS sends it)', async () => {
    const event = withSeverity(USER, 8);
    expect((event.detail as { service: { resourceRole?: string } }).service.resourceRole).toBe('TARGET');
    const { report, credentialTwin } = await replayEvent(local.session, event);
    expect(report.routing.matched).toEqual(['firebreak-credential-compromise-high']);
    expect(report.executions[0]).toMatchObject({ playbook: 'credential-compromise', status: 'SUCCEEDED', outcome: 'CONTAINED' });
    const state = await userState(local.session, credentialTwin!);
    expect(state.findingKey).toBe('Inactive');
    expect(state.otherKey).toBe('Active');
    expect(state.denyAll).toEqual({ Version: '2012-10-17', Statement: [{ Sid: 'FirebreakDenyAll', Effect: 'Deny', Action: '*', Resource: '*' }] });
    const { item } = await readCase(local.session.env, report.executions[0].caseId!);
    expect(item?.status).toBe('CONTAINED');
    expect(item?.priorState?.user?.keyStatus).toEqual({ [credentialTwin!.accessKeyId!]: 'Active', [credentialTwin!.otherAccessKeyId!]: 'Active' });
  });

  it('opens a notify-only case at Medium severity and leaves the key Active', async () => {
    const { report, credentialTwin } = await replayEvent(local.session, readEventFile(USER));
    expect(report.routing.matched).toEqual(['firebreak-credential-compromise-medium']);
    expect(report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'NOTIFIED' });
    const state = await userState(local.session, credentialTwin!);
    expect(state).toEqual({ findingKey: 'Active', otherKey: 'Active', denyAll: undefined });
    expect(report.apiCalls.byOperation['SNS.Publish']).toBe(1);
  });

  it('revokes every session of the role with a cutoff at the time of the action and names the instance (High, resourceRole TARGET)', async () => {
    const event = readEventFile(INSTANCE_CREDS) as EventEnvelope & { detail: { severity: number; service: { resourceRole?: string } } };
    expect([event.detail.severity, event.detail.service.resourceRole]).toEqual([8, 'TARGET']);
    const before = Date.now();
    const { report, credentialTwin } = await replayEvent(local.session, event);
    const after = Date.now();
    const x = report.executions[0];
    expect(x).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
    const docs = await rolePolicies(local.session, credentialTwin!.roleName!);
    const statement = (docs.FirebreakRevokeOlderSessions as { Statement: { Effect: string; Action: string; Condition: { DateLessThan: Record<string, string> } }[] }).Statement[0];
    expect(statement.Effect).toBe('Deny');
    expect(statement.Action).toBe('*');
    const cutoff = Date.parse(statement.Condition.DateLessThan['aws:TokenIssueTime']);
    // Not the finding's eventLastSeen (2026-11-20T10:09:45Z): the time of the action, rounded up to the second.
    expect(cutoff).toBeGreaterThanOrEqual(before);
    expect(cutoff).toBeLessThanOrEqual(after + 1000);
    const revocation = x.revocation as { affected: string; instanceId: string; recommendation: string };
    expect(revocation.instanceId).toBe(credentialTwin!.instanceId);
    expect(revocation.affected).toMatch(/every session of role/);
    expect(revocation.recommendation).toMatch(/ec2-compromise/);
  });

  it.each([['IAM user', () => withSeverity(USER, 8)], ['role', () => readEventFile(INSTANCE_CREDS)]])(
    'treats a second replay for the %s as already handled and changes nothing', async (_, event) => {
      const first = await replayEvent(local.session, event());
      const t = first.credentialTwin!;
      const snapshot = async () => (t.userName ? userState(local.session, t) : rolePolicies(local.session, t.roleName!));
      const before = await snapshot();
      const second = await replayEvent(local.session, event(), { credentialTwin: t });
      expect(second.report.executions[0].status).toBe('ALREADY_HANDLED');
      expect(second.report.apiCalls.byOperation['IAM.PutUserPolicy'] ?? 0).toBe(0);
      expect(second.report.apiCalls.byOperation['IAM.PutRolePolicy'] ?? 0).toBe(0);
      expect(await snapshot()).toEqual(before);
    },
  );

  describe.each([['IAM user', () => withSeverity(USER, 8)], ['role', () => readEventFile(INSTANCE_CREDS)]])('after a crash (%s)', (_, event) => {
    it.each(['Claim', 'RevokeCredentials', 'VerifyRevocation', 'Notify', 'CloseCase'])('ends as an uninterrupted run after a crash right after %s', async (step) => {
      const crashed = await replayEvent(local.session, event(), { execute: { crashAfter: step } });
      expect(crashed.executions[0].status).toBe('CRASHED');
      const rerun = await local.session.runner.execute('credential-compromise', crashed.injected);
      expect(rerun.status).toBe(step === 'CloseCase' ? 'ALREADY_HANDLED' : 'SUCCEEDED');
      const t = crashed.credentialTwin!;
      const { item, timeline } = await readCase(local.session.env, crashed.executions[0].caseId!);
      expect(item?.status).toBe('CONTAINED');
      // The case's notification, and the record that its finding was told (`finding#<id>`).
      expect(Object.keys(item?.notifications ?? {}).sort()).toEqual(['contained', `finding#${item!.incident.finding.id}`]);
      // One notification published, however often Notify ran.
      expect(timeline.filter((e) => e.step === 'Notify' && e.details?.published === true)).toHaveLength(1);
      if (t.userName) {
        expect(await userState(local.session, t)).toEqual({
          findingKey: 'Inactive', otherKey: 'Active',
          denyAll: { Version: '2012-10-17', Statement: [{ Sid: 'FirebreakDenyAll', Effect: 'Deny', Action: '*', Resource: '*' }] },
        });
      } else {
        const docs = await rolePolicies(local.session, t.roleName!);
        expect(Object.keys(docs)).toEqual(['FirebreakRevokeOlderSessions']);
        const cutoff = (docs.FirebreakRevokeOlderSessions as { Statement: { Condition: { DateLessThan: Record<string, string> } }[] }).Statement[0].Condition.DateLessThan['aws:TokenIssueTime'];
        // The cutoff recorded by the first run is reused: the re-run writes the same policy.
        expect(cutoff).toBe((item?.decisions?.revocationCutoff as string).replace(/\.\d{3}Z$/, 'Z'));
      }
    });
  });

  it.each(['NotifyOnly', 'CloseNotified'])('ends a Medium case as an uninterrupted run after a crash right after %s', async (step) => {
    const crashed = await replayEvent(local.session, readEventFile(USER), { execute: { crashAfter: step } });
    expect(crashed.executions[0].status).toBe('CRASHED');
    const rerun = await local.session.runner.execute('credential-compromise', crashed.injected);
    expect(rerun.status).toBe(step === 'CloseNotified' ? 'ALREADY_HANDLED' : 'SUCCEEDED');
    const { item, timeline } = await readCase(local.session.env, crashed.executions[0].caseId!);
    expect(item?.status).toBe('NOTIFIED');
    expect(timeline.filter((e) => e.step === 'Notify' && e.details?.published === true)).toHaveLength(1);
    expect(await userState(local.session, crashed.credentialTwin!)).toEqual({ findingKey: 'Active', otherKey: 'Active', denyAll: undefined });
  });

  it('ends with ResourceGone when the finding\'s access key no longer exists', async () => {
    const built = await replayEvent(local.session, withSeverity(USER, 8), { execute: { crashAfter: 'Normalize' } });
    const t = built.credentialTwin!;
    await local.session.env.member.iam.send(new DeleteAccessKeyCommand({ UserName: t.userName, AccessKeyId: t.accessKeyId }));
    const x = await local.session.runner.execute('credential-compromise', built.injected);
    expect(x).toMatchObject({ status: 'SUCCEEDED', outcome: 'RESOURCE_GONE' });
    expect(x.calls.filter((c) => c.operation.startsWith('IAM.') && c.mutating)).toEqual([]);
    const state = await userState(local.session, t);
    expect(state).toEqual({ findingKey: undefined, otherKey: 'Active', denyAll: undefined });
  });

  it('ends with ResourceGone when the user no longer exists', async () => {
    const built = await replayEvent(local.session, withSeverity(USER, 8), { execute: { crashAfter: 'Normalize' } });
    const t = built.credentialTwin!;
    const iam = local.session.env.member.iam;
    for (const k of [t.accessKeyId, t.otherAccessKeyId]) await iam.send(new DeleteAccessKeyCommand({ UserName: t.userName, AccessKeyId: k }));
    await iam.send(new DeleteUserPolicyCommand({ UserName: t.userName, PolicyName: 'deploy' }));
    await iam.send(new DeleteUserCommand({ UserName: t.userName }));
    const x = await local.session.runner.execute('credential-compromise', built.injected);
    expect(x).toMatchObject({ status: 'SUCCEEDED', outcome: 'RESOURCE_GONE' });
    expect(x.steps.find((s) => s.name === 'RevokeCredentials')?.invocations).toBe(1);
    expect((await readCase(local.session.env, x.caseId!)).item?.status).toBe('RESOURCE_GONE');
  });

  it('ends with ResourceGone when the role no longer exists', async () => {
    const built = await replayEvent(local.session, readEventFile(INSTANCE_CREDS), { execute: { crashAfter: 'Normalize' } });
    const t = built.credentialTwin!;
    const iam = local.session.env.member.iam;
    await iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: `${t.roleName}-profile`, RoleName: t.roleName }));
    await iam.send(new DeleteRoleCommand({ RoleName: t.roleName }));
    const x = await local.session.runner.execute('credential-compromise', built.injected);
    expect(x).toMatchObject({ status: 'SUCCEEDED', outcome: 'RESOURCE_GONE' });
    expect(x.steps.find((s) => s.name === 'RevokeCredentials')?.invocations).toBe(1);
    expect(x.calls.filter((c) => c.operation === 'IAM.PutRolePolicy')).toEqual([]);
  });

  it('never touches a service-linked role, and says so', async () => {
    const iam = local.session.env.member.iam;
    const roleName = 'AWSServiceRoleForSupport';
    await iam.send(new CreateRoleCommand({
      RoleName: roleName, Path: '/aws-service-role/support.amazonaws.com/',
      AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'support.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
    }));
    const event = JSON.parse(JSON.stringify(readEventFile(INSTANCE_CREDS)));
    event.detail.resource.accessKeyDetails.userName = roleName;
    event.detail.resource.accessKeyDetails.principalId = 'AROAEXAMPLEROLE00002:support-session';
    event.detail.type = 'UnauthorizedAccess:IAMUser/MaliciousIPCaller';
    const x = await local.session.runner.execute('credential-compromise', event);
    expect(x).toMatchObject({ status: 'SUCCEEDED', outcome: 'NOTIFIED' });
    expect((x.output?.decision as { reason: string }).reason).toMatch(/service-linked role.*never touches/);
    expect(await rolePolicies(local.session, roleName)).toEqual({});
    expect(x.calls.filter((c) => c.operation.startsWith('IAM.') && c.mutating)).toEqual([]);
  });
});
