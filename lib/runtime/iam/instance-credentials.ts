import { GetInstanceProfileCommand, GetRolePolicyCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { globRegExp } from '../../core/glob';
import { InvalidInput, NotYetConsistent } from '../../core/errors';
import { hasAwsCode } from '../aws-errors';
import type { PlannedAction, StepMode } from '../ec2/instance';
import { parsePolicyDocument, PolicyDocument, policyText, roleSessionRevocationPolicy } from './policies';
import { protectedRoleReason } from './principals';
import '../clients/iam';

/**
 * The deny on an instance role scoped to one instance (issue 15, item 1): the role's credentials that EC2 delivered to
 * the contained instance (and any copy an attacker took from its instance metadata) are denied everything, while the
 * same role's credentials on every other instance keep working.
 *
 * Why `ec2:SourceInstanceARN`: "Use ec2:SourceInstanceARN to specify the ARN of the instance from which a request is
 * made. This is an AWS global condition key, which means that you can use it with services other than Amazon EC2"
 * (Amazon EC2 User Guide, "Amazon EC2 identity-based policies", condition keys,
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/iam-policies-for-amazon-ec2.html; "IAM roles for Amazon EC2",
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/iam-roles-for-amazon-ec2.html). AWS describes the EC2 role
 * credential's instance properties as properties of the credential itself ("each and every role credential has ...
 * properties unique to that particular instance's copy of the credential": "IAM Roles for EC2 now provide Credential
 * Control Properties", AWS What's New, 2023-03-06; "The two new condition keys relate to dynamic properties of the EC2
 * role credential itself", AWS Security Blog, "How to use policies to restrict where EC2 instance credentials can be
 * used from", https://aws.amazon.com/blogs/security/how-to-use-policies-to-restrict-where-ec2-instance-credentials-can-be-used-from/),
 * and AWS's own data-perimeter examples use the key to pick out those sessions in a policy that denies them off the
 * expected networks ("The `ec2:SourceInstanceARN` condition key is used to target role sessions that are created for
 * applications running on your Amazon EC2 instances": aws-samples/data-perimeter-policy-examples,
 * service_control_policies/README.md, network_perimeter_ec2_policy), so the key travels with the stolen credentials
 * wherever they sign a request, inside or outside AWS, unlike the network-path keys (`aws:SourceVpc`, `aws:SourceIp`); see also "AWS global condition context keys", IAM User Guide,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html. A request signed with other
 * credentials of the role (another instance's, a person's AssumeRole session) carries another ARN or no key at all, so
 * the deny does not apply to it. `ArnEquals` is the operator of EC2's own example for this key ("Example: Allow a
 * specific instance to view resources in other AWS services", same EC2 page). An explicit deny in an identity policy
 * overrides every allow ("Policy evaluation logic", IAM User Guide).
 */

/** Sid of the one statement of {@link instanceCredentialsDenyPolicy}. */
export const INSTANCE_CREDENTIALS_DENY_SID = 'FirebreakDenyInstanceCredentials';
/** Prefix of the per-instance inline policy name. */
export const INSTANCE_CREDENTIALS_POLICY_PREFIX = 'FirebreakDenyInstanceCredentials-';
/** IAM's inline policy name limit ("IAM and AWS STS quotas": policy name, 128 characters; PutRolePolicy `PolicyName`). */
const POLICY_NAME_MAX = 128;

/**
 * The inline policy name for one instance: deterministic, so that two containments of two instances on one role write
 * two policies that never race, and a re-run of one writes the same one.
 * @param instanceId - `i-` followed by 8 or 17 hexadecimal digits.
 * @throws {InvalidInput} for anything else (the name must stay within PutRolePolicy's `[\w+=,.@-]+`, 128 characters).
 */
export function instanceCredentialsPolicyName(instanceId: string): string {
  if (!/^i-[0-9a-f]{8}([0-9a-f]{9})?$/.test(instanceId)) throw new InvalidInput(`not an EC2 instance ID: ${JSON.stringify(instanceId)}`);
  const name = `${INSTANCE_CREDENTIALS_POLICY_PREFIX}${instanceId}`;
  if (name.length > POLICY_NAME_MAX) throw new InvalidInput(`policy name ${name} is over ${POLICY_NAME_MAX} characters`);
  return name;
}

/**
 * The instance's ARN, from the finding's partition, region and account (never from tags): `arn:<partition>:ec2:<region>:<account>:instance/<id>`.
 * @throws {InvalidInput} when the instance ID is malformed.
 */
export function instanceArnOf(i: { partition: string; region: string; account: string }, instanceId: string): string {
  instanceCredentialsPolicyName(instanceId);
  return `arn:${i.partition}:ec2:${i.region}:${i.account}:instance/${instanceId}`;
}

/**
 * Denies everything to requests whose `ec2:SourceInstanceARN` is the instance's ARN.
 * @param instanceArn - the contained instance's ARN ({@link instanceArnOf}).
 */
export function instanceCredentialsDenyPolicy(instanceArn: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: INSTANCE_CREDENTIALS_DENY_SID,
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { ArnEquals: { 'ec2:SourceInstanceARN': instanceArn } },
      },
    ],
  };
}

