import {
  CreateTagsCommand, DescribeAddressesCommand, DescribeIamInstanceProfileAssociationsCommand, DisassociateAddressCommand,
  DisassociateIamInstanceProfileCommand, EC2Client, ModifyNetworkInterfaceAttributeCommand,
} from '@aws-sdk/client-ec2';
import { hasAwsCode } from '../runtime/aws-errors';
import { ensureIsolationGroups, IsolationGroups } from './isolation-groups';
import { describeTargetInstance, PlannedAction, StepMode } from './instance';
import { TAG } from './tags';

/** Network state recorded before Isolate changes anything (what release restores). */
export interface IsolatePriorState {
  /** ENI ID → its security group IDs before isolation. */
  readonly securityGroupsByEni: Record<string, string[]>;
  /** The instance profile ARN that was associated, if any. */
  readonly instanceProfileArn?: string;
  /** Elastic IPs that were associated. */
  readonly elasticIps: { allocationId?: string; publicIp?: string; networkInterfaceId?: string; privateIpAddress?: string }[];
}

/** Dependencies of {@link ensureInstanceIsolated}. */
export interface IsolateDeps {
  readonly ec2: EC2Client;
  /** Stores the prior state once (first observation wins); absent in a dry run. */
  readonly recordPriorState?: (value: IsolatePriorState) => Promise<IsolatePriorState>;
}

/** Result of {@link ensureInstanceIsolated}. */
export interface IsolateResult {
  readonly instanceId: string;
  /** VPC ID → groups. */
  readonly groups: Record<string, IsolationGroups>;
  /** ENI ID → isolation group ID it ends on. */
  readonly isolationGroupByEni: Record<string, string>;
  readonly prior: IsolatePriorState;
  readonly actions: PlannedAction[];
}

/**
 * Ensures an instance is isolated on every ENI, IPv4 and IPv6 (DESIGN.md §3, Isolate):
 * 1. ensures the per-VPC isolation and untrack groups ({@link ensureIsolationGroups});
 * 2. records the prior SGs per ENI, the instance profile and the EIP associations (first wins);
 * 3. per ENI, in parallel: `ModifyNetworkInterfaceAttribute` to the untrack group (unless already
 *    there or isolated), then to the isolation group. Per ENI because `ModifyInstanceAttribute
 *    --groups` fails on instances with several ENIs;
 * 4. disassociates Elastic IPs, removes the instance profile, tags the instance.
 * Reads before it writes; an ENI already on the isolation group is left alone.
 * @throws {ResourceGone} when the instance is gone.
 */
