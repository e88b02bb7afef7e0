import {
  CopySnapshotCommand, CreateSnapshotsCommand, DescribeSnapshotAttributeCommand, DescribeSnapshotsCommand, EC2Client,
  ModifySnapshotAttributeCommand, Snapshot,
} from '@aws-sdk/client-ec2';
import { EvidenceIncomplete } from '../errors';
import { describeTargetInstance, PlannedAction, StepMode } from './instance';
import { TAG, tagSpec } from './tags';

/** A batch of snapshots a Wait-loop polls. Times are ISO-8601 UTC. */
export interface SnapshotBatch {
  /** Snapshot IDs, in the order of `sourceVolumeIds`. */
  readonly snapshotIds: string[];
  /** The EBS volume each snapshot descends from. */
  readonly sourceVolumeIds: string[];
  /** The account that owns the snapshots. */
  readonly ownerAccount: string;
  /**
   * When the batch must be `completed` by: one absolute deadline for all the evidence of an execution
   * (the source snapshots, the member copies and the security account copies), set once by the first
   * stage and inherited by the copies, so the three waits together never exceed it.
   */
  readonly deadline: string;
}

/** Case identity carried onto every evidence resource as tags. */
export interface EvidenceLabels {
  readonly caseId: string;
  readonly findingId: string;
}

function labels(l: EvidenceLabels, extra: Record<string, string>): Record<string, string> {
  return { [TAG.caseId]: l.caseId, [TAG.findingId]: l.findingId, ...extra };
}

async function snapshotsByTags(ec2: EC2Client, tags: Record<string, string>): Promise<Snapshot[]> {
  const out: Snapshot[] = [];
  let token: string | undefined;
  do {
    const page = await ec2.send(new DescribeSnapshotsCommand({
      OwnerIds: ['self'],
      Filters: Object.entries(tags).map(([k, v]) => ({ Name: `tag:${k}`, Values: [v] })),
      NextToken: token,
    }));
    out.push(...(page.Snapshots ?? []).filter((s) => s.State !== 'error'));
    token = page.NextToken;
  } while (token);
  return out;
}

const tagOf = (s: Snapshot, key: string) => s.Tags?.find((t) => t.Key === key)?.Value;

/**
 * Ensures there is one snapshot of every EBS volume of the instance, tagged with the case
 * (DESIGN.md §3, Evidence). Uses `CreateSnapshots` (multi-volume, crash-consistent) for the volumes
 * that have none yet; snapshots are found again by their case tag, so a re-run creates nothing.
 * @param input - instance, labels, `deadline` (ISO-8601 UTC: when every stage of the evidence must be
 *   completed by, see {@link SnapshotBatch.deadline}), `ownerAccount`, `mode`, `notFoundGraceSeconds`
 *   ({@link describeTargetInstance}).
 * @returns the batch to poll, carrying `deadline` (`mode: plan` returns the volumes with empty snapshot IDs for new ones).
 * @throws {ResourceGone} when the instance is gone.
 */
export async function ensureVolumeSnapshots(
  input: { instanceId: string; labels: EvidenceLabels; ownerAccount: string; deadline: string; mode: StepMode; notFoundGraceSeconds?: number },
  deps: { ec2: EC2Client },
): Promise<{ batch: SnapshotBatch; actions: PlannedAction[] }> {
  const instance = await describeTargetInstance(deps.ec2, input.instanceId, { notFoundGraceSeconds: input.notFoundGraceSeconds });
  const volumeIds = (instance.BlockDeviceMappings ?? []).map((b) => b.Ebs?.VolumeId).filter((v): v is string => !!v);
  const existing = await snapshotsByTags(deps.ec2, { [TAG.caseId]: input.labels.caseId, [TAG.stage]: 'source' });
  const byVolume = new Map(existing.map((s) => [s.VolumeId!, s.SnapshotId!]));
  const missing = volumeIds.filter((v) => !byVolume.has(v));
  const actions: PlannedAction[] = [];
  if (missing.length) {
    actions.push({ operation: 'EC2.CreateSnapshots', target: input.instanceId, change: `snapshot ${missing.join(', ')}` });
    if (input.mode === 'apply') {
      const excluded = volumeIds.filter((v) => byVolume.has(v));
      const out = await deps.ec2.send(new CreateSnapshotsCommand({
        InstanceSpecification: { InstanceId: input.instanceId, ExcludeBootVolume: false, ExcludeDataVolumeIds: excluded.length ? excluded : undefined },
        Description: `Firebreak evidence, case ${input.labels.caseId}`,
        CopyTagsFromSource: 'volume',
        TagSpecifications: [tagSpec('snapshot', labels(input.labels, { [TAG.stage]: 'source' }))],
      }));
      for (const s of out.Snapshots ?? []) if (s.VolumeId && s.SnapshotId) byVolume.set(s.VolumeId, s.SnapshotId);
    }
  }
  return {
    batch: {
      snapshotIds: volumeIds.map((v) => byVolume.get(v) ?? ''),
      sourceVolumeIds: volumeIds,
      ownerAccount: input.ownerAccount,
      deadline: input.deadline,
    },
    actions,
  };
}

/**
 * The absolute evidence deadline of an execution: `deadlineSeconds` after `start`.
 * @param start - when evidence collection started (the first stage).
 * @param deadlineSeconds - the deployment's `evidenceDeadlineSeconds`.
 * @returns ISO-8601 UTC.
 */
