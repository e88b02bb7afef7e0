import type { CaseEvidence, EvidenceLedger, SnapshotIntent } from '../ec2/evidence';
import { recordedSnapshots, snapshotIntentKey, SnapshotStage } from '../evidence/provenance';
import { InvalidInput } from '../../core/errors';
import { hasAwsCode } from '../aws-errors';
import type { StepDeps } from './deps-base';

/**
 * The case's evidence records for the evidence functions of lib/runtime/ec2/evidence.ts (issue 11: the ledger, not
 * tags, is the truth about which snapshots are evidence), written through {@link CaseLedger.recordSnapshot},
 * `recordSnapshots`, `replaceSnapshot`, `rejectSnapshot` and `takeDecisions`.
 *
 * Nothing is read here: the stage's first write ({@link EvidenceLedger.open}, which must precede any create call
 * anyway: the intents) reads the case back in the same UpdateItem (`ReturnValues: ALL_OLD`), so a stage costs no
 * GetItem (issue 13). Every stage step still starts from the ledger's records, as they are at that write, never from
 * what the state carried: the state is written only by Firebreak's Lambdas, but a concurrent or earlier run may have
 * recorded, replaced or rejected snapshots since the batch was made.
 * @param caseId - the case (must exist).
 * @param executionName - the execution recording, kept on each record.
 * @param resumed - whether an earlier execution opened the case (the state's `case.status` is `RESUMED`).
 */
export function evidenceLedgerOf(
  caseId: string,
  executionName: string | undefined,
  deps: Pick<StepDeps, 'ledger' | 'now'>,
  resumed: boolean,
): EvidenceLedger {
  const opened = new Map<SnapshotStage, Promise<CaseEvidence>>();
  const open = async (stage: SnapshotStage, volumeIds: readonly string[], extra: Readonly<Record<string, unknown>>) => {
    const intent: SnapshotIntent = { at: deps.now().toISOString(), executionName };
    const entries = { ...extra, ...Object.fromEntries(volumeIds.map((v) => [snapshotIntentKey(stage, v), intent])) };
    try {
      const { before, stored } = await deps.ledger.recordDecisionEntriesReading(caseId, entries);
      return {
        caseCreatedAt: before.createdAt,
        recorded: recordedSnapshots(before.evidence),
        decisions: before.decisions ?? {},
        stored,
        intent,
      };
    } catch (err) {
      if (hasAwsCode(err, 'ConditionalCheckFailedException')) throw new InvalidInput(`Case ${caseId} does not exist`);
      throw err;
    }
  };
  return {
    executionName,
    resumed,
    open: (stage, volumeIds, extra = {}) => {
      if (!opened.has(stage)) opened.set(stage, open(stage, volumeIds, extra));
      return opened.get(stage)!;
    },
    take: async (stage, expected) => {
      const intent: SnapshotIntent = { at: deps.now().toISOString(), executionName };
      const entries = Object.entries(expected).map(([v, e]) => ({ key: snapshotIntentKey(stage, v), expected: e }));
      return (await deps.ledger.takeDecisions(caseId, entries, intent)) ? intent : undefined;
    },
    record: (snapshot) => deps.ledger.recordSnapshot(caseId, snapshot),
    recordAll: (snapshots, fold) => deps.ledger.recordSnapshots(caseId, snapshots, fold),
    replace: (previous, snapshot) => deps.ledger.replaceSnapshot(caseId, previous, snapshot),
    reject: async (rejected) => {
      await deps.ledger.rejectSnapshot(caseId, rejected);
    },
  };
}
