import { ensureVolumeSnapshots, evidenceDeadline, SnapshotBatch } from '../../ec2/evidence';
import type { PlaybookState } from '../../../core/contracts/state';
import type { StepDeps } from '../deps-base';
import { evidenceLedgerOf } from '../evidence-ledger';
import { caseTarget, runStep } from '../run-step';
import { labelsOf, timelineOf } from './common';
import '../../clients/assume-role';

/** The case decision that holds an execution's evidence deadline (`decisions.<key>`). */
export const evidenceDeadlineKey = (executionName: string) => `evidenceDeadline#${executionName}`;

/**
 * SnapshotVolumes: CreateSnapshots of every volume the case recorded, each snapshot recorded on the case by the
 * ID the call returned, provenance-checked on a re-run (issue 11: never found by tags alone;
 * {@link ensureVolumeSnapshots}). It sets the execution's
 * one evidence deadline: `evidenceDeadlineSeconds` after the first SnapshotVolumes of the execution that got as far
 * as recording the case's volumes, recorded on the case once in that same write
 * (`decisions.evidenceDeadline#<execution>`, so a retry of this step keeps it) and carried
 * in the batch; CopySnapshots and ShareAndCopySnapshots inherit it, so the three Wait-loops together end by
 * it (issue 10: three stage deadlines of 2 h each would reach the 6 h execution timeout). A later execution
 * that resumes the case (crash, failure) starts its own.
 * @returns the batch.
 */
export async function snapshotVolumes(state: PlaybookState, deps: StepDeps): Promise<SnapshotBatch> {
  const member = deps.clients.member(state.incident.account, state.incident.region);
  const out = await runStep('SnapshotVolumes', caseTarget(state, deps.ledger), async (run) => {
    // The deadline is recorded once, in the stage's first write (the case's volumes and the intents, before any create
    // call); a retry of the step gets the stored one back from that write and keeps it.
    const key = evidenceDeadlineKey(state.run.executionName);
    const fresh = evidenceDeadline(deps.now(), deps.config.evidenceDeadlineSeconds);
    return ensureVolumeSnapshots(
      {
        instanceId: state.incident.resource.id,
        labels: labelsOf(state),
        ownerAccount: member.accountId,
        deadline: (stored) => (stored[key] as string | undefined) ?? fresh,
        extra: { [key]: fresh },
        mode: 'apply',
        notFoundGraceSeconds: deps.config.notFoundGraceSeconds,
      },
      {
        ec2: member.ec2,
        ledger: evidenceLedgerOf(state.case.caseId, state.run.executionName, deps, state.case.status === 'RESUMED'),
        now: deps.now,
        fold: (r) => run.fold(timelineOf(r)),
      },
    );
  });
  return out.batch;
}
