import {
  AuthorizeSecurityGroupEgressCommand, AuthorizeSecurityGroupIngressCommand, CreateSecurityGroupCommand,
  DescribeSecurityGroupsCommand, EC2Client, IpPermission, RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand, SecurityGroup,
} from '@aws-sdk/client-ec2';
import { hasAwsCode } from '../runtime/aws-errors';
import { PlannedAction, StepMode } from './instance';
import { isolationGroupName, TAG, tagSpec, untrackGroupName } from './tags';

/** The two Firebreak security groups of one VPC. */
export interface IsolationGroups {
  readonly vpcId: string;
  /** No ingress, no egress (IPv4 and IPv6). */
  readonly isolationGroupId: string;
  /** All traffic in and out, 0.0.0.0/0 and ::/0: moving an ENI here makes its flows untracked. */
  readonly untrackGroupId: string;
}

/** The all-traffic rule of the untrack group, IPv4 and IPv6. */
export const ALLOW_ALL: IpPermission = { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] };

/**
 * Ensures the per-VPC isolation and untrack security groups exist with exactly their intended
 * rules: finds each by name in the VPC, creates what is missing (a concurrent creator's
 * `InvalidGroup.Duplicate` is treated as found), revokes the default egress rules of the isolation
 * group (IPv4 and IPv6) and any rule that differs.
 *
 * Why two groups: changing security groups does not cut tracked connections; moving an ENI first to
 * a group that allows all traffic both ways makes its flows untracked, and the move to the isolation
 * group then stops them ("Security group connection tracking", Amazon EC2 User Guide).
 * @param input - `vpcId`, `caseId` (tag on creation), `mode` (`plan` creates nothing and returns
 *   placeholder IDs `(new isolation group)` for groups that do not exist yet).
 * @returns the group IDs and the actions taken or planned.
 */
export async function ensureIsolationGroups(
  input: { vpcId: string; caseId: string; mode: StepMode },
  ec2: EC2Client,
): Promise<{ groups: IsolationGroups; actions: PlannedAction[] }> {
  const actions: PlannedAction[] = [];
  const [isolation, untrack] = await Promise.all([
    ensureGroup(ec2, { ...input, name: isolationGroupName(input.vpcId), role: 'isolation', ingress: [], egress: [] }, actions),
    ensureGroup(ec2, { ...input, name: untrackGroupName(input.vpcId), role: 'untrack', ingress: [ALLOW_ALL], egress: [ALLOW_ALL] }, actions),
  ]);
  return { groups: { vpcId: input.vpcId, isolationGroupId: isolation, untrackGroupId: untrack }, actions };
}

interface GroupSpec {
  vpcId: string;
  caseId: string;
  mode: StepMode;
  name: string;
  role: 'isolation' | 'untrack';
  ingress: IpPermission[];
  egress: IpPermission[];
}

async function findGroup(ec2: EC2Client, vpcId: string, name: string): Promise<SecurityGroup | undefined> {
  const out = await ec2.send(new DescribeSecurityGroupsCommand({
    Filters: [{ Name: 'vpc-id', Values: [vpcId] }, { Name: 'group-name', Values: [name] }],
  }));
  return out.SecurityGroups?.[0];
}

async function ensureGroup(ec2: EC2Client, spec: GroupSpec, actions: PlannedAction[]): Promise<string> {
  let group = await findGroup(ec2, spec.vpcId, spec.name);
  if (!group) {
    actions.push({ operation: 'EC2.CreateSecurityGroup', target: spec.vpcId, change: `create ${spec.name}` });
    if (spec.mode === 'plan') return `(new ${spec.role} group)`;
    try {
      await ec2.send(new CreateSecurityGroupCommand({
        GroupName: spec.name,
        VpcId: spec.vpcId,
        Description: spec.role === 'isolation'
          ? 'Firebreak isolation: no ingress, no egress. Do not add rules.'
          : 'Firebreak untracking step: all traffic, used for seconds during isolation.',
        TagSpecifications: [tagSpec('security-group', { [TAG.role]: spec.role, Name: spec.name })],
      }));
    } catch (err) {
      if (!hasAwsCode(err, 'InvalidGroup.Duplicate')) throw err;
    }
    group = await findGroup(ec2, spec.vpcId, spec.name);
    if (!group?.GroupId) throw new Error(`Security group ${spec.name} was created but cannot be described`);
  }
  const groupId = group.GroupId!;
  await Promise.all([
    reconcileRules(ec2, groupId, 'ingress', group.IpPermissions ?? [], spec, actions),
    reconcileRules(ec2, groupId, 'egress', group.IpPermissionsEgress ?? [], spec, actions),
  ]);
  return groupId;
}

