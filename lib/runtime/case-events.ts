import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CASE_EVENT_DETAIL_TYPE, CASE_EVENT_SOURCE, caseEventDetail, CaseEventInput } from '../core/case-event';
import { awsErrorCode } from './aws-errors';
import './clients/eventbridge';

/** What became of one `Firebreak Case` event, for the step's timeline entry. */
export interface CaseEventRecord {
  readonly event: string;
  /** The EventBridge event ID when the bus took it. */
  readonly eventId?: string;
  /** Why it was not put (the call's error code, or PutEvents' entry error). */
  readonly error?: string;
}

/**
 * Puts a `Firebreak Case` event on Firebreak's bus (PutEvents, "PutEvents", Amazon EventBridge API Reference,
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html: a failed entry is answered in
 * `Entries[].ErrorCode` with `FailedEntryCount`, not thrown). At least once, alongside the page it goes with (a step's
 * retry may put it again; a consumer deduplicates on `caseId` and `event`). Never throws: a failure is recorded on the
 * case (the step's timeline entry) and the step goes on.
 * @param client - the EventBridge client of the security account.
 * @param busName - Firebreak's bus (`<prefix>`).
 * @returns the record for the timeline.
 */
export async function putCaseEvent(client: () => EventBridgeClient, busName: string, input: CaseEventInput): Promise<CaseEventRecord> {
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
