import type { RecordedSnapshot, RejectedSnapshot } from '../evidence/provenance';
import type { Incident } from '../../core/incident/incident';
import { CaseAdditions, CaseClaims, ClaimItem, ClaimRecords, ClaimResult, FailedCase } from './claims';
import type { CaseStatus } from './policy';
import { BreakerLedger } from './breaker';
import { ApprovalAnswer, ApprovalRecord, CaseRecord, CaseRecords, CaseRecordsDeps, TimelineEntry, TimelineFold } from './records';
import { SuppressionRules } from '../brakes/suppression-rules';

/**
 * The DynamoDB case ledger, as the steps and the operator use it: one object over one table, composed of
 * - `records.ts`: the case item (prior state, evidence, decisions, notifications, approval), its timeline and
 *   its linked events;
 * - `claims.ts`: the claim on a resource (one open case per resource: conditional writes, lease, resume,
 *   finish, release);
 * - `policy.ts`: what a claim's status means (who may take it over and why, escalation of a notify-only case,
 *   which cases are open), pure and without storage.
 *
 * Single-table layout (partition key `pk`, sort key `sk`, both strings):
 * - claim:    `pk = CLAIM#<playbook>#<account>#<region>#<resourceId>`, `sk = CLAIM` (`<region>` `global` for an IAM identity)
 * - case:     `pk = CASE#<caseId>`, `sk = CASE`
 * - timeline: `pk = CASE#<caseId>`, `sk = TL#<ISO-8601 UTC>#<random>`
 * - event:    `pk = CASE#<caseId>`, `sk = EVENT#<sha256>`
 * - suppression rule: `pk = SUPPRESSION`, `sk = RULE#<ruleId>` ({@link SuppressionRules}, issue 14)
 * - breaker:  `pk = BREAKER#account#<account>` or `BREAKER#organization`, `sk = BREAKER`; its held cases
 *   `sk = HELD#<caseId>` and its timeline `sk = TL#...` (issue 14: lib/runtime/brakes/breaker.ts)
 *
 * Every write is conditional or uses `if_not_exists`, so repeating any of them is safe
 * ("Condition expressions", DynamoDB Developer Guide).
 */

export { OPEN_CASE_STATUSES } from './policy';
export type { CaseStatus } from './policy';
export type { ApprovalAnswer, ApprovalRecord, CaseRecord, TimelineEntry, TimelineFold } from './records';
export { claimKey, newCaseId } from './claims';
export type { BreakerListing, HeldCase } from './breaker';
export type { CaseAdditions, CaseUpdate, ClaimGuard, ClaimItem, ClaimRecords, ClaimResult, FailedCase, RecordEntry } from './claims';

/** Dependencies of {@link CaseLedger}. */
export type CaseLedgerDeps = CaseRecordsDeps;

/** Reads and writes the case ledger: each method is the one of {@link CaseClaims} or {@link CaseRecords} it names. */
export class CaseLedger {
  private readonly records: CaseRecords;
  private readonly claims: CaseClaims;
  /** The suppression rules kept in the same table (`firebreak suppress`; read by Claim and Contain). */
  public readonly suppressions: SuppressionRules;
  /** The blast-radius breaker's items (issue 14; breaker.ts), in the same table. */
  readonly breaker: BreakerLedger;

  constructor(deps: CaseLedgerDeps) {
    this.records = new CaseRecords(deps);
    this.claims = new CaseClaims(deps, this.records);
    this.suppressions = new SuppressionRules(deps);
    this.breaker = new BreakerLedger(deps);
  }

  // The claim protocol.

  /** {@link CaseClaims.claim} */
  claim(incident: Incident, executionName: string, leaseSeconds: number, additions?: CaseAdditions): Promise<ClaimResult> {
    return this.claims.claim(incident, executionName, leaseSeconds, additions);
  }

  /** {@link CaseClaims.claimWithRecords} */
  claimWithRecords(
    incident: Incident,
    executionName: string,
    leaseSeconds: number,
    seen: { claim: ClaimItem | undefined; case?: CaseRecord },
    records: ClaimRecords,
  ): Promise<ClaimResult & { stored?: unknown[] }> {
    return this.claims.claimWithRecords(incident, executionName, leaseSeconds, seen, records);
  }

  /** {@link CaseClaims.finish} */
  finish(
    caseId: string,
    status: Exclude<CaseStatus, 'IN_PROGRESS'>,
    details?: Record<string, unknown>,
    executionName?: string,
  ): Promise<void> {
    return this.claims.finish(caseId, status, details, executionName);
  }

  /** {@link CaseClaims.close} */
  close(
    resource: { playbook: string; account: string; region: string; resource: { id: string } },
    caseId: string,
    status: Exclude<CaseStatus, 'IN_PROGRESS'>,
    executionName: string,
    fold?: TimelineFold,
    notifications?: readonly string[],
  ): Promise<void> {
    return this.claims.close(resource, caseId, status, executionName, fold, notifications);
  }

  /** {@link CaseClaims.release} */
  release(caseId: string, details: Record<string, unknown>): Promise<boolean> {
    return this.claims.release(caseId, details);
  }

  /** {@link CaseClaims.findClaim} */
  findClaim(key: { playbook: string; account: string; region: string; resource: { id: string } }): Promise<ClaimItem | undefined> {
    return this.claims.findClaim(key);
  }

  /** {@link CaseClaims.failedCaseFor} */
  failedCaseFor(incident: Incident, executionName: string, details?: Record<string, unknown>): Promise<FailedCase> {
    return this.claims.failedCaseFor(incident, executionName, details);
  }

  // Case records.

