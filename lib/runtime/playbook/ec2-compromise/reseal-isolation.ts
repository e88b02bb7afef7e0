import type { PlaybookState } from '../../../core/contracts/state';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import { findingEniIds } from './common';
import { resealCaseNetwork } from './network';

/**
 * ResealIsolation, on the failure path of Isolate and VerifyIsolation: every ENI left on an untrack group
 * the case recorded goes onto its VPC's isolation group before the failure is recorded, so that no exit
 * leaves an ENI on the allow-all group ({@link resealCaseNetwork}). A dry run, or a case that recorded
 * no group, touches nothing.
 */
export async function resealIsolation(state: PlaybookState, deps: StepDeps) {
  if (state.incident.dryRun || !state.case || state.case.status === 'DRY_RUN' || state.case.status === 'ALREADY_HANDLED') {
    return { moved: [], stillOpen: [], checked: 0 };
  }
  const record = await deps.ledger.getCase(state.case.caseId);
  return runStep('ResealIsolation', caseTarget(state, deps.ledger), () =>
    resealCaseNetwork(record, state.incident, findingEniIds(state.incident), deps),
  );
}
