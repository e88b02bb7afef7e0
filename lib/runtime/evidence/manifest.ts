import { EvidenceIncomplete, EvidenceProvenance } from '../../core/errors';
import { CASE_EVIDENCE_PREFIX } from '../../core/names';
import { needsTransit, RecordedSnapshot } from './provenance';
import type { StoredArtifact } from './vault';

/** One snapshot in the evidence chain, from the member's volume to the security account's copy. */
export interface SnapshotEvidence {
  readonly sourceVolumeId: string;
  /** Snapshot taken in the member account. */
  readonly memberSnapshotId: string;
  /**
   * The member-account copy re-encrypted under the transit key (the one shared); absent when the member snapshot is
   * unencrypted and was shared as it is (`needsTransit`, provenance.ts).
   */
  readonly transitSnapshotId?: string;
  /** The final copy, owned by the security account. */
  readonly snapshotId: string;
  readonly ownerAccount: string;
  readonly kmsKeyId: string;
}

/** The evidence manifest (schema `firebreak.manifest/v1`), stored as JSON next to the artifacts. */
export interface EvidenceManifest {
  readonly schema: 'firebreak.manifest/v1';
  readonly caseId: string;
  readonly playbook: string;
  readonly account: string;
  readonly region: string;
  readonly resourceId: string;
  readonly finding: { id: string; type: string; severity?: number };
  /** ISO-8601 UTC. */
  readonly createdAt: string;
  /** Every stored artifact with its SHA-256 (hex), computed by Firebreak over the exact bytes stored. */
  readonly artifacts: { name: string; key: string; sha256: string; bytes: number; versionId?: string }[];
  readonly snapshots: SnapshotEvidence[];
}

/**
 * Builds the manifest and its canonical JSON text (2-space indentation, keys in a fixed order),
 * whose bytes are what the recorded SHA-256 covers.
 */
export function buildManifest(m: Omit<EvidenceManifest, 'schema' | 'artifacts'> & { artifacts: StoredArtifact[] }): {
  manifest: EvidenceManifest;
  text: string;
} {
  const manifest: EvidenceManifest = {
    schema: 'firebreak.manifest/v1',
    caseId: m.caseId,
    playbook: m.playbook,
    account: m.account,
    region: m.region,
    resourceId: m.resourceId,
    finding: m.finding,
    createdAt: m.createdAt,
    artifacts: m.artifacts.map((a) => ({ name: a.name, key: a.key, sha256: a.sha256, bytes: a.bytes, versionId: a.versionId })),
    snapshots: m.snapshots,
  };
  return { manifest, text: `${JSON.stringify(manifest, null, 2)}\n` };
}

/** Key prefix of a case's evidence in the bucket. */
export const caseEvidencePrefix = (account: string, caseId: string): string => `${CASE_EVIDENCE_PREFIX}${account}/${caseId}/`;

/**
 * The evidence chain of each volume as the case recorded it (issue 11: the ledger, not tags, names the
 * evidence): the member snapshot, its transit copy (none for an unencrypted member snapshot, shared as it is) and
 * the security account's copy, each linked to the one before by the source ID recorded with it.
 * @param recorded - the case's recorded snapshots (`evidence["snapshot#…"]`).
 * @param volumeIds - the volumes, in the order of the manifest.
 * @throws {EvidenceIncomplete} when a stage of a volume is not recorded.
 * @throws {EvidenceProvenance} when a copy's recorded source is not the stage before's recorded snapshot.
 */
export function snapshotChain(recorded: readonly RecordedSnapshot[], volumeIds: readonly string[], caseId: string): SnapshotEvidence[] {
  return volumeIds.map((volumeId) => {
    const of = (stage: RecordedSnapshot['stage']) => {
      const r = recorded.find((x) => x.stage === stage && x.volumeId === volumeId);
      if (!r) throw new EvidenceIncomplete(`Case ${caseId} recorded no ${stage} snapshot of ${volumeId}`);
      return r;
    };
    const [source, final] = [of('source'), of('evidence')];
    // An unencrypted source snapshot is shared as it is, with no transit copy (needsTransit); an encrypted one never.
    const transit =
      recorded.find((x) => x.stage === 'transit' && x.volumeId === volumeId) ?? (needsTransit(source) ? of('transit') : undefined);
    const shared = transit ?? source;
    if ((transit && transit.sourceSnapshotId !== source.snapshotId) || final.sourceSnapshotId !== shared.snapshotId) {
      throw new EvidenceProvenance(
        `Case ${caseId}: the recorded chain of ${volumeId} is broken (${source.snapshotId} → ${transit ? `${transit.sourceSnapshotId}/${transit.snapshotId}` : '(shared as it is)'} → ${final.sourceSnapshotId}/${final.snapshotId})`,
      );
    }
    return {
      sourceVolumeId: volumeId,
      memberSnapshotId: source.snapshotId,
      ...(transit ? { transitSnapshotId: transit.snapshotId } : {}),
      snapshotId: final.snapshotId,
      ownerAccount: final.ownerAccount,
      kmsKeyId: final.kmsKeyId ?? '',
    };
  });
}
