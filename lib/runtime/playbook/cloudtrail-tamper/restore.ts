import { GetEventSelectorsCommand, GetTrailCommand, GetTrailStatusCommand, StartLoggingCommand } from '@aws-sdk/client-cloudtrail';
import { InvalidInput } from '../../../core/errors';
import type { PlannedAction, StepMode } from '../../ec2/instance';
import type { Incident } from '../../../core/incident/incident';
import { hasAwsCode } from '../../aws-errors';
import type { StepDeps } from '../deps-base';
import type { PlaybookState } from '../../../core/contracts/state';
import '../../clients/cloudtrail';
import '../../clients/assume-role';

/** RestoreLogging's logic, in plan and apply mode (restore-logging.ts applies it, plan.ts plans it). */

type ApiCall = Extract<Incident['resource'], { type: 'ApiCall' }>;

export function apiCall(state: PlaybookState): ApiCall {
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

export async function restore(state: PlaybookState, deps: StepDeps, mode: StepMode): Promise<RestoreResult> {
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
    if (hasAwsCode(err, 'TrailNotFoundException'))
      return { ...base, trailState: 'deleted', record: { requestParameters: r.requestParameters ?? null, trail: null } };
    throw err;
  }
  const [trail, selectors] = await Promise.all([
    cloudtrail.send(new GetTrailCommand({ Name: r.target })).then((o) => o.Trail ?? null),
    cloudtrail
      .send(new GetEventSelectorsCommand({ TrailName: r.target }))
      .then((o) => ({ EventSelectors: o.EventSelectors, AdvancedEventSelectors: o.AdvancedEventSelectors }))
      .catch(() => null),
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
