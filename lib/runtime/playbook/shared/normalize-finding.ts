import type { StoredEventRef } from '../../evidence/vault';
import { normalizeEvent, NormalizedState } from '../../../core/incident/normalize';
import type { Incident } from '../../../core/incident/incident';
import type { StepDeps } from '../deps-base';
import { decide, Decision } from './decide';
import { storeEventOf } from '../received-event';
import { findingTagsOf, protectedDecision } from '../../brakes/protection';

/** Normalize's output: the state every later step starts from. */
export interface NormalizeOutput {
  /** The incident, bounded (`boundIncident`: at most 64 KiB of JSON whatever the event). */
  readonly incident: Incident;
  /** Where the event is stored (`$.event`), or `null`: see {@link normalizeFinding}. */
  readonly event: StoredEventRef | null;
  readonly run: NormalizedState['run'];
}

/**
 * Normalize: event → `{ incident, event, run }` ({@link normalizeEvent}), where `event` is a reference to the
 * event, stored once in the evidence bucket ({@link storeEventOf}: content-addressed under
 * `received-events/<account>/`, SSE-KMS under the evidence key, Object Lock), never the event itself: an
 * EventBridge event may be nearly 256 KB ("Calculating Amazon EventBridge PutEvents event entry size",
 * EventBridge User Guide) and a Step Functions state at most 262,144 bytes ("Step Functions service
 * quotas"). Steps read it back by the reference (CollectArtifacts) or use what Normalize took from it
 * (the incident, e.g. the finding's ENI IDs).
 *
 * Nothing is stored, and `event` is `null`, for a start on a named resource (there is no event) and for a dry
 * run (a sample finding or `dryRun: true`): a dry run writes nothing anywhere, not only in the member account.
 * It opens no case the event would be evidence of, the evidence bucket's Object Lock would keep every sample
 * GuardDuty generates (one per finding type at a time) undeletable for the retention period, and its plan
 * needs nothing but the incident.
 * @throws {InvalidInput} on a malformed event (nothing is stored).
 */
export async function normalizeFinding(
  input: { input: unknown; executionName: string; executionStartTime: string; playbook?: Incident['playbook'] },
  deps: Pick<StepDeps, 'config' | 'clients'>,
): Promise<NormalizeOutput> {
  const normalized = normalizeEvent(input, deps.config.catalog, deps.config.memberAccountIds);
  return { incident: normalized.incident, event: await storeEventOf(normalized.incident, normalized.event, deps), run: normalized.run };
}

/** Triage's output: Normalize's, with the decision. */
export interface TriageOutput extends NormalizeOutput {
  readonly decision: Decision;
}

/**
 * The most bytes of state the Contain task may get besides the raw event it takes from the context object
 * (`$$.Execution.Input`): Step Functions refuses a task input over 262,144 bytes ("Step Functions service quotas",
 * `States.DataLimitExceeded`), so an event that would not fit beside the state is stored by Triage instead.
 */
const CONTAIN_INPUT_LIMIT_BYTES = 262_144 - 16_384;

/**
 * Triage (ec2-compromise, issue 13): Normalize and the decision in one step, with no AWS call on the path to
 * containment. A `contain` decision leaves the event to Contain, which stores it in its first round, beside its reads
 * (`event` is `null`): the state machine passes the execution's input to Contain (`$$.Execution.Input`). Every other
 * decision, and an event too large to travel beside the state ({@link CONTAIN_INPUT_LIMIT_BYTES}), is stored here, as
 * Normalize stores it, and goes through Claim. The decision is {@link decide}'s: a game-day event's target is checked
 * by GameDayGuard, after Triage.
 * @throws {InvalidInput} on a malformed event (nothing is stored).
 */
export async function triageFinding(
  input: { input: unknown; executionName: string; executionStartTime: string; playbook?: Incident['playbook'] },
  deps: Pick<StepDeps, 'config' | 'clients'>,
): Promise<TriageOutput> {
  const normalized = normalizeEvent(input, deps.config.catalog, deps.config.memberAccountIds);
  const decision = protectedDecision(decide(normalized), normalized.incident, deps.config.protection, findingTagsOf(normalized.event));
  const state = { incident: normalized.incident, event: null, run: normalized.run, decision };
  const inline =
    decision.action === 'contain' &&
    Buffer.byteLength(JSON.stringify(input.input) ?? '') + Buffer.byteLength(JSON.stringify(state)) <= CONTAIN_INPUT_LIMIT_BYTES;
  return inline ? state : { ...state, event: await storeEventOf(normalized.incident, normalized.event, deps) };
}
