import { chainLink, criticalPathUntil, sequentialCallsUntil, summarizeCalls } from '../../../lib/harness/report';
import { ApiCallRecord, isMutatingOperation } from '../../../lib/runtime/telemetry';

/** A call record; times are epoch milliseconds chosen by the test, never measured. */
function call(operation: string, startedAt: number, endedAt: number): ApiCallRecord {
  return { operation, mutating: isMutatingOperation(operation), startedAt, endedAt, context: {} };
}

const isIsolation = (c: ApiCallRecord): boolean => c.operation === 'EC2.ModifyNetworkInterfaceAttribute';

describe('sequentialCallsUntil', () => {
  it('returns undefined when no call matches', () => {
    const calls = [call('EC2.DescribeInstances', 0, 10), call('EC2.ModifyInstanceAttribute', 10, 20)];
    expect(sequentialCallsUntil(calls, isIsolation)).toBeUndefined();
  });

  it('returns undefined for no calls at all', () => {
    expect(sequentialCallsUntil([], isIsolation)).toBeUndefined();
  });

  it('counts calls made in parallel once', () => {
    const calls = [
      call('EC2.ModifyNetworkInterfaceAttribute', 0, 10),
      call('EC2.ModifyNetworkInterfaceAttribute', 0, 12),
      call('EC2.ModifyNetworkInterfaceAttribute', 1, 9),
    ];
    expect(sequentialCallsUntil(calls, isIsolation)).toBe(1);
  });

  it('counts each call of a chain where every call starts after the previous one ended', () => {
    const calls = [
      call('STS.AssumeRole', 0, 10),
      call('EC2.DescribeInstances', 10, 20),
      call('EC2.CreateSecurityGroup', 21, 30),
      call('EC2.ModifyNetworkInterfaceAttribute', 30, 40),
    ];
    expect(sequentialCallsUntil(calls, isIsolation)).toBe(4);
  });

  it('counts the longest chain when parallel branches lead to the matching call', () => {
    const calls = [
      call('STS.AssumeRole', 0, 10),
      // two parallel branches after AssumeRole: one of one call, one of two calls
      call('EC2.DescribeInstances', 10, 30),
      call('EC2.DescribeSecurityGroups', 10, 15),
      call('EC2.CreateSecurityGroup', 15, 25),
      // starts after both branches ended
      call('EC2.ModifyNetworkInterfaceAttribute', 30, 40),
    ];
    expect(sequentialCallsUntil(calls, isIsolation)).toBe(4);
  });

  it('does not chain a call to one that overlaps it', () => {
    const calls = [call('EC2.DescribeInstances', 0, 10), call('EC2.ModifyNetworkInterfaceAttribute', 5, 15)];
    expect(sequentialCallsUntil(calls, isIsolation)).toBe(1);
  });

  it('ends the chain at the last matching call and ignores calls after it', () => {
    const calls = [
      call('EC2.ModifyNetworkInterfaceAttribute', 0, 10),
      call('EC2.DescribeNetworkInterfaces', 10, 20),
      call('EC2.ModifyNetworkInterfaceAttribute', 20, 30),
      call('EC2.CreateSnapshots', 30, 40),
      call('EC2.CopySnapshot', 40, 50),
    ];
    expect(sequentialCallsUntil(calls, isIsolation)).toBe(3);
  });

  it('does not depend on the order the calls are given in', () => {
    const calls = [
      call('EC2.ModifyNetworkInterfaceAttribute', 30, 40),
      call('EC2.DescribeInstances', 10, 20),
      call('STS.AssumeRole', 0, 10),
    ];
    expect(sequentialCallsUntil(calls, isIsolation)).toBe(3);
    expect(sequentialCallsUntil([...calls].reverse(), isIsolation)).toBe(3);
  });
});

describe('summarizeCalls', () => {
  it('counts the total, the mutating calls, and the calls per operation', () => {
    const calls = [
      call('EC2.DescribeInstances', 0, 1),
      call('EC2.ModifyNetworkInterfaceAttribute', 1, 2),
      call('EC2.ModifyNetworkInterfaceAttribute', 2, 3),
      call('STS.AssumeRole', 3, 4),
      call('DynamoDB.TransactWriteItems', 4, 5),
    ];
    expect(summarizeCalls(calls)).toEqual({
      total: 5,
      mutating: 3,
      byOperation: {
        'DynamoDB.TransactWriteItems': 1,
        'EC2.DescribeInstances': 1,
        'EC2.ModifyNetworkInterfaceAttribute': 2,
        'STS.AssumeRole': 1,
      },
    });
  });

  it("counts mutating calls by the records' own flag", () => {
    const calls: ApiCallRecord[] = [
      { operation: 'Custom.Thing', mutating: true, startedAt: 0, endedAt: 1, context: {} },
      { operation: 'Custom.Thing', mutating: false, startedAt: 1, endedAt: 2, context: {} },
    ];
    expect(summarizeCalls(calls)).toEqual({ total: 2, mutating: 1, byOperation: { 'Custom.Thing': 2 } });
  });

  it('lists operations in sorted order', () => {
    const calls = [call('S3.PutObject', 0, 1), call('EC2.DescribeInstances', 1, 2), call('DynamoDB.GetItem', 2, 3)];
    expect(Object.keys(summarizeCalls(calls).byOperation)).toEqual(['DynamoDB.GetItem', 'EC2.DescribeInstances', 'S3.PutObject']);
  });

  it('summarizes no calls as zeros', () => {
    expect(summarizeCalls([])).toEqual({ total: 0, mutating: 0, byOperation: {} });
  });
});

