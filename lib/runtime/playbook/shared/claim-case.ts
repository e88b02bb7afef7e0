import type * as z from 'zod/mini';
import type { LinkedEvent } from '../../evidence/vault';
import type { CaseUpdateSchema, PreClaimState } from '../../../core/contracts/state';
import type { Incident } from '../../../core/incident/incident';
import { sequenceAdditions } from '../../../core/incident/sequence-summary';
import type { CaseAdditions } from '../../ledger/ledger';
import type { StepDeps } from '../deps-base';
import { notifyAttachedFinding } from '../attached-notice';
import type { SuppressionMatch } from '../../../core/brakes/suppression';
import { claimMaySuppress, readSuppression } from '../../brakes/suppression';

/**
 * Claim: one case per (playbook, account, region, instance), by DynamoDB conditional write. A dry
 * run claims nothing and writes nothing. Beside the claim, the suppression rules are read ({@link readSuppression},
 * issue 14): a rule that matches a new case (or an escalated notify-only one) is put on the Claim entry and returned as
 * `suppression`, which ClaimOutcome sends to CloseSuppressed before any decision: nothing changed, nobody notified.
 * An attack sequence's claim also reads its finished case: an update of the finding that names resources the case has
 * not handled takes the case over ({@link sequenceUpdate}) and returns them as `update` (also when a later execution
 * resumes the case that update left unfinished, so that its notification still goes out).
 * @returns `{ caseId, status, suppression?, update? }` for `$.case`.
 */
export async function claimCase(
  state: PreClaimState,
  deps: StepDeps,
): Promise<{
  caseId: string;
  status: 'CLAIMED' | 'RESUMED' | 'ALREADY_HANDLED' | 'DRY_RUN';
  suppression?: SuppressionMatch;
  update?: z.infer<typeof CaseUpdateSchema>;
}> {
  if (state.incident.dryRun) return { caseId: `dry-run-${state.incident.finding.id}`, status: 'DRY_RUN' };
  const rule = readSuppression(state.incident, deps);
  rule.catch(() => undefined); // awaited below; handled now so that a failed claim does not leave it unhandled
  const claim = await deps.ledger.claim(
    state.incident,
    state.run.executionName,
    deps.config.claimLeaseSeconds,
    sequenceUpdate(state.incident),
  );
  const suppression = claimMaySuppress(claim) ? await rule : undefined;
  // The stored event is evidence of the case it reached (also when it attaches to an open case). Written beside the
  // rest: neither write depends on the other (issue 13: one sequential call less before containment).
  const linked = state.event
    ? deps.ledger.linkEvent(claim.caseId, {
        ...state.event,
        findingId: state.incident.finding.id,
        linkedAt: deps.now().toISOString(),
      } satisfies LinkedEvent)
    : Promise.resolve();
  await Promise.all([linked, recordClaim(state, claim, deps, suppression)]);
  const update = claim.update && { added: [...claim.update.added], token: claim.update.token };
  return { caseId: claim.caseId, status: claim.status, ...(suppression ? { suppression } : {}), ...(update ? { update } : {}) };
}

/**
 * attack-sequence: what an update of the sequence adds to its finished case, the routes it chains that the case has
 * neither chained nor handled with the sequence it holds ({@link sequenceAdditions}). GuardDuty updates an attack
 * sequence finding in place, same finding ID ("GuardDuty finding aggregation", GuardDuty User Guide,
 * https://docs.aws.amazon.com/guardduty/latest/ug/finding-aggregation.html). `undefined` for every other playbook:
 * their claims never read the case.
 */
function sequenceUpdate(incident: Incident): CaseAdditions | undefined {
  if (incident.playbook !== 'attack-sequence') return undefined;
  return (record) => sequenceAdditions(incident.sequence, { sequence: record.incident?.sequence, decisions: record.decisions });
}

/** The Claim entry on the case's timeline, or, for a finding that attached to an open case, its notice. */
async function recordClaim(
  state: PreClaimState,
  claim: { caseId: string; status: 'CLAIMED' | 'RESUMED' | 'ALREADY_HANDLED' },
  deps: StepDeps,
  suppression?: SuppressionMatch,
): Promise<void> {
  if (claim.status !== 'ALREADY_HANDLED') {
    await deps.ledger.appendTimeline(claim.caseId, {
      at: deps.now().toISOString(),
      step: 'Claim',
      status: 'SUCCEEDED',
      executionName: state.run.executionName,
      trigger: state.incident.trigger,
      details: {
        outcome: claim.status,
        findingId: state.incident.finding.id,
        findingType: state.incident.finding.type,
        severity: state.incident.finding.severity,
        eventId: state.incident.eventId,
        ...(suppression ? { suppression } : {}),
      },
    });
  } else {
    await notifyAttachedFinding(state, claim.caseId, deps);
  }
}
