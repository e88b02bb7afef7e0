import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateLoginProfileCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListRolePoliciesCommand,
  ListUserPoliciesCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { randomBytes } from 'node:crypto';
import { InvalidInput, QuotaExceeded, ResourceGone } from '../../lib/core/errors';
import {
  awsDenyAllPolicyArn,
  parsePolicyDocument,
  policyText,
  ROLE_SESSION_REVOCATION_POLICY_NAME,
  ROLE_VPC_RESTRICTION_POLICY_NAME,
  roleSessionRevocationPolicy,
} from '../../lib/runtime/iam/policies';
import { ensureRoleRestrictedToVpc, ensureRoleSessionsRevoked, ensureUserKeyRevoked } from '../../lib/runtime/iam/revoke';
import { LOCAL_MEMBER_ACCOUNT } from '../../lib/harness/local/accounts';
import { harnessClients, HarnessClients } from '../../lib/harness/local/harness-clients';
import { ensureCredentialsReleased, verifyCredentialsReleased } from '../../lib/runtime/release/release-credentials';
import { useEmulator } from '../support/emulator';
import { instrumentedMember, MemberDeps, mutating, recordCalls } from './world';

const TEAM_POLICY = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] });
const DENY_ALL = awsDenyAllPolicyArn();
const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

