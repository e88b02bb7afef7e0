import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  RemoveRoleFromInstanceProfileCommand,
  DeleteAccessKeyCommand,
  DeleteUserPolicyCommand,
  DeleteUserCommand,
  GetRolePolicyCommand,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListRolePoliciesCommand,
  ListUserPoliciesCommand,
} from '@aws-sdk/client-iam';
import { awsDenyAllPolicyArn } from '../../lib/runtime/iam/policies';
import { readNotifications } from '../../lib/harness/local/notifications';
import { readEventFile, replayEvent, EventEnvelope } from '../../lib/harness/local/replay';
import type { LocalSession } from '../../lib/harness/local/session';
import type { CredentialTwin } from '../../lib/harness/local/credential-twin';
import { useLocalSession } from '../support/local';
import { readCase } from '../support/read-back';

const USER = 'fixtures/events/guardduty-iamuser-anomalous.json';
const INSTANCE_CREDS = 'fixtures/events/guardduty-instance-credential-exfiltration.json';

/** AWS's managed deny-all, which containment attaches to an IAM user. */
const DENY_ALL_ARN = awsDenyAllPolicyArn();

function withSeverity(file: string, severity: number): EventEnvelope {
  const e = JSON.parse(JSON.stringify(readEventFile(file)));
  e.detail.severity = severity;
  return e;
}

async function userState(session: LocalSession, t: CredentialTwin) {
  const iam = session.env.member.iam;
  const keys = (await iam.send(new ListAccessKeysCommand({ UserName: t.userName }))).AccessKeyMetadata ?? [];
  const attached = ((await iam.send(new ListAttachedUserPoliciesCommand({ UserName: t.userName }))).AttachedPolicies ?? []).map(
    (p) => p.PolicyArn!,
  );
  return {
    findingKey: keys.find((k) => k.AccessKeyId === t.accessKeyId)?.Status,
    otherKey: keys.find((k) => k.AccessKeyId === t.otherAccessKeyId)?.Status,
    denyAll: attached.find((a) => a === DENY_ALL_ARN),
  };
}

async function rolePolicies(session: LocalSession, roleName: string) {
  const iam = session.env.member.iam;
  const names = (await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames ?? [];
  const docs: Record<string, unknown> = {};
  for (const n of names)
    docs[n] = JSON.parse(
      decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: n }))).PolicyDocument!),
    );
  return docs;
}

/** An IAM user read back from the emulator: its keys and statuses, its inline policies, AWSDenyAll's ARN when attached. */
async function principalOf(session: LocalSession, userName: string) {
  const iam = session.env.member.iam;
  const keys = (await iam.send(new ListAccessKeysCommand({ UserName: userName }))).AccessKeyMetadata ?? [];
  const policies = ((await iam.send(new ListUserPoliciesCommand({ UserName: userName }))).PolicyNames ?? []).sort();
  const attached = ((await iam.send(new ListAttachedUserPoliciesCommand({ UserName: userName }))).AttachedPolicies ?? []).map(
    (p) => p.PolicyArn!,
  );
  return {
    keys: Object.fromEntries(keys.map((k) => [k.AccessKeyId!, k.Status!])),
    policies,
    denyAll: attached.find((a) => a === DENY_ALL_ARN),
  };
}

