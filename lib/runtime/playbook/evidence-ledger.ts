import type { EvidenceLedger, SnapshotIntent } from '../ec2/evidence';
import { EVIDENCE_VOLUMES_KEY, recordedSnapshots, snapshotIntentKey } from '../evidence/provenance';
import { InvalidInput } from '../../core/errors';
import type { StepDeps } from './deps-base';

/**
 * The case's evidence records for the evidence functions of lib/runtime/ec2/evidence.ts (issue 11: the ledger, not
 * tags, is the truth about which snapshots are evidence), read from the case once and written through
 * {@link CaseLedger.recordSnapshot}, `recordSnapshots`, `replaceSnapshot`, `rejectSnapshot` and `recordDecision`.
 * @param caseId - the case (must exist).
 * @param executionName - the execution recording, kept on each record.
 * @param withVolumes - decisions recorded once (each unless already recorded) in the same write as the case's
 *   volumes (`recordVolumes`), e.g. SnapshotVolumes' evidence deadline: one write instead of two.
 * @throws {InvalidInput} when the case does not exist.
 */
export async function evidenceLedgerOf(
  caseId: string,
  executionName: string | undefined,
  deps: Pick<StepDeps, 'ledger' | 'now'>,
  withVolumes: Readonly<Record<string, unknown>> = {},
): Promise<EvidenceLedger> {
  const record = await deps.ledger.getCase(caseId);
  if (!record) throw new InvalidInput(`Case ${caseId} does not exist`);
  return {
    caseCreatedAt: record.createdAt,
    executionName,
    recorded: recordedSnapshots(record.evidence),
    decisions: record.decisions ?? {},
    recordVolumes: async (volumeIds) =>
      (await deps.ledger.recordDecisionEntries(caseId, { ...withVolumes, [EVIDENCE_VOLUMES_KEY]: volumeIds }))[
        EVIDENCE_VOLUMES_KEY
      ] as string[],
    intend: async (stage, volumeIds) => {
      const intent: SnapshotIntent = { at: deps.now().toISOString(), executionName };
      const stored = await deps.ledger.recordDecisions(
        caseId,
        volumeIds.map((v) => snapshotIntentKey(stage, v)),
        intent,
      );
      return Object.fromEntries(volumeIds.map((v, i) => [v, stored[i]]));
    },
    reload: async () => recordedSnapshots((await deps.ledger.getCase(caseId))?.evidence),
    record: (snapshot) => deps.ledger.recordSnapshot(caseId, snapshot),
    recordAll: (snapshots, fold) => deps.ledger.recordSnapshots(caseId, snapshots, fold),
    replace: (previous, snapshot) => deps.ledger.replaceSnapshot(caseId, previous, snapshot),
    reject: async (rejected) => {
      await deps.ledger.rejectSnapshot(caseId, rejected);
    },
  };
}
