import {
  AttachUserPolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListUserPoliciesCommand,
  PutRolePolicyCommand,
  Role,
  UpdateAccessKeyCommand,
  GetLoginProfileCommand,
  DeleteLoginProfileCommand,
} from '@aws-sdk/client-iam';
import { QuotaExceeded, ResourceGone } from '../../core/errors';
import { hasAwsCode } from '../aws-errors';
import type { PlannedAction, StepMode } from '../ec2/instance';
import {
  awsDenyAllPolicyArn,
  isAwsDenyAllPolicyArn,
  parsePolicyDocument,
  PolicyDocument,
  policyText,
  ROLE_SESSION_REVOCATION_POLICY_NAME,
  roleSessionRevocationPolicy,
  ROLE_VPC_RESTRICTION_POLICY_NAME,
  roleVpcRestrictionPolicy,
} from './policies';
import { listAttachedUserPolicyArns, protectedRoleReason } from './principals';
import '../clients/iam';

export { listAttachedUserPolicyArns, protectedRoleReason } from './principals';

/** Whether an inline policy is exactly the one Firebreak writes, different, or absent. */
export type PolicyState = 'same' | 'different' | 'absent';

async function samePolicy(get: () => Promise<{ PolicyDocument?: string }>, wanted: PolicyDocument): Promise<PolicyState> {
  try {
    const out = await get();
    if (!out.PolicyDocument) return 'absent';
    return JSON.stringify(parsePolicyDocument(out.PolicyDocument)) === policyText(wanted) ? 'same' : 'different';
  } catch (err) {
    if (hasAwsCode(err, 'NoSuchEntity', 'NoSuchEntityException')) return 'absent';
    throw err;
  }
}

/** Reads a role's inline policy and compares it with `wanted` (GetRolePolicy). */
export function rolePolicyState(iam: IAMClient, roleName: string, policyName: string, wanted: PolicyDocument): Promise<PolicyState> {
  return samePolicy(() => iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName })), wanted);
}

/** One access key of an IAM user, as ListAccessKeys returns it (`AccessKeyMetadata`, IAM API reference). */
export interface UserAccessKey {
  readonly accessKeyId: string;
  /** `Active` (valid for API calls) or `Inactive`. */
  readonly status: string;
  /** ISO-8601 UTC, when the key was created. */
  readonly createDate?: string;
}

/**
 * What became of the finding's key:
 * - `deactivated`: set Inactive by this call (planned, in plan mode);
 * - `already-inactive`: it was Inactive already (a re-run, or someone before Firebreak);
 * - `absent`: a long-term key (`AKIA…`) the user no longer has (deleted, e.g. by an attacker who made another);
 * - `temporary`: an STS key (`ASIA…`), which ListAccessKeys never lists and UpdateAccessKey cannot deactivate;
 * - `none`: no key was named.
 */
export type LeakedKeyState = 'deactivated' | 'already-inactive' | 'absent' | 'temporary' | 'none';

/**
 * Whether an access key ID is a temporary (STS) one: "Access key IDs beginning with AKIA are long-term
 * credentials for an IAM user or the AWS account root user. Access key IDs beginning with ASIA are
 * temporary credentials that are created using AWS STS operations" (GetAccessKeyInfo, AWS STS API reference).
 */
export function isTemporaryAccessKey(accessKeyId: string): boolean {
  return accessKeyId.startsWith('ASIA');
}

const toUserKey = (k: { AccessKeyId?: string; Status?: string; CreateDate?: Date }): UserAccessKey => ({
  accessKeyId: k.AccessKeyId!,
  status: k.Status!,
  ...(k.CreateDate ? { createDate: new Date(k.CreateDate).toISOString().replace(/\.\d{3}Z$/, 'Z') } : {}),
});

/**
 * Lists an IAM user's access keys (ListAccessKeys with `UserName`, IAM API reference; a user has at
 * most two, so one page).
 * @returns the keys, with status and creation date.
 * @throws {ResourceGone} when the user no longer exists (NoSuchEntity).
 */
