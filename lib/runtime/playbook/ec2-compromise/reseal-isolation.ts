import type { NetworkFailureState } from '../../../core/contracts/state';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import { findingEniIds } from './common';
import { resealCaseNetwork } from './network';

/**
 * ResealIsolation, on the failure path of Contain (its moves and its read-back): every ENI left on an untrack group
 * the case recorded goes onto its VPC's isolation group before the failure is recorded, so that no exit
 * leaves an ENI on the allow-all group ({@link resealCaseNetwork}). A dry run, or a case that recorded
 * no group, touches nothing. When Contain failed before it returned the case (it claims the case itself: issue 13), the
 * case is the one whose claim this execution holds, if any (a claim never written means nothing was moved).
 */
export async function resealIsolation(input: NetworkFailureState, deps: StepDeps) {
  const none = { moved: [], stillOpen: [], checked: 0 };
  const kase = input.case ?? (await heldCase(input, deps));
  if (input.incident.dryRun || !kase || kase.status === 'DRY_RUN' || kase.status === 'ALREADY_HANDLED') return none;
  const state = { ...input, case: kase };
  const record = await deps.ledger.getCase(kase.caseId);
  return runStep('ResealIsolation', caseTarget(state, deps.ledger), () =>
    resealCaseNetwork(record, state.incident, findingEniIds(state.incident), deps),
  );
}

/** The case whose claim this execution holds (IN_PROGRESS), as a case reference, or `undefined`. */
async function heldCase(state: NetworkFailureState, deps: StepDeps) {
  const claim = await deps.ledger.findClaim(state.incident);
  return claim && claim.owner === state.run.executionName && claim.status === 'IN_PROGRESS'
    ? { caseId: claim.caseId, status: 'RESUMED' as const }
    : undefined;
}