describe('credential-compromise playbook (synthesized state machine, real handlers, emulator)', () => {
  const local = useLocalSession({ environment: { FIREBREAK_CLAIM_LEASE_SECONDS: '0' } });
  const principal = (userName: string) => principalOf(local.session, userName);

  it("deactivates only the finding's key of an IAM user at High severity and denies the user (resourceRole TARGET, as AWS sends it)", async () => {
    const event = withSeverity(USER, 8);
    expect((event.detail as { service: { resourceRole?: string } }).service.resourceRole).toBe('TARGET');
    const { report, credentialTwin } = await replayEvent(local.session, event);
    expect(report.routing.matched).toEqual(['firebreak-credential-compromise-high']);
    expect(report.executions[0]).toMatchObject({ playbook: 'credential-compromise', status: 'SUCCEEDED', outcome: 'CONTAINED' });
    const state = await userState(local.session, credentialTwin!);
    expect(state.findingKey).toBe('Inactive');
    expect(state.otherKey).toBe('Active');
    expect(state.denyAll).toEqual(DENY_ALL_ARN);
    const { item } = await readCase(local.session.env, report.executions[0].caseId!);
    expect(item?.status).toBe('CONTAINED');
    expect(item?.priorState?.user?.keyStatus).toEqual({
      [credentialTwin!.accessKeyId!]: 'Active',
      [credentialTwin!.otherAccessKeyId!]: 'Active',
    });
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
    const statement = (
      docs.FirebreakRevokeOlderSessions as {
        Statement: { Effect: string; Action: string; Condition: { DateLessThan: Record<string, string> } }[];
      }
    ).Statement[0];
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

  it.each([
    ['IAM user', () => withSeverity(USER, 8)],
    ['role', () => readEventFile(INSTANCE_CREDS)],
  ])('treats a second replay for the %s as already handled and changes nothing', async (_, event) => {
    const first = await replayEvent(local.session, event());
    const t = first.credentialTwin!;
    const snapshot = async () => (t.userName ? userState(local.session, t) : rolePolicies(local.session, t.roleName!));
    const before = await snapshot();
    const second = await replayEvent(local.session, event(), { credentialTwin: t });
    expect(second.report.executions[0].status).toBe('ALREADY_HANDLED');
    expect(second.report.apiCalls.byOperation['IAM.AttachUserPolicy'] ?? 0).toBe(0);
    expect(second.report.apiCalls.byOperation['IAM.PutRolePolicy'] ?? 0).toBe(0);
    expect(await snapshot()).toEqual(before);
  });

  describe.each([
    ['IAM user', () => withSeverity(USER, 8)],
    ['role', () => readEventFile(INSTANCE_CREDS)],
  ])('after a crash (%s)', (_, event) => {
    it.each(['Claim', 'RevokeCredentials', 'VerifyRevocation', 'Notify', 'CloseCase'])(
      'ends as an uninterrupted run after a crash right after %s',
      async (step) => {
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
            findingKey: 'Inactive',
            otherKey: 'Active',
            denyAll: DENY_ALL_ARN,
          });
        } else {
          const docs = await rolePolicies(local.session, t.roleName!);
          expect(Object.keys(docs)).toEqual(['FirebreakRevokeOlderSessions']);
          const cutoff = (docs.FirebreakRevokeOlderSessions as { Statement: { Condition: { DateLessThan: Record<string, string> } }[] })
            .Statement[0].Condition.DateLessThan['aws:TokenIssueTime'];
          // The cutoff recorded by the first run is reused: the re-run writes the same policy.
          expect(cutoff).toBe((item?.decisions?.revocationCutoff as string).replace(/\.\d{3}Z$/, 'Z'));
        }
      },
    );
  });

  it.each(['NotifyOnly', 'CloseNotified'])('ends a Medium case as an uninterrupted run after a crash right after %s', async (step) => {
    const crashed = await replayEvent(local.session, readEventFile(USER), { execute: { crashAfter: step } });
    expect(crashed.executions[0].status).toBe('CRASHED');
    const rerun = await local.session.runner.execute('credential-compromise', crashed.injected);
    expect(rerun.status).toBe(step === 'CloseNotified' ? 'ALREADY_HANDLED' : 'SUCCEEDED');
    const { item, timeline } = await readCase(local.session.env, crashed.executions[0].caseId!);
    expect(item?.status).toBe('NOTIFIED');
    expect(timeline.filter((e) => e.step === 'Notify' && e.details?.published === true)).toHaveLength(1);
    expect(await userState(local.session, crashed.credentialTwin!)).toEqual({
      findingKey: 'Active',
      otherKey: 'Active',
      denyAll: undefined,
    });
  });

  describe('when the leaked key was deleted before the run (the attacker made another)', () => {
    const DENY_ALL = DENY_ALL_ARN;

    /**
     * The twin user with its two keys; the finding's key deleted and a new key created, as an attacker
     * who keeps access would; the event (remapped to the twin) not yet run.
     */
    async function userWithLeakedKeyReplaced() {
      const built = await replayEvent(local.session, withSeverity(USER, 8), { execute: { crashAfter: 'Normalize' } });
      const t = built.credentialTwin!;
      const iam = local.session.env.member.iam;
      await iam.send(new DeleteAccessKeyCommand({ UserName: t.userName, AccessKeyId: t.accessKeyId }));
      const created = (await iam.send(new CreateAccessKeyCommand({ UserName: t.userName }))).AccessKey!;
      return { built, t, newKey: { accessKeyId: created.AccessKeyId!, secretAccessKey: created.SecretAccessKey! } };
    }

    it('Leaked key deleted before the run: deny-all on the user, outcome CONTAINED, the remaining keys listed in the case', async () => {
      const { built, t, newKey } = await userWithLeakedKeyReplaced();
      const x = await local.session.runner.execute('credential-compromise', built.injected);
      expect(x).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
      // Nothing to deactivate: the only change is the deny-all policy.
      expect(x.calls.filter((c) => c.operation.startsWith('IAM.') && c.mutating).map((c) => c.operation)).toEqual(['IAM.AttachUserPolicy']);

      // IAM, read back: the deny-all policy on the user, its keys as they were.
      const s = await principal(t.userName!);
      expect(s.policies).toEqual(['deploy']);
      expect(s.denyAll).toEqual(DENY_ALL);
      expect(s.keys).toEqual({ [t.otherAccessKeyId!]: 'Active', [newKey.accessKeyId]: 'Active' });

      // The ledger: CONTAINED; the prior state and the RevokeCredentials entry list the keys the user has now.
      const { item, timeline } = await readCase(local.session.env, x.caseId!);
      expect(item?.status).toBe('CONTAINED');
      expect(item?.priorState?.user?.keyStatus).toEqual({ [t.otherAccessKeyId!]: 'Active', [newKey.accessKeyId]: 'Active' });
      const revoke = timeline.find((e) => e.step === 'RevokeCredentials' && e.status === 'SUCCEEDED');
      expect(revoke?.details?.leakedKey).toBe('absent');
      const listed = revoke?.details?.userKeys as { accessKeyId: string; status: string; createDate: string }[];
      expect(listed.map((k) => k.accessKeyId).sort()).toEqual([t.otherAccessKeyId, newKey.accessKeyId].sort());
      expect(listed.every((k) => k.status === 'Active' && !Number.isNaN(Date.parse(k.createDate)))).toBe(true);
      // VerifyRevocation read the deny-all policy back (not passed because the key is gone).
      const verify = timeline.find((e) => e.step === 'VerifyRevocation' && e.status === 'SUCCEEDED');
      expect(verify?.details).toMatchObject({ verified: true, leakedKey: 'absent', denyAllPolicy: 'AWSDenyAll' });
      expect(verify?.apiCalls).toMatchObject({ 'IAM.ListAttachedUserPolicies': 1, 'IAM.ListAccessKeys': 1 });

      // The notification names the attacker's new key.
      const notes = (await readNotifications(local.session.env)).filter((n) => n.caseId === x.caseId && n.kind === 'contained');
      expect(notes).toHaveLength(1);
      const body = JSON.parse(notes[0].body) as {
        revocation: { leakedKey: string; affected: string; userKeys: { accessKeyId: string }[]; otherKeysLeftActive: string[] };
      };
      expect(body.revocation.leakedKey).toBe('absent');
      expect(body.revocation.userKeys.map((k) => k.accessKeyId)).toContain(newKey.accessKeyId);
      expect(body.revocation.otherKeysLeftActive.sort()).toEqual([t.otherAccessKeyId, newKey.accessKeyId].sort());
      expect(body.revocation.affected).toContain(`${newKey.accessKeyId} Active (created `);
      expect(body.revocation.affected).toMatch(/no longer exists/);
    });

    it('converges when run again: the re-run after a crash and a second run change nothing more', async () => {
      const { built, t, newKey } = await userWithLeakedKeyReplaced();
      const crashed = await local.session.runner.execute('credential-compromise', built.injected, { crashAfter: 'RevokeCredentials' });
      expect(crashed.status).toBe('CRASHED');
      const after = await principal(t.userName!);
      const rerun = await local.session.runner.execute('credential-compromise', built.injected);
      expect(rerun).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED', caseId: crashed.caseId });
      expect(rerun.calls.filter((c) => c.operation.startsWith('IAM.') && c.mutating)).toEqual([]);
      const again = await local.session.runner.execute('credential-compromise', built.injected);
      expect(again.status).toBe('ALREADY_HANDLED');
      expect(again.calls.filter((c) => c.operation.startsWith('IAM.') && c.mutating)).toEqual([]);
      expect(await principal(t.userName!)).toEqual(after);
      expect(after.policies).toEqual(['deploy']);
      expect(after.keys).toEqual({ [t.otherAccessKeyId!]: 'Active', [newKey.accessKeyId]: 'Active' });
      const { item, timeline } = await readCase(local.session.env, crashed.caseId!);
      expect(item?.status).toBe('CONTAINED');
      // One AttachUserPolicy in all, on the first run's RevokeCredentials entry; the prior state is the first observation.
      expect(timeline.reduce((n, e) => n + ((e.apiCalls as Record<string, number> | undefined)?.['IAM.AttachUserPolicy'] ?? 0), 0)).toBe(1);
      expect(item?.priorState?.user?.inlinePolicies).toEqual(['deploy']);
      expect(timeline.filter((e) => e.step === 'Notify' && e.details?.published === true)).toHaveLength(1);
    });

    it('release restores the prior state: no deny policy left, the keys as they were', async () => {
      const { built, t, newKey } = await userWithLeakedKeyReplaced();
      const before = await principal(t.userName!);
      const x = await local.session.runner.execute('credential-compromise', built.injected);
      expect(x.outcome).toBe('CONTAINED');
      const released = await local.session.runner.execute('release', {
        release: {
          caseId: x.caseId,
          reason: 'false positive: the owner rotated the key',
          operator: 'arn:aws:iam::222222222222:user/firebreak-local-operator',
        },
      });
      expect(released).toMatchObject({ status: 'SUCCEEDED', outcome: 'RELEASED' });
      expect(released.calls.filter((c) => c.operation.startsWith('IAM.') && c.mutating).map((c) => c.operation)).toEqual([
        'IAM.DetachUserPolicy',
      ]);
      expect(await principal(t.userName!)).toEqual(before);
      expect(before).toEqual({
        keys: { [t.otherAccessKeyId!]: 'Active', [newKey.accessKeyId]: 'Active' },
        policies: ['deploy'],
        denyAll: undefined,
      });
      const { item } = await readCase(local.session.env, x.caseId!);
      expect(item?.status).toBe('RELEASED');
      // The deleted key is not a thing release failed to restore: containment never changed it.
      expect((item?.releaseDetails as { notRestored: unknown[] }).notRestored).toEqual([]);
    });

    it('denies the user of a temporary (ASIA) key the same way, with nothing to deactivate', async () => {
      const { built, t, newKey } = await userWithLeakedKeyReplaced();
      // An ASIA key ID as a GuardDuty finding carries it (the recorded one of the instance-credential fixture; the
      // emulator's GetSessionToken answers with a fixed AKIA… ID, so it cannot give one). No IAM user lists it.
      const asia = (
        readEventFile(INSTANCE_CREDS) as EventEnvelope & { detail: { resource: { accessKeyDetails: { accessKeyId: string } } } }
      ).detail.resource.accessKeyDetails.accessKeyId;
      expect(asia).toMatch(/^ASIA/);
      const event = JSON.parse(JSON.stringify(built.injected));
      event.detail.resource.accessKeyDetails.accessKeyId = asia;
      const x = await local.session.runner.execute('credential-compromise', event);
      expect(x).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
      expect(x.calls.filter((c) => c.operation.startsWith('IAM.') && c.mutating).map((c) => c.operation)).toEqual(['IAM.AttachUserPolicy']);
      const s = await principal(t.userName!);
      expect(s.denyAll).toEqual(DENY_ALL);
      expect(s.keys).toEqual({ [t.otherAccessKeyId!]: 'Active', [newKey.accessKeyId]: 'Active' });
      expect((x.output?.revocation as { leakedKey: string }).leakedKey).toBe('temporary');
    });
  });

  it('ends with ResourceGone when the leaked key and the user are both gone', async () => {
    const built = await replayEvent(local.session, withSeverity(USER, 8), { execute: { crashAfter: 'Normalize' } });
    const t = built.credentialTwin!;
    const iam = local.session.env.member.iam;
    for (const k of [t.accessKeyId, t.otherAccessKeyId])
      await iam.send(new DeleteAccessKeyCommand({ UserName: t.userName, AccessKeyId: k }));
    await iam.send(new DeleteUserPolicyCommand({ UserName: t.userName, PolicyName: 'deploy' }));
    await iam.send(new DeleteUserCommand({ UserName: t.userName }));
    const x = await local.session.runner.execute('credential-compromise', built.injected);
    expect(x).toMatchObject({ status: 'SUCCEEDED', outcome: 'RESOURCE_GONE' });
    expect(x.steps.find((s) => s.name === 'RevokeCredentials')?.invocations).toBe(1);
    expect(x.calls.filter((c) => c.operation.startsWith('IAM.') && c.mutating)).toEqual([]);
    expect((await readCase(local.session.env, x.caseId!)).item?.status).toBe('RESOURCE_GONE');
    const notes = (await readNotifications(local.session.env)).filter((n) => n.caseId === x.caseId);
    expect(notes.map((n) => n.kind)).toEqual(['resource-gone']);
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
    await iam.send(
      new CreateRoleCommand({
        RoleName: roleName,
        Path: '/aws-service-role/support.amazonaws.com/',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'support.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );
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
