/**
 * The order of Contain's calls (ensureInstanceContained, issue 13), with stand-in clients that answer as EC2, Auto
 * Scaling and ELBv2 do and log every call: the prior state is durable before any change to the instance or its ENIs,
 * the groups are recorded before any ENI moves through them, preservation is never after the move onto the isolation
 * group, and the rounds are as documented (4 sequential calls to the last isolation move when the VPC's groups exist,
 * 6 when they are created: no group is created before the write that claims the case and records the prior state). The emulator tests (isolation-safety, crash-recovery, ec2-compromise) check the outcome;
 * this checks the order, which the emulator cannot show reliably. Times are a counter, never measured.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ContainmentNotClaimed, ensureInstanceContained } from '../../../lib/runtime/ec2/contain';
import { sequentialCallsUntil } from '../../../lib/harness/report';
import { ApiCallRecord } from '../../../lib/runtime/telemetry';
import { TAG } from '../../../lib/core/tags';

const VPC = 'vpc-0123456789abcdef0';
const INSTANCE = 'i-0123456789abcdef0';
const ENIS = ['eni-0aaaaaaaaaaaaaaa1', 'eni-0aaaaaaaaaaaaaaa2'];
const ALL = { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] };

interface Logged extends ApiCallRecord {
  readonly input: Record<string, unknown>;
}

/** What a stand-in world can be told to get wrong, for the read-back's tests. */
interface Quirks {
  /** EC2 answers the move onto this group but leaves the ENI where it was. */
  readonly ignoreMoveOnto?: string;
  /** EC2 answers RevokeSecurityGroupEgress but revokes nothing. */
  readonly ignoreRevoke?: boolean;
  /** EC2 answers DisassociateAddress but the Elastic IP stays. */
  readonly ignoreDisassociate?: boolean;
}

/**
 * A world of one instance with two ENIs on its own group, the second with an Elastic IP and the instance with a
 * profile; `groupsExist`: Firebreak's groups of the VPC are there. EC2 keeps what the calls change (ENI groups, group
 * rules, the EIP's and the profile's associations), so that the read-back after the moves reads what they did.
 */
