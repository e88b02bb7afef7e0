import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CASE_EVENT_DETAIL_TYPE, CASE_EVENT_SOURCE, caseEventDetail, CaseEventInput } from '../core/case-event';
import { awsErrorCode } from './aws-errors';
import './clients/eventbridge';
import { caseEventPoints } from '../core/metrics';
import { emitMetrics } from './metrics';

/** What became of one `Firebreak Case` event, for the step's timeline entry. */
export interface CaseEventRecord {
  readonly event: string;
  /** The EventBridge event ID when the bus took it. */
  readonly eventId?: string;
  /** Why it was not put (the call's error code, or PutEvents' entry error). */
  readonly error?: string;
  /** Why the case event's metrics could not be emitted (lib/runtime/metrics.ts), when they could not. */
  readonly metricsError?: string;
}

/**
 * Puts a `Firebreak Case` event on Firebreak's bus (PutEvents, "PutEvents", Amazon EventBridge API Reference,
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html: a failed entry is answered in
 * `Entries[].ErrorCode` with `FailedEntryCount`, not thrown). At least once, alongside the page it goes with (a step's
 * retry may put it again; a consumer deduplicates on `caseId` and `event`). Never throws: a failure is recorded on the
 * case (the step's timeline entry) and the step goes on.
 * With it go the case event's metrics (docs/ARCHITECTURE.md, "Metrics and dashboard"): `Cases` by playbook and outcome,
 * and with `times` (the contained page) `TimeToIsolate` and `TimeToContain`, EMF on stdout, whether or not the bus took
 * the event; a failure to emit them is recorded too (`metricsError`), never thrown.
 * @param client - the EventBridge client of the security account.
 * @param busName - Firebreak's bus (`<prefix>`): the metrics' `service` dimension too.
 * @param times - the case's containment times in seconds (lib/core/metrics.ts `containmentTimes`), for a contained page.
 * @returns the record for the timeline.
 */
export async function putCaseEvent(
  client: () => EventBridgeClient,
  busName: string,
  input: CaseEventInput,
  times?: { isolate?: number; contain?: number },
): Promise<CaseEventRecord> {
  const put = await putEvent(client, busName, input);
  const metricsError = emitMetrics(busName, caseEventPoints(input.playbook, input.outcome, times), {
    caseId: input.caseId,
    account: input.account,
    region: input.region,
    resourceId: input.resource.id,
    ...(input.finding ? { findingType: input.finding.type } : {}),
  });
  return metricsError ? { ...put, metricsError } : put;
}

/** The PutEvents call of {@link putCaseEvent}. */
async function putEvent(client: () => EventBridgeClient, busName: string, input: CaseEventInput): Promise<CaseEventRecord> {
  try {
    const out = await client().send(
      new PutEventsCommand({
        Entries: [
          {
            Source: CASE_EVENT_SOURCE,
            DetailType: CASE_EVENT_DETAIL_TYPE,
            Detail: JSON.stringify(caseEventDetail(input)),
            EventBusName: busName,
            Resources: [],
          },
        ],
      }),
    );
    const entry = out.Entries?.[0];
    if (!entry?.EventId) return { event: input.event, error: `${entry?.ErrorCode ?? 'NoEventId'}: ${entry?.ErrorMessage ?? ''}`.trim() };
    return { event: input.event, eventId: entry.EventId };
  } catch (err) {
    return { event: input.event, error: awsErrorCode(err) ?? (err as Error).message };
  }
}
