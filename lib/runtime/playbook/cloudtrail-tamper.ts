import { GetEventSelectorsCommand, GetTrailCommand, GetTrailStatusCommand, StartLoggingCommand } from '@aws-sdk/client-cloudtrail';
import { InvalidInput, NotYetConsistent } from '../../core/errors';
import type { PlannedAction, StepMode } from '../ec2/instance';
import { protectedRoleReason, roleRevocationProblem, userRevocationProblem } from '../iam/revoke';
import type { Incident } from '../../core/incident/incident';
import { hasAwsCode } from '../aws-errors';
import { StepDeps } from './deps';
import { caseTarget, runStep } from './run-step';
import { revokeRoleSessionsForCase, revokeUserForCase } from './revocation';
import type { PlaybookState } from '../../core/contracts/state';

/**
 * The steps specific to the `cloudtrail-tamper` playbook (issue #3): restore what can be restored
 * (`StartLogging` after `StopLogging`), record what changed, and revoke the actor's credentials the
 * way credential-compromise does (same functions, lib/runtime/iam). Normalize, Claim, Decide, Notify,
 * CloseCase and RecordFailure are shared.
 */

type ApiCall = Extract<Incident['resource'], { type: 'ApiCall' }>;

function apiCall(state: PlaybookState): ApiCall {
  const r = state.incident.resource;
  if (r.type !== 'ApiCall') throw new InvalidInput(`cloudtrail-tamper needs an ApiCall incident, got ${r.type}`);
  return r;
}

/** What RestoreLogging did and found. */
export interface RestoreResult {
  readonly eventName: string;
  readonly target?: string;
  readonly actions: PlannedAction[];
  /** `logging` (restarted or already on), `deleted` (cannot be restarted), `recorded` (nothing to restore), `not-a-trail`. */
  readonly trailState: 'logging' | 'deleted' | 'recorded' | 'not-a-trail';
  /** The trail's configuration as read now, and the change the call requested. */
  readonly record: Record<string, unknown>;
}

async function restore(state: PlaybookState, deps: StepDeps, mode: StepMode): Promise<RestoreResult> {
  const r = apiCall(state);
  const base = { eventName: r.eventName, target: r.target, actions: [] as PlannedAction[] };
  if (r.eventSource !== 'cloudtrail.amazonaws.com' || !r.target) {
    return { ...base, trailState: 'not-a-trail', record: { eventSource: r.eventSource, requestParameters: r.requestParameters ?? null } };
  }
  const { cloudtrail } = deps.clients.member(state.incident.account, state.incident.region);
  let status;
  try {
    status = await cloudtrail.send(new GetTrailStatusCommand({ Name: r.target }));
  } catch (err) {
    // DeleteTrail: nothing to restart; never fail on a deleted trail.
    if (hasAwsCode(err, 'TrailNotFoundException')) return { ...base, trailState: 'deleted', record: { requestParameters: r.requestParameters ?? null, trail: null } };
    throw err;
  }
  const [trail, selectors] = await Promise.all([
    cloudtrail.send(new GetTrailCommand({ Name: r.target })).then((o) => o.Trail ?? null),
    cloudtrail.send(new GetEventSelectorsCommand({ TrailName: r.target })).then((o) => ({ EventSelectors: o.EventSelectors, AdvancedEventSelectors: o.AdvancedEventSelectors })).catch(() => null),
  ]);
  const record = { requestParameters: r.requestParameters ?? null, trail, eventSelectors: selectors, isLogging: status.IsLogging ?? false };
  if (r.eventName === 'StopLogging' || !status.IsLogging) {
    if (!status.IsLogging) {
      base.actions.push({ operation: 'CloudTrail.StartLogging', target: r.target, change: 'restart logging' });
      if (mode === 'apply') await cloudtrail.send(new StartLoggingCommand({ Name: r.target }));
    }
    return { ...base, trailState: 'logging', record };
  }
  return { ...base, trailState: 'recorded', record };
}

