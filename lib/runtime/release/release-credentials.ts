import {
  AccessKeyMetadata,
  DeleteRolePolicyCommand,
  DetachUserPolicyCommand,
  GetLoginProfileCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  PutRolePolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import type { StepMode } from '../ec2/instance';
import { InvalidInput, ResourceGone } from '../../core/errors';
import {
  isAwsDenyAllPolicyArn,
  parsePolicyDocument,
  policyText,
  ROLE_SESSION_REVOCATION_POLICY_NAME,
  ROLE_VPC_RESTRICTION_POLICY_NAME,
  roleSessionRevocationPolicy,
  roleVpcRestrictionPolicy,
} from '../iam/policies';
import { listAttachedUserPolicyArns, protectedRoleReason } from '../iam/principals';
import type { RolePriorState, UserPriorState } from '../iam/revoke';
import { hasAwsCode } from '../aws-errors';
import { emptyAssessment, mergeAssessments, pendingProblem, ReleaseAssessment, ReleaseResult, runChanges } from './plan';
import '../clients/iam';

/** Input of {@link ensureCredentialsReleased}. */
export interface CredentialsReleaseInput {
  /** What the revocation recorded for the user (`priorState.user` of the case). */
  readonly user?: UserPriorState;
  /** What the revocation recorded for the role (`priorState.role` of the case). */
  readonly role?: RolePriorState;
  /** The finding's access key: the only key whose status is restored. */
  readonly accessKeyId?: string;
  /** @default `user.userName` */
  readonly userName?: string;
  /** @default `role.roleName` */
  readonly roleName?: string;
  /** Roles never touched, besides service-linked roles and Firebreak's own (as for revocation). @default [] */
  readonly protectedRoleNames?: readonly string[];
  /** `plan` makes no mutating call and returns what `apply` would do. */
  readonly mode: StepMode;
}

/** Result of {@link ensureCredentialsReleased}. */
export interface CredentialsReleaseResult extends ReleaseResult {
  readonly userName?: string;
  readonly roleName?: string;
}

type ReleaseInputs = Omit<CredentialsReleaseInput, 'mode'>;

const isNoSuchEntity = (err: unknown) => hasAwsCode(err, 'NoSuchEntity', 'NoSuchEntityException');

/** Canonical text of an inline policy (as Firebreak compares them), or undefined when there is none. */
async function readPolicy(get: () => Promise<{ PolicyDocument?: string }>): Promise<string | undefined> {
  try {
    const out = await get();
    return out.PolicyDocument ? JSON.stringify(parsePolicyDocument(out.PolicyDocument)) : undefined;
  } catch (err) {
    if (isNoSuchEntity(err)) return undefined;
    throw err;
  }
}

/** Whether a policy text is exactly a session-revocation policy Firebreak writes (for whatever cutoff it holds). */
function isFirebreakRevocationPolicy(text: string): boolean {
  try {
    const doc = JSON.parse(text) as { Statement?: { Condition?: { DateLessThan?: Record<string, unknown> } }[] };
    const cutoff = doc.Statement?.[0]?.Condition?.DateLessThan?.['aws:TokenIssueTime'];
    if (typeof cutoff !== 'string' || Number.isNaN(Date.parse(cutoff))) return false;
    return policyText(roleSessionRevocationPolicy(new Date(cutoff))) === text;
  } catch {
    return false;
  }
}

/** Ignores NoSuchEntity from a delete (someone, or a concurrent release, deleted it first). */
async function deleteIgnoringGone(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (!isNoSuchEntity(err)) throw err;
  }
}

