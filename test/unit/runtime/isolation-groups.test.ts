/**
 * ensureIsolationGroups' two give-ups are transient errors, so the state machine retries the step (LAMBDA_TASK_RETRY):
 * CreateSecurityGroup answering without a group ID, and three names taken by concurrent creators. Faults are
 * injected with a stand-in EC2 client (the emulator cannot be made to answer either way); what is asserted is the
 * error's name (the Step Functions contract) and that no rule or ENI was changed.
 */
import { EC2Client, IpPermission } from '@aws-sdk/client-ec2';
import { ensureIsolationGroups, setNewGroupRules } from '../../../lib/runtime/ec2/isolation-groups';
import { TransientAwsError } from '../../../lib/core/errors';

function faultyEc2(create: () => unknown): { ec2: EC2Client; calls: string[] } {
  const calls: string[] = [];
  const send = async (command: { constructor: { name: string } }) => {
    const op = command.constructor.name.replace(/Command$/, '');
    calls.push(op);
    if (op === 'DescribeSecurityGroups') return { SecurityGroups: [] };
    if (op === 'CreateSecurityGroup') return create();
    throw new Error(`unexpected ${op}`);
  };
  return { ec2: { send } as unknown as EC2Client, calls };
}

const duplicate = () => {
  throw Object.assign(new Error('The security group already exists'), {
    name: 'InvalidGroup.Duplicate',
    $metadata: { httpStatusCode: 400 },
  });
};

describe('ensureIsolationGroups gives up with a retryable error, having changed nothing', () => {
  it.each([
    ['CreateSecurityGroup returns no group ID', () => ({})],
    ['every name is taken by a concurrent creator', duplicate],
  ])('%s', async (_case, create) => {
    const { ec2, calls } = faultyEc2(create);
    const err = await ensureIsolationGroups({ vpcId: 'vpc-0123456789abcdef0', caseId: 'fb-20260101-0123456789', mode: 'apply' }, ec2).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TransientAwsError);
    expect((err as Error).name).toBe('TransientAwsError');
    expect(calls.filter((c) => !['DescribeSecurityGroups', 'CreateSecurityGroup'].includes(c))).toEqual([]);
  });
});

describe("setNewGroupRules on a new isolation group (no describe: a new group's rules are known)", () => {
  /** A new group's egress rules as EC2 keeps them; a Revoke naming a rule that is not there is refused whole (a non-default VPC). */
  function newGroup(egress: string[]): { ec2: EC2Client; calls: { op: string; ranges: string[] }[]; egress: () => string[] } {
    let rules = [...egress];
    const calls: { op: string; ranges: string[] }[] = [];
    const send = async (command: { constructor: { name: string }; input: { IpPermissions?: IpPermission[] } }) => {
      const op = command.constructor.name.replace(/Command$/, '');
      const ranges = (command.input.IpPermissions ?? []).flatMap((p) => [
        ...(p.IpRanges ?? []).map((r) => r.CidrIp!),
        ...(p.Ipv6Ranges ?? []).map((r) => r.CidrIpv6!),
      ]);
      calls.push({ op, ranges });
      if (op !== 'RevokeSecurityGroupEgress') throw new Error(`unexpected ${op}`);
      if (ranges.some((r) => !rules.includes(r))) {
        throw Object.assign(new Error('The specified rule does not exist in this security group.'), {
          name: 'InvalidPermission.NotFound',
          $metadata: { httpStatusCode: 400 },
        });
      }
      rules = rules.filter((r) => !ranges.includes(r));
      return {};
    };
    return { ec2: { send } as unknown as EC2Client, calls, egress: () => rules };
  }

  it('revokes both default egress rules in one call when the group has both (a VPC with IPv6)', async () => {
    const g = newGroup(['0.0.0.0/0', '::/0']);
    await setNewGroupRules(g.ec2, 'sg-new', 'isolation', []);
    expect(g.calls).toEqual([{ op: 'RevokeSecurityGroupEgress', ranges: ['0.0.0.0/0', '::/0'] }]);
    expect(g.egress()).toEqual([]);
  });

  it('revokes the IPv4 rule alone when EC2 refuses the pair because the group has no ::/0 rule', async () => {
    const g = newGroup(['0.0.0.0/0']);
    await setNewGroupRules(g.ec2, 'sg-new', 'isolation', []);
    expect(g.calls.map((c) => c.ranges)).toEqual([['0.0.0.0/0', '::/0'], ['0.0.0.0/0']]);
    expect(g.egress()).toEqual([]);
  });
});
