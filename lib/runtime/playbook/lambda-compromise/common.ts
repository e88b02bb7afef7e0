import { InvalidInput } from '../../../core/errors';
import type { PlaybookState } from '../../../core/contracts/state';
import type { LambdaFunctionResource } from '../../../core/incident/incident';
import type { CaseLedger } from '../../ledger/ledger';
import type { FunctionRecorder } from '../../lambda/preserve';
import '../../clients/lambda';
import '../../clients/assume-role';

/** The lambda-compromise incident's function. @throws {InvalidInput} when the incident is not about a function. */
export function functionOf(state: Pick<PlaybookState, 'incident'>): LambdaFunctionResource {
  const r = state.incident.resource;
  if (r.type !== 'LambdaFunction') throw new InvalidInput(`lambda-compromise needs a LambdaFunction resource, not ${r.type}`);
  return r;
}

/** The recorder of a case (the ledger's `recordPriorState`: the first record of a key wins). */
export function functionRecorder(ledger: CaseLedger, caseId: string): FunctionRecorder {
  return (key, value) => ledger.recordPriorState(caseId, key, value);
}

/** A recorder for a dry run: records nothing (plan mode never calls it). */
export const NO_RECORDS: FunctionRecorder = async (_key, value) => value;

/** Firebreak's own roles, never revoked (besides the `firebreak-` and service-linked rule of protectedRoleReason). */
export function firebreakRoles(deps: { config: { responderRoleName: string; releaserRoleName: string } }): string[] {
  return [deps.config.responderRoleName, deps.config.releaserRoleName];
}
