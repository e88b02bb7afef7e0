import type { PlaybookState } from '../../../core/contracts/state';
import { verifyDbNotPublic } from '../../rds/public-access';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import { dbInstanceOf } from './common';

/**
 * VerifyDatabaseContainment (rds-compromise): when ContainDatabase turned public accessibility off (or found it off),
 * reads the instance back through the responder role: `PubliclyAccessible` false, else {@link NotYetConsistent}
 * (ModifyDBInstance applies asynchronously), which the state machine retries. Nothing to read back when the finding
 * was not about exposure.
 */
export async function verifyDatabaseContainment(state: PlaybookState, deps: StepDeps) {
  const i = state.incident;
  const dbInstanceIdentifier = dbInstanceOf(state);
  const exposed = state.databaseContainment?.exposed === true;
  return runStep('VerifyDatabaseContainment', caseTarget(state, deps.ledger), async () => {
    if (exposed) await verifyDbNotPublic(deps.clients.member(i.account, i.region).rds, dbInstanceIdentifier);
    return { dbInstanceIdentifier, notPublic: exposed };
  });
}