export function evidenceDeadline(start: Date, deadlineSeconds: number): string {
  return new Date(start.getTime() + deadlineSeconds * 1000).toISOString();
}

/**
 * Polls a snapshot batch once (one step of a Wait-state loop; never sleeps).
 * @returns `completed` when every snapshot is completed, else `pending`.
 * @throws {EvidenceIncomplete} when a snapshot is in the `error` state or missing, or the deadline
 *   passed while some are still pending.
 */
export async function checkSnapshotBatch(input: { batch: SnapshotBatch; now: Date }, deps: { ec2: EC2Client }): Promise<{ status: 'pending' | 'completed'; progress: Record<string, string> }> {
  const { batch } = input;
  const out = await deps.ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: batch.snapshotIds }));
  const found = new Map((out.Snapshots ?? []).map((s) => [s.SnapshotId!, s]));
  const progress: Record<string, string> = {};
  for (const id of batch.snapshotIds) {
    const s = found.get(id);
    if (!s) throw new EvidenceIncomplete(`Snapshot ${id} not found in account ${batch.ownerAccount}`);
    if (s.State === 'error') throw new EvidenceIncomplete(`Snapshot ${id} failed: ${s.StateMessage ?? 'error state'}`);
    progress[id] = `${s.State} ${s.Progress ?? ''}`.trim();
  }
  const done = batch.snapshotIds.every((id) => found.get(id)?.State === 'completed');
  if (done) return { status: 'completed', progress };
  if (input.now.toISOString() > batch.deadline) {
    throw new EvidenceIncomplete(`Snapshots not completed by ${batch.deadline}: ${JSON.stringify(progress)}`);
  }
  return { status: 'pending', progress };
}

/**
 * Ensures a copy of every snapshot in `source` exists in the same account as `ec2`, encrypted with
 * `kmsKeyId`, tagged with the case and the source snapshot ID (which is how a re-run finds it).
 *
 * Used twice: in the member account, to re-encrypt under the transit key (snapshots on the default
 * `aws/ebs` key cannot be shared), and in the security account, to copy the shared snapshot under
 * the security account's own key ("Copy an Amazon EBS snapshot", "Share an Amazon EBS snapshot",
 * Amazon EBS User Guide).
 * @returns the copies as a new batch owned by `ownerAccount`, with the source batch's deadline (one
 *   deadline for every stage: a copy gets no time of its own).
 */
export async function ensureSnapshotCopies(
  input: {
    source: SnapshotBatch; labels: EvidenceLabels; stage: 'transit' | 'evidence'; kmsKeyId: string; region: string;
    ownerAccount: string; mode: StepMode;
  },
  deps: { ec2: EC2Client },
): Promise<{ batch: SnapshotBatch; actions: PlannedAction[] }> {
  const existing = await snapshotsByTags(deps.ec2, { [TAG.caseId]: input.labels.caseId, [TAG.stage]: input.stage });
  const bySource = new Map(existing.map((s) => [tagOf(s, TAG.sourceSnapshotId), s.SnapshotId!]));
  const actions: PlannedAction[] = [];
  const copies = await Promise.all(
    input.source.snapshotIds.map(async (sourceId, i) => {
      const found = bySource.get(sourceId);
      if (found) return found;
      actions.push({ operation: 'EC2.CopySnapshot', target: sourceId, change: `copy into ${input.ownerAccount} under ${input.kmsKeyId}` });
      if (input.mode === 'plan') return '';
      const out = await deps.ec2.send(new CopySnapshotCommand({
        SourceSnapshotId: sourceId,
        SourceRegion: input.region,
        Encrypted: true,
        KmsKeyId: input.kmsKeyId,
        Description: `Firebreak ${input.stage} copy of ${sourceId}, case ${input.labels.caseId}`,
        TagSpecifications: [tagSpec('snapshot', labels(input.labels, {
          [TAG.stage]: input.stage, [TAG.sourceSnapshotId]: sourceId, [TAG.sourceVolumeId]: input.source.sourceVolumeIds[i],
        }))],
      }));
      return out.SnapshotId!;
    }),
  );
  return {
    batch: {
      snapshotIds: copies,
      sourceVolumeIds: input.source.sourceVolumeIds,
      ownerAccount: input.ownerAccount,
      deadline: input.source.deadline,
    },
    actions,
  };
}

/**
 * Ensures every snapshot of a batch is shared with `accountId` (`createVolumePermission`), reading
 * the current permissions first. ("Share an Amazon EBS snapshot", Amazon EBS User Guide.)
 */
export async function ensureSnapshotsShared(
  input: { batch: SnapshotBatch; accountId: string; mode: StepMode },
  deps: { ec2: EC2Client },
): Promise<PlannedAction[]> {
  const actions: PlannedAction[] = [];
  if (input.accountId === input.batch.ownerAccount) return actions;
  await Promise.all(
    input.batch.snapshotIds.map(async (id) => {
      const attr = await deps.ec2.send(new DescribeSnapshotAttributeCommand({ SnapshotId: id, Attribute: 'createVolumePermission' }));
      if ((attr.CreateVolumePermissions ?? []).some((p) => p.UserId === input.accountId)) return;
      actions.push({ operation: 'EC2.ModifySnapshotAttribute', target: id, change: `share with ${input.accountId}` });
      if (input.mode === 'apply') {
        await deps.ec2.send(new ModifySnapshotAttributeCommand({
          SnapshotId: id, Attribute: 'createVolumePermission', OperationType: 'add', UserIds: [input.accountId],
        }));
      }
    }),
  );
  return actions;
}