describe('ensureCredentialsReleased', () => {
  const emulator = useEmulator();
  let h: HarnessClients;
  let deps: MemberDeps;

  beforeAll(() => {
    h = harnessClients(emulator.endpoint, LOCAL_MEMBER_ACCOUNT);
    deps = instrumentedMember(emulator.endpoint);
  });

  const name = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`;

  /** A user with two active keys, a console password and an inline policy of its own. */
  async function user() {
    const userName = name('release-user');
    await h.iam.send(new CreateUserCommand({ UserName: userName }));
    const leaked = (await h.iam.send(new CreateAccessKeyCommand({ UserName: userName }))).AccessKey!.AccessKeyId!;
    const other = (await h.iam.send(new CreateAccessKeyCommand({ UserName: userName }))).AccessKey!.AccessKeyId!;
    await h.iam.send(new CreateLoginProfileCommand({ UserName: userName, Password: 'Initial-Passw0rd!' }));
    await h.iam.send(new PutUserPolicyCommand({ UserName: userName, PolicyName: 'team-policy', PolicyDocument: TEAM_POLICY }));
    return { userName, leaked, other };
  }

  async function keyStatus(userName: string): Promise<Record<string, string>> {
    const keys = (await h.iam.send(new ListAccessKeysCommand({ UserName: userName }))).AccessKeyMetadata ?? [];
    return Object.fromEntries(keys.map((k) => [k.AccessKeyId!, k.Status!]));
  }
  /** The user's inline policy names, then `attached:<ARN>` for each managed policy attached, sorted: read back from IAM. */
  const userPolicies = async (userName: string) =>
    [
      ...((await h.iam.send(new ListUserPoliciesCommand({ UserName: userName }))).PolicyNames ?? []),
      ...((await h.iam.send(new ListAttachedUserPoliciesCommand({ UserName: userName }))).AttachedPolicies ?? []).map(
        (p) => `attached:${p.PolicyArn}`,
      ),
    ].sort();
  const rolePolicies = async (roleName: string) =>
    ((await h.iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames ?? []).sort();
  const rolePolicyText = async (roleName: string, policyName: string) =>
    JSON.stringify(
      parsePolicyDocument((await h.iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }))).PolicyDocument!),
    );

  /** A user contained the way credential-compromise does it (console password removed too). */
  async function containedUser() {
    const u = await user();
    const revoked = await ensureUserKeyRevoked(
      { userName: u.userName, accessKeyId: u.leaked, removeLoginProfile: true, mode: 'apply' },
      { iam: deps.iam },
    );
    expect(await keyStatus(u.userName)).toEqual({ [u.leaked]: 'Inactive', [u.other]: 'Active' });
    expect(await userPolicies(u.userName)).toEqual([`attached:${DENY_ALL}`, 'team-policy']);
    return { ...u, prior: revoked.prior };
  }

  async function role() {
    const roleName = name('release-role');
    await h.iam.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: TRUST }));
    await h.iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: 'app-policy', PolicyDocument: TEAM_POLICY }));
    return roleName;
  }

  describe('for an IAM user', () => {
    it("reactivates only the finding's key, detaches AWSDenyAll, and reports the console password", async () => {
      const u = await containedUser();
      // After containment, the owner deactivated the other key on purpose: release must leave it so.
      await h.iam.send(new UpdateAccessKeyCommand({ UserName: u.userName, AccessKeyId: u.other, Status: 'Inactive' }));

      const { result, error, calls } = await recordCalls(() =>
        ensureCredentialsReleased({ user: u.prior, accessKeyId: u.leaked, mode: 'apply' }, deps),
      );

      expect(error).toBeUndefined();
      expect(await keyStatus(u.userName)).toEqual({ [u.leaked]: 'Active', [u.other]: 'Inactive' });
      expect(await userPolicies(u.userName)).toEqual(['team-policy']);
      expect(mutating(calls).sort()).toEqual(['IAM.DetachUserPolicy', 'IAM.UpdateAccessKey']);
      expect(result!.notRestored).toEqual([expect.objectContaining({ item: 'login-profile', target: `user/${u.userName}` })]);
      expect(await verifyCredentialsReleased({ user: u.prior, accessKeyId: u.leaked }, deps)).toEqual([]);
    });

    it('changes nothing when run a second time', async () => {
      const u = await containedUser();
      await ensureCredentialsReleased({ user: u.prior, accessKeyId: u.leaked, mode: 'apply' }, deps);

      const { result, calls } = await recordCalls(() =>
        ensureCredentialsReleased({ user: u.prior, accessKeyId: u.leaked, mode: 'apply' }, deps),
      );

      expect(mutating(calls)).toEqual([]);
      expect(result!.actions).toEqual([]);
      expect(await keyStatus(u.userName)).toEqual({ [u.leaked]: 'Active', [u.other]: 'Active' });
      expect(await userPolicies(u.userName)).toEqual(['team-policy']);
    });

    it('plans without a mutating call, and verify lists what is still revoked', async () => {
      const u = await containedUser();

      const { result, calls } = await recordCalls(() =>
        ensureCredentialsReleased({ user: u.prior, accessKeyId: u.leaked, mode: 'plan' }, deps),
      );

      expect(mutating(calls)).toEqual([]);
      expect(result!.actions.map((a) => a.operation).sort()).toEqual(['IAM.DetachUserPolicy', 'IAM.UpdateAccessKey']);
      expect(await keyStatus(u.userName)).toEqual({ [u.leaked]: 'Inactive', [u.other]: 'Active' });
      expect(await userPolicies(u.userName)).toEqual([`attached:${DENY_ALL}`, 'team-policy']);
      expect(await verifyCredentialsReleased({ user: u.prior, accessKeyId: u.leaked }, deps)).toHaveLength(2);
    });

    it('leaves a key that was already inactive before containment inactive', async () => {
      const u = await user();
      await h.iam.send(new UpdateAccessKeyCommand({ UserName: u.userName, AccessKeyId: u.leaked, Status: 'Inactive' }));
      const { prior } = await ensureUserKeyRevoked(
        { userName: u.userName, accessKeyId: u.leaked, removeLoginProfile: false, mode: 'apply' },
        { iam: deps.iam },
      );

      const result = await ensureCredentialsReleased({ user: prior, accessKeyId: u.leaked, mode: 'apply' }, deps);

      expect(result.actions.map((a) => a.operation)).toEqual(['IAM.DetachUserPolicy']);
      expect(await keyStatus(u.userName)).toEqual({ [u.leaked]: 'Inactive', [u.other]: 'Active' });
      // The console password was never removed: nothing to report.
      expect(result.unchanged).toEqual(expect.arrayContaining([expect.objectContaining({ item: 'login-profile' })]));
      expect(result.notRestored).toEqual([]);
    });

    it('leaves AWSDenyAll attached when it was attached before containment (recorded in the prior state)', async () => {
      const u = await user();
      await h.iam.send(new AttachUserPolicyCommand({ UserName: u.userName, PolicyArn: DENY_ALL }));
      const revoked = await recordCalls(() =>
        ensureUserKeyRevoked({ userName: u.userName, accessKeyId: u.leaked, removeLoginProfile: false, mode: 'apply' }, { iam: deps.iam }),
      );
      expect(mutating(revoked.calls)).toEqual(['IAM.UpdateAccessKey']);
      expect(revoked.result!.prior.attachedPolicies).toEqual([DENY_ALL]);

      const { result, calls } = await recordCalls(() =>
        ensureCredentialsReleased({ user: revoked.result!.prior, accessKeyId: u.leaked, mode: 'apply' }, deps),
      );

      expect(mutating(calls)).toEqual(['IAM.UpdateAccessKey']);
      expect(result!.unchanged).toEqual(
        expect.arrayContaining([expect.objectContaining({ item: 'managed-policy', target: `user/${u.userName}/AWSDenyAll` })]),
      );
      expect(await userPolicies(u.userName)).toEqual([`attached:${DENY_ALL}`, 'team-policy']);
    });

    it('attaches AWSDenyAll and nothing else: a user at the managed-policy quota fails with QuotaExceeded, no inline policy written', async () => {
      const u = await user();
      // moto does not enforce the quota on managed policies per user ("IAM and AWS STS quotas": 10 by
      // default); inject IAM's answer, LimitExceeded (AttachUserPolicy, IAM API reference, Errors).
      const iam: IAMClient = harnessClients(emulator.endpoint, LOCAL_MEMBER_ACCOUNT).iam;
      iam.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName === 'AttachUserPolicyCommand') {
            throw Object.assign(new Error('Cannot exceed quota for PoliciesPerUser: 10'), {
              name: 'LimitExceeded',
              $metadata: { httpStatusCode: 409 },
            });
          }
          return next(args);
        },
        { step: 'initialize', name: 'limitExceeded' },
      );
      const calls = await recordCalls(() =>
        ensureUserKeyRevoked({ userName: u.userName, accessKeyId: u.leaked, removeLoginProfile: false, mode: 'apply' }, { iam }),
      );
      expect(calls.error).toBeInstanceOf(QuotaExceeded);
      expect(await keyStatus(u.userName)).toEqual({ [u.leaked]: 'Inactive', [u.other]: 'Active' });
      expect(await userPolicies(u.userName)).toEqual(['team-policy']);
    });

    it('reports a key deleted since containment as not restored and still detaches AWSDenyAll', async () => {
      const u = await containedUser();
      await h.iam.send(new DeleteAccessKeyCommand({ UserName: u.userName, AccessKeyId: u.leaked }));

      const result = await ensureCredentialsReleased({ user: u.prior, accessKeyId: u.leaked, mode: 'apply' }, deps);

      expect(result.notRestored).toEqual(expect.arrayContaining([expect.objectContaining({ item: 'access-key', target: u.leaked })]));
      expect(await userPolicies(u.userName)).toEqual(['team-policy']);
    });

    it('contains a user whose leaked key was deleted (deny-all only, keys listed), and releasing it leaves the missing key as unchanged', async () => {
      const u = await user();
      await h.iam.send(new DeleteAccessKeyCommand({ UserName: u.userName, AccessKeyId: u.leaked }));
      const planned = await ensureUserKeyRevoked(
        { userName: u.userName, accessKeyId: u.leaked, removeLoginProfile: false, mode: 'plan' },
        { iam: deps.iam },
      );
      expect(planned.actions.map((a) => a.operation)).toEqual(['IAM.AttachUserPolicy']);

      const revoked = await recordCalls(() =>
        ensureUserKeyRevoked({ userName: u.userName, accessKeyId: u.leaked, removeLoginProfile: false, mode: 'apply' }, { iam: deps.iam }),
      );
      expect(mutating(revoked.calls)).toEqual(['IAM.AttachUserPolicy']);
      expect(revoked.result).toMatchObject({
        leakedKey: 'absent',
        keys: [{ accessKeyId: u.other, status: 'Active', createDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) }],
      });
      expect(revoked.result!.prior.keyStatus).toEqual({ [u.other]: 'Active' });
      expect(await keyStatus(u.userName)).toEqual({ [u.other]: 'Active' });
      expect(await userPolicies(u.userName)).toEqual([`attached:${DENY_ALL}`, 'team-policy']);
      // Run again: nothing left to change.
      const again = await recordCalls(() =>
        ensureUserKeyRevoked({ userName: u.userName, accessKeyId: u.leaked, removeLoginProfile: false, mode: 'apply' }, { iam: deps.iam }),
      );
      expect(mutating(again.calls)).toEqual([]);

      const released = await ensureCredentialsReleased({ user: revoked.result!.prior, accessKeyId: u.leaked, mode: 'apply' }, deps);
      expect(released.actions.map((a) => a.operation)).toEqual(['IAM.DetachUserPolicy']);
      expect(released.notRestored).toEqual([]);
      expect(released.unchanged).toEqual(expect.arrayContaining([expect.objectContaining({ item: 'access-key', target: u.leaked })]));
      expect(await keyStatus(u.userName)).toEqual({ [u.other]: 'Active' });
      expect(await userPolicies(u.userName)).toEqual(['team-policy']);
    });

    it('throws ResourceGone with no mutating call when the user no longer exists', async () => {
      const u = await containedUser();
      const { error, calls } = await recordCalls(() =>
        ensureCredentialsReleased({ user: { ...u.prior, userName: 'no-such-user' }, accessKeyId: u.leaked, mode: 'apply' }, deps),
      );
      expect(error).toBeInstanceOf(ResourceGone);
      expect(mutating(calls)).toEqual([]);
    });
  });

  describe('for an IAM role', () => {
    it("deletes the session-revocation policy and leaves the role's own policies", async () => {
      const roleName = await role();
      const { prior } = await ensureRoleSessionsRevoked(
        { roleName, cutoff: new Date('2026-11-20T10:15:00Z'), mode: 'apply' },
        { iam: deps.iam },
      );
      expect(await rolePolicies(roleName)).toEqual([ROLE_SESSION_REVOCATION_POLICY_NAME, 'app-policy'].sort());

      const { result, calls } = await recordCalls(() => ensureCredentialsReleased({ role: prior, mode: 'apply' }, deps));

      expect(mutating(calls)).toEqual(['IAM.DeleteRolePolicy']);
      expect(await rolePolicies(roleName)).toEqual(['app-policy']);
      expect(result!.notRestored).toEqual([]);
      expect(await verifyCredentialsReleased({ role: prior }, deps)).toEqual([]);

      const again = await recordCalls(() => ensureCredentialsReleased({ role: prior, mode: 'apply' }, deps));
      expect(mutating(again.calls)).toEqual([]);
    });

    it('puts back the revocation policy the role had before this case', async () => {
      const roleName = await role();
      const earlier = policyText(roleSessionRevocationPolicy(new Date('2026-01-01T00:00:00Z')));
      await h.iam.send(
        new PutRolePolicyCommand({ RoleName: roleName, PolicyName: ROLE_SESSION_REVOCATION_POLICY_NAME, PolicyDocument: earlier }),
      );
      const { prior } = await ensureRoleSessionsRevoked(
        { roleName, cutoff: new Date('2026-11-20T10:15:00Z'), mode: 'apply' },
        { iam: deps.iam },
      );
      expect(prior!.previousRevocationPolicy).toBe(earlier);
      expect(await rolePolicyText(roleName, ROLE_SESSION_REVOCATION_POLICY_NAME)).not.toBe(earlier);

      const { result, calls } = await recordCalls(() => ensureCredentialsReleased({ role: prior, mode: 'apply' }, deps));

      expect(mutating(calls)).toEqual(['IAM.PutRolePolicy']);
      expect(result!.actions[0].change).toContain('before containment');
      expect(await rolePolicyText(roleName, ROLE_SESSION_REVOCATION_POLICY_NAME)).toBe(earlier);
      expect(await verifyCredentialsReleased({ role: prior }, deps)).toEqual([]);
    });

    it('deletes the VPC restriction policy', async () => {
      const roleName = await role();
      await ensureRoleRestrictedToVpc({ roleName, mode: 'apply' }, { iam: deps.iam });
      expect(await rolePolicies(roleName)).toEqual([ROLE_VPC_RESTRICTION_POLICY_NAME, 'app-policy'].sort());

      const { calls } = await recordCalls(() => ensureCredentialsReleased({ roleName, mode: 'apply' }, deps));

      expect(mutating(calls)).toEqual(['IAM.DeleteRolePolicy']);
      expect(await rolePolicies(roleName)).toEqual(['app-policy']);
    });

    it('never touches a protected role', async () => {
      const roleName = name('firebreak-own');
      await h.iam.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: TRUST }));
      await h.iam.send(
        new PutRolePolicyCommand({
          RoleName: roleName,
          PolicyName: ROLE_SESSION_REVOCATION_POLICY_NAME,
          PolicyDocument: policyText(roleSessionRevocationPolicy(new Date('2026-11-20T10:15:00Z'))),
        }),
      );

      const { calls } = await recordCalls(() => ensureCredentialsReleased({ roleName, mode: 'apply' }, deps));

      expect(mutating(calls)).toEqual([]);
      expect(await rolePolicies(roleName)).toEqual([ROLE_SESSION_REVOCATION_POLICY_NAME]);
    });

    it('plans without a mutating call', async () => {
      const roleName = await role();
      const { prior } = await ensureRoleSessionsRevoked(
        { roleName, cutoff: new Date('2026-11-20T10:15:00Z'), mode: 'apply' },
        { iam: deps.iam },
      );

      const { result, calls } = await recordCalls(() => ensureCredentialsReleased({ role: prior, mode: 'plan' }, deps));

      expect(mutating(calls)).toEqual([]);
      expect(result!.actions.map((a) => a.operation)).toEqual(['IAM.DeleteRolePolicy']);
      expect(await rolePolicies(roleName)).toEqual([ROLE_SESSION_REVOCATION_POLICY_NAME, 'app-policy'].sort());
    });
  });

  it('throws InvalidInput, with no AWS call, when neither a user nor a role is given', async () => {
    const { error, calls } = await recordCalls(() => ensureCredentialsReleased({ accessKeyId: 'AKIAEXAMPLE', mode: 'apply' }, deps));
    expect(error).toBeInstanceOf(InvalidInput);
    expect(calls).toEqual([]);
  });
});
