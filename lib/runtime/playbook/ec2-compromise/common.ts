import type { Incident } from '../../../core/incident/incident';
import type { PlaybookState } from '../../../core/contracts/state';
import type { EvidenceStageResult, SnapshotBatch } from '../../ec2/evidence';
import { InvalidInput } from '../../../core/errors';

/**
 * What the `ec2-compromise` steps (one module per step, named as its Lambda folder; DESIGN.md §3) and its hooks
 * (plan.ts, orphaned.ts) share. Each step is a plain async function `(input, deps)`; `lambdas/<step>/index.ts` wraps it in a
 * middy handler. Every step that acts records a timeline entry on the case through {@link runStep}.
 */

/** The labels (tags) of a case's snapshots. */
export const labelsOf = (state: PlaybookState) => ({ caseId: state.case.caseId, findingId: state.incident.finding.id });

/** The ENI IDs the finding named, as Normalize read them (empty for a start on a named instance). */
export const findingEniIds = (i: Incident): string[] => (i.resource.type === 'Instance' ? [...(i.resource.networkInterfaceIds ?? [])] : []);

/**
 * A snapshot batch an earlier step put on the state.
 * @throws {InvalidInput} when it is missing (`name` says which).
 */
export function requireBatch(batch: SnapshotBatch | undefined, name: string): SnapshotBatch {
  if (!batch) throw new InvalidInput(`${name} is missing from the playbook state`);
  return batch;
}

/**
 * An evidence stage's result as its timeline entry: the batch without the records it carries for the poll (the case
 * item holds them; the entry names the snapshots).
 */
export function timelineOf(r: EvidenceStageResult): Record<string, unknown> {
  const { snapshotIds, sourceVolumeIds, ownerAccount, deadline } = r.batch;
  return { ...r, batch: { snapshotIds, sourceVolumeIds, ownerAccount, deadline } };
}