/** What the deny step records on the case before its write (`priorState.instanceCredentials`): what release restores. */
export interface InstanceCredentialsPriorState {
  readonly roleName: string;
  readonly policyName: string;
  /** The policy's canonical text when the role already had one of that name before this case; absent when it had none. */
  readonly previousPolicy?: string;
}

/** The roles never touched besides service-linked ones: Firebreak's own and the deployment's `protection` lists. */
export interface RoleProtection {
  /** Firebreak's responder and releaser role names. */
  readonly protectedRoleNames: readonly string[];
  /** `protection.roleNamePatterns` (`*` globs, without regard to case, as IAM compares names). */
  readonly roleNamePatterns: readonly string[];
  /** `protection.resourceArns` (exact ARNs). */
  readonly resourceArns: readonly string[];
}

/**
 * Why a role must not be touched, or undefined: {@link protectedRoleReason} (service-linked, Firebreak's own), then the
 * deployment's `protection.resourceArns` (the role's ARN) and `protection.roleNamePatterns`.
 */
export function roleProtectionReason(role: { name: string; path?: string; arn?: string }, protection: RoleProtection): string | undefined {
  const own = protectedRoleReason(role.name, role.path ?? '/', protection.protectedRoleNames);
  if (own) return own;
  if (role.arn && protection.resourceArns.includes(role.arn)) return `${role.name} is in protection.resourceArns (${role.arn})`;
  const pattern = protection.roleNamePatterns.find((p) => globRegExp(p, '.*', 'i').test(role.name));
  return pattern ? `${role.name} matches protection.roleNamePatterns (${pattern})` : undefined;
}

/** The role an instance profile holds (IAM GetInstanceProfile), or why there is none. */
export type ProfileRole =
  | { readonly kind: 'role'; readonly name: string; readonly path?: string; readonly arn?: string }
  | { readonly kind: 'no-role' | 'profile-gone'; readonly detail: string };

/** The profile's name: the last segment of its ARN (`arn:<p>:iam::<account>:instance-profile/<path/>name`). */
function profileNameOf(profileArn: string): string {
  const m = /^arn:aws[a-z-]*:iam::\d{12}:instance-profile\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,128})$/.exec(profileArn);
  if (!m) throw new InvalidInput(`not an instance profile ARN: ${JSON.stringify(profileArn)}`);
  return m[1];
}

/**
 * Resolves the role of an instance profile (GetInstanceProfile, IAM API Reference: `InstanceProfile.Roles`, at most one
 * role per profile, "IAM and AWS STS quotas").
 * @throws {InvalidInput} when the ARN is not an instance profile's.
 */
export async function roleOfInstanceProfile(iam: IAMClient, profileArn: string): Promise<ProfileRole> {
  const name = profileNameOf(profileArn);
  try {
    const role = (await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }))).InstanceProfile?.Roles?.[0];
    if (!role?.RoleName) return { kind: 'no-role', detail: `instance profile ${name} holds no role` };
    return { kind: 'role', name: role.RoleName, path: role.Path, arn: role.Arn };
  } catch (err) {
    if (hasAwsCode(err, 'NoSuchEntity', 'NoSuchEntityException'))
      return { kind: 'profile-gone', detail: `instance profile ${name} no longer exists: its role cannot be resolved` };
    throw err;
  }
}

/** Canonical text of a role's inline policy (GetRolePolicy, URL-decoded), or undefined when the role has none of that name. */
export async function readRolePolicyText(iam: IAMClient, roleName: string, policyName: string): Promise<string | undefined> {
  try {
    const out = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }));
    return out.PolicyDocument ? JSON.stringify(parsePolicyDocument(out.PolicyDocument)) : undefined;
  } catch (err) {
    if (hasAwsCode(err, 'NoSuchEntity', 'NoSuchEntityException')) return undefined;
    throw err;
  }
}

/**
 * The cutoff of a session-revocation document when it is exactly one Firebreak writes ({@link roleSessionRevocationPolicy}),
 * else undefined (absent, changed, someone else's).
 * @param text - the canonical text of `FirebreakRevokeOlderSessions` ({@link readRolePolicyText}).
 * @returns the cutoff, ISO-8601 UTC to the second.
 */
export function revocationCutoffOf(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    const doc = JSON.parse(text) as { Statement?: { Condition?: { DateLessThan?: Record<string, unknown> } }[] };
    const cutoff = doc.Statement?.[0]?.Condition?.DateLessThan?.['aws:TokenIssueTime'];
    if (typeof cutoff !== 'string' || Number.isNaN(Date.parse(cutoff))) return undefined;
    return policyText(roleSessionRevocationPolicy(new Date(cutoff))) === text ? cutoff : undefined;
  } catch {
    return undefined;
  }
}