function world(groupsExist: boolean, quirks: Quirks = {}) {
  let clock = 0;
  const log: Logged[] = [];
  const ipv4 = { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] };
  const ipv6 = { IpProtocol: '-1', Ipv6Ranges: [{ CidrIpv6: '::/0' }] };
  type Group = {
    GroupId: string;
    VpcId: string;
    Tags: { Key: string; Value: string }[];
    IpPermissions: unknown[];
    IpPermissionsEgress: unknown[];
  };
  const groups = new Map<string, Group>();
  const firebreak = (GroupId: string, role: string, rules: unknown[]) =>
    groups.set(GroupId, {
      GroupId,
      VpcId: VPC,
      Tags: [{ Key: TAG.role, Value: role }],
      IpPermissions: rules,
      IpPermissionsEgress: [...rules],
    });
  if (groupsExist) {
    firebreak('sg-iso', 'isolation', []);
    firebreak('sg-untrack', 'untrack', [ALL]);
  }
  const eniGroups = new Map(ENIS.map((id) => [id, ['sg-own']]));
  let eipAssociated = true;
  let profileAssociated = true;
  const eni = (NetworkInterfaceId: string) => ({
    NetworkInterfaceId,
    VpcId: VPC,
    Groups: eniGroups.get(NetworkInterfaceId)!.map((GroupId) => ({ GroupId })),
    Attachment: { InstanceId: INSTANCE },
    PrivateIpAddress: '10.0.0.12',
    ...(NetworkInterfaceId === ENIS[1] && eipAssociated
      ? { Association: { AllocationId: 'eipalloc-1', AssociationId: 'eipassoc-1', PublicIp: '198.51.100.7' } }
      : {}),
  });
  const answer = (op: string, input: Record<string, unknown>): unknown => {
    switch (op) {
      case 'DescribeInstances':
        return {
          Reservations: [
            {
              Instances: [
                {
                  InstanceId: INSTANCE,
                  VpcId: VPC,
                  State: { Name: 'running' },
                  NetworkInterfaces: ENIS.map((id) => ({ ...eni(id), Association: undefined })),
                  BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { DeleteOnTermination: true } }],
                },
              ],
            },
          ],
        };
      case 'DescribeNetworkInterfaces':
        return { NetworkInterfaces: ENIS.map(eni) };
      case 'DescribeSecurityGroups': {
        const byId = (input.Filters as { Name: string; Values: string[] }[]).find((f) => f.Name === 'group-id')?.Values;
        return { SecurityGroups: [...groups.values()].filter((g) => !byId || byId.includes(g.GroupId)) };
      }
      case 'DescribeIamInstanceProfileAssociations':
        return {
          IamInstanceProfileAssociations: profileAssociated
            ? [
                {
                  AssociationId: 'iip-assoc-1',
                  State: 'associated',
                  IamInstanceProfile: { Arn: 'arn:aws:iam::111111111111:instance-profile/web' },
                },
              ]
            : [],
        };
      case 'DisassociateIamInstanceProfile':
        profileAssociated = false;
        return {};
      case 'DisassociateAddress':
        if (!quirks.ignoreDisassociate) eipAssociated = false;
        return {};
      case 'DescribeInstanceAttribute':
        return input.Attribute === 'disableApiTermination'
          ? { DisableApiTermination: { Value: false } }
          : { InstanceInitiatedShutdownBehavior: { Value: 'terminate' } };
      case 'CreateSecurityGroup': {
        const id = String(input.GroupName).includes('isolation') ? 'sg-iso' : 'sg-untrack';
        const tags = (input.TagSpecifications as { Tags: { Key: string; Value: string }[] }[])[0].Tags;
        // A new group: no inbound rule, all traffic out (IPv4; IPv6 too, as the emulator gives one in a VPC with IPv6).
        groups.set(id, { GroupId: id, VpcId: VPC, Tags: tags, IpPermissions: [], IpPermissionsEgress: [ipv4, ipv6] });
        return { GroupId: id };
      }
      case 'RevokeSecurityGroupEgress':
        if (!quirks.ignoreRevoke) groups.get(String(input.GroupId))!.IpPermissionsEgress = [];
        return {};
      case 'AuthorizeSecurityGroupIngress':
        groups.get(String(input.GroupId))!.IpPermissions = [ALL];
        return {};
      case 'AuthorizeSecurityGroupEgress':
        groups.get(String(input.GroupId))!.IpPermissionsEgress = [ALL];
        return {};
      case 'ModifyNetworkInterfaceAttribute': {
        if (input.DryRun) throw Object.assign(new Error('Request would have succeeded'), { name: 'DryRunOperation', $metadata: {} });
        const to = input.Groups as string[];
        if (to[0] !== quirks.ignoreMoveOnto) eniGroups.set(String(input.NetworkInterfaceId), to);
        return {};
      }
      default:
        return {};
    }
  };
  const client = (service: string) => ({
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const op = command.constructor.name.replace(/Command$/, '');
      const startedAt = ++clock;
      await new Promise((r) => setImmediate(r));
      const entry = { operation: `${service}.${op}`, input: command.input, startedAt, context: {} };
      try {
        return answer(op, command.input);
      } finally {
        log.push({ ...entry, mutating: !/^(Describe|Get|List)/.test(op), endedAt: ++clock });
      }
    },
  });
  // The ledger answers slower than EC2 (three turns of the event loop to its one): a call that does not wait for a
  // ledger write starts before the write ends, and the order checks below see it.
  const ledgerCall = (operation: string) => async () => {
    const startedAt = ++clock;
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    log.push({ operation, input: {}, startedAt, mutating: operation !== 'Ledger.GetCase', endedAt: ++clock, context: {} });
  };
  const recordPrior = ledgerCall('Ledger.RecordPriorState');
  const recordGroups = ledgerCall('Ledger.RecordGroups');
  const getCase = ledgerCall('Ledger.GetCase');
  const deps = {
    ec2: client('EC2') as unknown as EC2Client,
    autoScaling: client('AutoScaling') as unknown as AutoScalingClient,
    elbv2: client('ElasticLoadBalancingV2') as unknown as ElasticLoadBalancingV2Client,
    knownFirebreakGroupIds: async () => {
      await getCase();
      return [];
    },
    recordPriorState: async <P>(prior: P) => {
      await recordPrior();
      return prior;
    },
    recordGroups: async () => {
      await recordGroups();
    },
  };
  return { log, deps };
}

const isMove = (c: Logged, group: string) =>
  c.operation === 'EC2.ModifyNetworkInterfaceAttribute' && !c.input.DryRun && (c.input.Groups as string[])[0] === group;
const endOf = (log: Logged[], operation: string) => Math.max(...log.filter((c) => c.operation === operation).map((c) => c.endedAt));

