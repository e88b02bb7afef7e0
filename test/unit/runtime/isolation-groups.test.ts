/**
 * ensureIsolationGroups' two give-ups are transient errors, so the state machine retries the step (LAMBDA_TASK_RETRY):
 * CreateSecurityGroup answering without a group ID, and three names taken by concurrent creators. Faults are
 * injected with a stand-in EC2 client (the emulator cannot be made to answer either way); what is asserted is the
 * error's name (the Step Functions contract) and that no rule or ENI was changed.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { ensureIsolationGroups } from '../../../lib/runtime/ec2/isolation-groups';
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
