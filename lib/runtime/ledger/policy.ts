import type { Incident } from '../../core/incident/incident';

/**
 * What a case's status and its resource's claim mean, as pure functions: who may take a claim over and why
 * (the escalation of a notify-only case among them), when a lease has run out, which cases are open. No storage
 * here: the claim protocol (`claims.ts`) reads the claim, asks these functions, and writes what they decide.
 */

/**
 * Case states. `IN_PROGRESS` and `FAILED` can be resumed; `RELEASED` (containment undone by the
 * release playbook) frees the resource, so the next finding about it opens a new case; so do `SHADOW` (a
 * shadow-mode entry's plan, recorded) and `SUPPRESSED` (a suppression rule matched), which changed nothing: the next
 * finding is judged afresh (an entry switched to `auto`, a rule expired or removed, contain it); the others are final.
 */
export type CaseStatus = 'IN_PROGRESS' | 'CONTAINED' | 'NOTIFIED' | 'FAILED' | 'RESOURCE_GONE' | 'RELEASED' | 'SHADOW' | 'SUPPRESSED';

/** The statuses that leave the resource free for a new case: nothing of the case holds it ({@link opensNewCase}). */
export const FREEING_CASE_STATUSES: readonly CaseStatus[] = ['RELEASED', 'SHADOW', 'SUPPRESSED'];

/** The states of an open case (one that still holds its resource's claim and is not released). */
export const OPEN_CASE_STATUSES: readonly CaseStatus[] = ['IN_PROGRESS', 'CONTAINED', 'NOTIFIED', 'FAILED'];

/** Whether a case in `status` is open ({@link OPEN_CASE_STATUSES}). */
export function isOpenCase(status: CaseStatus): boolean {
  return OPEN_CASE_STATUSES.includes(status);
}

/** What the policy reads of a resource's claim (the stored claim item has these fields). */
export interface ClaimState {
  readonly status: CaseStatus;
  /** The execution that holds (or last held) the claim. */
  readonly owner: string;
  /** ISO-8601 UTC. */
  readonly leaseExpiresAt: string;
}

/**
 * What the policy reads of the incident a claim is asked for. `addsToCase`: the incident names resources its finished
 * case has not handled (an attack sequence GuardDuty updated with new resources: `sequenceAdditions`,
 * lib/core/incident/sequence-summary.ts); only the claim of an attack sequence sets it.
 */
export type ClaimRequest = Pick<Incident, 'mode' | 'trigger' | 'dryRun'> & { readonly addsToCase?: boolean };

/**
 * Why an execution takes over another execution's case (written on the timeline as the `RESUMED` reason). `update`: a
 * finished case (`CONTAINED`, `NOTIFIED`) whose finding GuardDuty updated to name resources the case has not handled.
 */
export type TakeOverReason = 'failed' | 'recheck-gone' | 'lease-expired' | 'escalation' | 'update';

/**
 * What a claim for an incident does, given the resource's claim:
 * - `open`: no claim, or the last case was released, shadow or suppressed → a new case;
 * - `extend`: the claim is this execution's own, in progress (a retry of Claim) → its lease is extended;
 * - `take-over`: the case is resumed by this execution, for `reason`;
 * - `already-handled`: another execution owns the case, or it is finished → nothing but a note on it.
 */
export type ClaimDecision =
  | { readonly kind: 'open' }
  | { readonly kind: 'extend' }
  | { readonly kind: 'take-over'; readonly reason: TakeOverReason }
  | { readonly kind: 'already-handled' };

/**
 * When a lease taken at `now` for `leaseSeconds` ends, as ISO-8601 UTC (what the claim stores).
 * @throws {RangeError} when the sum is not a valid time (a non-finite `leaseSeconds`).
 */
export function leaseExpiry(now: Date, leaseSeconds: number): string {
  return new Date(now.getTime() + leaseSeconds * 1000).toISOString();
}

/** Whether a lease ending at `leaseExpiresAt` (ISO-8601 UTC, as stored) has run out at `now`: the end itself counts as run out. */
export function leaseExpired(leaseExpiresAt: string, now: Date): boolean {
  return leaseExpiresAt <= now.toISOString();
}

/** Whether a claim leaves the resource free for a new case: there is none, or its last case was released, shadow or suppressed. */
export function opensNewCase(claim: Pick<ClaimState, 'status'> | undefined): boolean {
  return !claim || FREEING_CASE_STATUSES.includes(claim.status);
}

/**
 * Whether a claim is `executionName`'s own to finish: it holds it in progress (Claim wrote it) or failed
 * (it recorded its own failure). What a failed execution may record its failure on.
 */
export function ownsClaim(claim: Pick<ClaimState, 'status' | 'owner'>, executionName: string): boolean {
  return claim.owner === executionName && (claim.status === 'IN_PROGRESS' || claim.status === 'FAILED');
}

/**
 * Decides what a claim by `executionName` for `incident` does at `now`, given the resource's claim (DESIGN.md §3, Claim).
 * In order: no claim or a released one opens a new case; this execution's own in-progress claim is extended;
 * a `FAILED` case is taken over; a `RESOURCE_GONE` case is looked at again (EC2 is eventually consistent, and a
 * case must not write off a live instance for good, issue 10) unless the incident is a dry run; an in-progress
 * claim whose lease has run out is taken over; a `NOTIFIED` case is escalated when the incident now calls for
 * containment (catalog mode `auto` or `approval`) or an engineer starts it by hand, unless it is a dry run; a
 * `CONTAINED` or `NOTIFIED` case is taken over for an `update` when the incident adds resources to it (`addsToCase`);
 * anything else (a live lease, `CONTAINED`, `NOTIFIED` again) is already handled.
 */
export function decideClaim(claim: ClaimState | undefined, incident: ClaimRequest, executionName: string, now: Date): ClaimDecision {
  if (!claim || opensNewCase(claim)) return { kind: 'open' };
  if (claim.status === 'IN_PROGRESS' && claim.owner === executionName) return { kind: 'extend' };
  const reason = takeOverReason(claim, incident, now);
  return reason ? { kind: 'take-over', reason } : { kind: 'already-handled' };
}

function takeOverReason(claim: ClaimState, incident: ClaimRequest, now: Date): TakeOverReason | undefined {
  if (claim.status === 'FAILED') return 'failed';
  if (claim.status === 'RESOURCE_GONE' && !incident.dryRun) return 'recheck-gone';
  if (claim.status === 'IN_PROGRESS' && leaseExpired(claim.leaseExpiresAt, now)) return 'lease-expired';
  if (claim.status === 'NOTIFIED' && callsForContainment(incident) && !incident.dryRun) return 'escalation';
  if ((claim.status === 'CONTAINED' || claim.status === 'NOTIFIED') && incident.addsToCase && !incident.dryRun) return 'update';
  return undefined;
}

/** Whether an incident calls for containment of a notify-only case: catalog mode `auto` or `approval`, or a manual start. */
function callsForContainment(incident: ClaimRequest): boolean {
  return incident.mode === 'auto' || incident.mode === 'approval' || incident.trigger === 'manual';
}
