import { ensureVolumeSnapshots, evidenceDeadline, SnapshotBatch } from '../../ec2/evidence';
import type { PlaybookState } from '../../../core/contracts/state';
import type { StepDeps } from '../deps-base';
import { evidenceLedgerOf } from '../evidence-ledger';
import { caseTarget, runStep } from '../run-step';
import { labelsOf } from './common';
import '../../clients/assume-role';

/** The case decision that holds an execution's evidence deadline (`decisions.<key>`). */
export const evidenceDeadlineKey = (executionName: string) => `evidenceDeadline#${executionName}`;

/**
 * SnapshotVolumes: CreateSnapshots of every volume the case recorded, each snapshot recorded on the case by the
 * ID the call returned, provenance-checked on a re-run (issue 11: never found by tags alone;
 * {@link ensureVolumeSnapshots}). It sets the execution's
 * one evidence deadline: `evidenceDeadlineSeconds` after the first SnapshotVolumes of the execution, recorded
 * on the case once (`decisions.evidenceDeadline#<execution>`, so a retry of this step keeps it) and carried
 * in the batch; CopySnapshots and ShareAndCopySnapshots inherit it, so the three Wait-loops together end by
 * it (issue 10: three stage deadlines of 2 h each would reach the 6 h execution timeout). A later execution
 * that resumes the case (crash, failure) starts its own.
 * @returns the batch.
 */
export async function snapshotVolumes(state: PlaybookState, deps: StepDeps): Promise<SnapshotBatch> {
  const member = deps.clients.member(state.incident.account, state.incident.region);
  const out = await runStep('SnapshotVolumes', caseTarget(state, deps.ledger), async (run) => {
    const deadline = await deps.ledger.recordDecision(
      state.case.caseId,
      evidenceDeadlineKey(state.run.executionName),
      evidenceDeadline(deps.now(), deps.config.evidenceDeadlineSeconds),
    );
    return ensureVolumeSnapshots(
      {
        instanceId: state.incident.resource.id,
        labels: labelsOf(state),
        ownerAccount: member.accountId,
        deadline,
        mode: 'apply',
        notFoundGraceSeconds: deps.config.notFoundGraceSeconds,
      },
      {
        ec2: member.ec2,
        ledger: await evidenceLedgerOf(state.case.caseId, state.run.executionName, deps),
        now: deps.now,
        fold: (r) => run.fold({ ...r }),
      },
    );
  });
  return out.batch;
}
