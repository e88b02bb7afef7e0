import { InvalidInput } from '../../../core/errors';
import { recordedSnapshots } from '../../evidence/provenance';
import { putArtifactOnce, readObject, sha256Hex } from '../../evidence/vault';
import { buildManifest, caseEvidencePrefix, SnapshotEvidence, snapshotChain } from '../../evidence/manifest';
import type { PlaybookState } from '../../../core/contracts/state';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import { requireBatch } from './common';

/**
 * The snapshot chain the manifest names: the case's records, as the three stage steps wrote or read them in the ledger
 * and carried in their batches (the state is written only by Firebreak's own Lambdas; issue 13: no GetItem), when those
 * make a whole, unbroken chain of every volume; else as the case records them now (a read).
 */
async function chainOf(state: PlaybookState, deps: StepDeps, volumeIds: readonly string[]): Promise<SnapshotEvidence[]> {
  const carried = [state.snapshots, state.memberCopies, state.securityCopies].flatMap((b) => b?.recorded ?? []);
  try {
    return snapshotChain(carried, volumeIds, state.case.caseId);
  } catch {
    const record = await deps.ledger.getCase(state.case.caseId);
    if (!record) throw new InvalidInput(`Case ${state.case.caseId} does not exist`);
    return snapshotChain(recordedSnapshots(record.evidence), volumeIds, state.case.caseId);
  }
}

/**
 * WriteManifest: SHA-256 of every artifact and the snapshot chain → manifest.json, recorded in the ledger; the record
 * carries the step's timeline entry and CollectArtifacts' (deferred to it: `$.artifacts.timeline`), one
 * TransactWriteItems, when it is the write that records the manifest. Nothing
 * is read first: the record is conditional on the case having none (`recordManifest`), and only when it has one
 * already (a re-run) is that one compared, and superseded when it names another manifest.
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
  return runStep(
    'WriteManifest',
    caseTarget(state, deps.ledger),
    async (run) => {
      // The snapshot chain is the case's record (issue 11), never the tags on snapshots.
      const snapshots = await chainOf(state, deps, final.sourceVolumeIds);
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
      const chainKey = (list: readonly SnapshotEvidence[]) =>
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
        if (chainKey(earlier.snapshots ?? []) !== chainKey(snapshots))
          stored = await put(`manifest-${sha256Hex(chainKey(snapshots)).slice(0, 16)}.json`);
      }
      const manifest = { bucket: stored.bucket, key: stored.key, sha256: stored.sha256, versionId: stored.versionId };
      // The record carries the step's timeline entry when it is written as is (its details: the manifest recorded).
      const fold = run.fold({ ...manifest });
      const recorded = await deps.ledger.recordManifest(state.case.caseId, manifest, snapshots, fold);
      if (recorded.key === manifest.key) return recorded;
      return deps.ledger.supersedeManifest(state.case.caseId, recorded, { manifest, snapshots }, fold);
    },
    undefined,
    { carried: state.artifacts?.timeline ? [state.artifacts.timeline] : [] },
  );
}
