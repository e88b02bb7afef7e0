import { copySourceOf, ensureSnapshotCopies, ensureSnapshotsShared, EvidenceStageResult, SnapshotBatch } from '../../ec2/evidence';
import { ensureSnapshotsLocked, EvidenceLockPolicy, SnapshotLockRecord } from '../../ec2/snapshot-lock';
import type { PlaybookState } from '../../../core/contracts/state';
import type { StepDeps } from '../deps-base';
import { evidenceLedgerOf } from '../evidence-ledger';
import { caseTarget, runStep } from '../run-step';
import { labelsOf, requireBatch, timelineOf } from './common';
import '../../clients/assume-role';

/** The step's timeline entry: the stage's result ({@link timelineOf}) and each copy's lock. */
const entryOf = (r: EvidenceStageResult & { locks: readonly SnapshotLockRecord[] }) => ({ ...timelineOf(r), locks: r.locks });

/**
 * ShareAndCopySnapshots: share, for each volume, the snapshot the case recorded for the security account's copy to
 * descend from ({@link copySourceOf}: its transit copy, or its source snapshot itself when that is unencrypted and
 * needed none) with the security account only (`createVolumePermission` add of that account ID, never `all`), and copy
 * it there under the evidence key; the copies keep the same deadline. Then lock the copies (EBS snapshot lock,
 * {@link ensureSnapshotsLocked}) in the evidence bucket's Object Lock mode for its retention, and record each lock on the
 * case (`evidence["lock#<snapshotId>"]`) in the write that carries the step's timeline entry. CopySnapshots' timeline
 * entry, when it deferred it (nothing to copy), is written with this step's.
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
        { ec2: security.ec2, ledger, now: deps.now },
      );
      // Every copy the case recorded is locked, made by this run or an earlier one (a crash after CopySnapshot or LockSnapshot).
      const targets = copies.batch.recorded ?? [];
      const policy: EvidenceLockPolicy = { mode: deps.config.objectLockMode, retentionDays: deps.config.evidenceRetentionDays };
      const locked = await ensureSnapshotsLocked({ targets, policy, mode: 'apply' }, { ec2: security.ec2 });
      const result = { ...copies, actions: [...shared, ...copies.actions, ...locked.actions], locks: locked.locks };
      // The locks' record carries the step's timeline entry: the step's result, the share actions first, and the locks.
      await deps.ledger.recordSnapshotLocks(state.case.caseId, locked.locks, run.fold(entryOf(result)));
      return result;
    },
    entryOf,
    timeline ? { carried: [timeline] } : {},
  );
  return out.batch;
}
