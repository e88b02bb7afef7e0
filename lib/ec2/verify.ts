import { DescribeAddressesCommand, DescribeIamInstanceProfileAssociationsCommand, DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { VerificationFailed } from '../errors';
import { describeTargetInstance } from './instance';
import { isolationGroupName } from './tags';

/** Result of {@link verifyInstanceIsolated}: what was read back. */
export interface VerifyResult {
  readonly instanceId: string;
  /** ENI ID → security group IDs, as read back. */
  readonly groupsByEni: Record<string, string[]>;
  readonly checks: { name: string; passed: boolean; details: string }[];
}

/**
 * Verifies isolation by reading the instance back (DESIGN.md §3: "re-describe and fail loudly"):
 * every ENI has exactly its VPC's isolation group; each isolation group has no ingress and no egress
 * rule (IPv4 and IPv6); no instance profile is associated; no Elastic IP is associated.
 * @throws {VerificationFailed} listing every check that failed.
 * @throws {ResourceGone} when the instance is gone.
 */
export async function verifyInstanceIsolated(input: { instanceId: string }, deps: { ec2: EC2Client }): Promise<VerifyResult> {
  const { ec2 } = deps;
  const instance = await describeTargetInstance(ec2, input.instanceId);
  const enis = instance.NetworkInterfaces ?? [];
  const vpcIds = [...new Set(enis.map((e) => e.VpcId!).filter(Boolean))];
  const [sgs, profiles, addresses] = await Promise.all([
    ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: vpcIds }, { Name: 'group-name', Values: vpcIds.map(isolationGroupName) }] })),
    ec2.send(new DescribeIamInstanceProfileAssociationsCommand({ Filters: [{ Name: 'instance-id', Values: [input.instanceId] }] })),
    ec2.send(new DescribeAddressesCommand({ Filters: [{ Name: 'network-interface-id', Values: enis.map((e) => e.NetworkInterfaceId!) }] })),
  ]);
  const isolationByVpc = new Map((sgs.SecurityGroups ?? []).map((g) => [g.VpcId!, g]));
  const checks: VerifyResult['checks'] = [];
  const groupsByEni: Record<string, string[]> = {};
  for (const eni of enis) {
    const ids = (eni.Groups ?? []).map((g) => g.GroupId!);
    groupsByEni[eni.NetworkInterfaceId!] = ids;
    const iso = isolationByVpc.get(eni.VpcId!);
    checks.push({
      name: `eni-isolated:${eni.NetworkInterfaceId}`,
      passed: !!iso && ids.length === 1 && ids[0] === iso.GroupId,
      details: `groups=${ids.join(',')} expected=${iso?.GroupId ?? '(missing isolation group)'}`,
    });
  }
  for (const [vpcId, g] of isolationByVpc) {
    const rules = (g.IpPermissions?.length ?? 0) + (g.IpPermissionsEgress?.length ?? 0);
    checks.push({ name: `isolation-group-empty:${vpcId}`, passed: rules === 0, details: `${g.GroupId} has ${rules} rule(s)` });
  }
  const active = (profiles.IamInstanceProfileAssociations ?? []).filter((a) => a.State === 'associated' || a.State === 'associating');
  checks.push({ name: 'instance-profile-removed', passed: active.length === 0, details: active.map((a) => a.IamInstanceProfile?.Arn).join(',') || 'none' });
  const eips = (addresses.Addresses ?? []).filter((a) => a.AssociationId);
  checks.push({ name: 'elastic-ips-disassociated', passed: eips.length === 0, details: eips.map((a) => a.PublicIp).join(',') || 'none' });
  const failed = checks.filter((c) => !c.passed);
  if (failed.length) {
    throw new VerificationFailed(`Isolation of ${input.instanceId} not confirmed: ${failed.map((c) => `${c.name} (${c.details})`).join('; ')}`);
  }
  return { instanceId: input.instanceId, groupsByEni, checks };
}
