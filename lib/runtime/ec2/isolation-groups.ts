import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  IpPermission,
  RevokeSecurityGroupEgressCommand,
  SecurityGroup,
} from '@aws-sdk/client-ec2';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { hasAwsCode } from '../aws-errors';
import { TransientAwsError } from '../../core/errors';
import { PlannedAction, StepMode } from './instance';
import { isolationGroupName, TAG, tagSpec, untrackGroupName } from '../../core/tags';
import '../clients/ec2';

/** The two Firebreak security groups of one VPC. */
export interface IsolationGroups {
  readonly vpcId: string;
  /** No ingress, no egress (IPv4 and IPv6). */
  readonly isolationGroupId: string;
  /** All traffic in and out, 0.0.0.0/0 and ::/0: moving an ENI here makes its flows untracked. */
  readonly untrackGroupId: string;
}

/** Waits, in milliseconds, before retrying a call that names a security group EC2 does not show yet: 0.25 s to 4 s, 7.75 s in all. */
export const NEW_GROUP_BACKOFF_MS: readonly number[] = [250, 500, 1000, 2000, 4000];

/**
 * Runs a call that names a security group created moments ago, retrying `InvalidGroup.NotFound`: EC2 is
 * eventually consistent, and AWS names this very case ("Eventual consistency in the Amazon EC2 API",
 * Amazon EC2 Developer Guide, https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html:
 * a call that uses a security group just created may fail with `InvalidGroup.NotFound`).
 * @throws the last error when the group is still not visible after {@link NEW_GROUP_BACKOFF_MS}, or any other error at once.
 */
export async function whileGroupNotVisible<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (attempt >= NEW_GROUP_BACKOFF_MS.length || !hasAwsCode(err, 'InvalidGroup.NotFound')) throw err;
      await sleep(NEW_GROUP_BACKOFF_MS[attempt]);
    }
  }
}

const DECISION_PREFIX = 'untrack-group#';

/**
 * The case decision (`decisions.<key>`) under which Isolate records, before moving any ENI, the groups of
 * a VPC it moves ENIs through: `untrack-group#<untrack group ID>` = {@link IsolationGroups}.
 */
export const isolationGroupsDecisionKey = (g: IsolationGroups): string => `${DECISION_PREFIX}${g.untrackGroupId}`;

/** The groups recorded on a case with {@link isolationGroupsDecisionKey}, from its `decisions`. */
export function recordedIsolationGroups(decisions: Readonly<Record<string, unknown>> | undefined): IsolationGroups[] {
  return Object.entries(decisions ?? {})
    .filter(([k]) => k.startsWith(DECISION_PREFIX))
    .map(([, v]) => v as IsolationGroups);
}

/** The roles of Firebreak's security groups, the value of their `firebreak:role` tag. */
export type GroupRole = 'isolation' | 'untrack';

/** The all-traffic rule of the untrack group, IPv4 and IPv6. */
export const ALLOW_ALL: IpPermission = { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] };

/** The rules each role must have, exactly: an isolation group has none, an untrack group allows everything both ways. */
export const EXPECTED_RULES: Readonly<Record<GroupRole, { ingress: IpPermission[]; egress: IpPermission[] }>> = {
  isolation: { ingress: [], egress: [] },
  untrack: { ingress: [ALLOW_ALL], egress: [ALLOW_ALL] },
};

/**
 * Ensures a per-VPC isolation group and untrack group that are Firebreak's, and returns their IDs.
 *
 * A group is adopted only when it is Firebreak's: in the VPC, tagged `firebreak:role=<role>`, and with
 * exactly the role's rules ({@link EXPECTED_RULES}: none for isolation, all traffic both ways for
 * untrack). Anything else is never reused and never changed, whatever its name: a stranger's group named
 * `firebreak-isolation-<vpc>` (untagged, empty or not), or a tagged group someone added a rule to. Then a
 * new group is created under a name nobody holds (the base name when free, else the base name with a
 * random suffix), tagged at creation, and only that group's rules are set, from what a new group holds
 * ({@link setNewGroupRules}, no describe): the default egress rules are revoked (isolation), all-traffic rules are
 * added (untrack). Among several
 * adoptable groups the lowest group ID is used, so runs that find the same groups agree; two runs that
 * create at the same moment may each create one (the other's is not adoptable until its rules are set),
 * which costs a security group of the VPC's quota and nothing else.
 *
 * Why two groups: changing security groups does not cut tracked connections; moving an ENI first to
 * a group that allows all traffic both ways makes its flows untracked, and the move to the isolation
 * group then stops them ("Security group connection tracking", Amazon EC2 User Guide,
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/security-group-connection-tracking.html). The same
 * page lists connections that are always tracked (through a NAT gateway, a load balancer, a transit
 * gateway, among others): the swap does not cut those; a network ACL does (runbooks/ec2-compromise/runbook.md).
 * Why adoption is this strict: the responder may move ENIs only into groups carrying the
 * `firebreak:role` tag (member-account-stack.ts), so an untagged group adopted by name would leave ENIs
 * on the allow-all group when the second move is denied (issue 10).
 * @param input - `vpcId`, `caseId` (tag on creation), `mode` (`plan` creates nothing and returns
 *   placeholder IDs `(new isolation group)` for groups that would be created).
 * @returns the group IDs and the actions taken or planned.
 * @throws the SDK's error when a call fails (mapped to Firebreak's errors by the step runner).
 */