export async function listUserAccessKeys(iam: IAMClient, userName: string): Promise<UserAccessKey[]> {
  try {
    return ((await iam.send(new ListAccessKeysCommand({ UserName: userName }))).AccessKeyMetadata ?? []).map(toUserKey);
  } catch (err) {
    if (hasAwsCode(err, 'NoSuchEntity', 'NoSuchEntityException'))
      throw new ResourceGone(`IAM user ${userName} no longer exists`, { cause: err });
    throw err;
  }
}

/** What {@link readUserRevocation} read back. */
export interface UserRevocationReadBack {
  /** What does not read back yet (the finding's key still usable, AWSDenyAll not attached), or undefined. */
  readonly problem?: string;
  /** The finding's key: `Inactive`, `absent` (no longer a key of the user), `temporary` (ASIA), `none` (no key named), or its other status. */
  readonly leakedKey: string;
  /** AWSDenyAll as read back: `same` when attached, `absent` when not. */
  readonly denyAll: PolicyState;
  /** Every access key the user has now. */
  readonly keys: UserAccessKey[];
}

/**
 * Reads an IAM user back after {@link ensureUserKeyRevoked}: ListAccessKeys and
 * ListAttachedUserPolicies, always both, so that a key that is gone (or an ASIA key, never listed)
 * does not make the check pass without reading the user's policies. The finding's key must be
 * Inactive or absent (a deleted key cannot sign a request); AWS's managed `AWSDenyAll` must be
 * attached to the user.
 * @throws {ResourceGone} when the user no longer exists.
 */
export async function readUserRevocation(iam: IAMClient, userName: string, accessKeyId?: string): Promise<UserRevocationReadBack> {
  const [keys, attached] = await Promise.all([listUserAccessKeys(iam, userName), listAttachedUserPolicyArns(iam, userName)]);
  const denyAll: PolicyState = attached.some(isAwsDenyAllPolicyArn) ? 'same' : 'absent';
  const leakedKey = !accessKeyId
    ? 'none'
    : isTemporaryAccessKey(accessKeyId)
      ? 'temporary'
      : (keys.find((k) => k.accessKeyId === accessKeyId)?.status ?? 'absent');
  const keyOk = leakedKey === 'none' || leakedKey === 'temporary' || leakedKey === 'absent' || leakedKey === 'Inactive';
  const problem =
    keyOk && denyAll === 'same'
      ? undefined
      : `${userName}: ${accessKeyId ? `key ${accessKeyId} is ${leakedKey}, ` : ''}AWSDenyAll ${denyAll === 'same' ? 'attached' : 'not attached'}`;
  return { problem, leakedKey, denyAll, keys };
}

/**
 * Reads an IAM user back after {@link ensureUserKeyRevoked} ({@link readUserRevocation}).
 * @returns what does not read back yet (key not Inactive, AWSDenyAll not attached), or undefined.
 * @throws {ResourceGone} when the user no longer exists.
 */
export async function userRevocationProblem(iam: IAMClient, userName: string, accessKeyId?: string): Promise<string | undefined> {
  return (await readUserRevocation(iam, userName, accessKeyId)).problem;
}

/**
 * Reads a role back after {@link ensureRoleSessionsRevoked}.
 * @returns what does not read back yet, or undefined.
 */
export async function roleRevocationProblem(iam: IAMClient, roleName: string, cutoff: string): Promise<string | undefined> {
  const state = await rolePolicyState(iam, roleName, ROLE_SESSION_REVOCATION_POLICY_NAME, roleSessionRevocationPolicy(new Date(cutoff)));
  return state === 'same' ? undefined : `${roleName}: session-revocation policy with cutoff ${cutoff} is ${state}`;
}

/** State of an IAM user recorded before Firebreak changes it (what release restores). */
export interface UserPriorState {
  readonly userName: string;
  /** Access key ID → status, for every key of the user. */
  readonly keyStatus: Record<string, string>;
  /** Names of the user's inline policies. */
  readonly inlinePolicies: string[];
  /** ARNs of the managed policies attached to the user, AWSDenyAll included when it was there before containment (release then leaves it). */
  readonly attachedPolicies: string[];
  readonly hadLoginProfile: boolean;
}

