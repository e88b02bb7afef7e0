import type * as z from 'zod';
import { InvalidInput } from '../../../core/errors';
import { checkSnapshotBatch } from '../../ec2/evidence';
import { recordedSnapshots } from '../../evidence/provenance';
import type { CheckSnapshotsInputSchema } from '../../../core/contracts/state';
import type { StepDeps } from '../deps-base';
import '../../clients/assume-role';

/** One poll of a Wait-loop (CheckSnapshots, CheckMemberCopies, CheckSecurityCopies). */
export async function checkSnapshots(input: z.infer<typeof CheckSnapshotsInputSchema>, deps: StepDeps) {
  const ec2 =
    input.owner === 'security' ? deps.clients.security().ec2 : deps.clients.member(input.incident.account, input.incident.region).ec2;
  // Polls are not put on the timeline one by one: the loop's result is, by the step after it. Every poll checks the
  // batch against the case's records (issue 11): the ones the stage's step carried in the batch (what it wrote or read
  // in the ledger; the state is written only by Firebreak's own Lambdas, never by a member account), so a poll reads
  // no case (issue 13); a batch without them (a state of an older version) reads the case.
  const { batch } = input;
  // An empty batch (CopySnapshots had no volume to copy: every source snapshot is shared as it is) is complete: no call.
  if (!batch.snapshotIds.length) return { status: 'completed' as const, progress: {} };
  if (batch.recorded && batch.caseCreatedAt && batch.snapshotIds.every((id) => batch.recorded!.some((r) => r.snapshotId === id)))
    return checkSnapshotBatch({ batch, now: deps.now(), recorded: batch.recorded, caseCreatedAt: batch.caseCreatedAt }, { ec2 });
  const record = await deps.ledger.getCase(input.case.caseId);
  if (!record) throw new InvalidInput(`Case ${input.case.caseId} does not exist`);
  return checkSnapshotBatch(
    { batch, now: deps.now(), recorded: recordedSnapshots(record.evidence), caseCreatedAt: record.createdAt },
    { ec2 },
  );
}
