import { storeReceivedEvent, StoredEventRef } from '../../evidence/vault';
import { normalizeEvent, NormalizedState } from '../../../core/incident/normalize';
import type { Incident } from '../../../core/incident/incident';
import type { StepDeps } from '../deps-base';

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
 * event, stored once in the evidence bucket ({@link storeReceivedEvent}: content-addressed under
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
  const { incident, event, run } = normalizeEvent(input, deps.config.catalog);
  const named = !!event && typeof event === 'object' && 'target' in event && !('detail' in event);
  const stored =
    incident.dryRun || named
      ? null
      : await storeReceivedEvent(
          { bucket: deps.config.evidenceBucket, kmsKeyId: deps.config.evidenceKeyArn, account: incident.account, event },
          { s3: deps.clients.security().s3 },
        );
  return { incident, event: stored, run };
}
