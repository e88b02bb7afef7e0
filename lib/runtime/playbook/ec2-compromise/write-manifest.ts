import { InvalidInput } from '../../../core/errors';
import { recordedSnapshots } from '../../evidence/provenance';
import { putArtifactOnce, readObject, sha256Hex } from '../../evidence/vault';
import { buildManifest, caseEvidencePrefix, SnapshotEvidence, snapshotChain } from '../../evidence/manifest';
import type { PlaybookState } from '../../../core/contracts/state';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import { requireBatch } from './common';

/**
 * WriteManifest: SHA-256 of every artifact and the snapshot chain → manifest.json, recorded in the ledger; the record
 * carries the step's timeline entry (one TransactWriteItems) when it is the write that records the manifest.
 */
export async function writeManifest(
  state: PlaybookState,
  deps: StepDeps,
): Promise<{ bucket: string; key: string; sha256: string; versionId?: string }> {
  const { s3 } = deps.clients.security();
  const i = state.incident;
  const artifacts = state.artifacts?.artifacts;
  if (!artifacts) throw new InvalidInput('artifacts are missing from the playbook state');
  const final = requireBatch(state.securityCopies, 'securityCopies');
  return runStep('WriteManifest', caseTarget(state, deps.ledger), async (run) => {
    // The snapshot chain is the case's record (issue 11), never the tags on snapshots.
    const record = await deps.ledger.getCase(state.case.caseId);
    if (!record) throw new InvalidInput(`Case ${state.case.caseId} does not exist`);
    const snapshots: SnapshotEvidence[] = snapshotChain(recordedSnapshots(record.evidence), final.sourceVolumeIds, state.case.caseId);
    const { text } = buildManifest({
      caseId: state.case.caseId,
      playbook: i.playbook,
      account: i.account,
      region: i.region,
      resourceId: i.resource.id,
      finding: { id: i.finding.id, type: i.finding.type, severity: i.finding.severity },
      createdAt: deps.now().toISOString(),
      artifacts,
      snapshots,
    });
    // A re-run may have replaced a recorded snapshot (deleted, failing provenance) after an earlier run wrote
    // manifest.json (and maybe crashed before recording it): that manifest names the old chain, so a new one is
    // written beside it, named by the chain it names, and the case points at it; the old one stays, superseded.
    const chainOf = (list: readonly SnapshotEvidence[]) =>
      list.map((x) => [x.sourceVolumeId, x.memberSnapshotId, x.transitSnapshotId, x.snapshotId].join('/')).join(',');
    const prefix = caseEvidencePrefix(i.account, state.case.caseId);
    const put = (name: string) =>
      putArtifactOnce(
        { bucket: deps.config.evidenceBucket, key: `${prefix}${name}`, name, body: text, kmsKeyId: deps.config.evidenceKeyArn },
        { s3 },
      );
    let stored = await put('manifest.json');
    if (stored.sha256 !== sha256Hex(text)) {
      const earlier = JSON.parse((await readObject(stored.bucket, stored.key, { s3 })).toString('utf8')) as {
        snapshots?: SnapshotEvidence[];
      };
      if (chainOf(earlier.snapshots ?? []) !== chainOf(snapshots))
        stored = await put(`manifest-${sha256Hex(chainOf(snapshots)).slice(0, 16)}.json`);
    }
    const manifest = { bucket: stored.bucket, key: stored.key, sha256: stored.sha256, versionId: stored.versionId };
    const previous = record.evidence?.manifest as typeof manifest | undefined;
    // The record carries the step's timeline entry when it is written as is (its details: the manifest recorded).
    if (previous && previous.key !== manifest.key)
      return deps.ledger.supersedeManifest(state.case.caseId, previous, { manifest, snapshots }, run.fold({ ...manifest }));
    if (previous) return deps.ledger.recordManifest(state.case.caseId, manifest, snapshots);
    return deps.ledger.recordManifest(state.case.caseId, manifest, snapshots, run.fold({ ...manifest }));
  });
}