function ruleKey(p: IpPermission): string[] {
  const proto = p.IpProtocol ?? '-1';
  const ports = `${p.FromPort ?? ''}-${p.ToPort ?? ''}`;
  return [
    ...(p.IpRanges ?? []).map((r) => `${proto}|${ports}|${r.CidrIp}`),
    ...(p.Ipv6Ranges ?? []).map((r) => `${proto}|${ports}|${r.CidrIpv6}`),
    ...(p.UserIdGroupPairs ?? []).map((g) => `${proto}|${ports}|${g.GroupId}`),
    ...(p.PrefixListIds ?? []).map((l) => `${proto}|${ports}|${l.PrefixListId}`),
  ];
}

function samePermissions(actual: IpPermission[], desired: IpPermission[]): boolean {
  const a = actual.flatMap(ruleKey).sort();
  const d = desired.flatMap(ruleKey).sort();
  return a.length === d.length && a.every((k, i) => k === d[i]);
}

/** Strips the read-only fields DescribeSecurityGroups adds so a permission can be revoked as-is. */
function revocable(p: IpPermission): IpPermission {
  return {
    IpProtocol: p.IpProtocol, FromPort: p.FromPort, ToPort: p.ToPort,
    IpRanges: p.IpRanges?.length ? p.IpRanges.map((r) => ({ CidrIp: r.CidrIp })) : undefined,
    Ipv6Ranges: p.Ipv6Ranges?.length ? p.Ipv6Ranges.map((r) => ({ CidrIpv6: r.CidrIpv6 })) : undefined,
    UserIdGroupPairs: p.UserIdGroupPairs?.length ? p.UserIdGroupPairs.map((g) => ({ GroupId: g.GroupId })) : undefined,
    PrefixListIds: p.PrefixListIds?.length ? p.PrefixListIds.map((l) => ({ PrefixListId: l.PrefixListId })) : undefined,
  };
}

async function reconcileRules(
  ec2: EC2Client, groupId: string, direction: 'ingress' | 'egress', actual: IpPermission[], spec: GroupSpec, actions: PlannedAction[],
): Promise<void> {
  const desired = direction === 'ingress' ? spec.ingress : spec.egress;
  if (samePermissions(actual, desired)) return;
  const apply = spec.mode === 'apply';
  if (actual.length) {
    actions.push({ operation: `EC2.RevokeSecurityGroup${direction === 'ingress' ? 'Ingress' : 'Egress'}`, target: groupId, change: `revoke ${actual.flatMap(ruleKey).join(', ')}` });
    if (apply) {
      const IpPermissions = actual.map(revocable);
      try {
        if (direction === 'ingress') await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions }));
        else await ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions }));
      } catch (err) {
        // A concurrent reconciler revoked it first.
        if (!hasAwsCode(err, 'InvalidPermission.NotFound')) throw err;
      }
    }
  }
  if (desired.length) {
    actions.push({ operation: `EC2.AuthorizeSecurityGroup${direction === 'ingress' ? 'Ingress' : 'Egress'}`, target: groupId, change: `authorize ${desired.flatMap(ruleKey).join(', ')}` });
    if (apply) {
      try {
        if (direction === 'ingress') await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: desired }));
        else await ec2.send(new AuthorizeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: desired }));
      } catch (err) {
        if (!hasAwsCode(err, 'InvalidPermission.Duplicate')) throw err;
      }
    }
  }
}