/**
 * Ensures an IAM user whose key leaked can no longer act (credential-compromise, IAMUser; cloudtrail-tamper's
 * actor). Containment is about the principal, not only the key: the key GuardDuty named may be gone
 * (an attacker who made a second key and deleted the first) or a temporary `ASIA…` key, and the user
 * is denied all the same.
 * 1. the finding's key set to `Inactive` (UpdateAccessKey with `UserName`, required when the caller
 *    is a role: IAM API reference), when it is a long-term key the user still has. A key that is
 *    gone, or an ASIA key (ListAccessKeys lists long-term keys only), has nothing to deactivate;
 * 2. AWS's managed `AWSDenyAll` attached to the user ({@link AWS_DENY_ALL_POLICY_NAME}; AttachUserPolicy,
 *    the only IAM write on a user the responder may make besides the key's status and the console
 *    password: its policy allows AttachUserPolicy for this one ARN, `iam:PolicyARN`);
 * 3. the console password removed, only when `removeLoginProfile` is set (AWSDenyAll already
 *    blocks the console).
 *
 * The user's other keys are listed (`keys`), never deactivated. The deny-all is an explicit
 * `Deny *` in an identity-based policy of the user, and an explicit deny in any applicable policy
 * overrides every allow ("Policy evaluation logic", IAM User Guide): every request the user makes is
 * denied, whichever of its access keys signs it, so a key the attacker created is blocked as the
 * leaked one is. The same holds for the user's temporary credentials (GetSessionToken,
 * GetFederationToken): their permissions are evaluated on every request and come from the user's
 * policies ("Disabling permissions for temporary security credentials", IAM User Guide), which is why
 * the user's deny-all carries no `aws:TokenIssueTime` condition (as the role revocation must, to
 * spare the role's future sessions): such a condition would only narrow the deny. Deactivating the
 * other keys too would add nothing to the containment, would cut a legitimate key in rotation, and
 * would be more state for release to restore; a person decides about them (runbook §4, "Rotate").
 *
 * Reads first and changes only what differs; records the prior state (every key and its status, the
 * policies attached, AWSDenyAll included when someone attached it before) before the first change, so
 * release restores exactly what was there.
 * Calls: IAM ListAccessKeys, ListUserPolicies, ListAttachedUserPolicies, GetLoginProfile; in apply
 * mode UpdateAccessKey, AttachUserPolicy, DeleteLoginProfile as needed.
 * @param input - the user, the finding's key (absent for a caller that used no long-term key), whether
 *   to remove the console password, the mode (`plan` makes no mutating call) and the partition of
 *   the user's account (for AWSDenyAll's ARN; default `aws`).
 * @param deps - `iam` in the user's account; `recordPriorState` stores the observation (first wins) and returns the stored one.
 * @returns the prior state, the actions taken or planned, the user's other keys, every key of the
 *   user as this call leaves it (`keys`) and what became of the finding's key (`leakedKey`).
 * @throws {ResourceGone} when the user no longer exists (no mutating call made).
 * @throws {QuotaExceeded} when the user already has as many managed policies as IAM allows
 *   (AttachUserPolicy `LimitExceeded`); the finding's key is Inactive by then.
 */
