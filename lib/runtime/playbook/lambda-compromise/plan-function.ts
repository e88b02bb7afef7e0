import type { PlaybookState } from '../../../core/contracts/state';
import { ensureEvidenceVersion } from '../../lambda/version';
import type { StepDeps } from '../deps-base';
import type { ContainmentPlan } from '../hooks';
import { functionOf } from './common';
import { containFunctionIn } from './containment';

/**
 * PlanDryRun and PlanShadow of `lambda-compromise`: its own step (`plan-function`), not the shared plan-containment's
 * registry, so that bundle stays under 200 KB as playbooks are added (test/infra/lean-bundles.test.ts). The evidence
 * version and containment in plan mode: Get/List calls only, zero mutating calls, nothing recorded or written. A sample
 * finding names a placeholder function: nothing is looked up.
 * @param state - the playbook state after Claim (a dry run, or a shadow-mode case).
 * @param deps - step dependencies (the member account's clients, responder role).
 * @returns the plan (`$.plan`).
 * @throws {ResourceGone} when the function is gone.
 */
export async function planFunction(state: PlaybookState, deps: StepDeps): Promise<ContainmentPlan> {
  const f = functionOf(state);
  if (state.incident.sample) {
    return {
      sample: true,
      actions: [{ operation: 'Lambda.PutFunctionConcurrency', target: f.functionName, change: 'sample finding: nothing is looked up' }],
    };
  }
  const { lambda } = deps.clients.member(state.incident.account, state.incident.region);
  const preserved = await ensureEvidenceVersion(lambda, f.functionName, state.case.caseId, 'plan');
  const contained = await containFunctionIn(state, deps, 'plan');
  return {
    sample: false,
    actions: [...preserved.actions, ...contained.actions],
    affected: contained.notRevoked
      ? `every invocation of ${f.functionName} (the role is not revoked: ${contained.notRevoked})`
      : `every invocation of ${f.functionName}, and every session of role ${contained.roleName} issued before the containment`,
  };
}
