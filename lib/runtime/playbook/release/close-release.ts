import type { ReleaseItem } from '../../release/plan';
import type { StepDeps } from '../deps-base';
import { runStep } from '../run-step';
import { ReleaseState } from '../../../core/contracts/state';
import { releaseTarget, restoreOf } from './common';

/**
 * CloseRelease: marks the case RELEASED and lifts its claim ({@link CaseLedger.release}), so the next
 * finding on the resource opens a new case. What was restored and what could not be is kept on the
 * case (`releaseDetails`), with the operator and the reason.
 * @throws {ClaimLost} when the resource's claim belongs to another case now.
 */
export async function closeRelease(
  state: ReleaseState,
  deps: StepDeps,
): Promise<{ caseId: string; status: 'RELEASED'; released: boolean; notRestored: ReleaseItem[] }> {
  const restore = restoreOf(state);
  return runStep(
    'CloseRelease',
    releaseTarget(state, deps),
    async () => {
      const released = await deps.ledger.release(state.case.caseId, {
        operator: state.release.operator,
        reason: state.release.reason,
        executionName: state.run.executionName,
        previousStatus: state.case.previousStatus,
        restored: restore.actions ?? [],
        notRestored: restore.notRestored ?? [],
        ...(restore.nothing ? { nothing: restore.nothing } : {}),
      });
      return { caseId: state.case.caseId, status: 'RELEASED' as const, released, notRestored: restore.notRestored ?? [] };
    },
    (out) => ({
      released: out.released,
      reason: state.release.reason,
      restored: (restore.actions ?? []).length,
      notRestored: out.notRestored,
    }),
  );
}