export async function ensureUserKeyRevoked(
  input: { userName: string; accessKeyId?: string; removeLoginProfile: boolean; mode: StepMode; partition?: string },
  deps: { iam: IAMClient; recordPriorState?: (v: UserPriorState) => Promise<UserPriorState> },
): Promise<{ prior: UserPriorState; actions: PlannedAction[]; otherKeys: string[]; keys: UserAccessKey[]; leakedKey: LeakedKeyState }> {
  const { iam } = deps;
  const { userName, accessKeyId } = input;
  const keys = await listUserAccessKeys(iam, userName);
  const key = accessKeyId ? keys.find((k) => k.accessKeyId === accessKeyId) : undefined;
  const [inline, attached, login] = await Promise.all([
    iam.send(new ListUserPoliciesCommand({ UserName: userName })),
    listAttachedUserPolicyArns(iam, userName),
    iam.send(new GetLoginProfileCommand({ UserName: userName })).then(
      () => true,
      (err) => {
        if (hasAwsCode(err, 'NoSuchEntity', 'NoSuchEntityException')) return false;
        throw err;
      },
    ),
  ]);
  const observed: UserPriorState = {
    userName,
    keyStatus: Object.fromEntries(keys.map((k) => [k.accessKeyId, k.status])),
    inlinePolicies: inline.PolicyNames ?? [],
    attachedPolicies: attached,
    hadLoginProfile: login,
  };
  const apply = input.mode === 'apply';
  const prior = apply && deps.recordPriorState ? await deps.recordPriorState(observed) : observed;
  const actions: PlannedAction[] = [];
  const leakedKey: LeakedKeyState = !accessKeyId
    ? 'none'
    : isTemporaryAccessKey(accessKeyId)
      ? 'temporary'
      : !key
        ? 'absent'
        : key.status === 'Inactive'
          ? 'already-inactive'
          : 'deactivated';
  if (key && leakedKey === 'deactivated') {
    actions.push({ operation: 'IAM.UpdateAccessKey', target: key.accessKeyId, change: `${userName}: ${key.status} → Inactive` });
    if (apply) await iam.send(new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: key.accessKeyId, Status: 'Inactive' }));
  }
  if (!attached.some(isAwsDenyAllPolicyArn)) {
    const policyArn = awsDenyAllPolicyArn(input.partition);
    actions.push({ operation: 'IAM.AttachUserPolicy', target: userName, change: `attach ${policyArn} (Deny *)` });
    if (apply) {
      await iam.send(new AttachUserPolicyCommand({ UserName: userName, PolicyArn: policyArn })).catch(async (err) => {
        // NoSuchEntity names the user or the policy: a user deleted since the reads is ResourceGone (listed again to tell).
        if (hasAwsCode(err, 'NoSuchEntity', 'NoSuchEntityException')) await listUserAccessKeys(iam, userName);
        // "Managed policies attached to an IAM user: 10" by default, 20 at most ("IAM and AWS STS quotas", IAM User Guide).
        if (hasAwsCode(err, 'LimitExceeded', 'LimitExceededException')) {
          throw new QuotaExceeded(
            `IAM user ${userName} already has ${attached.length} managed policies attached, the most IAM allows: AWSDenyAll cannot be attached; detach one by hand and run the case again`,
            { cause: err },
          );
        }
        throw err;
      });
    }
  }
  if (input.removeLoginProfile && login) {
    actions.push({ operation: 'IAM.DeleteLoginProfile', target: userName, change: 'remove console password' });
    if (apply) {
      await iam.send(new DeleteLoginProfileCommand({ UserName: userName })).catch((err) => {
        if (!hasAwsCode(err, 'NoSuchEntity', 'NoSuchEntityException')) throw err;
      });
    }
  }
  const after = keys.map((k) => (k === key && leakedKey === 'deactivated' && apply ? { ...k, status: 'Inactive' } : k));
  return { prior, actions, otherKeys: keys.filter((k) => k.accessKeyId !== accessKeyId).map((k) => k.accessKeyId), keys: after, leakedKey };
}

/** State of a role recorded before Firebreak changes it. */
export interface RolePriorState {
  readonly roleName: string;
  /** Whether the revocation policy already existed (from an earlier case) and its text. */
  readonly previousRevocationPolicy?: string;
}

/**
 * Ensures every session of a role issued before `cutoff` is revoked (credential-compromise,
 * AssumedRole and instance credentials): the Firebreak session-revocation inline policy with
 * `aws:TokenIssueTime` earlier than the cutoff. The cutoff is recorded in the case the first time
 * (first wins), so a re-run writes the same policy and changes nothing.
 * @throws {ResourceGone} when the role no longer exists.
 * @returns `protectedReason` instead of acting when the role must never be touched.
 */
