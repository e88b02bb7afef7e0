import { copySourceOf, ensureSnapshotCopies, ensureSnapshotsShared, SnapshotBatch } from '../../ec2/evidence';
import type { PlaybookState } from '../../../core/contracts/state';
import type { StepDeps } from '../deps-base';
import { evidenceLedgerOf } from '../evidence-ledger';
import { caseTarget, runStep } from '../run-step';
import { labelsOf, requireBatch, timelineOf } from './common';
import '../../clients/assume-role';

/**
 * ShareAndCopySnapshots: share, for each volume, the snapshot the case recorded for the security account's copy to
 * descend from ({@link copySourceOf}: its transit copy, or its source snapshot itself when that is unencrypted and
 * needed none) with the security account only (`createVolumePermission` add of that account ID, never `all`), and copy
 * it there under the evidence key; the copies keep the same deadline. CopySnapshots' timeline entry, when it deferred
 * it (nothing to copy), is written with this step's.
 */
export async function shareSnapshots(state: PlaybookState, deps: StepDeps): Promise<SnapshotBatch> {
  const member = deps.clients.member(state.incident.account, state.incident.region);
  const security = deps.clients.security();
  const carried = requireBatch(state.memberCopies, 'memberCopies');
  // Every volume of the case's evidence: the transit batch holds only the ones that needed a transit copy.
  const source = requireBatch(state.snapshots, 'snapshots');
  const { timeline, ...transitBatch } = carried;
  const out = await runStep(
    'ShareAndCopySnapshots',
    caseTarget(state, deps.ledger),
    async (run) => {
      const ledger = evidenceLedgerOf(state.case.caseId, state.run.executionName, deps, state.case.status === 'RESUMED');
      // What is shared is what the case recorded, not what the state carried: read by the evidence stage's first write
      // (its intents), which ensureSnapshotCopies then reuses.
      const { recorded } = await ledger.open('evidence', source.sourceVolumeIds);
      const shareable: SnapshotBatch = {
        ...transitBatch,
        sourceVolumeIds: source.sourceVolumeIds,
        snapshotIds: source.sourceVolumeIds.map((v) => copySourceOf(recorded, 'evidence', v, state.case.caseId).snapshotId),
      };
      const shared = await ensureSnapshotsShared({ batch: shareable, accountId: security.accountId, mode: 'apply' }, { ec2: member.ec2 });
      const copies = await ensureSnapshotCopies(
        {
          source: shareable,
          labels: labelsOf(state),
          stage: 'evidence',
          region: state.incident.region,
          ownerAccount: security.accountId,
          kmsKeyId: deps.config.evidenceKeyArn,
          mode: 'apply',
        },
        // The copies' records carry the step's timeline entry: the step's result, the share actions first.
        { ec2: security.ec2, ledger, now: deps.now, fold: (r) => run.fold(timelineOf({ ...r, actions: [...shared, ...r.actions] })) },
      );
      return { ...copies, actions: [...shared, ...copies.actions] };
    },
    undefined,
    timeline ? { carried: [timeline] } : {},
  );
  return out.batch;
}