/** Adds to `out` the finding's access key: back to its recorded status, or why it is left as it is. */
function assessAccessKey(
  userName: string,
  keyId: string,
  keys: AccessKeyMetadata[],
  input: ReleaseInputs,
  iam: IAMClient,
  out: ReleaseAssessment,
): void {
  const target = `user/${userName}`;
  const key = keys.find((k) => k.AccessKeyId === keyId);
  const recorded = input.user?.keyStatus?.[keyId];
  if (!key && input.user && !recorded) {
    // Not a key of the user at containment either (deleted before it, or a temporary ASIA key, which
    // ListAccessKeys never lists): containment changed nothing about it, so there is nothing to restore.
    out.unchanged.push({ item: 'access-key', target: keyId, detail: `${target}: not a key of the user at containment, nor now` });
  } else if (!key) {
    out.notRestored.push({ item: 'access-key', target: keyId, detail: `${target}: the key no longer exists` });
  } else if (!recorded) {
    out.notRestored.push({
      item: 'access-key',
      target: keyId,
      detail: `${target}: no status recorded for the key at containment; left ${key.Status}`,
    });
  } else if (recorded !== 'Active' && recorded !== 'Inactive') {
    out.notRestored.push({
      item: 'access-key',
      target: keyId,
      detail: `${target}: recorded status ${recorded} cannot be set (UpdateAccessKey takes Active or Inactive); left ${key.Status}`,
    });
  } else if (key.Status === recorded) {
    out.unchanged.push({ item: 'access-key', target: keyId, detail: `${target}: ${recorded}` });
  } else {
    out.changes.push({
      phase: 1,
      action: { operation: 'IAM.UpdateAccessKey', target: keyId, change: `${userName}: ${key.Status} → ${recorded}` },
      run: () => iam.send(new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: keyId, Status: recorded })),
    });
  }
}

/** Adds to `out` AWS's managed AWSDenyAll on the user: detached only when the prior state shows containment attached it. */
function assessDenyAll(userName: string, attached: readonly string[], input: ReleaseInputs, iam: IAMClient, out: ReleaseAssessment): void {
  const target = `user/${userName}`;
  const denyAll = attached.find(isAwsDenyAllPolicyArn);
  if (denyAll === undefined) {
    out.unchanged.push({ item: 'managed-policy', target: `${target}/AWSDenyAll`, detail: 'not attached' });
  } else if (!input.user) {
    out.notRestored.push({
      item: 'managed-policy',
      target: `${target}/AWSDenyAll`,
      detail: 'no prior state recorded: whether it was attached before containment is not known; left attached',
    });
  } else if (input.user.attachedPolicies.some(isAwsDenyAllPolicyArn)) {
    out.unchanged.push({
      item: 'managed-policy',
      target: `${target}/AWSDenyAll`,
      detail: 'attached before containment (recorded): left attached',
    });
  } else {
    out.changes.push({
      phase: 1,
      action: { operation: 'IAM.DetachUserPolicy', target: userName, change: `detach ${denyAll}` },
      run: () => deleteIgnoringGone(iam.send(new DetachUserPolicyCommand({ UserName: userName, PolicyArn: denyAll }))),
    });
  }
}

async function assessUser(userName: string, input: ReleaseInputs, iam: IAMClient): Promise<ReleaseAssessment> {
  const out = emptyAssessment();
  const target = `user/${userName}`;
  let keys;
  try {
    keys = (await iam.send(new ListAccessKeysCommand({ UserName: userName }))).AccessKeyMetadata ?? [];
  } catch (err) {
    if (isNoSuchEntity(err)) throw new ResourceGone(`IAM user ${userName} no longer exists`, { cause: err });
    throw err;
  }
  const [attached, hasLogin] = await Promise.all([
    listAttachedUserPolicyArns(iam, userName),
    input.user?.hadLoginProfile
      ? iam.send(new GetLoginProfileCommand({ UserName: userName })).then(
          () => true,
          (err) => {
            if (isNoSuchEntity(err)) return false;
            throw err;
          },
        )
      : Promise.resolve(undefined),
  ]);

  if (input.accessKeyId) assessAccessKey(userName, input.accessKeyId, keys, input, iam, out);
  assessDenyAll(userName, attached, input, iam, out);

  if (input.user?.hadLoginProfile) {
    if (hasLogin) out.unchanged.push({ item: 'login-profile', target, detail: 'console password present' });
    else
      out.notRestored.push({
        item: 'login-profile',
        target,
        detail:
          'the console password was removed and cannot be restored (it is not known); set a new one with CreateLoginProfile --password-reset-required',
      });
  }
  return out;
}

/**
 * Adds to `out` the role's session-revocation policy: deleted when it is Firebreak's, or put back to the document the
 * role had before this case (recorded prior state); any other document is left as it is.
 */
