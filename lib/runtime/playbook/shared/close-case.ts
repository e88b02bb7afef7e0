import type * as z from 'zod';
import type { CloseInputSchema } from '../../../core/contracts/state';
import type { CaseStatus } from '../../ledger/ledger';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';

/**
 * CloseCase / CloseNotified: sets the final case status: the claim's, the case's and the step's timeline entry in
 * one TransactWriteItems (`CaseLedger.close`; the claim key from the state's incident, so no read).
 */
export async function closeCase(input: z.infer<typeof CloseInputSchema>, deps: StepDeps): Promise<{ caseId: string; status: CaseStatus }> {
  const state = input.state;
  return runStep('CloseCase', caseTarget(state, deps.ledger), async (run) => {
    const result = { caseId: state.case.caseId, status: input.outcome };
    await deps.ledger.close(state.incident, state.case.caseId, input.outcome, state.run.executionName, run.fold(result));
    return result;
  });
}