/** RestoreLogging: StartLogging after StopLogging; record the trail after DeleteTrail/UpdateTrail/PutEventSelectors. */
export async function restoreLogging(state: PlaybookState, deps: StepDeps): Promise<RestoreResult> {
  return runStep('RestoreLogging', caseTarget(state, deps.ledger), async () => {
    const out = await restore(state, deps, 'apply');
    await deps.ledger.recordEvidence(state.case.caseId, 'tamper', out.record);
    return out;
  });
}

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

async function revokeActorCredentials(state: PlaybookState, deps: StepDeps, mode: StepMode): Promise<ActorRevocation> {
  const { actor } = apiCall(state);
  if (actor.type === 'IAMUser' && actor.userName) {
    const longTerm = actor.accessKeyId?.startsWith('AKIA') ? actor.accessKeyId : undefined;
    const out = await revokeUserForCase(state, deps, { userName: actor.userName, accessKeyId: longTerm }, mode);
    return {
      actorType: actor.type, actions: out.actions, userName: actor.userName, accessKeyId: longTerm,
      affected: `${longTerm ? `access key ${longTerm} of ` : ''}IAM user ${actor.userName}${!longTerm ? ': ' : out.leakedKey === 'absent' ? ' no longer exists; ' : ' is deactivated; '}the deny-all policy blocks every key and session of the user; its other key(s) stay Active`,
    };
  }
  if (actor.type === 'AssumedRole' && actor.roleName) {
    const reason = protectedRoleReason(actor.roleName, '/', [deps.config.responderRoleName]);
    if (reason) return { actorType: actor.type, actions: [], roleName: actor.roleName, protectedReason: reason, affected: `nothing: ${reason}, which Firebreak never touches` };
    const out = await revokeRoleSessionsForCase(state, deps, actor.roleName, mode);
    return {
      actorType: actor.type, actions: out.actions, roleName: actor.roleName, cutoff: out.cutoff, protectedReason: out.protectedReason,
      affected: out.protectedReason ? `nothing: ${out.protectedReason}` : `every session of role ${actor.roleName} issued before ${out.cutoff} is revoked`,
    };
  }
  return { actorType: actor.type, actions: [], affected: `${actor.type} credentials cannot be revoked automatically: see the runbook` };
}

/** RevokeActor: contain whoever made the call, as credential-compromise would. */
export async function revokeActor(state: PlaybookState, deps: StepDeps): Promise<ActorRevocation> {
  return runStep('RevokeActor', caseTarget(state, deps.ledger), () => revokeActorCredentials(state, deps, 'apply'));
}

/** The dry-run plan of cloudtrail-tamper (read calls only). */
export async function planTamperResponse(state: PlaybookState, deps: StepDeps): Promise<{ sample: boolean; actions: PlannedAction[] }> {
  const [restored, revoked] = [await restore(state, deps, 'plan'), await revokeActorCredentials(state, deps, 'plan')];
  return { sample: false, actions: [...restored.actions, ...revoked.actions] };
}

/**
 * VerifyTamperResponse: reads back that the trail logs again (after StopLogging) and that the actor's
 * credentials are revoked. What does not read back yet raises {@link NotYetConsistent} (retried).
 */
export async function verifyTamperResponse(state: PlaybookState & { restore?: RestoreResult; revocation?: ActorRevocation }, deps: StepDeps) {
  const r = apiCall(state);
  const { iam, cloudtrail } = deps.clients.member(state.incident.account, state.incident.region);
  return runStep('VerifyTamperResponse', caseTarget(state, deps.ledger), async () => {
    const out: Record<string, unknown> = {};
    if (state.restore?.trailState === 'logging' && r.target) {
      const status = await cloudtrail.send(new GetTrailStatusCommand({ Name: r.target }));
      if (!status.IsLogging) throw new NotYetConsistent(`trail ${r.target} is not logging yet`);
      out.trailLogging = true;
    }
    const rev = state.revocation;
    const problem = rev?.userName
      ? await userRevocationProblem(iam, rev.userName, rev.accessKeyId)
      : rev?.roleName && rev.cutoff && !rev.protectedReason ? await roleRevocationProblem(iam, rev.roleName, rev.cutoff) : undefined;
    if (problem) throw new NotYetConsistent(problem);
    if (rev?.userName || (rev?.roleName && rev.cutoff && !rev.protectedReason)) out.actorRevoked = true;
    return out;
  });
}
