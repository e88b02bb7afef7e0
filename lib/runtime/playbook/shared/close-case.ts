import type * as z from 'zod';
import type { CloseInputSchema } from '../../../core/contracts/state';
import type { CaseStatus } from '../../ledger/ledger';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';

/** CloseCase / CloseNotified: sets the final case status. */
export async function closeCase(input: z.infer<typeof CloseInputSchema>, deps: StepDeps): Promise<{ caseId: string; status: CaseStatus }> {
  const state = input.state;
  return runStep('CloseCase', caseTarget(state, deps.ledger), async () => {
    await deps.ledger.finish(state.case.caseId, input.outcome, undefined, state.run.executionName);
    return { caseId: state.case.caseId, status: input.outcome };
  });
}
