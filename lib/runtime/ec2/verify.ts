import {
  DescribeIamInstanceProfileAssociationsCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  NetworkInterface,
  SecurityGroup,
} from '@aws-sdk/client-ec2';
import { setTimeout as sleep } from 'node:timers/promises';
import { VerificationFailed } from '../../core/errors';
import { describeTargetInstance } from './instance';
import { isFirebreakGroup, IsolationGroups, NEW_GROUP_BACKOFF_MS } from './isolation-groups';
import { describeEnis, elasticIpsOf } from './network-interfaces';
import '../clients/ec2';

/** What Contain read back after its last move (`$.contain.verify`): every check passed, or the step failed. */
export interface VerifyResult {
  readonly instanceId: string;
  /** ENI ID → security group IDs, as read back. */
  readonly groupsByEni: Record<string, string[]>;
  readonly checks: { name: string; passed: boolean; details: string }[];
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

/**
 * The isolation groups by ID (DescribeSecurityGroups with the `group-id` filter, so that a group EC2 does not show yet
 * is absent, not an error). A group created moments ago may not be visible yet ("Eventual consistency in the Amazon EC2
 * API", Amazon EC2 Developer Guide): while one is absent the read is repeated with {@link NEW_GROUP_BACKOFF_MS}, then
 * the check fails on it.
 */
async function readIsolationGroups(ec2: EC2Client, groupIds: readonly string[]): Promise<Map<string, SecurityGroup>> {
  for (let attempt = 0; ; attempt++) {
    const out = groupIds.length
      ? await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-id', Values: [...groupIds] }] }))
      : { SecurityGroups: [] };
    const byId = new Map((out.SecurityGroups ?? []).map((g) => [g.GroupId!, g]));
    if (groupIds.every((id) => byId.has(id)) || attempt >= NEW_GROUP_BACKOFF_MS.length) return byId;
    await sleep(NEW_GROUP_BACKOFF_MS[attempt]);
  }
}

/** What {@link verifyContainment} compares the read-back with: what Contain found in its first round and the groups it used. */
export interface VerifyExpectation {
  readonly instanceId: string;
  /** VPC ID → the groups Contain moved the ENIs through. */
  readonly groups: Readonly<Record<string, IsolationGroups>>;
  /** ENI IDs in the instance's own list (DescribeInstances, Contain's first round). */
  readonly fromInstance: readonly string[];
  readonly notFoundGraceSeconds?: number;
}

/**
 * Contain's read-back after its last move (issue 13: "then the isolation swap; verify after"; DESIGN.md §3: "re-describe
 * and fail loudly"; issue 10), in one round of three reads: the ENIs attached to the instance (DescribeNetworkInterfaces
 * `attachment.instance-id`, whose answer carries each ENI's groups and its Elastic IP associations,
 * "NetworkInterfaceAssociation", Amazon EC2 API Reference), the profile associations, the isolation groups by ID.
 * - the ENIs attached now and the instance's own list (DescribeInstances, read in Contain's first round) are the same
 *   set, and not empty: an instance with no ENI in one list, or lists that disagree, is not verified, never CONTAINED;
 * - every ENI attached is on exactly its VPC's isolation group, the one Contain used, and that group is Firebreak's
 *   (tagged, in the VPC) with no ingress and no egress rule (IPv4 and IPv6);
 * - no instance profile is associated (`associated` or `associating`), and no Elastic IP is associated with any of them.
 * When no ENI is attached any more the instance is described again, so that an instance gone meanwhile ends the case
 * RESOURCE_GONE as before, not FAILED.
 * @param expected - see {@link VerifyExpectation}.
 * @returns the checks, all passed.
 * @throws {VerificationFailed} listing every check that failed.
 * @throws {ResourceGone} when the instance is gone.
 */
export async function verifyContainment(expected: VerifyExpectation, deps: { ec2: EC2Client }): Promise<VerifyResult> {
  const { ec2 } = deps;
  const { instanceId, groups } = expected;
  const isolationIds = [...new Set(Object.values(groups).map((g) => g.isolationGroupId))];
  const [attached, profiles, groupById] = await Promise.all([
    describeEnis(ec2, { Name: 'attachment.instance-id', Values: [instanceId] }),
    ec2.send(new DescribeIamInstanceProfileAssociationsCommand({ Filters: [{ Name: 'instance-id', Values: [instanceId] }] })),
    readIsolationGroups(ec2, isolationIds),
  ]);
  if (!attached.length) await describeTargetInstance(ec2, instanceId, { notFoundGraceSeconds: expected.notFoundGraceSeconds });
  const checks = [
    ...eniChecks(expected, attached),
    ...groupChecks(groups, groupById),
    ...(() => {
      const active = (profiles.IamInstanceProfileAssociations ?? []).filter((a) => a.State === 'associated' || a.State === 'associating');
      const eips = elasticIpsOf(attached);
      return [
        {
          name: 'instance-profile-removed',
          passed: active.length === 0,
          details: active.map((a) => a.IamInstanceProfile?.Arn).join(',') || 'none',
        },
        { name: 'elastic-ips-disassociated', passed: eips.length === 0, details: eips.map((a) => a.PublicIp).join(',') || 'none' },
      ];
    })(),
  ];
  const failed = checks.filter((c) => !c.passed);
  if (failed.length) {
    throw new VerificationFailed(`Isolation of ${instanceId} not confirmed: ${failed.map((c) => `${c.name} (${c.details})`).join('; ')}`);
  }
  const groupsByEni = Object.fromEntries(attached.map((n) => [n.NetworkInterfaceId!, (n.Groups ?? []).map((g) => g.GroupId!)]));
  return { instanceId, groupsByEni, checks };
}

/** The ENI checks of {@link verifyContainment}: found, both lists agree, each on exactly its VPC's isolation group. */
function eniChecks(expected: VerifyExpectation, attached: readonly NetworkInterface[]): VerifyResult['checks'] {
  const attachedIds = attached.map((n) => n.NetworkInterfaceId!).filter(Boolean);
  const checks: VerifyResult['checks'] = [
    { name: 'network-interfaces-found', passed: attached.length > 0, details: `${attached.length} ENI(s)` },
    {
      name: 'network-interface-lists-agree',
      passed: sameSet(expected.fromInstance, attachedIds),
      details: `DescribeInstances: ${expected.fromInstance.join(',') || 'none'}; attached (DescribeNetworkInterfaces): ${attachedIds.join(',') || 'none'}`,
    },
  ];
  for (const eni of attached) {
    const ids = (eni.Groups ?? []).map((g) => g.GroupId!).filter(Boolean);
    const isolation = eni.VpcId ? expected.groups[eni.VpcId]?.isolationGroupId : undefined;
    checks.push({
      name: `eni-isolated:${eni.NetworkInterfaceId}`,
      passed: !!isolation && ids.length === 1 && ids[0] === isolation,
      details: `groups=${ids.join(',')} expected=${isolation ?? '(no isolation group for its VPC)'}`,
    });
  }
  return checks;
}

/** The group checks of {@link verifyContainment}: each VPC's isolation group is Firebreak's and has no rule. */
function groupChecks(
  groups: Readonly<Record<string, IsolationGroups>>,
  groupById: ReadonlyMap<string, SecurityGroup>,
): VerifyResult['checks'] {
  return Object.entries(groups).map(([vpcId, g]) => {
    const sg = groupById.get(g.isolationGroupId);
    const rules = (sg?.IpPermissions?.length ?? 0) + (sg?.IpPermissionsEgress?.length ?? 0);
    return {
      name: `isolation-group-empty:${vpcId}`,
      passed: !!sg && isFirebreakGroup(sg, 'isolation', vpcId),
      details: sg ? `${g.isolationGroupId} has ${rules} rule(s)` : `${g.isolationGroupId} not found`,
    };
  });
}