function assessRevocationPolicy(
  roleName: string,
  revocation: string | undefined,
  input: ReleaseInputs,
  iam: IAMClient,
  out: ReleaseAssessment,
): void {
  const target = `role/${roleName}`;
  const revocationTarget = `${target}/${ROLE_SESSION_REVOCATION_POLICY_NAME}`;
  const previous = input.role?.previousRevocationPolicy;
  if (previous !== undefined) {
    // The role carried the policy before this case (an earlier case's revocation): put that document back.
    if (revocation === previous) {
      out.unchanged.push({ item: 'inline-policy', target: revocationTarget, detail: 'the document from before containment' });
    } else if (revocation === undefined || isFirebreakRevocationPolicy(revocation)) {
      out.changes.push({
        phase: 1,
        action: {
          operation: 'IAM.PutRolePolicy',
          target: roleName,
          change: `restore inline ${ROLE_SESSION_REVOCATION_POLICY_NAME} to its document from before containment`,
        },
        run: () =>
          iam.send(
            new PutRolePolicyCommand({ RoleName: roleName, PolicyName: ROLE_SESSION_REVOCATION_POLICY_NAME, PolicyDocument: previous }),
          ),
      });
    } else {
      out.notRestored.push({
        item: 'inline-policy',
        target: revocationTarget,
        detail: "its document is neither Firebreak's nor the one from before containment; left as it is",
      });
    }
  } else if (revocation === undefined) {
    out.unchanged.push({ item: 'inline-policy', target: revocationTarget, detail: 'absent' });
  } else if (isFirebreakRevocationPolicy(revocation)) {
    out.changes.push({
      phase: 1,
      action: { operation: 'IAM.DeleteRolePolicy', target: roleName, change: `delete inline ${ROLE_SESSION_REVOCATION_POLICY_NAME}` },
      run: () =>
        deleteIgnoringGone(iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: ROLE_SESSION_REVOCATION_POLICY_NAME }))),
    });
  } else {
    out.notRestored.push({
      item: 'inline-policy',
      target: revocationTarget,
      detail: "its document is not Firebreak's session revocation; left as it is",
    });
  }
}

/** Adds to `out` the role's VPC restriction: deleted when its document is exactly Firebreak's, else left as it is. */
function assessVpcRestriction(roleName: string, vpc: string | undefined, iam: IAMClient, out: ReleaseAssessment): void {
  const target = `role/${roleName}`;
  const vpcTarget = `${target}/${ROLE_VPC_RESTRICTION_POLICY_NAME}`;
  if (vpc === undefined) {
    out.unchanged.push({ item: 'inline-policy', target: vpcTarget, detail: 'absent' });
  } else if (vpc === policyText(roleVpcRestrictionPolicy())) {
    out.changes.push({
      phase: 1,
      action: { operation: 'IAM.DeleteRolePolicy', target: roleName, change: `delete inline ${ROLE_VPC_RESTRICTION_POLICY_NAME}` },
      run: () =>
        deleteIgnoringGone(iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: ROLE_VPC_RESTRICTION_POLICY_NAME }))),
    });
  } else {
    out.notRestored.push({
      item: 'inline-policy',
      target: vpcTarget,
      detail: "its document is not Firebreak's VPC restriction; left as it is",
    });
  }
}

async function assessRole(roleName: string, input: ReleaseInputs, iam: IAMClient): Promise<ReleaseAssessment> {
  const out = emptyAssessment();
  const target = `role/${roleName}`;
  let role;
  try {
    role = (await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role;
  } catch (err) {
    if (isNoSuchEntity(err)) throw new ResourceGone(`IAM role ${roleName} no longer exists`, { cause: err });
    throw err;
  }
  const reason = protectedRoleReason(roleName, role?.Path, input.protectedRoleNames);
  if (reason) {
    out.unchanged.push({ item: 'inline-policy', target, detail: `${reason}: never touched by Firebreak, nothing to release` });
    return out;
  }
  const [revocation, vpc] = await Promise.all([
    readPolicy(() => iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: ROLE_SESSION_REVOCATION_POLICY_NAME }))),
    readPolicy(() => iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: ROLE_VPC_RESTRICTION_POLICY_NAME }))),
  ]);

  assessRevocationPolicy(roleName, revocation, input, iam, out);
  assessVpcRestriction(roleName, vpc, iam, out);
  return out;
}

