/** Tag keys Firebreak writes. Tools and people filter on them, so they are part of the public API. */
export const TAG = {
  caseId: 'firebreak:case-id',
  findingId: 'firebreak:finding-id',
  /** On snapshots: `source` (member), `transit` (member copy under the transit key), `evidence` (security account copy). */
  stage: 'firebreak:stage',
  sourceSnapshotId: 'firebreak:source-snapshot-id',
  sourceVolumeId: 'firebreak:source-volume-id',
  /** On security groups: `isolation` or `untrack`. */
  role: 'firebreak:role',
  /** On the instance: `isolated`. */
  status: 'firebreak:status',
} as const;

/** Name of the per-VPC isolation security group (no ingress, no egress). */
export const isolationGroupName = (vpcId: string): string => `firebreak-isolation-${vpcId}`;
/** Name of the per-VPC allow-all group used for the untracking swap. */
export const untrackGroupName = (vpcId: string): string => `firebreak-untrack-${vpcId}`;

/** EC2 `TagSpecifications` entry. */
export function tagSpec(resourceType: 'snapshot' | 'security-group', tags: Record<string, string>) {
  return { ResourceType: resourceType, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) };
}
