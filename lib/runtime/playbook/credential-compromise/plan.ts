import type { PlaybookState } from '../../../core/contracts/state';
import type { StepDeps } from '../deps-base';
import type { ContainmentPlan } from '../hooks';
import { credential, revoke } from './revoke';
import { casePrincipalOf, credentialEvidencePlan } from '../../evidence/principal-lookup';

/**
 * PlanDryRun of `credential-compromise` (plan-registry.ts): the revocation in plan mode (Get/List calls only), then the
 * evidence PreserveCredentialEvidence would keep (no call). A
 * sample finding carries a placeholder key: nothing is looked up.
 * @returns the plan, with who else it would affect (every session of a role).
 * @throws the SDK's errors (mapped by the handler) when a read fails; {@link InvalidInput} for a credential type
 *   it cannot revoke.
 */
export async function planRevocation(state: PlaybookState, deps: StepDeps): Promise<ContainmentPlan> {
  if (state.incident.sample) {
    return {
      sample: true,
      actions: [
        {
          operation: 'IAM.UpdateAccessKey',
          target: credential(state).accessKeyId ?? credential(state).id,
          change: 'sample finding: placeholder key, nothing is looked up',
        },
      ],
    };
  }
  const out = await revoke(state, deps, 'plan');
  // Then PreserveCredentialEvidence (issue 16, item 4): what it would read and write, from the incident alone.
  const evidence = credentialEvidencePlan(casePrincipalOf(state), state.incident.region);
  return { sample: false, actions: [...out.actions, ...evidence], affected: out.affected };
}
