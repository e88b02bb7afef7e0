import { GetRolePolicyCommand, GetUserPolicyCommand, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { InvalidInput, NotYetConsistent } from '../errors';
import type { PlannedAction, StepMode } from '../ec2/instance';
import { ensureRoleRestrictedToVpc, ensureRoleSessionsRevoked, ensureUserKeyRevoked, RolePriorState, UserPriorState } from '../iam/revoke';
import { parsePolicyDocument, policyText, ROLE_SESSION_REVOCATION_POLICY_NAME, roleSessionRevocationPolicy, ROLE_VPC_RESTRICTION_POLICY_NAME, roleVpcRestrictionPolicy, USER_DENY_ALL_POLICY_NAME, userDenyAllPolicy } from '../iam/policies';
import type { Incident } from '../incident/incident';
import { hasAwsCode } from '../runtime/aws-errors';
import { StepDeps } from './deps';
import { runStep, StepRecordTarget } from './run-step';
import type { PlaybookState } from './state';

/**
 * The steps specific to the `credential-compromise` playbook (issue #3): revoke exactly what
 * leaked, and verify it by reading back. Normalize, Claim, Decide, Notify, CloseCase and
 * RecordFailure are shared with ec2-compromise (lib/playbook/ec2-compromise.ts).
 */

type CredentialResource = Extract<Incident['resource'], { type: 'AccessKey' }>;

/** The principal types credential-compromise can revoke automatically. */
export const REVOCABLE_USER_TYPES: readonly string[] = ['IAMUser', 'AssumedRole'];

function credential(state: PlaybookState): CredentialResource {
  const r = state.incident.resource;
  if (r.type !== 'AccessKey') throw new InvalidInput(`credential-compromise needs an AccessKey incident, got ${r.type}`);
  return r;
}

function target(state: PlaybookState, deps: StepDeps): StepRecordTarget | undefined {
  if (state.incident.dryRun || state.case.status === 'DRY_RUN') return undefined;
  return { ledger: deps.ledger, caseId: state.case.caseId, executionName: state.run.executionName, trigger: state.incident.trigger };
}

/** What RevokeCredentials did, for the report and the notification. */
export interface RevocationResult {
  readonly principal: 'IAMUser' | 'AssumedRole';
  readonly actions: PlannedAction[];
  /** Who else is affected, in words (e.g. every session of the role). */
  readonly affected: string;
  readonly userName?: string;
  readonly accessKeyId?: string;
  /** Other keys of the user, left Active on purpose. */
  readonly otherKeysLeftActive?: string[];
  readonly roleName?: string;
  /** ISO-8601 UTC session cutoff (AssumedRole). */
  readonly cutoff?: string;
  /** The instance whose credentials leaked (InstanceCredentialExfiltration). */
  readonly instanceId?: string;
  readonly recommendation?: string;
  /** Set when the principal is protected (service-linked or Firebreak's own) and nothing was done. */
  readonly protectedReason?: string;
  /** For instance credentials: `restrict-to-vpc` when the scoped alternative was applied instead of revoking sessions. */
  readonly scope?: 'restrict-to-vpc';
  readonly prior?: UserPriorState | RolePriorState;
}

async function revoke(state: PlaybookState, deps: StepDeps, mode: StepMode): Promise<RevocationResult> {
  const r = credential(state);
  const { iam } = deps.clients.member(state.incident.account, state.incident.region);
  if (r.userType === 'IAMUser') {
    const out = await ensureUserKeyRevoked(
      { userName: r.userName!, accessKeyId: r.accessKeyId, removeLoginProfile: deps.config.removeLoginProfile, mode },
      { iam, recordPriorState: mode === 'apply' ? (v) => deps.ledger.recordPriorState(state.case.caseId, 'user', v) : undefined },
    );
    return {
      principal: 'IAMUser', actions: out.actions, userName: r.userName, accessKeyId: r.accessKeyId, otherKeysLeftActive: out.otherKeys,
      affected: `access key ${r.accessKeyId} of IAM user ${r.userName} is deactivated; the deny-all policy blocks every other key and console session of ${r.userName}; its ${out.otherKeys.length} other key(s) stay Active`,
      prior: out.prior,
    };
  }
  if (r.userType === 'AssumedRole' && r.instanceId && deps.config.instanceCredentialResponse === 'restrict-to-vpc') {
    const out = await ensureRoleRestrictedToVpc({ roleName: r.userName!, mode, protectedRoleNames: [deps.config.responderRoleName] }, { iam });
    return {
      principal: 'AssumedRole', actions: out.actions, roleName: r.userName, instanceId: r.instanceId, protectedReason: out.protectedReason, scope: 'restrict-to-vpc',
      affected: out.protectedReason
        ? `nothing: ${out.protectedReason}, which Firebreak never touches`
        : `credentials of role ${r.userName} are denied outside the VPC of the instance they were issued to, for every session of the role; sessions used from inside the VPC keep working`,
      recommendation: `contain instance ${r.instanceId} with the ec2-compromise playbook`,
    };
  }
  if (r.userType === 'AssumedRole') {
    // Rounded up to the next whole second (the policy's resolution), so a session issued earlier in the same second is revoked too.
    const now = new Date(Math.ceil(deps.now().getTime() / 1000) * 1000).toISOString();
    const cutoff = mode === 'apply' ? await deps.ledger.recordDecision(state.case.caseId, 'revocationCutoff', now) : now;
    const out = await ensureRoleSessionsRevoked(
      { roleName: r.userName!, cutoff: new Date(cutoff), mode, protectedRoleNames: [deps.config.responderRoleName] },
      { iam, recordPriorState: mode === 'apply' ? (v) => deps.ledger.recordPriorState(state.case.caseId, 'role', v) : undefined },
    );
    return {
      principal: 'AssumedRole', actions: out.actions, roleName: r.userName, cutoff: out.cutoff, instanceId: r.instanceId,
      protectedReason: out.protectedReason,
      affected: out.protectedReason
        ? `nothing: ${out.protectedReason}, which Firebreak never touches`
        : `every session of role ${r.userName} issued before ${out.cutoff} is revoked, not only the leaked one (${r.sessionName ?? r.accessKeyId}); workloads using the role must get new sessions`,
      recommendation: r.instanceId ? `contain instance ${r.instanceId} with the ec2-compromise playbook` : undefined,
      prior: out.prior,
    };
  }
  throw new InvalidInput(`credential-compromise cannot revoke ${r.userType} credentials automatically`);
}

/** RevokeCredentials: deactivate the leaked key and deny the user, or revoke the role's sessions. */
export async function revokeCredentials(state: PlaybookState, deps: StepDeps): Promise<RevocationResult> {
  return runStep('RevokeCredentials', target(state, deps), () => revoke(state, deps, 'apply'));
}

/** The dry-run plan of credential-compromise (Describe/Get/List calls only). */
export async function planRevocation(state: PlaybookState, deps: StepDeps): Promise<{ sample: boolean; actions: PlannedAction[]; affected?: string }> {
  if (state.incident.sample) {
    return { sample: true, actions: [{ operation: 'IAM.UpdateAccessKey', target: credential(state).accessKeyId, change: 'sample finding: placeholder key, nothing is looked up' }] };
  }
  const out = await revoke(state, deps, 'plan');
  return { sample: false, actions: out.actions, affected: out.affected };
}

/**
 * VerifyRevocation: reads the principal back. IAM is eventually consistent, so a change that does
 * not read back yet raises {@link NotYetConsistent}, which the state machine retries with a bounded
 * backoff before it fails the execution.
 */
export async function verifyRevocation(state: PlaybookState & { revocation?: RevocationResult }, deps: StepDeps) {
  const r = credential(state);
  const { iam } = deps.clients.member(state.incident.account, state.incident.region);
  return runStep('VerifyRevocation', target(state, deps), async () => {
    const rev = state.revocation;
    if (rev?.protectedReason) return { verified: false, skipped: rev.protectedReason };
    if (r.userType === 'IAMUser') {
      const keys = (await iam.send(new ListAccessKeysCommand({ UserName: r.userName }))).AccessKeyMetadata ?? [];
      const key = keys.find((k) => k.AccessKeyId === r.accessKeyId);
      const policy = await iam.send(new GetUserPolicyCommand({ UserName: r.userName, PolicyName: USER_DENY_ALL_POLICY_NAME })).catch((err) => {
        if (hasAwsCode(err, 'NoSuchEntity', 'NoSuchEntityException')) return undefined;
        throw err;
      });
      const denyAll = policy?.PolicyDocument ? JSON.stringify(parsePolicyDocument(policy.PolicyDocument)) === policyText(userDenyAllPolicy()) : false;
      if (key?.Status !== 'Inactive' || !denyAll) {
        throw new NotYetConsistent(`${r.userName}: key ${r.accessKeyId} is ${key?.Status ?? 'missing'}, deny-all policy ${denyAll ? 'present' : 'missing'}`);
      }
      return { verified: true, keyStatus: key.Status, denyAllPolicy: USER_DENY_ALL_POLICY_NAME };
    }
    if (rev?.scope === 'restrict-to-vpc') {
      const p = await iam.send(new GetRolePolicyCommand({ RoleName: r.userName, PolicyName: ROLE_VPC_RESTRICTION_POLICY_NAME })).catch(() => undefined);
      const ok = p?.PolicyDocument ? JSON.stringify(parsePolicyDocument(p.PolicyDocument)) === policyText(roleVpcRestrictionPolicy()) : false;
      if (!ok) throw new NotYetConsistent(`${r.userName}: ${ROLE_VPC_RESTRICTION_POLICY_NAME} does not read back`);
      return { verified: true, roleName: r.userName, scope: rev.scope };
    }
    const cutoff = rev?.cutoff;
    if (!cutoff) throw new InvalidInput('revocation.cutoff is missing from the playbook state');
    const policy = await iam.send(new GetRolePolicyCommand({ RoleName: r.userName, PolicyName: ROLE_SESSION_REVOCATION_POLICY_NAME })).catch((err) => {
      if (hasAwsCode(err, 'NoSuchEntity', 'NoSuchEntityException')) return undefined;
      throw err;
    });
    const same = policy?.PolicyDocument ? JSON.stringify(parsePolicyDocument(policy.PolicyDocument)) === policyText(roleSessionRevocationPolicy(new Date(cutoff))) : false;
    if (!same) throw new NotYetConsistent(`${r.userName}: session-revocation policy with cutoff ${cutoff} does not read back`);
    return { verified: true, roleName: r.userName, cutoff };
  });
}