  /** {@link CaseRecords.getCase} */
  getCase(caseId: string): Promise<CaseRecord | undefined> {
    return this.records.getCase(caseId);
  }

  /** {@link CaseRecords.listCases} */
  listCases(filter: { open?: boolean; account?: string } = {}): Promise<CaseRecord[]> {
    return this.records.listCases(filter);
  }

  /** {@link CaseRecords.appendTimeline} */
  appendTimeline(caseId: string, entry: TimelineEntry, stable = false): Promise<void> {
    return this.records.appendTimeline(caseId, entry, stable);
  }

  /** {@link CaseRecords.timeline} */
  timeline(caseId: string): Promise<TimelineEntry[]> {
    return this.records.timeline(caseId);
  }

  /** {@link CaseRecords.linkEvent} */
  linkEvent<T extends { readonly sha256: string }>(caseId: string, link: T): Promise<void> {
    return this.records.linkEvent(caseId, link);
  }

  /** {@link CaseRecords.linkedEvents} */
  linkedEvents(caseId: string): Promise<Record<string, unknown>[]> {
    return this.records.linkedEvents(caseId);
  }

  /** {@link CaseRecords.recordPriorState} */
  recordPriorState<T>(caseId: string, key: string, value: T): Promise<T> {
    return this.records.recordPriorState(caseId, key, value);
  }

  /** {@link CaseRecords.recordEvidence} */
  recordEvidence<T>(caseId: string, key: string, value: T): Promise<T> {
    return this.records.recordEvidence(caseId, key, value);
  }

  /** {@link CaseRecords.recordSnapshot} */
  recordSnapshot(caseId: string, snapshot: RecordedSnapshot): Promise<RecordedSnapshot> {
    return this.records.recordSnapshot(caseId, snapshot);
  }

  /** {@link CaseRecords.recordSnapshots} */
  recordSnapshots(caseId: string, snapshots: readonly RecordedSnapshot[], fold?: TimelineFold): Promise<RecordedSnapshot[]> {
    return this.records.recordSnapshots(caseId, snapshots, fold);
  }

  /** {@link CaseRecords.replaceSnapshot} */
  replaceSnapshot(caseId: string, previousSnapshotId: string, snapshot: RecordedSnapshot): Promise<RecordedSnapshot> {
    return this.records.replaceSnapshot(caseId, previousSnapshotId, snapshot);
  }

  /** {@link CaseRecords.rejectSnapshot} */
  rejectSnapshot(caseId: string, rejected: RejectedSnapshot): Promise<RejectedSnapshot> {
    return this.records.rejectSnapshot(caseId, rejected);
  }

  /** {@link CaseRecords.recordManifest} */
  recordManifest<M>(caseId: string, manifest: M, snapshots: unknown, fold?: TimelineFold): Promise<M> {
    return this.records.recordManifest(caseId, manifest, snapshots, fold);
  }

  /** {@link CaseRecords.supersedeManifest} */
  supersedeManifest<M extends { key: string }>(
    caseId: string,
    previous: M,
    next: { manifest: M; snapshots: unknown },
    fold?: TimelineFold,
  ): Promise<M> {
    return this.records.supersedeManifest(caseId, previous, next, fold);
  }

  /** {@link CaseRecords.recordDecision} */
  recordDecision<T>(caseId: string, key: string, value: T): Promise<T> {
    return this.records.recordDecision(caseId, key, value);
  }

  /** {@link CaseRecords.recordOnce} */
  recordOnce(caseId: string, entries: readonly { map: string; key: string; value: unknown }[]): Promise<unknown[]> {
    return this.records.recordOnce(caseId, entries);
  }

  /** {@link CaseRecords.takeDecisions} */
  takeDecisions(
    caseId: string,
    entries: readonly { key: string; expected?: { at: string; executionName?: string } }[],
    value: { at: string; executionName?: string },
  ): Promise<boolean> {
    return this.records.takeDecisions(caseId, entries, value);
  }

  /** {@link CaseRecords.recordDecisionEntries} */
  recordDecisionEntries(caseId: string, entries: Readonly<Record<string, unknown>>): Promise<Record<string, unknown>> {
    return this.records.recordDecisionEntries(caseId, entries);
  }

  /** {@link CaseRecords.recordDecisionEntriesReading} */
  recordDecisionEntriesReading(
    caseId: string,
    entries: Readonly<Record<string, unknown>>,
  ): Promise<{ before: CaseRecord; stored: Record<string, unknown> }> {
    return this.records.recordDecisionEntriesReading(caseId, entries);
  }

  /** {@link CaseRecords.recordSnapshotLocks} */
  recordSnapshotLocks(caseId: string, locks: readonly { snapshotId: string }[], fold?: TimelineFold): Promise<void> {
    return this.records.recordSnapshotLocks(caseId, locks, fold);
  }

  /** {@link CaseRecords.markNotified} */
  markNotified(caseId: string, kind: string): Promise<boolean> {
    return this.records.markNotified(caseId, kind);
  }

  /** {@link CaseRecords.markNotifications} */
  markNotifications(caseId: string, kinds: readonly string[], fold?: TimelineFold): Promise<void> {
    return this.records.markNotifications(caseId, kinds, fold);
  }

  /** {@link CaseRecords.putApprovalRequest} */
  putApprovalRequest(caseId: string, request: Omit<ApprovalRecord, 'answer'>): Promise<void> {
    return this.records.putApprovalRequest(caseId, request);
  }

  /** {@link CaseRecords.answerApproval} */
  answerApproval(caseId: string, answer: ApprovalAnswer): Promise<ApprovalAnswer> {
    return this.records.answerApproval(caseId, answer);
  }
}
