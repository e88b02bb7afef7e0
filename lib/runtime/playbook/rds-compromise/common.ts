import { InvalidInput } from '../../../core/errors';
import type { PlaybookState } from '../../../core/contracts/state';
import type { CaseLedger } from '../../ledger/ledger';
import type { DbPriorRecorder } from '../../rds/public-access';
import { requireDbInstanceIdentifier } from '../../rds/snapshot-ids';
import '../../clients/rds';
import '../../clients/assume-role';

/**
 * The DB instance an rds-compromise incident is about: the finding's `resource.rdsDbInstanceDetails.dbInstanceIdentifier`
 * (Normalize's `name` of an `RDSDBInstance` resource), checked against RDS's identifier rules before any call.
 * @throws {InvalidInput} when the incident is not about a DB instance (an `RDSLimitlessDB` shard group, another
 *   resource) or the identifier is not one (nothing is called or recorded).
 */
export function dbInstanceOf(state: Pick<PlaybookState, 'incident'>): string {
  const r = state.incident.resource;
  if (r.type !== 'GuardDutyResource' || r.resourceType !== 'RDSDBInstance' || !r.name)
    throw new InvalidInput(`rds-compromise needs an RDSDBInstance resource with its identifier, not ${r.type}`);
  return requireDbInstanceIdentifier(r.name);
}

/** The prior-state recorder of a case (the ledger's `recordPriorState`: the first record of a key wins). */
export function dbPriorRecorder(ledger: CaseLedger, caseId: string): DbPriorRecorder {
  return (key, value) => ledger.recordPriorState(caseId, key, value);
}

/** A recorder for a dry run: records nothing (plan mode never calls it). */
export const NO_DB_RECORDS: DbPriorRecorder = async (_key, value) => value;
