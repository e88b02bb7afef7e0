import { InvalidInput } from '../../../core/errors';
import type { PlannedAction, StepMode } from '../../ec2/instance';
import { ensureRoleRestrictedToVpc, LeakedKeyState, RolePriorState, UserAccessKey, UserPriorState } from '../../iam/revoke';
import type { Incident } from '../../../core/incident/incident';
import type { StepDeps } from '../deps-base';
import { revokeRoleSessionsForCase, revokeUserForCase } from '../revocation';
import type { PlaybookState } from '../../../core/contracts/state';
import '../../clients/assume-role';

/**
 * What the `credential-compromise` playbook does, in plan and apply mode: revoke exactly what leaked. Its steps
 * (revoke-credentials.ts) apply it; plan.ts plans it for PlanDryRun; decision.ts refuses what it never revokes.
 */

type CredentialResource = Extract<Incident['resource'], { type: 'AccessKey' }>;

export function credential(state: PlaybookState): CredentialResource {
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
  /** Other keys of the user that are Active, left Active on purpose (the deny-all policy blocks them). */
  readonly otherKeysLeftActive?: string[];
  /** What became of the finding's key (IAMUser): deactivated, already-inactive, absent (deleted before containment), temporary (ASIA). */
  readonly leakedKey?: LeakedKeyState;
  /** Every access key the user has now (ListAccessKeys: ID, status, creation date), e.g. the key an attacker created. */
  readonly userKeys?: UserAccessKey[];
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

/** `AKIA… Active (created 2026-11-20T09:58:02Z)`, one key of the user in words. */
function keyInWords(k: UserAccessKey): string {
  return `${k.accessKeyId} ${k.status}${k.createDate ? ` (created ${k.createDate})` : ''}`;
}

/** Who the user's revocation affects, in words: what became of the finding's key, and every key the user has now. */
function userAffected(
  userName: string,
  accessKeyId: string | undefined,
  leakedKey: LeakedKeyState,
  keys: readonly UserAccessKey[],
): string {
  const key = {
    deactivated: `access key ${accessKeyId} of IAM user ${userName} is deactivated`,
    'already-inactive': `access key ${accessKeyId} of IAM user ${userName} is Inactive`,
    absent: `access key ${accessKeyId} no longer exists on IAM user ${userName} (deleted before containment: look for a key created since)`,
    temporary: `${accessKeyId} is a temporary (STS) key of IAM user ${userName}, which cannot be deactivated`,
    none: `IAM user ${userName}`,
  }[leakedKey];
  const now = keys.length ? `its access keys now: ${keys.map(keyInWords).join(', ')}` : 'it has no access key now';
  const active = keys.filter((k) => k.accessKeyId !== accessKeyId && k.status === 'Active').length;
  return `${key}; the deny-all policy blocks every key, session and console sign-in of ${userName}; ${now}${active ? ` (${active} other key(s) stay Active, blocked by the policy)` : ''}`;
}

export async function revoke(state: PlaybookState, deps: StepDeps, mode: StepMode): Promise<RevocationResult> {
  const r = credential(state);
  const { iam } = deps.clients.member(state.incident.account, state.incident.region);
  if (r.userType === 'IAMUser') {
    const out = await revokeUserForCase(state, deps, { userName: r.userName!, accessKeyId: r.accessKeyId }, mode);
    const otherActive = out.keys.filter((k) => k.accessKeyId !== r.accessKeyId && k.status === 'Active').map((k) => k.accessKeyId);
    return {
      principal: 'IAMUser',
      actions: out.actions,
      userName: r.userName,
      accessKeyId: r.accessKeyId,
      otherKeysLeftActive: otherActive,
      leakedKey: out.leakedKey,
      userKeys: out.keys,
      affected: userAffected(r.userName!, r.accessKeyId, out.leakedKey, out.keys),
      prior: out.prior,
    };
  }
  if (r.userType === 'AssumedRole' && r.instanceId && deps.config.instanceCredentialResponse === 'restrict-to-vpc') {
    const out = await ensureRoleRestrictedToVpc(
      { roleName: r.userName!, mode, protectedRoleNames: [deps.config.responderRoleName] },
      { iam },
    );
    return {
      principal: 'AssumedRole',
      actions: out.actions,
      roleName: r.userName,
      instanceId: r.instanceId,
      protectedReason: out.protectedReason,
      scope: 'restrict-to-vpc',
      affected: out.protectedReason
        ? `nothing: ${out.protectedReason}, which Firebreak never touches`
        : `credentials of role ${r.userName} are denied outside the VPC of the instance they were issued to, for every session of the role; sessions used from inside the VPC keep working`,
      recommendation: `contain instance ${r.instanceId} with the ec2-compromise playbook`,
    };
  }
  if (r.userType === 'AssumedRole') {
    const out = await revokeRoleSessionsForCase(state, deps, r.userName!, mode);
    return {
      principal: 'AssumedRole',
      actions: out.actions,
      roleName: r.userName,
      cutoff: out.cutoff,
      instanceId: r.instanceId,
      protectedReason: out.protectedReason,
      affected: out.protectedReason
        ? `nothing: ${out.protectedReason}, which Firebreak never touches`
        : `every session of role ${r.userName} issued before ${out.cutoff} is revoked, not only ${(r.sessionName ?? r.accessKeyId) ? `the leaked one (${r.sessionName ?? r.accessKeyId})` : 'one session'}; workloads using the role must get new sessions`,
      recommendation: r.instanceId ? `contain instance ${r.instanceId} with the ec2-compromise playbook` : undefined,
      prior: out.prior,
    };
  }
  throw new InvalidInput(`credential-compromise cannot revoke ${r.userType} credentials automatically`);
}