describe('isMutatingOperation', () => {
  it.each([
    'EC2.DescribeInstances',
    'EC2.DescribeNetworkInterfaces',
    'EC2.GetConsoleOutput',
    'S3.GetObject',
    'IAM.ListAttachedRolePolicies',
    'S3.HeadObject',
    'DynamoDB.Query',
    'DynamoDB.Scan',
    'DynamoDB.GetItem',
    'STS.AssumeRole',
    'STS.GetCallerIdentity',
  ])('treats %s as read-only', (operation) => {
    expect(isMutatingOperation(operation)).toBe(false);
  });

  it.each([
    'EC2.CreateSnapshots',
    'EC2.CreateSecurityGroup',
    'EC2.ModifyNetworkInterfaceAttribute',
    'EC2.ModifyInstanceAttribute',
    'EC2.DisassociateIamInstanceProfile',
    'EC2.RevokeSecurityGroupEgress',
    'S3.PutObject',
    'DynamoDB.PutItem',
    'DynamoDB.UpdateItem',
    'DynamoDB.TransactWriteItems',
    'IAM.UpdateAccessKey',
    'SNS.Publish',
    'AutoScaling.DetachInstances',
  ])('treats %s as mutating', (operation) => {
    expect(isMutatingOperation(operation)).toBe(true);
  });

  it('matches the read-only prefixes on the operation, not on the service name', () => {
    // A service whose name starts like a read-only verb does not make its writes read-only.
    expect(isMutatingOperation('GetThing.PutItem')).toBe(true);
    expect(isMutatingOperation('ListService.CreateList')).toBe(true);
  });
});

describe('criticalPathUntil', () => {
  it('names the calls of the longest chain, in order, leaving out calls made beside it (a tie goes to the call that ended last)', () => {
    const calls = [
      call('EC2.DescribeInstances', 0, 10),
      call('EC2.DescribeAddresses', 0, 8),
      { ...call('DynamoDB.UpdateItem', 11, 20), context: { step: 'Contain' } },
      call('EC2.ModifyInstanceAttribute', 21, 28),
      call('EC2.ModifyNetworkInterfaceAttribute', 21, 30),
      call('EC2.ModifyNetworkInterfaceAttribute', 31, 40),
    ];
    const chain = criticalPathUntil(calls, isIsolation)!;
    expect(chain.map(chainLink)).toEqual([
      'EC2.DescribeInstances',
      'Contain:DynamoDB.UpdateItem',
      'EC2.ModifyNetworkInterfaceAttribute',
      'EC2.ModifyNetworkInterfaceAttribute',
    ]);
    expect(chain).toHaveLength(sequentialCallsUntil(calls, isIsolation)!);
  });

  it("never links calls on different network interfaces: one ENI's move beginning after another's ended is not a dependency", () => {
    const eni = (id: string, start: number, end: number) => ({
      ...call('EC2.ModifyNetworkInterfaceAttribute', start, end),
      networkInterfaceId: id,
    });
    // eni-1's untrack and isolation moves, then eni-2's (its DryRun answered late), each after the shared write.
    const calls = [
      call('DynamoDB.UpdateItem', 0, 10),
      eni('eni-2', 1, 20),
      eni('eni-1', 11, 15),
      eni('eni-1', 16, 19),
      eni('eni-2', 21, 25),
      eni('eni-2', 26, 30),
    ];
    const chain = criticalPathUntil(calls, isIsolation)!;
    expect(chain.map((c) => c.networkInterfaceId ?? c.operation)).toEqual(['eni-2', 'eni-2', 'eni-2']);
    // Without the network interfaces, timing alone links eni-1's moves to eni-2's: a chain of 5.
    const anonymous = calls.map(({ networkInterfaceId: _, ...c }) => c as typeof c & { networkInterfaceId?: string });
    expect(sequentialCallsUntil(anonymous, isIsolation)).toBe(5);
  });

  it('returns undefined when no call matches', () => {
    expect(criticalPathUntil([call('EC2.DescribeInstances', 0, 10)], isIsolation)).toBeUndefined();
  });
});
