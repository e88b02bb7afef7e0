import {
  DescribeAddressesCommand,
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { VerificationFailed } from '../../core/errors';
import { describeTargetInstance } from './instance';
import { isFirebreakGroup, IsolationGroups } from './isolation-groups';
import { surveyEnis } from './network-interfaces';
import '../clients/ec2';

/** Result of {@link verifyInstanceIsolated}: what was read back. */
export interface VerifyResult {
  readonly instanceId: string;
  /** ENI ID → security group IDs, as read back. */
  readonly groupsByEni: Record<string, string[]>;
  readonly checks: { name: string; passed: boolean; details: string }[];
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));

/**
 * Verifies isolation by reading the instance back from two sides (DESIGN.md §3: "re-describe and fail
 * loudly"; issue 10):
 * - the ENIs in the instance's own list (DescribeInstances) and the ENIs attached to it
 *   (DescribeNetworkInterfaces `attachment.instance-id`) are the same set, and not empty: an instance
 *   with no ENI in one list, or lists that disagree, is not verified, never CONTAINED;
 * - every ENI of either list, and every ENI the finding names that is attached to the instance, is on
 *   exactly its VPC's isolation group, the one Isolate used (`groups`), and that group is Firebreak's
 *   (tagged, in the VPC) with no ingress and no egress rule (IPv4 and IPv6);
 * - no instance profile is associated, and no Elastic IP is associated with any of these ENIs.
 * @param input - `instanceId`; `groups`: VPC ID → the groups Isolate used; `findingEniIds`: the ENIs the finding names.
 * @returns the checks, all passed.
 * @throws {VerificationFailed} listing every check that failed.
 * @throws {ResourceGone} when the instance is gone.
 */
export async function verifyInstanceIsolated(
  input: {
    instanceId: string;
    groups: Readonly<Record<string, IsolationGroups>>;
    findingEniIds?: readonly string[];
    notFoundGraceSeconds?: number;
  },
  deps: { ec2: EC2Client },
): Promise<VerifyResult> {
  const { ec2 } = deps;
  const instance = await describeTargetInstance(ec2, input.instanceId, { notFoundGraceSeconds: input.notFoundGraceSeconds });
  const survey = await surveyEnis(ec2, instance, input.findingEniIds);
  const enis = survey.enis;
  const isolationIds = [...new Set(Object.values(input.groups).map((g) => g.isolationGroupId))];
  const [sgs, profiles, addresses] = await Promise.all([
    isolationIds.length
      ? ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-id', Values: isolationIds }] }))
      : Promise.resolve({ SecurityGroups: [] }),
    ec2.send(new DescribeIamInstanceProfileAssociationsCommand({ Filters: [{ Name: 'instance-id', Values: [input.instanceId] }] })),
    enis.length
      ? ec2.send(
          new DescribeAddressesCommand({ Filters: [{ Name: 'network-interface-id', Values: enis.map((e) => e.networkInterfaceId) }] }),
        )
      : Promise.resolve({ Addresses: [] }),
  ]);
  const groupById = new Map((sgs.SecurityGroups ?? []).map((g) => [g.GroupId!, g]));
  const checks: VerifyResult['checks'] = [];
  checks.push({ name: 'network-interfaces-found', passed: enis.length > 0, details: `${enis.length} ENI(s)` });
  checks.push({
    name: 'network-interface-lists-agree',
    passed: sameSet(survey.fromInstance, survey.fromAttachment),
    details: `DescribeInstances: ${survey.fromInstance.join(',') || 'none'}; attached (DescribeNetworkInterfaces): ${survey.fromAttachment.join(',') || 'none'}`,
  });
  const groupsByEni: Record<string, string[]> = {};
  for (const eni of enis) {
    const ids = eni.groups;
    groupsByEni[eni.networkInterfaceId] = ids;
    const expected = eni.vpcId ? input.groups[eni.vpcId]?.isolationGroupId : undefined;
    checks.push({
      name: `eni-isolated:${eni.networkInterfaceId}`,
      passed: !!expected && ids.length === 1 && ids[0] === expected,
      details: `groups=${ids.join(',')} expected=${expected ?? '(no isolation group for its VPC)'}`,
    });
  }
  for (const [vpcId, g] of Object.entries(input.groups)) {
    const sg = groupById.get(g.isolationGroupId);
    const rules = (sg?.IpPermissions?.length ?? 0) + (sg?.IpPermissionsEgress?.length ?? 0);
    checks.push({
      name: `isolation-group-empty:${vpcId}`,
      passed: !!sg && isFirebreakGroup(sg, 'isolation', vpcId),
      details: sg ? `${g.isolationGroupId} has ${rules} rule(s)` : `${g.isolationGroupId} not found`,
    });
  }
  const active = (profiles.IamInstanceProfileAssociations ?? []).filter((a) => a.State === 'associated' || a.State === 'associating');
  checks.push({
    name: 'instance-profile-removed',
    passed: active.length === 0,
    details: active.map((a) => a.IamInstanceProfile?.Arn).join(',') || 'none',
  });
  const eips = (addresses.Addresses ?? []).filter((a) => a.AssociationId);
  checks.push({ name: 'elastic-ips-disassociated', passed: eips.length === 0, details: eips.map((a) => a.PublicIp).join(',') || 'none' });
  const failed = checks.filter((c) => !c.passed);
  if (failed.length) {
    throw new VerificationFailed(
      `Isolation of ${input.instanceId} not confirmed: ${failed.map((c) => `${c.name} (${c.details})`).join('; ')}`,
    );
  }
  return { instanceId: input.instanceId, groupsByEni, checks };
}