describe.each([
  ['the VPC groups exist (steady state)', true, 4],
  ['the first incident in the VPC (groups created)', false, 6],
])('ensureInstanceContained when %s', (_name, groupsExist, rounds) => {
  let log: Logged[];
  let verified: { name: string; passed: boolean }[];
  let prior: { elasticIps: unknown[] };
  beforeAll(async () => {
    const w = world(groupsExist);
    const result = await ensureInstanceContained({ instanceId: INSTANCE, caseId: 'fb-20260101-0123456789', findingEniIds: ENIS }, w.deps);
    expect(Object.values(result.isolate.isolationGroupByEni)).toEqual(['sg-iso', 'sg-iso']);
    log = w.log;
    verified = result.verify.checks;
    prior = result.isolate.prior;
  });

  it(`isolates every ENI within ${rounds} sequential calls`, () => {
    expect(log.filter((c) => isMove(c, 'sg-iso'))).toHaveLength(2);
    expect(sequentialCallsUntil(log, (c) => c.operation === 'EC2.ModifyNetworkInterfaceAttribute')).toBe(rounds);
  });

  it('changes nothing on the instance or its ENIs before the prior state is recorded', () => {
    const recorded = endOf(log, 'Ledger.RecordPriorState');
    const widensNothing = /^EC2\.(CreateSecurityGroup|AuthorizeSecurityGroup|RevokeSecurityGroup)/;
    const changes = log.filter(
      (c) => c.mutating && c.operation.includes('.') && !c.operation.startsWith('Ledger.') && !widensNothing.test(c.operation),
    );
    expect(changes.length).toBeGreaterThan(0);
    for (const c of changes) if (!c.input.DryRun) expect([c.operation, c.startedAt > recorded]).toEqual([c.operation, true]);
  });

  it('moves no ENI onto the untrack group before the groups are recorded and their rules set', () => {
    const ready = Math.max(
      endOf(log, groupsExist ? 'Ledger.RecordPriorState' : 'Ledger.RecordGroups'),
      ...log.filter((c) => /SecurityGroup(Ingress|Egress)$/.test(c.operation)).map((c) => c.endedAt),
    );
    const untrack = log.filter((c) => isMove(c, 'sg-untrack'));
    expect(untrack).toHaveLength(2);
    for (const c of untrack) expect(c.startedAt).toBeGreaterThan(ready);
  });

  it('starts preservation no later than the moves onto the untrack group, never after the isolation moves', () => {
    const preservation = log.filter((c) => c.operation === 'EC2.ModifyInstanceAttribute');
    expect(preservation).toHaveLength(3);
    const firstIsolationMove = Math.min(...log.filter((c) => isMove(c, 'sg-iso')).map((c) => c.startedAt));
    for (const c of preservation) expect(c.startedAt).toBeLessThan(firstIsolationMove);
  });

  it('creates no group before the write that claims the case and records the prior state', () => {
    const recorded = endOf(log, 'Ledger.RecordPriorState');
    for (const c of log.filter((x) => x.operation === 'EC2.CreateSecurityGroup')) expect(c.startedAt).toBeGreaterThan(recorded);
  });

  it(
    groupsExist
      ? 'creates no group, and reads the groups once before any change and the isolation group once after the last move'
      : 'creates the two groups, and reads no group back before the last move (then the isolation group, by ID)',
    () => {
      expect(log.filter((c) => c.operation === 'EC2.CreateSecurityGroup')).toHaveLength(groupsExist ? 0 : 2);
      const lastMove = endOf(log, 'EC2.ModifyNetworkInterfaceAttribute');
      const reads = log.filter((c) => c.operation === 'EC2.DescribeSecurityGroups');
      expect(reads.map((c) => [c.startedAt > lastMove, c.input.Filters])).toEqual([
        [false, [{ Name: `tag:${TAG.role}`, Values: ['isolation', 'untrack'] }]],
        [true, [{ Name: 'group-id', Values: ['sg-iso'] }]],
      ]);
    },
  );

  it('reads the isolation back in one round after the last move, and returns every check passed', () => {
    const lastMove = endOf(log, 'EC2.ModifyNetworkInterfaceAttribute');
    const after = log.filter((c) => c.startedAt > lastMove);
    expect(after.map((c) => c.operation).sort()).toEqual([
      'EC2.DescribeIamInstanceProfileAssociations',
      'EC2.DescribeNetworkInterfaces',
      'EC2.DescribeSecurityGroups',
    ]);
    // One round: every read starts before any of them ends.
    expect(Math.max(...after.map((c) => c.startedAt))).toBeLessThan(Math.min(...after.map((c) => c.endedAt)));
    expect(verified.map((c) => [c.name, c.passed])).toEqual([
      ['network-interfaces-found', true],
      ['network-interface-lists-agree', true],
      [`eni-isolated:${ENIS[0]}`, true],
      [`eni-isolated:${ENIS[1]}`, true],
      [`isolation-group-empty:${VPC}`, true],
      ['instance-profile-removed', true],
      ['elastic-ips-disassociated', true],
    ]);
  });

  it('takes the Elastic IP from the ENI describe (no DescribeAddresses) and disassociates it by its association ID', () => {
    expect(log.filter((c) => c.operation === 'EC2.DescribeAddresses')).toEqual([]);
    expect(log.filter((c) => c.operation === 'EC2.DisassociateAddress').map((c) => c.input)).toEqual([{ AssociationId: 'eipassoc-1' }]);
    expect(prior.elasticIps).toEqual([
      { allocationId: 'eipalloc-1', publicIp: '198.51.100.7', networkInterfaceId: ENIS[1], privateIpAddress: '10.0.0.12' },
    ]);
  });

  it('describes the ENIs once before any change when the finding names only attached ENIs', () => {
    const lastMove = endOf(log, 'EC2.ModifyNetworkInterfaceAttribute');
    expect(log.filter((c) => c.operation === 'EC2.DescribeNetworkInterfaces' && c.startedAt < lastMove)).toHaveLength(1);
  });

  if (!groupsExist) {
    it("revokes a new isolation group's default egress rules in one call", () => {
      expect(log.filter((c) => c.operation === 'EC2.RevokeSecurityGroupEgress').map((c) => c.input)).toEqual([
        {
          GroupId: 'sg-iso',
          IpPermissions: [
            { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
            { IpProtocol: '-1', Ipv6Ranges: [{ CidrIpv6: '::/0' }] },
          ],
        },
      ]);
    });
  }
});

describe('ensureInstanceContained when the read-back does not confirm isolation', () => {
  it.each([
    ['a move onto the isolation group that EC2 answered but did not make', true, { ignoreMoveOnto: 'sg-iso' }, /eni-isolated:eni-/],
    ["a new isolation group's egress rules that stayed", false, { ignoreRevoke: true }, /isolation-group-empty:vpc-/],
    ['an Elastic IP still associated', true, { ignoreDisassociate: true }, /elastic-ips-disassociated \(198\.51\.100\.7\)/],
  ] as const)('fails with VerificationFailed on %s', async (_name, groupsExist, quirks, named) => {
    const w = world(groupsExist, quirks);
    const run = ensureInstanceContained({ instanceId: INSTANCE, caseId: 'fb-20260101-0123456789', findingEniIds: ENIS }, w.deps);
    await expect(run).rejects.toMatchObject({ name: 'VerificationFailed', message: expect.stringMatching(named) });
  });
});

describe.each([
  ['the VPC groups exist', true],
  ['the VPC has no groups', false],
])('ensureInstanceContained when another execution holds the claim and %s', (_name, groupsExist) => {
  it('reads, then stops with ContainmentNotClaimed before any call that is not a read (no DryRun, no group, no write)', async () => {
    const w = world(groupsExist);
    const run = ensureInstanceContained(
      { instanceId: INSTANCE, caseId: () => 'fb-20260101-0123456789', findingEniIds: ENIS },
      { ...w.deps, mayProceed: async () => false },
    );
    await expect(run).rejects.toBeInstanceOf(ContainmentNotClaimed);
    expect(w.log.filter((c) => c.operation.startsWith('EC2.Describe')).length).toBeGreaterThan(0);
    expect(w.log.filter((c) => c.mutating || c.input.DryRun).map((c) => c.operation)).toEqual([]);
  });

  it('changes nothing in the member account when the claim is lost in the write (recordPriorState throws)', async () => {
    const w = world(groupsExist);
    const run = ensureInstanceContained(
      { instanceId: INSTANCE, caseId: () => 'fb-20260101-0123456789', findingEniIds: ENIS },
      {
        ...w.deps,
        recordPriorState: async () => {
          throw new ContainmentNotClaimed();
        },
      },
    );
    await expect(run).rejects.toBeInstanceOf(ContainmentNotClaimed);
    // A DryRun of a move (it changes nothing) may have been made beside the write; nothing else.
    expect(w.log.filter((c) => c.mutating && !c.input.DryRun && !c.operation.startsWith('Ledger.')).map((c) => c.operation)).toEqual([]);
  });
});
