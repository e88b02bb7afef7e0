import { EvidenceIncomplete } from '../../../core/errors';
import { ensureSnapshotCopies, ensureSnapshotsShared, SnapshotBatch } from '../../ec2/evidence';
import type { PlaybookState } from '../../../core/contracts/state';
import type { StepDeps } from '../deps-base';
import { evidenceLedgerOf } from '../evidence-ledger';
import { caseTarget, runStep } from '../run-step';
import { labelsOf, requireBatch, timelineOf } from './common';
import '../../clients/assume-role';

/**
 * ShareAndCopySnapshots: share the recorded transit copies with the security account, copy them there under its
 * key; the copies keep the same deadline.
 */
export async function shareSnapshots(state: PlaybookState, deps: StepDeps): Promise<SnapshotBatch> {
  const member = deps.clients.member(state.incident.account, state.incident.region);
  const security = deps.clients.security();
  const carried = requireBatch(state.memberCopies, 'memberCopies');
  const out = await runStep('ShareAndCopySnapshots', caseTarget(state, deps.ledger), async (run) => {
    const ledger = evidenceLedgerOf(state.case.caseId, state.run.executionName, deps, state.case.status === 'RESUMED');
    // What is shared is what the case recorded for the transit stage, not what the state carried: read by the
    // evidence stage's first write (its intents), which ensureSnapshotCopies then reuses.
    const { recorded } = await ledger.open('evidence', carried.sourceVolumeIds);
    const transit: SnapshotBatch = {
      ...carried,
      snapshotIds: carried.sourceVolumeIds.map((v) => {
        const r = recorded.find((x) => x.stage === 'transit' && x.volumeId === v);
        if (!r) throw new EvidenceIncomplete(`Case ${state.case.caseId} recorded no transit copy of ${v}`);
        return r.snapshotId;
      }),
    };
    const shared = await ensureSnapshotsShared({ batch: transit, accountId: security.accountId, mode: 'apply' }, { ec2: member.ec2 });
    const copies = await ensureSnapshotCopies(
      {
        source: transit,
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
  });
  return out.batch;
}