export async function ensureInstanceIsolated(
  input: { instanceId: string; caseId: string; mode: StepMode },
  deps: IsolateDeps,
): Promise<IsolateResult> {
  const { instanceId, mode } = input;
  const apply = mode === 'apply';
  const ec2 = deps.ec2;
  const instance = await describeTargetInstance(ec2, instanceId);
  const enis = (instance.NetworkInterfaces ?? []).filter((n) => n.NetworkInterfaceId);
  const vpcIds = [...new Set(enis.map((n) => n.VpcId!).filter(Boolean))];
  const actions: PlannedAction[] = [];

  const [groupResults, addresses, profiles] = await Promise.all([
    Promise.all(vpcIds.map((vpcId) => ensureIsolationGroups({ vpcId, caseId: input.caseId, mode }, ec2))),
    // By ENI, not instance-id: an EIP on a secondary ENI must be found too.
    ec2.send(new DescribeAddressesCommand({ Filters: [{ Name: 'network-interface-id', Values: enis.map((n) => n.NetworkInterfaceId!) }] })),
    ec2.send(new DescribeIamInstanceProfileAssociationsCommand({ Filters: [{ Name: 'instance-id', Values: [instanceId] }] })),
  ]);
  const groups: Record<string, IsolationGroups> = {};
  for (const r of groupResults) {
    groups[r.groups.vpcId] = r.groups;
    actions.push(...r.actions);
  }
  const firebreakGroups = new Set(Object.values(groups).flatMap((g) => [g.isolationGroupId, g.untrackGroupId]));
  const activeProfile = profiles.IamInstanceProfileAssociations?.find((a) => a.State === 'associated' || a.State === 'associating');
  const associatedEips = (addresses.Addresses ?? []).filter((a) => a.AssociationId);

  const observed: IsolatePriorState = {
    securityGroupsByEni: Object.fromEntries(enis.map((n) => [n.NetworkInterfaceId!, (n.Groups ?? []).map((g) => g.GroupId!)])),
    instanceProfileArn: activeProfile?.IamInstanceProfile?.Arn,
    elasticIps: associatedEips.map((a) => ({
      allocationId: a.AllocationId, publicIp: a.PublicIp, networkInterfaceId: a.NetworkInterfaceId, privateIpAddress: a.PrivateIpAddress,
    })),
  };
  // Only a first observation that shows none of Firebreak's groups is a true prior state; the ledger keeps the first.
  const untouched = Object.values(observed.securityGroupsByEni).every((sgs) => !sgs.some((g) => firebreakGroups.has(g)));
  const prior = apply && deps.recordPriorState
    ? await deps.recordPriorState(untouched ? observed : { ...observed, securityGroupsByEni: {} })
    : observed;

  const isolationGroupByEni: Record<string, string> = {};
  const work: Promise<unknown>[] = [];
  for (const eni of enis) {
    const eniId = eni.NetworkInterfaceId!;
    const g = groups[eni.VpcId!];
    isolationGroupByEni[eniId] = g.isolationGroupId;
    const current = (eni.Groups ?? []).map((x) => x.GroupId!);
    if (current.length === 1 && current[0] === g.isolationGroupId) continue;
    const alreadyUntracked = current.length === 1 && current[0] === g.untrackGroupId;
    if (!alreadyUntracked) actions.push({ operation: 'EC2.ModifyNetworkInterfaceAttribute', target: eniId, change: `groups ${current.join(',')} → ${g.untrackGroupId} (untrack)` });
    actions.push({ operation: 'EC2.ModifyNetworkInterfaceAttribute', target: eniId, change: `groups → ${g.isolationGroupId} (isolation)` });
    if (apply) {
      work.push((async () => {
        if (!alreadyUntracked) await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, Groups: [g.untrackGroupId] }));
        await ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eniId, Groups: [g.isolationGroupId] }));
      })());
    }
  }
  for (const eip of associatedEips) {
    actions.push({ operation: 'EC2.DisassociateAddress', target: eip.PublicIp ?? eip.AllocationId ?? '', change: `disassociate from ${eip.NetworkInterfaceId ?? instanceId}` });
    if (apply) {
      work.push(ec2.send(new DisassociateAddressCommand({ AssociationId: eip.AssociationId })).catch((err) => {
        if (!hasAwsCode(err, 'InvalidAssociationID.NotFound')) throw err;
      }));
    }
  }
  if (activeProfile?.AssociationId) {
    actions.push({ operation: 'EC2.DisassociateIamInstanceProfile', target: instanceId, change: `remove ${activeProfile.IamInstanceProfile?.Arn}` });
    if (apply) {
      work.push(ec2.send(new DisassociateIamInstanceProfileCommand({ AssociationId: activeProfile.AssociationId })).catch((err) => {
        if (!hasAwsCode(err, 'InvalidAssociationID.NotFound')) throw err;
      }));
    }
  }
  const tags = new Map((instance.Tags ?? []).map((t) => [t.Key, t.Value]));
  if (tags.get(TAG.caseId) !== input.caseId || tags.get(TAG.status) !== 'isolated') {
    actions.push({ operation: 'EC2.CreateTags', target: instanceId, change: `${TAG.caseId}=${input.caseId}, ${TAG.status}=isolated` });
    if (apply) {
      work.push(ec2.send(new CreateTagsCommand({
        Resources: [instanceId], Tags: [{ Key: TAG.caseId, Value: input.caseId }, { Key: TAG.status, Value: 'isolated' }],
      })));
    }
  }
  const settled = await Promise.allSettled(work);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return { instanceId, groups, isolationGroupByEni, prior, actions };
}
