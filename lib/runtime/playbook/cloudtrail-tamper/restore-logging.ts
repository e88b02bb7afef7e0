import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import type { PlaybookState } from '../../../core/contracts/state';
import { restore, RestoreResult } from './restore';

/** RestoreLogging: StartLogging after StopLogging; record the trail after DeleteTrail/UpdateTrail/PutEventSelectors. */
export async function restoreLogging(state: PlaybookState, deps: StepDeps): Promise<RestoreResult> {
  return runStep('RestoreLogging', caseTarget(state, deps.ledger), async () => {
    const out = await restore(state, deps, 'apply');
    await deps.ledger.recordEvidence(state.case.caseId, 'tamper', out.record);
    return out;
  });
}
