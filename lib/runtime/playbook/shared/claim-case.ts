import type { LinkedEvent } from '../../evidence/vault';
import type { PreClaimState } from '../../../core/contracts/state';
import type { StepDeps } from '../deps-base';
import { notifyAttachedFinding } from '../attached-notice';

/**
 * Claim: one case per (playbook, account, region, instance), by DynamoDB conditional write. A dry
 * run claims nothing and writes nothing.
 * @returns `{ caseId, status }` for `$.case`.
 */
export async function claimCase(
  state: PreClaimState,
  deps: StepDeps,
): Promise<{ caseId: string; status: 'CLAIMED' | 'RESUMED' | 'ALREADY_HANDLED' | 'DRY_RUN' }> {
  if (state.incident.dryRun) return { caseId: `dry-run-${state.incident.finding.id}`, status: 'DRY_RUN' };
  const claim = await deps.ledger.claim(state.incident, state.run.executionName, deps.config.claimLeaseSeconds);
  // The stored event is evidence of the case it reached (also when it attaches to an open case). Written beside the
  // rest: neither write depends on the other (issue 13: one sequential call less before containment).
  const linked = state.event
    ? deps.ledger.linkEvent(claim.caseId, {
        ...state.event,
        findingId: state.incident.finding.id,
        linkedAt: deps.now().toISOString(),
      } satisfies LinkedEvent)
    : Promise.resolve();
  await Promise.all([linked, recordClaim(state, claim, deps)]);
  return { caseId: claim.caseId, status: claim.status };
}

/** The Claim entry on the case's timeline, or, for a finding that attached to an open case, its notice. */
async function recordClaim(
  state: PreClaimState,
  claim: { caseId: string; status: 'CLAIMED' | 'RESUMED' | 'ALREADY_HANDLED' },
  deps: StepDeps,
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
      },
    });
  } else {
    await notifyAttachedFinding(state, claim.caseId, deps);
  }
}
