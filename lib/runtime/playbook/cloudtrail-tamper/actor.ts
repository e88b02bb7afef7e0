import type { PlannedAction, StepMode } from '../../ec2/instance';
import { protectedRoleReason } from '../../iam/revoke';
import type { StepDeps } from '../deps-base';
import { revokeRoleSessionsForCase, revokeUserForCase } from '../revocation';
import type { PlaybookState } from '../../../core/contracts/state';
import { apiCall } from './restore';

/** RevokeActor's logic, in plan and apply mode (revoke-actor.ts applies it, plan.ts plans it). */

/** What RevokeActor did. */
export interface ActorRevocation {
  readonly actorType: string;
  readonly actions: PlannedAction[];
  readonly affected: string;
  readonly userName?: string;
  readonly accessKeyId?: string;
  readonly roleName?: string;
  readonly cutoff?: string;
  readonly protectedReason?: string;
}

export async function revokeActorCredentials(state: PlaybookState, deps: StepDeps, mode: StepMode): Promise<ActorRevocation> {
  const { actor } = apiCall(state);
  if (actor.type === 'IAMUser' && actor.userName) {
    const longTerm = actor.accessKeyId?.startsWith('AKIA') ? actor.accessKeyId : undefined;
    const out = await revokeUserForCase(state, deps, { userName: actor.userName, accessKeyId: longTerm }, mode);
    return {
      actorType: actor.type,
      actions: out.actions,
      userName: actor.userName,
      accessKeyId: longTerm,
      affected: `${longTerm ? `access key ${longTerm} of ` : ''}IAM user ${actor.userName}${!longTerm ? ': ' : out.leakedKey === 'absent' ? ' no longer exists; ' : ' is deactivated; '}the deny-all policy blocks every key and session of the user; its other key(s) stay Active`,
    };
  }
  if (actor.type === 'AssumedRole' && actor.roleName) {
    const reason = protectedRoleReason(actor.roleName, '/', [deps.config.responderRoleName]);
    if (reason)
      return {
        actorType: actor.type,
        actions: [],
        roleName: actor.roleName,
        protectedReason: reason,
        affected: `nothing: ${reason}, which Firebreak never touches`,
      };
    const out = await revokeRoleSessionsForCase(state, deps, actor.roleName, mode);
    return {
      actorType: actor.type,
      actions: out.actions,
      roleName: actor.roleName,
      cutoff: out.cutoff,
      protectedReason: out.protectedReason,
      affected: out.protectedReason
        ? `nothing: ${out.protectedReason}`
        : `every session of role ${actor.roleName} issued before ${out.cutoff} is revoked`,
    };
  }
  return { actorType: actor.type, actions: [], affected: `${actor.type} credentials cannot be revoked automatically: see the runbook` };
}
