import { runSimulation, type EvaluationResult } from '@cloud-copilot/iam-simulate';

import { InvalidInput } from '../../../lib/core/errors';
import {
  instanceArnOf,
  instanceCredentialsDenyPolicy,
  instanceCredentialsPolicyName,
  roleProtectionReason,
} from '../../../lib/runtime/iam/instance-credentials';
import { policyText } from '../../../lib/runtime/iam/policies';

/*
 * The deny on an instance role scoped to one instance (issue 15, item 1), evaluated by @cloud-copilot/iam-simulate
 * (test-only) exactly as Firebreak writes it (policyText, parsed back, as IAM stores it), next to an allow-all identity
 * policy so that the Firebreak deny is what decides; every denial is paired with an allowed request that differs only
 * in `ec2:SourceInstanceARN`.
 */

const ACCOUNT = '111111111111';
const REGION = 'us-east-1';
const CONTAINED = 'i-0a1b2c3d4e5f60718';
const OTHER = 'i-0f1e2d3c4b5a69788';
const arn = (id: string) => `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${id}`;
const session = (name: string) => `arn:aws:sts::${ACCOUNT}:assumed-role/web-app-role/${name}`;
const OBJECT_ARN = 'arn:aws:s3:::example-data-bucket/exports/customers.csv';
const ALLOW_ALL = { Version: '2012-10-17', Statement: [{ Sid: 'AllowAll', Effect: 'Allow', Action: '*', Resource: '*' }] };

/** One request through iam-simulate: the allow-all policy and, unless released, Firebreak's deny of the contained instance. */
async function decide(req: { principal: string; action: string; resource: string; context: Record<string, string>; released?: boolean }) {
  const identityPolicies = [{ name: 'AdministratorAccess', policy: ALLOW_ALL as unknown }];
  if (!req.released) {
    const text = policyText(instanceCredentialsDenyPolicy(arn(CONTAINED)));
    identityPolicies.push({ name: instanceCredentialsPolicyName(CONTAINED), policy: JSON.parse(text) as unknown });
  }
  const out = await runSimulation(
    {
      request: {
        principal: req.principal,
        action: req.action,
        resource: { resource: req.resource, accountId: ACCOUNT },
        contextVariables: req.context,
      },
      identityPolicies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (out.resultType === 'error') throw new Error(`iam-simulate rejected the simulation: ${JSON.stringify(out.errors)}`);
  return out.overallResult as EvaluationResult;
}

describe('FirebreakDenyInstanceCredentials-<instance> (ec2:SourceInstanceARN)', () => {
  const requests = [
    { action: 's3:GetObject', resource: OBJECT_ARN },
    { action: 'iam:CreateUser', resource: `arn:aws:iam::${ACCOUNT}:user/backdoor` },
    { action: 'ec2:DescribeInstances', resource: '*' },
  ];

  it('cannot deny sts:GetCallerIdentity, which needs no permission (GetCallerIdentity, AWS STS API Reference)', async () => {
    const r = { action: 'sts:GetCallerIdentity', resource: '*', principal: session(CONTAINED) };
    expect(await decide({ ...r, context: { 'ec2:SourceInstanceARN': arn(CONTAINED) } })).toBe('Allowed');
  });

  it.each(requests)('denies $action signed by the contained instance’s credentials, wherever they are used', async (r) => {
    // From the instance itself, and from an address outside AWS (credentials copied from its instance metadata).
    for (const sourceIp of ['10.0.1.25', '203.0.113.77'])
      expect(
        await decide({
          ...r,
          principal: session(CONTAINED),
          context: { 'ec2:SourceInstanceARN': arn(CONTAINED), 'aws:SourceIp': sourceIp },
        }),
      ).toBe('ExplicitlyDenied');
  });

  it.each(requests)('allows $action signed by another instance of the same role', async (r) => {
    expect(await decide({ ...r, principal: session(OTHER), context: { 'ec2:SourceInstanceARN': arn(OTHER) } })).toBe('Allowed');
  });

  it.each(requests)('allows $action from a session of the role without the key (a person who assumed the role)', async (r) => {
    expect(await decide({ ...r, principal: session('alice'), context: { 'aws:SourceIp': '198.51.100.10' } })).toBe('Allowed');
  });

  it.each(requests)('allows $action from the contained instance once released (the statement removed)', async (r) => {
    expect(
      await decide({ ...r, principal: session(CONTAINED), context: { 'ec2:SourceInstanceARN': arn(CONTAINED) }, released: true }),
    ).toBe('Allowed');
  });

  it('names the instance in the ARN from the finding’s partition, region and account, and in the policy name', () => {
    expect(instanceArnOf({ partition: 'aws-us-gov', region: 'us-gov-west-1', account: ACCOUNT }, CONTAINED)).toBe(
      `arn:aws-us-gov:ec2:us-gov-west-1:${ACCOUNT}:instance/${CONTAINED}`,
    );
    expect(instanceCredentialsPolicyName(CONTAINED)).toBe(`FirebreakDenyInstanceCredentials-${CONTAINED}`);
    expect(instanceCredentialsPolicyName('i-0123abcd').length).toBeLessThanOrEqual(128);
    expect(instanceCredentialsPolicyName(OTHER)).not.toBe(instanceCredentialsPolicyName(CONTAINED));
  });

  it('refuses a malformed instance ID (typed error, nothing built)', () => {
    for (const bad of ['i-xyz', '', 'i-0123456789abcdef0/../x', 'vol-0123456789abcdef0'])
      expect(() => instanceCredentialsPolicyName(bad)).toThrow(InvalidInput);
  });
});

describe('roleProtectionReason', () => {
  const protection = {
    protectedRoleNames: ['FirebreakResponder', 'FirebreakReleaser'],
    roleNamePatterns: ['BreakGlass*'],
    resourceArns: [`arn:aws:iam::${ACCOUNT}:role/payments`],
  };
  it.each([
    ['FirebreakResponder', '/', undefined, /Firebreak's own/],
    ['AWSServiceRoleForSupport', '/aws-service-role/support.amazonaws.com/', undefined, /service-linked/],
    ['breakglass-admin', '/', undefined, /roleNamePatterns \(BreakGlass\*\)/],
    ['payments', '/', `arn:aws:iam::${ACCOUNT}:role/payments`, /resourceArns/],
  ])('protects %s', (name, path, roleArn, why) => {
    expect(roleProtectionReason({ name, path, arn: roleArn }, protection)).toMatch(why);
  });
  it('acts on any other role', () => {
    expect(
      roleProtectionReason({ name: 'web-app-role', path: '/', arn: `arn:aws:iam::${ACCOUNT}:role/web-app-role` }, protection),
    ).toBeUndefined();
  });
});
