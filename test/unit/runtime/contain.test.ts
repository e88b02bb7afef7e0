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

/** A world of one instance with two ENIs on its own group; `groupsExist`: Firebreak's groups of the VPC are there. */
function world(groupsExist: boolean) {
  let clock = 0;
  const log: Logged[] = [];
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
                  NetworkInterfaces: ENIS.map((NetworkInterfaceId) => ({
                    NetworkInterfaceId,
                    VpcId: VPC,
                    Groups: [{ GroupId: 'sg-own' }],
                  })),
                  BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { DeleteOnTermination: true } }],
                },
              ],
            },
          ],
        };
      case 'DescribeNetworkInterfaces':
        return {
          NetworkInterfaces: ENIS.map((NetworkInterfaceId) => ({
            NetworkInterfaceId,
            VpcId: VPC,
            Groups: [{ GroupId: 'sg-own' }],
            Attachment: { InstanceId: INSTANCE },
          })),
        };
      case 'DescribeSecurityGroups':
        return {
          SecurityGroups: groupsExist
            ? [
                {
                  GroupId: 'sg-iso',
                  VpcId: VPC,
                  Tags: [{ Key: TAG.role, Value: 'isolation' }],
                  IpPermissions: [],
                  IpPermissionsEgress: [],
                },
                {
                  GroupId: 'sg-untrack',
                  VpcId: VPC,
                  Tags: [{ Key: TAG.role, Value: 'untrack' }],
                  IpPermissions: [ALL],
                  IpPermissionsEgress: [ALL],
                },
              ]
            : [],
        };
      case 'DescribeInstanceAttribute':
        return input.Attribute === 'disableApiTermination'
          ? { DisableApiTermination: { Value: false } }
          : { InstanceInitiatedShutdownBehavior: { Value: 'terminate' } };
      case 'CreateSecurityGroup':
        return { GroupId: String(input.GroupName).includes('isolation') ? 'sg-iso' : 'sg-untrack' };
      case 'ModifyNetworkInterfaceAttribute':
        if (input.DryRun) throw Object.assign(new Error('Request would have succeeded'), { name: 'DryRunOperation', $metadata: {} });
        return {};
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
  beforeAll(async () => {
    const w = world(groupsExist);
    const result = await ensureInstanceContained({ instanceId: INSTANCE, caseId: 'fb-20260101-0123456789', findingEniIds: ENIS }, w.deps);
    expect(Object.values(result.isolate.isolationGroupByEni)).toEqual(['sg-iso', 'sg-iso']);
    log = w.log;
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

  it(groupsExist ? 'creates no group and reads none back' : 'creates the two groups and never reads them back by ID', () => {
    expect(log.filter((c) => c.operation === 'EC2.CreateSecurityGroup')).toHaveLength(groupsExist ? 0 : 2);
    expect(log.filter((c) => c.operation === 'EC2.DescribeSecurityGroups')).toHaveLength(1);
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