export async function ensureRoleSessionsRevoked(
  input: { roleName: string; cutoff: Date; mode: StepMode; protectedRoleNames?: readonly string[] },
  deps: { iam: IAMClient; recordPriorState?: (v: RolePriorState) => Promise<RolePriorState> },
): Promise<{ prior?: RolePriorState; actions: PlannedAction[]; protectedReason?: string; cutoff: string }> {
  const { iam } = deps;
  const role = await getRoleOrGone(iam, input.roleName);
  const cutoff = input.cutoff.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const reason = protectedRoleReason(input.roleName, role?.Path, input.protectedRoleNames);
  if (reason) return { actions: [], protectedReason: reason, cutoff };
  const wanted = roleSessionRevocationPolicy(input.cutoff);
  let previous: string | undefined;
  const state = await samePolicy(async () => {
    const out = await iam.send(new GetRolePolicyCommand({ RoleName: input.roleName, PolicyName: ROLE_SESSION_REVOCATION_POLICY_NAME }));
    previous = out.PolicyDocument ? JSON.stringify(parsePolicyDocument(out.PolicyDocument)) : undefined;
    return out;
  }, wanted);
  const observed: RolePriorState = { roleName: input.roleName, previousRevocationPolicy: previous };
  const apply = input.mode === 'apply';
  const prior = apply && deps.recordPriorState ? await deps.recordPriorState(observed) : observed;
  const actions: PlannedAction[] = [];
  if (state !== 'same') {
    actions.push({
      operation: 'IAM.PutRolePolicy',
      target: input.roleName,
      change: `inline ${ROLE_SESSION_REVOCATION_POLICY_NAME}: deny sessions issued before ${cutoff}`,
    });
    if (apply)
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: input.roleName,
          PolicyName: ROLE_SESSION_REVOCATION_POLICY_NAME,
          PolicyDocument: policyText(wanted),
        }),
      );
  }
  return { prior, actions, cutoff };
}

/**
 * The role, read with IAM GetRole.
 * @throws {ResourceGone} when it no longer exists (`NoSuchEntity`).
 */
async function getRoleOrGone(iam: IAMClient, roleName: string): Promise<Role | undefined> {
  try {
    return (await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role;
  } catch (err) {
    if (hasAwsCode(err, 'NoSuchEntity', 'NoSuchEntityException'))
      throw new ResourceGone(`IAM role ${roleName} no longer exists`, { cause: err });
    throw err;
  }
}

/**
 * The scoped alternative for instance credentials: ensures the role carries the Firebreak policy that
 * denies its credentials outside the VPC of the instance they were issued to
 * ({@link roleVpcRestrictionPolicy}); sessions used from the instance keep working.
 * @throws {ResourceGone} when the role no longer exists.
 * @returns `protectedReason` instead of acting when the role must never be touched.
 */
export async function ensureRoleRestrictedToVpc(
  input: { roleName: string; mode: StepMode; protectedRoleNames?: readonly string[] },
  deps: { iam: IAMClient },
): Promise<{ actions: PlannedAction[]; protectedReason?: string }> {
  const { iam } = deps;
  const role = await getRoleOrGone(iam, input.roleName);
  const reason = protectedRoleReason(input.roleName, role?.Path, input.protectedRoleNames);
  if (reason) return { actions: [], protectedReason: reason };
  const wanted = roleVpcRestrictionPolicy();
  const state = await rolePolicyState(iam, input.roleName, ROLE_VPC_RESTRICTION_POLICY_NAME, wanted);
  const actions: PlannedAction[] = [];
  if (state !== 'same') {
    actions.push({
      operation: 'IAM.PutRolePolicy',
      target: input.roleName,
      change: `inline ${ROLE_VPC_RESTRICTION_POLICY_NAME}: deny the role's credentials outside the instance's VPC`,
    });
    if (input.mode === 'apply')
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: input.roleName,
          PolicyName: ROLE_VPC_RESTRICTION_POLICY_NAME,
          PolicyDocument: policyText(wanted),
        }),
      );
  }
  return { actions };
}