export async function ensureIsolationGroups(
  input: { vpcId: string; caseId: string; mode: StepMode },
  ec2: EC2Client,
): Promise<{ groups: IsolationGroups; actions: PlannedAction[] }> {
  const actions: PlannedAction[] = [];
  const ensure = async (role: GroupRole) => {
    const outcome = await adoptOrCreateGroup(ec2, { ...input, role }, actions);
    if (outcome.created && input.mode === 'apply') await setNewGroupRules(ec2, outcome.groupId, role, actions);
    return outcome.groupId;
  };
  const [isolation, untrack] = await Promise.all([ensure('isolation'), ensure('untrack')]);
  return { groups: { vpcId: input.vpcId, isolationGroupId: isolation, untrackGroupId: untrack }, actions };
}

interface GroupSpec {
  vpcId: string;
  role: GroupRole;
}

/**
 * Whether a security group, as DescribeSecurityGroups returned it, is one of Firebreak's for `role` in
 * `vpcId`: tagged `firebreak:role=<role>`, in the VPC, with exactly the role's rules.
 */
export function isFirebreakGroup(group: SecurityGroup, role: GroupRole, vpcId: string): boolean {
  const tagged = (group.Tags ?? []).some((t) => t.Key === TAG.role && t.Value === role);
  const rules = EXPECTED_RULES[role];
  return (
    tagged &&
    group.VpcId === vpcId &&
    samePermissions(group.IpPermissions ?? [], rules.ingress) &&
    samePermissions(group.IpPermissionsEgress ?? [], rules.egress)
  );
}

