import type { Snapshot } from '@aws-sdk/client-ec2';

/**
 * Snapshot provenance (issue 11): the case ledger, not tags, says which snapshots are evidence. Every
 * snapshot is identified by the ID the API call that created it returned (CreateSnapshots, CopySnapshot),
 * recorded on the case at once with what Firebreak asked for; before a snapshot is accepted (recorded, or
 * recovered after a crash between the create call and the ledger write) it is read back by ID and must
 * match that record. Tags (`firebreak:*`) can be written by anyone with EC2 rights in the member account,
 * so they are only hints for finding a crash's orphan, never proof.
 *
 * Fields of the check come from the EC2 API reference, "Snapshot" data type (DescribeSnapshots):
 * `OwnerId`, `VolumeId` ("Snapshots created by a copy snapshot operation have an arbitrary volume ID that
 * you should not use for any purpose", so it is checked on the member-account snapshots only), `Encrypted`,
 * `KmsKeyId` (the key ARN), `StartTime`, `VolumeSize`. The data type has no source-snapshot field: a copy's
 * source is known only from the ID CopySnapshot returned for the request Firebreak made, which the ledger
 * records with it (the `firebreak:source-snapshot-id` tag and the description are hints only).
 */

/** The three snapshots of a volume's evidence chain: member snapshot, transit-key copy, security-account copy. */
export type SnapshotStage = 'source' | 'transit' | 'evidence';

/** The order of the stages in the chain. */
export const SNAPSHOT_STAGES: readonly SnapshotStage[] = ['source', 'transit', 'evidence'];

/**
 * A snapshot the case recorded as evidence (ledger `evidence["snapshot#<stage>#<volumeId>"]`), with what
 * Firebreak asked for when it created it: what {@link provenanceProblems} checks it against.
 */
export interface RecordedSnapshot {
  readonly stage: SnapshotStage;
  /** The instance's EBS volume the chain descends from (recorded on the case at the first SnapshotVolumes). */
  readonly volumeId: string;
  readonly snapshotId: string;
  /** Copies: the recorded snapshot of the previous stage that Firebreak copied (its ID, from the ledger). */
  readonly sourceSnapshotId?: string;
  /** The account that must own it: the member account (`source`, `transit`) or the security account (`evidence`). */
  readonly ownerAccount: string;
  /** Whether it must be encrypted: `source` as its volume is; copies always. */
  readonly encrypted: boolean;
  /** The key ARN it must be under (`source`: the volume's; `transit`: the transit key; `evidence`: the evidence key). */
  readonly kmsKeyId?: string;
  /** Size in GiB it must have (its volume's; a copy has its source's). */
  readonly volumeSize?: number;
  /** `created`: the ID the create call returned. `recovered`: found after a crash between that call and the ledger write. */
  readonly how: 'created' | 'recovered';
  /** ISO-8601 UTC. */
  readonly recordedAt: string;
  /** The execution that recorded it. */
  readonly executionName?: string;
}

/** A snapshot that was looked at as evidence and refused (ledger `evidence["rejected#<snapshotId>"]`). */
export interface RejectedSnapshot {
  readonly snapshotId: string;
  readonly stage: SnapshotStage;
  /** The volume it claimed to be evidence of (its `VolumeId`, or its tags' hint for a copy), if any. */
  readonly volumeId?: string;
  readonly ownerAccount: string;
  /** `recorded`: the case's own record no longer holds. `candidate`: found by tags. `duplicate`: Firebreak's own, a concurrent run recorded another first. */
  readonly kind: 'recorded' | 'candidate' | 'duplicate';
  /** Why, in words (one entry per failed property). */
  readonly reasons: string[];
  /** ISO-8601 UTC. */
  readonly at: string;
}

/** The ledger key of a recorded snapshot. */
export const recordedSnapshotKey = (stage: SnapshotStage, volumeId: string): string => `snapshot#${stage}#${volumeId}`;
/** The ledger key of a rejected snapshot. */
export const rejectedSnapshotKey = (snapshotId: string): string => `rejected#${snapshotId}`;
/** The case decision that says Firebreak is about to create a stage's snapshot of a volume (ISO time): a crash's orphan may exist. */
export const snapshotIntentKey = (stage: SnapshotStage, volumeId: string): string => `snapshotIntent#${stage}#${volumeId}`;
/** The case decision that holds the instance's volumes as the first SnapshotVolumes saw them. */
export const EVIDENCE_VOLUMES_KEY = 'evidenceVolumes';

