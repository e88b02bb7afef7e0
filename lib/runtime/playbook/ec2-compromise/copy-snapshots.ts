import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { EvidenceIncomplete } from '../../../core/errors';
import { ensureSnapshotCopies, SnapshotBatch } from '../../ec2/evidence';
import type { PlaybookState } from '../../../core/contracts/state';
import type { StepDeps } from '../deps-base';
import { evidenceLedgerOf } from '../evidence-ledger';
import { caseTarget, runStep } from '../run-step';
import { labelsOf, requireBatch, timelineOf } from './common';
import '../../clients/kms';
import '../../clients/assume-role';

/**
 * CopySnapshots: re-encrypt each recorded member snapshot under the member's transit key (shareable); the copies
 * keep the snapshots' deadline. The transit alias is resolved to its key ARN first (KMS DescribeKey: "KeyId"
 * accepts an alias ARN, AWS KMS API reference), and the copy is made under that ARN, which is what
 * DescribeSnapshots reports as its `KmsKeyId` and what its provenance is checked against.
 */
export async function copySnapshots(state: PlaybookState, deps: StepDeps): Promise<SnapshotBatch> {
  const member = deps.clients.member(state.incident.account, state.incident.region);
  const source = requireBatch(state.snapshots, 'snapshots');
  const i = state.incident;
  const out = await runStep('CopySnapshots', caseTarget(state, deps.ledger), async (run) => {
    const alias = `arn:${i.partition}:kms:${i.region}:${i.account}:${deps.config.transitKeyAlias}`;
    const key = (await member.kms.send(new DescribeKeyCommand({ KeyId: alias }))).KeyMetadata?.Arn;
    if (!key) throw new EvidenceIncomplete(`The transit key ${alias} has no ARN`);
    return ensureSnapshotCopies(
      { source, labels: labelsOf(state), stage: 'transit', region: i.region, ownerAccount: member.accountId, kmsKeyId: key, mode: 'apply' },
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