async function describeGroups(ec2: EC2Client, filters: { Name: string; Values: string[] }[]): Promise<SecurityGroup[]> {
  const out: SecurityGroup[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ec2.send(new DescribeSecurityGroupsCommand({ Filters: filters, NextToken }));
    out.push(...(page.SecurityGroups ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

/** The adoptable group of the role in the VPC (lowest ID), if any. */
async function findAdoptable(ec2: EC2Client, spec: GroupSpec): Promise<SecurityGroup | undefined> {
  const tagged = await describeGroups(ec2, [
    { Name: 'vpc-id', Values: [spec.vpcId] },
    { Name: `tag:${TAG.role}`, Values: [spec.role] },
  ]);
  return tagged
    .filter((g) => g.GroupId && isFirebreakGroup(g, spec.role, spec.vpcId))
    .sort((a, b) => a.GroupId!.localeCompare(b.GroupId!))[0];
}

/**
 * The groups tagged `firebreak:role` (either role) in the region, in one DescribeSecurityGroups (every page), keyed by
 * VPC: what the containment's first round reads instead of a look-up per VPC and role. Only groups that are exactly
 * Firebreak's ({@link isFirebreakGroup}) are kept, the lowest ID per role, as {@link ensureIsolationGroups} adopts.
 * @returns VPC ID → the adoptable group of each role found there.
 */
export async function findFirebreakGroups(ec2: EC2Client): Promise<Map<string, Partial<Record<GroupRole, string>>>> {
  const tagged = await describeGroups(ec2, [{ Name: `tag:${TAG.role}`, Values: ['isolation', 'untrack'] }]);
  const byVpc = new Map<string, Partial<Record<GroupRole, string>>>();
  for (const g of [...tagged].sort((a, b) => (a.GroupId ?? '').localeCompare(b.GroupId ?? ''))) {
    const role = (g.Tags ?? []).find((t) => t.Key === TAG.role)?.Value as GroupRole | undefined;
    if (!g.GroupId || !g.VpcId || !role || !isFirebreakGroup(g, role, g.VpcId)) continue;
    const found = byVpc.get(g.VpcId) ?? {};
    found[role] ??= g.GroupId;
    byVpc.set(g.VpcId, found);
  }
  return byVpc;
}

/** A Firebreak group of one role in one VPC, adopted or created by {@link adoptOrCreateGroup}. */
export interface GroupOutcome {
  readonly groupId: string;
  /** True when this call created it: its rules are still the defaults of a new group ({@link setNewGroupRules}). */
  readonly created: boolean;
}

/**
 * Adopts the role's group in the VPC, or creates one; never changes a rule. `found` is the group already looked up
 * ({@link findFirebreakGroups}; `null`: looked up, none), so the first attempt makes no DescribeSecurityGroups. A new
 * group takes the base name; when that is taken (`InvalidGroup.Duplicate`: a stranger's group, or a concurrent
 * creator's) the next attempt looks again and creates under the base name with a random suffix.
 * @throws {TransientAwsError} when CreateSecurityGroup answers without an ID, or three names were taken while creating.
 */
export async function adoptOrCreateGroup(
  ec2: EC2Client,
  spec: { vpcId: string; caseId: string; mode: StepMode; role: GroupRole },
  actions: PlannedAction[],
  found?: string | null,
): Promise<GroupOutcome> {
  const baseName = spec.role === 'isolation' ? isolationGroupName(spec.vpcId) : untrackGroupName(spec.vpcId);
  for (let attempt = 0; attempt < 3; attempt++) {
    const adoptable = attempt === 0 && found !== undefined ? (found ?? undefined) : (await findAdoptable(ec2, spec))?.GroupId;
    if (adoptable) return { groupId: adoptable, created: false };
    // Never the name of a group that exists, whoever's it is: CreateSecurityGroup refuses a taken name (InvalidGroup.Duplicate).
    const name = attempt === 0 ? baseName : `${baseName}-${randomBytes(4).toString('hex')}`;
    actions.push({ operation: 'EC2.CreateSecurityGroup', target: spec.vpcId, change: `create ${name} (${spec.role})` });
    if (spec.mode === 'plan') {
      planNewGroupRules(name, spec.role, actions);
      return { groupId: `(new ${spec.role} group)`, created: true };
    }
    let groupId: string | undefined;
    try {
      groupId = (
        await ec2.send(
          new CreateSecurityGroupCommand({
            GroupName: name,
            VpcId: spec.vpcId,
            Description:
              spec.role === 'isolation'
                ? 'Firebreak isolation: no ingress, no egress. Do not add rules.'
                : 'Firebreak untracking step: all traffic, used for seconds during isolation.',
            TagSpecifications: [tagSpec('security-group', { [TAG.role]: spec.role, Name: name })],
          }),
        )
      ).GroupId;
    } catch (err) {
      // Someone holds that name, or created a group of that name between our look and our create: look again.
      if (hasAwsCode(err, 'InvalidGroup.Duplicate')) continue;
      throw err;
    }
    // An answer without the ID is AWS's fault, not the request's: the step is retried, and the retry looks again, adopting
    // a group only when it is exactly Firebreak's (findAdoptable, isFirebreakGroup), else creating one under a new name.
    if (!groupId) throw new TransientAwsError(`CreateSecurityGroup ${name} returned no group ID`);
    return { groupId, created: true };
  }
  // Three concurrent creators took our names: contention that a retry of the step resolves (it adopts theirs or creates anew).
  throw new TransientAwsError(`Could not create a ${spec.role} security group in ${spec.vpcId}: three names were taken while creating`);
}

function planNewGroupRules(name: string, role: GroupRole, actions: PlannedAction[]): void {
  const rules = EXPECTED_RULES[role];
  if (rules.ingress.length)
    actions.push({
      operation: 'EC2.AuthorizeSecurityGroupIngress',
      target: name,
      change: `authorize ${rules.ingress.flatMap(ruleKey).join(', ')}`,
    });
  actions.push({ operation: 'EC2.RevokeSecurityGroupEgress', target: name, change: 'revoke the default egress rules' });
  if (rules.egress.length)
    actions.push({
      operation: 'EC2.AuthorizeSecurityGroupEgress',
      target: name,
      change: `authorize ${rules.egress.flatMap(ruleKey).join(', ')}`,
    });
}

/** All traffic to 0.0.0.0/0 and to ::/0, one permission each: a new group's possible default egress rules. */
const ALL_IPV4: IpPermission = { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] };
const ALL_IPV6: IpPermission = { IpProtocol: '-1', Ipv6Ranges: [{ CidrIpv6: '::/0' }] };

/**
 * Sets the rules of a group this run just created (never any other) from what a new group is known to hold, without
 * describing it: no inbound rule and an outbound rule allowing all IPv4 traffic ("Security groups for your VPC",
 * Amazon VPC User Guide: a new security group has only an outbound rule that allows all traffic; a default group also
 * gets `::/0` when the VPC has an IPv6 CIDR, "Default security groups for your VPCs", and the emulator gives a new group
 * that rule too). The isolation group: both all-traffic egress rules revoked in one RevokeSecurityGroupEgress (a call
 * takes several IpPermissions); a non-default VPC answers `InvalidPermission.NotFound` when one of them is not there
 * ("RevokeSecurityGroupEgress", Amazon EC2 API Reference: only for a default VPC is a rule that does not match left
 * without an error), and then the IPv4 rule is revoked alone, a missing one tolerated: a new group's `::/0` rule is the
 * one that can be absent. The untrack group gets all traffic in (IPv4 and IPv6 in one call) and `::/0` out (IPv4 out it
 * has), a present rule tolerated (`InvalidPermission.Duplicate`). The calls run in parallel and retry
 * `InvalidGroup.NotFound` ({@link whileGroupNotVisible}). Contain reads the isolation group back (no rule) after the
 * moves and fails with `VerificationFailed` when any rule is left.
 */
export async function setNewGroupRules(ec2: EC2Client, groupId: string, role: GroupRole, actions: PlannedAction[]): Promise<void> {
  const tolerate = (code: string) => (err: unknown) => {
    if (!hasAwsCode(err, code)) throw err;
  };
  const revoke = (permissions: IpPermission[]) =>
    whileGroupNotVisible(() => ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: permissions })));
  if (role === 'isolation') {
    actions.push({ operation: 'EC2.RevokeSecurityGroupEgress', target: groupId, change: 'revoke the default egress rules' });
    await revoke([ALL_IPV4, ALL_IPV6]).catch(async (err) => {
      if (!hasAwsCode(err, 'InvalidPermission.NotFound')) throw err;
      await revoke([ALL_IPV4]).catch(tolerate('InvalidPermission.NotFound'));
    });
    return;
  }
  actions.push(
    { operation: 'EC2.AuthorizeSecurityGroupIngress', target: groupId, change: `authorize ${[ALLOW_ALL].flatMap(ruleKey).join(', ')}` },
    { operation: 'EC2.AuthorizeSecurityGroupEgress', target: groupId, change: `authorize ${[ALL_IPV6].flatMap(ruleKey).join(', ')}` },
  );
  // Ingress: one permission carries both ranges (IpPermission's IpRanges and Ipv6Ranges, "AuthorizeSecurityGroupIngress",
  // Amazon EC2 API Reference); a new group has no inbound rule, so a Duplicate is only a retry of this very call.
  // Egress: only ::/0, since a new group already allows all IPv4 traffic out (see above). Ingress and egress are two
  // actions: no call sets both.
  await Promise.all([
    whileGroupNotVisible(() => ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [ALLOW_ALL] }))).catch(
      tolerate('InvalidPermission.Duplicate'),
    ),
    whileGroupNotVisible(() => ec2.send(new AuthorizeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: [ALL_IPV6] }))).catch(
      tolerate('InvalidPermission.Duplicate'),
    ),
  ]);
}

