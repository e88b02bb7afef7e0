/**
 * The `Firebreak Case` event (issue 16): what Firebreak puts on its own event bus (`<prefix>`, the security account) at
 * each case event, for other tools to subscribe to with a rule (docs/ARCHITECTURE.md, "The Firebreak Case event").
 * Pure: the runtime sends it (lib/runtime/case-events.ts).
 */
import type { CaseEvent } from './chat-card';

/** The event's `source`. */
export const CASE_EVENT_SOURCE = 'firebreak';
/** The event's `detail-type`. */
export const CASE_EVENT_DETAIL_TYPE = 'Firebreak Case';
/** The contract's version (`detail.version`): a field removed or changed in meaning raises it. */
export const CASE_EVENT_VERSION = '1';

/** The case status each case event reports (`detail.status`). */
export const CASE_EVENT_STATUS: Record<CaseEvent, string> = {
  opened: 'NOTIFIED',
  'approval-requested': 'AWAITING_APPROVAL',
  contained: 'CONTAINED',
  released: 'RELEASED',
  failed: 'FAILED',
};

/**
 * `detail` of a `Firebreak Case` event. Values a member account shaped (the resource ID, the finding's ID and type)
 * are carried as the incident holds them (Normalize checked and cut them): a consumer treats them as data.
 */
export interface CaseEventDetail {
  readonly version: typeof CASE_EVENT_VERSION;
  readonly caseId: string;
  /** The case event: `opened` (notify-only page), `approval-requested`, `contained`, `released`, `failed`. */
  readonly event: CaseEvent;
  /** The case status after the event (`NOTIFIED`, `AWAITING_APPROVAL`, `CONTAINED`, `RELEASED`, `FAILED`, `RESOURCE_GONE`). */
  readonly status: string;
  /** The outcome in Firebreak's words: the notification kind, or the failure kind. */
  readonly outcome: string;
  readonly playbook: string;
  readonly account: string;
  readonly region: string;
  /** The GuardDuty finding's ID and type, or the CloudTrail event's ID and `<source>:<name>`; absent for a release. */
  readonly finding?: { readonly id: string; readonly type: string };
  readonly resource: { readonly type: string; readonly id: string };
}

/** What {@link caseEventDetail} builds the detail from: the detail without what it derives (`version`, `status`). */
export type CaseEventInput = Omit<CaseEventDetail, 'version' | 'status'>;

/** The detail of a `Firebreak Case` event. */
export function caseEventDetail(input: CaseEventInput): CaseEventDetail {
  return {
    version: CASE_EVENT_VERSION,
    caseId: input.caseId,
    event: input.event,
    // RecordResourceGone pages as a failure, but the case ends RESOURCE_GONE.
    status: input.event === 'failed' && input.outcome === 'resource-gone' ? 'RESOURCE_GONE' : CASE_EVENT_STATUS[input.event],
    outcome: input.outcome,
    playbook: input.playbook,
    account: input.account,
    region: input.region,
    ...(input.finding ? { finding: { id: input.finding.id, type: input.finding.type } } : {}),
    resource: { type: input.resource.type, id: input.resource.id },
  };
}