/** The snapshots a case recorded, from its `evidence` map. */
export function recordedSnapshots(evidence: Record<string, unknown> | undefined): RecordedSnapshot[] {
  return Object.entries(evidence ?? {})
    .filter(([k]) => k.startsWith('snapshot#'))
    .map(([, v]) => v as RecordedSnapshot);
}

/** The snapshots a case rejected, from its `evidence` map. */
export function rejectedSnapshots(evidence: Record<string, unknown> | undefined): RejectedSnapshot[] {
  return Object.entries(evidence ?? {})
    .filter(([k]) => k.startsWith('rejected#'))
    .map(([, v]) => v as RejectedSnapshot);
}

/**
 * The earliest `StartTime` a snapshot of the case may have: the case's creation time, cut to the whole
 * second, since EC2 reports `StartTime` to the second (DescribeSnapshots examples in the EC2 API reference
 * show `2016-08-29T20:44:18.000Z`-style times), so a snapshot begun in the case's first second is not refused.
 * @param caseCreatedAt - the ledger's `createdAt` (ISO-8601 UTC).
 * @returns epoch milliseconds.
 */
export function notBeforeOf(caseCreatedAt: string): number {
  return Math.floor(Date.parse(caseCreatedAt) / 1000) * 1000;
}

/**
 * What is wrong with a snapshot as read back by ID (DescribeSnapshots), against what the case recorded.
 * @param snapshot - DescribeSnapshots' answer for the ID, or undefined when EC2 does not know it.
 * @param want - the record (or, for a candidate found by tags, the record Firebreak would make for it).
 * @param caseCreatedAt - the case's creation time (ISO-8601 UTC); the snapshot must have started after it.
 * @returns one reason per property that does not hold; empty when the snapshot is what Firebreak created.
 */
export function provenanceProblems(
  snapshot: Snapshot | undefined,
  want: Omit<RecordedSnapshot, 'how' | 'recordedAt' | 'snapshotId'> & { snapshotId?: string },
  caseCreatedAt: string,
): string[] {
  if (!snapshot) return [`${want.snapshotId ?? 'snapshot'} not found in ${want.ownerAccount}`];
  const out: string[] = [];
  if (want.snapshotId && snapshot.SnapshotId !== want.snapshotId)
    out.push(`ID ${snapshot.SnapshotId}, the case recorded ${want.snapshotId}`);
  if (snapshot.OwnerId !== want.ownerAccount) out.push(`owner ${snapshot.OwnerId ?? '?'}, not ${want.ownerAccount}`);
  if (want.stage === 'source' && snapshot.VolumeId !== want.volumeId) out.push(`volume ${snapshot.VolumeId ?? '?'}, not ${want.volumeId}`);
  if (!!snapshot.Encrypted !== want.encrypted) out.push(want.encrypted ? 'not encrypted' : 'encrypted, its volume is not');
  else if (want.encrypted && want.kmsKeyId && snapshot.KmsKeyId !== want.kmsKeyId)
    out.push(`key ${snapshot.KmsKeyId ?? '(none)'}, not ${want.kmsKeyId}`);
  const started = snapshot.StartTime ? new Date(snapshot.StartTime).getTime() : NaN;
  if (!(started >= notBeforeOf(caseCreatedAt))) {
    out.push(
      `started ${snapshot.StartTime ? new Date(snapshot.StartTime).toISOString() : '(unknown)'}, before the case opened at ${caseCreatedAt}`,
    );
  }
  if (want.volumeSize !== undefined && snapshot.VolumeSize !== want.volumeSize)
    out.push(`size ${snapshot.VolumeSize ?? '?'} GiB, not ${want.volumeSize} GiB`);
  if (snapshot.State === 'error') out.push(`in the error state: ${snapshot.StateMessage ?? ''}`.trim());
  return out;
}

/**
 * Whether a volume's source snapshot needs the transit copy before it can be shared with the security account: only
 * an encrypted one does. A snapshot encrypted under the default key (`aws/ebs`) cannot be shared, one under a CMK only
 * where its key policy grants the other account (which is not read here), while an unencrypted snapshot is shared with
 * a specific account as it is: ModifySnapshotAttribute adds account IDs to its create-volume permissions, and only
 * "Snapshots encrypted with your default KMS key cannot be shared with other accounts" (EC2 API reference,
 * ModifySnapshotAttribute; "Share an Amazon EBS snapshot", Amazon EBS User Guide). The security account's copy is
 * encrypted under the evidence key either way.
 * @param source - the case's record of the volume's source snapshot (`encrypted` as DescribeVolumes gave it, and
 *   checked against the snapshot by every poll and read-back: provenanceProblems).
 */
export const needsTransit = (source: Pick<RecordedSnapshot, 'encrypted'>): boolean => source.encrypted;