/** Input of {@link ensureInstanceCredentialsDenied}. */
export interface InstanceCredentialsInput {
  readonly instanceId: string;
  /** The instance's ARN ({@link instanceArnOf}). */
  readonly instanceArn: string;
  /** The profile associated before containment, as the case recorded it (`priorState.isolate.instanceProfileArn`). */
  readonly instanceProfileArn?: string;
  /**
   * The role an earlier run of this step recorded for this case (`priorState.instanceCredentials.roleName`): a re-run
   * acts on it rather than on the role the profile holds now (one swapped in since would get a deny release never removes).
   */
  readonly recordedRoleName?: string;
  readonly protection: RoleProtection;
  /** `plan` reads only. */
  readonly mode: StepMode;
}

/** Result of {@link ensureInstanceCredentialsDenied} (`$.instanceCredentials.deny`). */
export interface InstanceCredentialsDenyResult {
  /**
   * `denied`: the policy is on the role and read back as written (planned, in plan mode); `no-profile`: no profile was
   * associated, so no role credentials were delivered; `no-role` / `profile-gone`: the role cannot be resolved;
   * `protected`: the role is never touched (`reason`); `access-denied`: IAM refused a read or the write (`reason`), so the
   * role's credentials on the instance are not denied (DenyInstanceCredentials, which goes on to the evidence).
   */
  readonly status: 'denied' | 'no-profile' | 'no-role' | 'profile-gone' | 'protected' | 'access-denied';
  readonly instanceArn: string;
  readonly roleName?: string;
  readonly policyName?: string;
  readonly reason?: string;
  readonly actions: PlannedAction[];
  /** Whether the policy read back (GetRolePolicy after the write) as written; apply mode, status `denied` only. */
  readonly verified?: boolean;
}

/** Dependencies of {@link ensureInstanceCredentialsDenied}. */
export interface InstanceCredentialsDeps {
  readonly iam: IAMClient;
  /** Stores the prior state on the case, first observation wins, and returns the stored one; absent in plan mode. */
  readonly recordPriorState?: (v: InstanceCredentialsPriorState) => Promise<InstanceCredentialsPriorState>;
}

/**
 * Ensures the instance's role carries the deny scoped to the instance ({@link instanceCredentialsDenyPolicy}) as the
 * inline policy {@link instanceCredentialsPolicyName}: resolves the role from the recorded profile (never from tags;
 * on a re-run, the role the first run recorded, `recordedRoleName`),
 * skips a protected role, reads the policy (GetRolePolicy), records the prior state on the case before any write, writes
 * only when it is absent or different (PutRolePolicy), then reads it back. Twice, at once or after a crash it converges
 * on the same document; other instances' policies on the role are never read or written.
 * Calls: IAM GetInstanceProfile, GetRolePolicy; in apply mode PutRolePolicy when needed and GetRolePolicy again.
 * @throws {InvalidInput} when the instance ID or the profile ARN is malformed (no call made).
 * @throws {NotYetConsistent} when the policy does not read back as written (IAM is eventually consistent; retried).
 */
export async function ensureInstanceCredentialsDenied(
  input: InstanceCredentialsInput,
  deps: InstanceCredentialsDeps,
): Promise<InstanceCredentialsDenyResult> {
  const { instanceArn } = input;
  const policyName = instanceCredentialsPolicyName(input.instanceId);
  if (!input.instanceProfileArn)
    return { status: 'no-profile', instanceArn, reason: 'no instance profile was associated at containment', actions: [] };
  const role: ProfileRole = input.recordedRoleName
    ? { kind: 'role', name: input.recordedRoleName }
    : await roleOfInstanceProfile(deps.iam, input.instanceProfileArn);
  if (role.kind !== 'role') return { status: role.kind, instanceArn, reason: role.detail, actions: [] };
  const roleName = role.name;
  const reason = roleProtectionReason(role, input.protection);
  if (reason) return { status: 'protected', instanceArn, roleName, reason: `${reason}: never touched by Firebreak`, actions: [] };
  const wanted = policyText(instanceCredentialsDenyPolicy(instanceArn));
  const current = await readRolePolicyText(deps.iam, roleName, policyName);
  const base = { status: 'denied' as const, instanceArn, roleName, policyName };
  if (input.mode === 'apply' && deps.recordPriorState)
    await deps.recordPriorState({ roleName, policyName, ...(current === undefined ? {} : { previousPolicy: current }) });
  if (current === wanted) return { ...base, actions: [], ...(input.mode === 'apply' ? { verified: true } : {}) };
  const actions: PlannedAction[] = [
    {
      operation: 'IAM.PutRolePolicy',
      target: roleName,
      change: `inline ${policyName}: deny every request signed by ${instanceArn}'s credentials`,
    },
  ];
  if (input.mode === 'plan') return { ...base, actions };
  try {
    await deps.iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: policyName, PolicyDocument: wanted }));
  } catch (err) {
    // The role was deleted since it was resolved (or recorded): its credentials no longer work, there is nothing to deny.
    if (!hasAwsCode(err, 'NoSuchEntity', 'NoSuchEntityException')) throw err;
    return { status: 'no-role', instanceArn, roleName, reason: `role ${roleName} no longer exists`, actions: [] };
  }
  const readBack = await readRolePolicyText(deps.iam, roleName, policyName);
  if (readBack !== wanted) throw new NotYetConsistent(`${roleName}: ${policyName} does not read back as written yet`);
  return { ...base, actions, verified: true };
}
