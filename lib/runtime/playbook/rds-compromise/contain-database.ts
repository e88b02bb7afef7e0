import { InvalidInput } from '../../../core/errors';
import type { PlaybookState } from '../../../core/contracts/state';
import { readStoredEvent } from '../../evidence/vault';
import { dbExposureOf, DbExposure } from '../../rds/exposure';
import { ensureDbNotPublic } from '../../rds/public-access';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import { dbInstanceOf, dbPriorRecorder } from './common';
import '../../clients/s3';

/**
 * Whether the incident's finding is about exposure ({@link dbExposureOf}), from the event Normalize stored in the
 * evidence bucket (Firebreak's own copy, read back and checked against its SHA-256: `readStoredEvent`), never from the
 * member account's tags. Without a stored event (a start on a named resource) it is not an exposure finding.
 */
export async function exposureOf(state: PlaybookState, deps: StepDeps): Promise<DbExposure> {
  if (!state.event) return { exposed: false, why: 'no stored finding to read the remote address from: not an exposure finding' };
  const { event } = await readStoredEvent(state.event, { s3: deps.clients.security().s3 });
  const action = (event as { detail?: { service?: { action?: unknown } } } | null)?.detail?.service?.action;
  return dbExposureOf(state.incident.finding.type, action);
}

/**
 * ContainDatabase (rds-compromise): when the finding is about exposure (the database was reached from a public
 * address) and DescribeDBInstances says the instance is publicly accessible now, its public accessibility is turned
 * off (ModifyDBInstance PubliclyAccessible false, ApplyImmediately), the prior value recorded on the case first
 * (`priorState.publicAccessibility`; {@link ensureDbNotPublic}). Otherwise nothing changes: the case names the
 * database user for a person to rotate or revoke (runbooks/rds-compromise/runbook.md). Never touches security groups,
 * users or passwords.
 * @throws {ResourceGone} when the instance is gone. {@link InvalidInput} for a dry run.
 */
export async function containDatabase(state: PlaybookState, deps: StepDeps) {
  if (state.incident.dryRun) throw new InvalidInput('ContainDatabase does not run on a dry run (PlanDryRun plans it)');
  const i = state.incident;
  const dbInstanceIdentifier = dbInstanceOf(state);
  return runStep('ContainDatabase', caseTarget(state, deps.ledger), async () => {
    const exposure = await exposureOf(state, deps);
    if (!exposure.exposed) return { dbInstanceIdentifier, exposed: false, why: exposure.why, outcome: 'not-asked' as const, actions: [] };
    const { rds } = deps.clients.member(i.account, i.region);
    const out = await ensureDbNotPublic(rds, dbInstanceIdentifier, 'apply', dbPriorRecorder(deps.ledger, state.case.caseId));
    const outcome = out.outcome === 'turned-off' ? ('turned-off' as const) : ('already-off' as const);
    return { dbInstanceIdentifier, exposed: true, why: exposure.why, outcome, actions: out.actions };
  });
}
