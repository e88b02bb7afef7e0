import { InvalidInput, NotYetConsistent } from '../errors';
import type { PlannedAction, StepMode } from '../ec2/instance';
import {
  ensureRoleRestrictedToVpc, RolePriorState, rolePolicyState, roleRevocationProblem, UserPriorState, userRevocationProblem,
} from '../iam/revoke';
import { ROLE_VPC_RESTRICTION_POLICY_NAME, roleVpcRestrictionPolicy, USER_DENY_ALL_POLICY_NAME } from '../iam/policies';
import type { Incident } from '../incident/incident';
import { StepDeps } from './deps';
import { caseTarget, runStep } from './run-step';
import { revokeRoleSessionsForCase, revokeUserForCase } from './revocation';
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
    const out = await revokeUserForCase(state, deps, { userName: r.userName!, accessKeyId: r.accessKeyId }, mode);
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
    const out = await revokeRoleSessionsForCase(state, deps, r.userName!, mode);
    return {
      principal: 'AssumedRole', actions: out.actions, roleName: r.userName, cutoff: out.cutoff, instanceId: r.instanceId,
      protectedReason: out.protectedReason,
      affected: out.protectedReason
        ? `nothing: ${out.protectedReason}, which Firebreak never touches`
        : `every session of role ${r.userName} issued before ${out.cutoff} is revoked, not only ${r.sessionName ?? r.accessKeyId ? `the leaked one (${r.sessionName ?? r.accessKeyId})` : 'one session'}; workloads using the role must get new sessions`,
      recommendation: r.instanceId ? `contain instance ${r.instanceId} with the ec2-compromise playbook` : undefined,
      prior: out.prior,
    };
  }
  throw new InvalidInput(`credential-compromise cannot revoke ${r.userType} credentials automatically`);
}

/** RevokeCredentials: deactivate the leaked key and deny the user, or revoke the role's sessions. */
export async function revokeCredentials(state: PlaybookState, deps: StepDeps): Promise<RevocationResult> {
  return runStep('RevokeCredentials', caseTarget(state, deps.ledger), () => revoke(state, deps, 'apply'));
}

/** The dry-run plan of credential-compromise (Describe/Get/List calls only). */
export async function planRevocation(state: PlaybookState, deps: StepDeps): Promise<{ sample: boolean; actions: PlannedAction[]; affected?: string }> {
  if (state.incident.sample) {
    return { sample: true, actions: [{ operation: 'IAM.UpdateAccessKey', target: credential(state).accessKeyId ?? credential(state).id, change: 'sample finding: placeholder key, nothing is looked up' }] };
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
  return runStep('VerifyRevocation', caseTarget(state, deps.ledger), async () => {
    const rev = state.revocation;
    if (rev?.protectedReason) return { verified: false, skipped: rev.protectedReason };
    if (r.userType === 'IAMUser') {
      const problem = await userRevocationProblem(iam, r.userName!, r.accessKeyId);
      if (problem) throw new NotYetConsistent(problem);
      return { verified: true, keyStatus: 'Inactive', denyAllPolicy: USER_DENY_ALL_POLICY_NAME };
    }
    if (rev?.scope === 'restrict-to-vpc') {
      const state = await rolePolicyState(iam, r.userName!, ROLE_VPC_RESTRICTION_POLICY_NAME, roleVpcRestrictionPolicy());
      if (state !== 'same') throw new NotYetConsistent(`${r.userName}: ${ROLE_VPC_RESTRICTION_POLICY_NAME} is ${state}`);
      return { verified: true, roleName: r.userName, scope: rev.scope };
    }
    const cutoff = rev?.cutoff;
    if (!cutoff) throw new InvalidInput('revocation.cutoff is missing from the playbook state');
    const problem = await roleRevocationProblem(iam, r.userName!, cutoff);
    if (problem) throw new NotYetConsistent(problem);
    return { verified: true, roleName: r.userName, cutoff };
  });
}
