import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { FirebreakError } from '../../lib/core/errors';
import { JustifiedPolicy } from '../../lib/infra/nag';
import { acknowledgementsUnder, allStatements, buildTestApp, list, templateOf } from './support';

const CONFIGS: Record<string, Record<string, unknown> | undefined> = {
  'single-account (default)': undefined,
  'multi-account with listed members': {
    securityAccountId: '222222222222',
    memberAccountIds: ['111111111111', '333333333333'],
    notificationEmail: 'soc@example.com',
    objectLockMode: 'COMPLIANCE',
  },
  'multi-account, any member, GOVERNANCE evidence lock': { securityAccountId: '222222222222', objectLockMode: 'GOVERNANCE' },
};

/** Reasons that say nothing about the resource: acknowledging with them is silencing. */
const GENERIC =
  /^(ok|okay|fine|n\/?a|none|todo|tbd|test|suppress(ed)?|acknowledged?|accepted|false positive|not (needed|required|applicable)|by design|intentional|wildcard (is )?(needed|required))\.?$/i;

describe.each(Object.entries(CONFIGS))('cdk-nag AwsSolutions, %s', (_name, firebreak) => {
  const built = buildTestApp(firebreak);

  it.each([
    ['FirebreakSecurity', built.security],
    ['FirebreakMember', built.member],
  ])('reports no unacknowledged finding on %s', (_stackName, stack) => {
    const violations = new AwsSolutionsChecks(undefined).validateScope(stack).violations;
    expect(violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });

  it('acknowledges each finding by its exact ID, on a resource, with a specific reason', () => {
    const acks = [built.security, built.member].flatMap((s) => acknowledgementsUnder(s));
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      const where = `${ack.id} at ${ack.path}`;
      expect([where, ack.id]).toEqual([where, expect.stringMatching(/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/)]);
      if (ack.id.startsWith('AwsSolutions-IAM5'))
        expect([where, ack.id]).toEqual([where, expect.stringMatching(/\[(Action|Resource)::.+\]$/)]);
      expect([where, GENERIC.test(ack.reason.trim())]).toEqual([where, false]);
      expect([where, ack.reason.trim().length >= 60]).toEqual([where, true]);
      // Never a stack-wide or app-wide acknowledgement.
      expect([where, [built.security.node.path, built.member.node.path, ''].includes(ack.path)]).toEqual([where, false]);
    }
  });

  it('allows no IAM statement with Action "*" in either template', () => {
    for (const stack of [built.security, built.member]) {
      for (const { logicalId, statement } of allStatements(templateOf(stack))) {
        if (statement.Effect !== 'Allow') continue;
        expect([stack.stackName, logicalId, list(statement.Action).includes('*')]).toEqual([stack.stackName, logicalId, false]);
        expect([stack.stackName, logicalId, statement.NotAction]).toEqual([stack.stackName, logicalId, undefined]);
      }
    }
  });
});

describe('AwsSolutionsChecks.validateScope', () => {
  it('reports an unacknowledged wildcard, so a clean report means something', () => {
    const stack = new Stack();
    const role = new iam.Role(stack, 'R', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['ec2:DescribeInstances'], resources: ['*'] }));
    const ids = new AwsSolutionsChecks(undefined).validateScope(stack).violations.map((v) => v.ruleName);
    expect(ids).toContain('AwsSolutions-IAM5[Resource::*]');
  });
});

describe('JustifiedPolicy', () => {
  it('fails closed when a wildcard statement has no justification', () => {
    const stack = new Stack();
    expect(
      () =>
        new JustifiedPolicy(stack, 'P', {
          statements: [{ statement: new iam.PolicyStatement({ actions: ['ec2:DescribeInstances'], resources: ['*'] }) }],
        }),
    ).toThrow(FirebreakError);
  });

  it("acknowledges each wildcard finding of its statements, on itself, with the statement's reason", () => {
    const stack = new Stack();
    const policy = new JustifiedPolicy(stack, 'P', {
      statements: [
        {
          statement: new iam.PolicyStatement({ actions: ['ec2:DescribeInstances'], resources: ['*'] }),
          reason: 'DescribeInstances supports no resource-level permissions.',
        },
        {
          statement: new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::bucket/cases/*'] }),
          reason: 'Case object keys are only known at run time.',
        },
        { statement: new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: ['arn:aws:s3:::bucket'] }) },
      ],
    });
    expect(Object.fromEntries(policy.acknowledgements)).toEqual({
      'AwsSolutions-IAM5[Resource::*]': 'DescribeInstances supports no resource-level permissions.',
      'AwsSolutions-IAM5[Resource::arn:aws:s3:::bucket/cases/*]': 'Case object keys are only known at run time.',
    });
    expect(acknowledgementsUnder(stack).map((a) => a.path)).toEqual([policy.node.path, policy.node.path]);
  });
});
