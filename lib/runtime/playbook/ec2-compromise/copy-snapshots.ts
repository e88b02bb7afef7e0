import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { EvidenceIncomplete, InvalidInput } from '../../../core/errors';
import { EvidenceStageResult, ensureSnapshotCopies, SnapshotBatch } from '../../ec2/evidence';
import { needsTransit, RecordedSnapshot, recordedSnapshots } from '../../evidence/provenance';
import type { PlaybookState } from '../../../core/contracts/state';
import type { StepDeps } from '../deps-base';
import type { TimelineEntry } from '../../ledger/ledger';
import { evidenceLedgerOf } from '../evidence-ledger';
import { caseTarget, runStep } from '../run-step';
import { labelsOf, requireBatch, timelineOf } from './common';
import '../../clients/kms';
import '../../clients/assume-role';

/**
 * The case's record of each volume's source snapshot: as SnapshotVolumes carried them in its batch (the state is
 * written only by Firebreak's own Lambdas; issue 13: no read), else as the case records them (a state without them).
 * @throws {EvidenceIncomplete} when the case recorded no source snapshot of a volume.
 */
async function sourceRecordsOf(state: PlaybookState, deps: StepDeps, source: SnapshotBatch): Promise<RecordedSnapshot[]> {
  const find = (records: readonly RecordedSnapshot[]) =>
    source.sourceVolumeIds.map((v) => records.find((r) => r.stage === 'source' && r.volumeId === v));
  const carried = find(source.recorded ?? []);
  if (carried.every(Boolean)) return carried as RecordedSnapshot[];
  const record = await deps.ledger.getCase(state.case.caseId);
  if (!record) throw new InvalidInput(`Case ${state.case.caseId} does not exist`);
  const read = find(recordedSnapshots(record.evidence));
  const missing = source.sourceVolumeIds.filter((_, k) => !read[k]);
  if (missing.length) throw new EvidenceIncomplete(`Case ${state.case.caseId} recorded no source snapshot of ${missing.join(', ')}`);
  return read as RecordedSnapshot[];
}

/**
 * CopySnapshots: re-encrypt each recorded member snapshot that is encrypted under the member's transit key
 * (shareable); the copies keep the snapshots' deadline. An unencrypted source snapshot is shared as it is
 * ({@link needsTransit}): it gets no transit copy, and the security account's copy descends from it directly. The
 * transit alias is resolved to its key ARN first (KMS DescribeKey: "KeyId" accepts an alias ARN, AWS KMS API
 * reference), and the copy is made under that ARN, which is what DescribeSnapshots reports as its `KmsKeyId` and what
 * its provenance is checked against.
 * @returns the batch of transit copies (the encrypted volumes only; empty when none needs one: then the step made no
 *   AWS call and no ledger write, and its timeline entry, saying which volumes are shared as they are, travels in the
 *   batch's `timeline` to ShareAndCopySnapshots, which writes it).
 */
export async function copySnapshots(state: PlaybookState, deps: StepDeps): Promise<SnapshotBatch> {
  const member = deps.clients.member(state.incident.account, state.incident.region);
  const source = requireBatch(state.snapshots, 'snapshots');
  const i = state.incident;
  let timeline: TimelineEntry | undefined;
  const records = await sourceRecordsOf(state, deps, source);
  const transit = records.filter(needsTransit).map((r) => r.volumeId);
  const sharedAsIs = records
    .filter((r) => !needsTransit(r))
    .map((r) => ({ volumeId: r.volumeId, snapshotId: r.snapshotId, why: 'unencrypted: shared with the security account as it is' }));
  const out = await runStep(
    'CopySnapshots',
    caseTarget(state, deps.ledger),
    async (run): Promise<EvidenceStageResult> => {
      if (!transit.length) {
        const batch: SnapshotBatch = { ...source, snapshotIds: [], sourceVolumeIds: [], recorded: [] };
        return { batch, actions: [], rejected: [], recovered: [], unrecordedRejections: 0 };
      }
      const alias = `arn:${i.partition}:kms:${i.region}:${i.account}:${deps.config.transitKeyAlias}`;
      const key = (await member.kms.send(new DescribeKeyCommand({ KeyId: alias }))).KeyMetadata?.Arn;
      if (!key) throw new EvidenceIncomplete(`The transit key ${alias} has no ARN`);
      const keep = (ids: string[]) => ids.filter((_, k) => transit.includes(source.sourceVolumeIds[k]));
      return ensureSnapshotCopies(
        {
          source: { ...source, snapshotIds: keep(source.snapshotIds), sourceVolumeIds: keep(source.sourceVolumeIds) },
          labels: labelsOf(state),
          stage: 'transit',
          region: i.region,
          ownerAccount: member.accountId,
          kmsKeyId: key,
          mode: 'apply',
        },
        {
          ec2: member.ec2,
          ledger: evidenceLedgerOf(state.case.caseId, state.run.executionName, deps, state.case.status === 'RESUMED'),
          now: deps.now,
          fold: (r) => run.fold({ ...timelineOf(r), sharedAsIs }),
        },
      );
    },
    (r) =>
      transit.length
        ? { ...timelineOf(r), sharedAsIs }
        : { transitCopies: 'none: every source snapshot is unencrypted and is shared as it is', sharedAsIs, batch: timelineOf(r).batch },
    transit.length ? {} : { defer: (e) => (timeline = e) },
  );
  return timeline ? { ...out.batch, timeline } : out.batch;
}
