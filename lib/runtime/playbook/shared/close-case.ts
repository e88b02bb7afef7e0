import type * as z from 'zod';
import type { CloseInputSchema } from '../../../core/contracts/state';
import type { CaseStatus } from '../../ledger/ledger';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';

/**
 * CloseCase / CloseNotified / CloseShadow / CloseSuppressed: sets the final case status: the claim's, the case's and the
 * step's timeline entry in one TransactWriteItems (`CaseLedger.close`; the claim key from the state's incident, so no
 * read). The entry records what the case is closed on: for `SHADOW` the decision and the plan of what would have been
 * done (PlanShadow's `$.plan`), for `SUPPRESSED` the rule (`$.case.suppression`: its ID, reason, author and expiry).
 */
export async function closeCase(input: z.infer<typeof CloseInputSchema>, deps: StepDeps): Promise<{ caseId: string; status: CaseStatus }> {
  const state = input.state;
  return runStep('CloseCase', caseTarget(state, deps.ledger), async (run) => {
    const result = { caseId: state.case.caseId, status: input.outcome };
    const fold = run.fold({ ...result, ...closedOn(input) });
    await deps.ledger.close(state.incident, state.case.caseId, input.outcome, state.run.executionName, fold);
    return result;
  });
}

/** What a SHADOW or SUPPRESSED case is closed on, for its timeline entry. */
function closedOn({ state, outcome }: z.infer<typeof CloseInputSchema>): Record<string, unknown> {
  if (outcome === 'SHADOW') return { decision: state.decision, plan: state.plan };
  if (outcome === 'SUPPRESSED') return { suppression: state.case.suppression };
  return {};
}