function principals(input: ReleaseInputs): { userName?: string; roleName?: string } {
  const userName = input.userName ?? input.user?.userName;
  const roleName = input.roleName ?? input.role?.roleName;
  if (!userName && !roleName)
    throw new InvalidInput('Credential release needs a user (userName or user prior state) or a role (roleName or role prior state)');
  return { userName, roleName };
}

async function assessCredentialsRelease(input: ReleaseInputs, iam: IAMClient): Promise<ReleaseAssessment> {
  const { userName, roleName } = principals(input);
  const parts = await Promise.all([
    userName ? assessUser(userName, input, iam) : emptyAssessment(),
    roleName ? assessRole(roleName, input, iam) : emptyAssessment(),
  ]);
  return mergeAssessments(parts);
}

/**
 * Releases credentials revoked by credential-compromise (or cloudtrail-tamper), from the recorded
 * prior state, reading first and changing only what differs:
 * - **user:** the finding's access key back to its recorded status (`UpdateAccessKey` with
 *   `UserName`); the user's other keys are never touched, whatever their status now. A finding's key
 *   the user did not have at containment (deleted before it, or an ASIA key) is left alone, as unchanged. AWS's
 *   managed `AWSDenyAll` is detached (`DetachUserPolicy`) only when the recorded prior state shows it
 *   was not attached before containment; without a prior state it is left attached and reported (a
 *   release never opens more than containment closed). A console password removed at containment
 *   cannot be restored (the password is not known): reported as not restored.
 * - **role:** `FirebreakRevokeOlderSessions` is deleted when it is a Firebreak session-revocation
 *   document (`DeleteRolePolicy`), or, when the prior state shows the role already had one before this
 *   case, put back to that document (`PutRolePolicy`); `FirebreakDenyOutsideInstanceVpc` is deleted
 *   when its document is exactly Firebreak's (that policy records no prior state). Service-linked roles
 *   and Firebreak's own roles are never touched. Other inline and managed policies are never touched.
 *
 * Without a recorded prior state for the user, the key's status is not changed (it is reported);
 * without one for the role, a pre-existing revocation policy cannot be told apart, so a Firebreak
 * revocation document is deleted. Running it again after it succeeded makes no mutating call.
 *
 * Reads: IAM ListAccessKeys, ListAttachedUserPolicies, GetLoginProfile, GetRole, GetRolePolicy.
 * @param input - the prior states, the finding's key, the principals' names, and the mode.
 * @param deps - `iam`, an IAM client in the principal's account.
 * @returns the actions taken (apply) or planned (plan), what already matched, what was not restored.
 * @throws {InvalidInput} when neither a user nor a role is given (no AWS call made).
 * @throws {ResourceGone} when the user or the role no longer exists (no mutating call made).
 */
export async function ensureCredentialsReleased(
  input: CredentialsReleaseInput,
  deps: { iam: IAMClient },
): Promise<CredentialsReleaseResult> {
  const { userName, roleName } = principals(input);
  const assessment = await assessCredentialsRelease(input, deps.iam);
  const actions = await runChanges(assessment, input.mode);
  return { userName, roleName, mode: input.mode, actions, unchanged: assessment.unchanged, notRestored: assessment.notRestored };
}

/**
 * Verifies a credential release by reading IAM back (after {@link ensureCredentialsReleased}):
 * everything ensure would still change is a problem. IAM is eventually consistent, so a problem right
 * after ensure may clear on a later read: retry with a bounded wait before treating it as a failure.
 * @param input - as given to ensure, without the mode.
 * @param deps - `iam` (read-only calls only).
 * @returns one line per problem; an empty list means released.
 * @throws {InvalidInput} when neither a user nor a role is given.
 * @throws {ResourceGone} when the user or the role no longer exists.
 */
export async function verifyCredentialsReleased(input: Omit<CredentialsReleaseInput, 'mode'>, deps: { iam: IAMClient }): Promise<string[]> {
  const assessment = await assessCredentialsRelease(input, deps.iam);
  return assessment.changes.map(pendingProblem);
}
