import { InvalidInput } from '../../../core/errors';
import type { PlaybookState } from '../../../core/contracts/state';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import { containFunctionIn } from './containment';

/**
 * ContainFunction (lambda-compromise): reserved concurrency 0, then the execution role's older sessions revoked unless
 * the role is protected or shared (lib/runtime/lambda/contain.ts); each part reads, records the prior state and
 * applies the difference. The throttle comes first: it alone stops every invocation.
 * @throws {ResourceGone} when the function or its role is gone. {@link InvalidInput} for a dry run.
 */
export async function containFunction(state: PlaybookState, deps: StepDeps) {
  if (state.incident.dryRun) throw new InvalidInput('ContainFunction does not run on a dry run (PlanDryRun plans it)');
  return runStep(
    'ContainFunction',
    caseTarget(state, deps.ledger),
    () => containFunctionIn(state, deps, 'apply'),
    // `actions`: what was changed (an empty list when already contained), for the case timeline and its report.
    (out) => ({ roleName: out.roleName, notRevoked: out.notRevoked, sharedWith: out.sharedWith, actions: out.actions }),
  );
}
