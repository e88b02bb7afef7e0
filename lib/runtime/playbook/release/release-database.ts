import { InvalidInput } from '../../../core/errors';
import type { ReleaseState } from '../../../core/contracts/state';
import type { PlannedAction } from '../../ec2/instance';
import { DbPublicAccessPrior, ensureDbPublicAccessRestored } from '../../rds/public-access';
import { requireDbInstanceIdentifier } from '../../rds/snapshot-ids';
import type { ReleaseItem } from '../../release/plan';
import type { StepDeps } from '../deps-base';
import { runStep } from '../run-step';
import { caseRecord, releaseTarget } from './common';
import { releaserClients } from './releaser';
import '../../clients/rds';

/** ReleaseDatabase's result, in the shape of every release step's (`ReleaseResult`). */
export interface DatabaseReleaseStepResult {
  readonly mode: 'apply';
  readonly dbInstanceIdentifier: string;
  /** `restored` (public accessibility back on), `left` (already on), `not-changed` (Firebreak changed nothing). */
  readonly outcome: 'restored' | 'left' | 'not-changed';
  readonly actions: PlannedAction[];
  readonly unchanged: ReleaseItem[];
  readonly notRestored: ReleaseItem[];
}

/**
 * ReleaseDatabase: undoes an rds-compromise case through the releaser role ({@link ensureDbPublicAccessRestored}):
 * `PubliclyAccessible` back to true only when the case recorded that Firebreak turned it off
 * (`priorState.publicAccessibility`) and it still reads false, as Firebreak left it; without that record nothing
 * changes, so a database that was private stays private. The evidence snapshots are kept.
 * @throws {InvalidInput} when the case is not about a DB instance. {@link ResourceGone} when the instance is gone.
 */
export async function releaseDatabase(state: ReleaseState, deps: StepDeps): Promise<DatabaseReleaseStepResult> {
  const { rds } = releaserClients(state, deps);
  return runStep('ReleaseDatabase', releaseTarget(state, deps), async () => {
    const record = await caseRecord(state, deps);
    const r = record.incident.resource;
    if (r.type !== 'GuardDutyResource' || r.resourceType !== 'RDSDBInstance' || !r.name)
      throw new InvalidInput(`Case ${record.caseId} is not about a DB instance`);
    const id = requireDbInstanceIdentifier(r.name);
    const prior = (record.priorState as { publicAccessibility?: DbPublicAccessPrior } | undefined)?.publicAccessibility;
    const out = await ensureDbPublicAccessRestored(rds, id, prior, 'apply');
    const outcome = out.outcome === 'restored' || out.outcome === 'left' ? out.outcome : ('not-changed' as const);
    return { mode: 'apply', dbInstanceIdentifier: id, outcome, actions: out.actions, unchanged: [], notRestored: [] };
  });
}
