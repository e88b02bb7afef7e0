import { automationPrincipalOf } from '../../../core/automation-principals';
import type { PlaybookState } from '../../../core/contracts/state';
import type { StepDeps } from '../deps-base';
import type { ContainmentPlan } from '../hooks';
import { judgeTrailChange } from './judge';
import { apiCall, restore } from './restore';
import { revokeActorCredentials } from './actor';
import { routeOf } from './route';
import { casePrincipalOf, credentialEvidencePlan } from '../../evidence/principal-lookup';

/**
 * PlanDryRun of `cloudtrail-tamper` (plan-registry.ts): what JudgeTrailChange would route the call to, and RestoreLogging
 * and RevokeActor in plan mode (read calls only) where that route runs them, then the evidence PreserveCredentialEvidence
 * would keep (no call). PlanDryRun has no ledger, so the call is
 * judged without the trail's baseline (judge.ts): a reduction the call alone shows (StopLogging, DeleteTrail, the
 * GuardDuty calls, a setting turned off where only on can be harmless) is planned as contained (or restored, for a known
 * automation principal); any other call is planned as JudgeTrailChange deciding with the baseline, with no action listed.
 * @returns the plan (never a sample: a CloudTrail event has no sample findings).
 * @throws the SDK's errors (mapped by the handler) when a read fails.
 */
export async function planTamperResponse(state: PlaybookState, deps: StepDeps): Promise<ContainmentPlan> {
  const r = apiCall(state);
  const judgement = judgeTrailChange(r, undefined);
  const automation = automationPrincipalOf(deps.config.tamperAutomationPrincipals, r.actor) !== undefined;
  const { route, reason } = routeOf(judgement.verdict, automation, { asked: false, approvedByPerson: false });
  if (route !== 'contain' && route !== 'restore')
    return { sample: false, actions: [], affected: `JudgeTrailChange decides with the trail's baseline (without it: ${reason})` };
  const restored = await restore(state, deps, 'plan');
  const revoked = route === 'contain' ? await revokeActorCredentials(state, deps, 'plan') : undefined;
  // Then PreserveCredentialEvidence (issue 16, item 4): what it would read and write, from the incident alone.
  const evidence = credentialEvidencePlan(casePrincipalOf(state), state.incident.region);
  return { sample: false, actions: [...restored.actions, ...(revoked?.actions ?? []), ...evidence], affected: revoked?.affected ?? reason };
}
