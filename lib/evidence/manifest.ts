import type { StoredArtifact } from './vault';

/** One snapshot in the evidence chain, from the member's volume to the security account's copy. */
export interface SnapshotEvidence {
  readonly sourceVolumeId: string;
  /** Snapshot taken in the member account. */
  readonly memberSnapshotId: string;
  /** The member-account copy re-encrypted under the transit key (the one shared). */
  readonly transitSnapshotId: string;
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
export function buildManifest(m: Omit<EvidenceManifest, 'schema' | 'artifacts'> & { artifacts: StoredArtifact[] }): { manifest: EvidenceManifest; text: string } {
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
export const caseEvidencePrefix = (account: string, caseId: string): string => `cases/${account}/${caseId}/`;
