import { mapAwsError } from '../../aws-errors';
import type { Incident } from '../../../core/incident/incident';
import type { CaseRecord } from '../../ledger/ledger';
import type { StepDeps } from '../deps-base';
import { networkAfterFailure } from '../notice';
import { findingEniIds } from './common';
import { resealCaseNetwork } from './network';

/**
 * CloseOrphanedCase of an `ec2-compromise` case (orphaned-registry.ts): an execution stopped between Isolate's two
 * moves ran no ResealIsolation, so every ENI on one of the case's recorded untrack groups goes to the isolation group
 * here ({@link resealCaseNetwork}); an error becomes part of the warning (never thrown).
 * @returns the notification's `network` (moved, still open, a warning), or `undefined` for a non-instance incident.
 */
export async function resealOrphan(record: CaseRecord, incident: Incident, deps: StepDeps): Promise<Record<string, unknown> | undefined> {
  if (incident.resource.type !== 'Instance') return undefined;
  try {
    // The finding's ENIs, as Normalize read them from the execution's input.
    const reseal = await resealCaseNetwork(record, incident, findingEniIds(incident), deps);
    return networkAfterFailure({ reseal });
  } catch (err) {
    const e = mapAwsError(err) as Error;
    return networkAfterFailure({ resealError: { Error: e.name, Cause: e.message } });
  }
}
