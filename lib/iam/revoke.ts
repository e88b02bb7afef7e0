import {
  GetRoleCommand, GetRolePolicyCommand, GetUserPolicyCommand, IAMClient, ListAccessKeysCommand, ListAttachedUserPoliciesCommand,
  ListUserPoliciesCommand, PutRolePolicyCommand, PutUserPolicyCommand, UpdateAccessKeyCommand, GetLoginProfileCommand, DeleteLoginProfileCommand,
} from '@aws-sdk/client-iam';
import { ResourceGone } from '../errors';
import { hasAwsCode } from '../runtime/aws-errors';
import type { PlannedAction, StepMode } from '../ec2/instance';
import {
  parsePolicyDocument, PolicyDocument, policyText, ROLE_SESSION_REVOCATION_POLICY_NAME, roleSessionRevocationPolicy,
  ROLE_VPC_RESTRICTION_POLICY_NAME, roleVpcRestrictionPolicy, USER_DENY_ALL_POLICY_NAME, userDenyAllPolicy,
} from './policies';

/**
 * Why a principal must never be touched: service-linked roles (their trust and permissions belong
 * to the AWS service: "Using service-linked roles", IAM User Guide) and Firebreak's own roles
 * (revoking them would disable the responder).
 * @returns the reason, or undefined when the role may be acted on.
 */
export function protectedRoleReason(roleName: string, path = '/', protectedRoleNames: readonly string[] = []): string | undefined {
  if (protectedRoleNames.includes(roleName)) return `${roleName} is one of Firebreak's own roles`;
  if (path.startsWith('/aws-service-role/') || roleName.startsWith('AWSServiceRoleFor')) return `${roleName} is a service-linked role`;
  // FirebreakSecurity-/FirebreakMember-: roles CloudFormation names after the stacks (single-account mode).
  if (/^(FirebreakResponder|FirebreakReleaser|FirebreakSecurity-|FirebreakMember-)/.test(roleName) || /^firebreak-/.test(roleName)) return `${roleName} is one of Firebreak's own roles`;
  return undefined;
}

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

/** Reads a user's inline policy and compares it with `wanted` (GetUserPolicy). */
export function userPolicyState(iam: IAMClient, userName: string, policyName: string, wanted: PolicyDocument): Promise<PolicyState> {
  return samePolicy(() => iam.send(new GetUserPolicyCommand({ UserName: userName, PolicyName: policyName })), wanted);
}

/** Reads a role's inline policy and compares it with `wanted` (GetRolePolicy). */
export function rolePolicyState(iam: IAMClient, roleName: string, policyName: string, wanted: PolicyDocument): Promise<PolicyState> {
  return samePolicy(() => iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName })), wanted);
}

/**
 * Reads an IAM user back after {@link ensureUserKeyRevoked}.
 * @returns what does not read back yet (key not Inactive, deny-all policy missing), or undefined.
 */
export async function userRevocationProblem(iam: IAMClient, userName: string, accessKeyId?: string): Promise<string | undefined> {
  const [keys, policy] = await Promise.all([
    accessKeyId ? iam.send(new ListAccessKeysCommand({ UserName: userName })).then((o) => o.AccessKeyMetadata ?? []) : Promise.resolve([]),
    userPolicyState(iam, userName, USER_DENY_ALL_POLICY_NAME, userDenyAllPolicy()),
  ]);
  const status = accessKeyId ? keys.find((k) => k.AccessKeyId === accessKeyId)?.Status ?? 'missing' : undefined;
  if ((status === undefined || status === 'Inactive') && policy === 'same') return undefined;
  return `${userName}: ${accessKeyId ? `key ${accessKeyId} is ${status}, ` : ''}deny-all policy ${policy}`;
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
  readonly inlinePolicies: string[];
  readonly attachedPolicies: string[];
  readonly hadLoginProfile: boolean;
}

/**
 * Ensures an IAM user's leaked key is unusable (credential-compromise, IAMUser):
 * 1. the finding's key set to `Inactive` (UpdateAccessKey with `UserName`, required when the caller
 *    is a role: IAM API reference), when it is a long-term key of the user; the user's other keys are left alone;
 * 2. the Firebreak deny-all inline policy on the user (fixed name, overwritten on re-run);
 * 3. the console password removed, only when `removeLoginProfile` is set (the deny-all policy already
 *    blocks the console).
 * Reads first and changes only what differs; records the prior state before the first change.
 * @throws {ResourceGone} when the user or the key no longer exists.
 */
