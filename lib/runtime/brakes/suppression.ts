import { findSuppression, type SuppressionMatch } from '../../core/brakes/suppression';
import type { Incident } from '../../core/incident/incident';
import type { ClaimDecision } from '../ledger/policy';
import type { CaseLedger } from '../ledger/ledger';

/**
 * The suppression check of the steps that claim a case (issue 14, item 5): Claim (every playbook's Claim path) and
 * Contain (ec2-compromise's automatic path, in its first round of reads). One Query of the rules' partition, made beside
 * the claim's own read, so it adds no sequential call; the decision is the pure {@link findSuppression}.
 */

/**
 * The rule that suppresses an incident now, read from the ledger. No read at all for what is never suppressed (a dry
 * run, a start by hand, a chained start).
 * @param incident - the normalized incident.
 * @param deps - the ledger and the clock.
 * @returns the match to record on the case, or `undefined`.
 * @throws the SDK's error when the Query fails (the step fails and is retried: nothing is changed meanwhile).
 */
export async function readSuppression(
  incident: Incident,
  deps: { readonly ledger: Pick<CaseLedger, 'suppressions'>; readonly now: () => Date },
): Promise<SuppressionMatch | undefined> {
  if (incident.dryRun || incident.trigger === 'manual' || incident.chainedFrom) return undefined;
  return findSuppression(await deps.ledger.suppressions.list(), incident, deps.now());
}

/**
 * Whether a claim Claim took may end suppressed: a new case (`CLAIMED`), a retry of Claim on its own claim (`extended`:
 * Claim is the first step that acts, so nothing was done yet), or a notify-only case a finding escalates (`RESUMED` from
 * `NOTIFIED`: nothing was done to the resource). A case taken over after a failure, an expired lease or a resource that
 * looked gone goes on as it was: its response may be part-way, and a rule never stops one that has begun.
 */
export function claimMaySuppress(claim: {
  readonly status: string;
  readonly previousStatus?: string;
  readonly extended?: boolean;
}): boolean {
  if (claim.status === 'CLAIMED') return true;
  return claim.status === 'RESUMED' && (claim.extended === true || claim.previousStatus === 'NOTIFIED');
}

/**
 * The same for the claim Contain is about to carry in its write, from the claim it read: a new case, an escalated
 * notify-only case, or this execution's own claim (a retry of Contain) whose case already records the suppression (the
 * earlier attempt claimed it suppressed and changed nothing). Never a case whose containment may have begun.
 */
export function containClaimMaySuppress(decision: ClaimDecision, kase?: { readonly decisions?: Record<string, unknown> }): boolean {
  if (decision.kind === 'open') return true;
  if (decision.kind === 'take-over') return decision.reason === 'escalation';
  return decision.kind === 'extend' && kase?.decisions?.[SUPPRESSION_DECISION] !== undefined;
}

/** The case's `decisions` key that records the rule that suppressed it. */
export const SUPPRESSION_DECISION = 'suppression';

/**
 * Contain's suppression check, in its first round: the rules read beside the claim (no sequential call), and the
 * match when the claim read allows it ({@link containClaimMaySuppress}). The promise is marked handled: Contain may
 * end on another read's error (the claim's, which this one shares) before awaiting it.
 * @param seen - the claim (and the case it names, when this run may resume it) as Contain reads them.
 * @returns the match, or `undefined`; rejects with the SDK's error when the rules or the claim cannot be read.
 */
export function containSuppression(
  seen: Promise<{ readonly decision: ClaimDecision; readonly case?: { readonly decisions?: Record<string, unknown> } }>,
  incident: Incident,
  deps: { readonly ledger: Pick<CaseLedger, 'suppressions'>; readonly now: () => Date },
): Promise<SuppressionMatch | undefined> {
  const checked = matchForContain(seen, incident, deps);
  checked.catch(() => undefined);
  return checked;
}

async function matchForContain(
  seen: Promise<{ readonly decision: ClaimDecision; readonly case?: { readonly decisions?: Record<string, unknown> } }>,
  incident: Incident,
  deps: { readonly ledger: Pick<CaseLedger, 'suppressions'>; readonly now: () => Date },
): Promise<SuppressionMatch | undefined> {
  const [claim, match] = await Promise.all([seen, readSuppression(incident, deps)]);
  return match && containClaimMaySuppress(claim.decision, claim.case) ? match : undefined;
}