function ruleKey(p: IpPermission): string[] {
  const proto = p.IpProtocol ?? '-1';
  const ports = proto === '-1' ? '-' : `${p.FromPort ?? ''}-${p.ToPort ?? ''}`;
  return [
    ...(p.IpRanges ?? []).map((r) => `${proto}|${ports}|${r.CidrIp}`),
    ...(p.Ipv6Ranges ?? []).map((r) => `${proto}|${ports}|${r.CidrIpv6}`),
    ...(p.UserIdGroupPairs ?? []).map((g) => `${proto}|${ports}|${g.GroupId}`),
    ...(p.PrefixListIds ?? []).map((l) => `${proto}|${ports}|${l.PrefixListId}`),
  ];
}

/**
 * The (direction, protocol, ports, source) tuples a group's rules grant, one string each, e.g.
 * `ingress|tcp|443-443|0.0.0.0/0` or `egress|-1|-|::/0`: what two sets of groups can be compared by.
 */
export function ruleTuples(group: Pick<SecurityGroup, 'IpPermissions' | 'IpPermissionsEgress'>): string[] {
  return [
    ...(group.IpPermissions ?? []).flatMap(ruleKey).map((k) => `ingress|${k}`),
    ...(group.IpPermissionsEgress ?? []).flatMap(ruleKey).map((k) => `egress|${k}`),
  ];
}

/** Whether two rule lists grant the same (protocol, ports, source) tuples, in any order and grouping. */
export function samePermissions(actual: IpPermission[], desired: IpPermission[]): boolean {
  const a = [...new Set(actual.flatMap(ruleKey))].sort();
  const d = [...new Set(desired.flatMap(ruleKey))].sort();
  // A permission with no source at all is a rule too (never granted by Firebreak): count it.
  const bare = actual.some((p) => ruleKey(p).length === 0);
  return !bare && a.length === d.length && a.every((k, i) => k === d[i]);
}