export async function ensureUserKeyRevoked(
  input: { userName: string; accessKeyId?: string; removeLoginProfile: boolean; mode: StepMode },
  deps: { iam: IAMClient; recordPriorState?: (v: UserPriorState) => Promise<UserPriorState> },
): Promise<{ prior: UserPriorState; actions: PlannedAction[]; otherKeys: string[] }> {
  const { iam } = deps;
  const { userName, accessKeyId } = input;
  let keys;
  try {
    keys = (await iam.send(new ListAccessKeysCommand({ UserName: userName }))).AccessKeyMetadata ?? [];
  } catch (err) {
    if (hasAwsCode(err, 'NoSuchEntity', 'NoSuchEntityException')) throw new ResourceGone(`IAM user ${userName} no longer exists`, { cause: err });
    throw err;
  }
  // Without a long-term key (e.g. a session key from GetSessionToken), the deny-all policy alone cuts the user off.
  const key = accessKeyId ? keys.find((k) => k.AccessKeyId === accessKeyId) : undefined;
  if (accessKeyId && !key) throw new ResourceGone(`Access key ${accessKeyId} of ${userName} no longer exists`);
  const [inline, attached, login, policyState] = await Promise.all([
    iam.send(new ListUserPoliciesCommand({ UserName: userName })),
    iam.send(new ListAttachedUserPoliciesCommand({ UserName: userName })),
    iam.send(new GetLoginProfileCommand({ UserName: userName })).then(() => true, (err) => {
      if (hasAwsCode(err, 'NoSuchEntity', 'NoSuchEntityException')) return false;
      throw err;
    }),
    userPolicyState(iam, userName, USER_DENY_ALL_POLICY_NAME, userDenyAllPolicy()),
  ]);
  const observed: UserPriorState = {
    userName,
    keyStatus: Object.fromEntries(keys.map((k) => [k.AccessKeyId!, k.Status!])),
    inlinePolicies: (inline.PolicyNames ?? []).filter((n) => n !== USER_DENY_ALL_POLICY_NAME),
    attachedPolicies: (attached.AttachedPolicies ?? []).map((p) => p.PolicyArn!),
    hadLoginProfile: login,
  };
  const apply = input.mode === 'apply';
  const prior = apply && deps.recordPriorState ? await deps.recordPriorState(observed) : observed;
  const actions: PlannedAction[] = [];
  if (key && accessKeyId && key.Status !== 'Inactive') {
    actions.push({ operation: 'IAM.UpdateAccessKey', target: accessKeyId, change: `${userName}: Active → Inactive` });
    if (apply) await iam.send(new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId, Status: 'Inactive' }));
  }
  if (policyState !== 'same') {
    actions.push({ operation: 'IAM.PutUserPolicy', target: userName, change: `inline ${USER_DENY_ALL_POLICY_NAME} (Deny *)` });
    if (apply) await iam.send(new PutUserPolicyCommand({ UserName: userName, PolicyName: USER_DENY_ALL_POLICY_NAME, PolicyDocument: policyText(userDenyAllPolicy()) }));
  }
  if (input.removeLoginProfile && login) {
    actions.push({ operation: 'IAM.DeleteLoginProfile', target: userName, change: 'remove console password' });
    if (apply) {
      await iam.send(new DeleteLoginProfileCommand({ UserName: userName })).catch((err) => {
        if (!hasAwsCode(err, 'NoSuchEntity', 'NoSuchEntityException')) throw err;
      });
    }
  }
  return { prior, actions, otherKeys: keys.filter((k) => k.AccessKeyId !== accessKeyId).map((k) => k.AccessKeyId!) };
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
  let role;
  try {
    role = (await iam.send(new GetRoleCommand({ RoleName: input.roleName }))).Role;
  } catch (err) {
    if (hasAwsCode(err, 'NoSuchEntity', 'NoSuchEntityException')) throw new ResourceGone(`IAM role ${input.roleName} no longer exists`, { cause: err });
    throw err;
  }
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
    actions.push({ operation: 'IAM.PutRolePolicy', target: input.roleName, change: `inline ${ROLE_SESSION_REVOCATION_POLICY_NAME}: deny sessions issued before ${cutoff}` });
    if (apply) await iam.send(new PutRolePolicyCommand({ RoleName: input.roleName, PolicyName: ROLE_SESSION_REVOCATION_POLICY_NAME, PolicyDocument: policyText(wanted) }));
  }
  return { prior, actions, cutoff };
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
  let role;
  try {
    role = (await iam.send(new GetRoleCommand({ RoleName: input.roleName }))).Role;
  } catch (err) {
    if (hasAwsCode(err, 'NoSuchEntity', 'NoSuchEntityException')) throw new ResourceGone(`IAM role ${input.roleName} no longer exists`, { cause: err });
    throw err;
  }
  const reason = protectedRoleReason(input.roleName, role?.Path, input.protectedRoleNames);
  if (reason) return { actions: [], protectedReason: reason };
  const wanted = roleVpcRestrictionPolicy();
  const state = await rolePolicyState(iam, input.roleName, ROLE_VPC_RESTRICTION_POLICY_NAME, wanted);
  const actions: PlannedAction[] = [];
  if (state !== 'same') {
    actions.push({ operation: 'IAM.PutRolePolicy', target: input.roleName, change: `inline ${ROLE_VPC_RESTRICTION_POLICY_NAME}: deny the role's credentials outside the instance's VPC` });
    if (input.mode === 'apply') await iam.send(new PutRolePolicyCommand({ RoleName: input.roleName, PolicyName: ROLE_VPC_RESTRICTION_POLICY_NAME, PolicyDocument: policyText(wanted) }));
  }
  return { actions };
}
