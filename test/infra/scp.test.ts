import { readFileSync } from 'node:fs';
import { runSimulation } from '@cloud-copilot/iam-simulate';

/**
 * The service control policy the docs ship (docs/scp/firebreak-reserved.json), evaluated with iam-simulate
 * under an identity policy that allows every EC2 action, as a member account's administrator would have.
 */
const SCP = JSON.parse(readFileSync('docs/scp/firebreak-reserved.json', 'utf8')) as { Statement: { Effect: string }[] };
const MEMBER = '111111111111';
const SG = `arn:aws:ec2:us-east-1:${MEMBER}:security-group/sg-0123456789abcdef0`;
const role = (name: string) => `arn:aws:iam::${MEMBER}:role/${name}`;

async function decide(
  principal: string,
  action: string,
  resource: string,
  contextVariables: Record<string, string | string[]>,
): Promise<string> {
  const result = (await runSimulation(
    {
      // iam-simulate does not derive aws:PrincipalArn from the principal: given here as AWS would set it.
      request: {
        principal,
        action,
        resource: { resource, accountId: MEMBER },
        contextVariables: { 'aws:PrincipalArn': principal, ...contextVariables },
      },
      identityPolicies: [
        { name: 'admin', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ec2:*', Resource: '*' }] } },
      ],
      serviceControlPolicies: [
        {
          orgIdentifier: 'ou-members',
          // An SCP allows nothing by itself: FullAWSAccess stays attached beside it.
          policies: [
            { name: 'FullAWSAccess', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } },
            { name: 'firebreak-reserved', policy: SCP },
          ],
        },
      ],
      resourceControlPolicies: [],
    } as never,
    {},
  )) as { overallResult?: string; errors?: unknown };
  if (!result.overallResult) throw new Error(`simulation failed: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
}

describe("the service control policy reserving Firebreak's tags and groups (docs/scp)", () => {
  it('parses, and only denies', () => {
    expect(SCP.Statement.length).toBeGreaterThan(0);
    expect(SCP.Statement.every((s) => s.Effect === 'Deny')).toBe(true);
  });

  it('denies a member principal a firebreak: tag, on an existing group or at creation, and lets other tags through', async () => {
    expect(await decide(role('Developer'), 'ec2:CreateTags', SG, { 'aws:TagKeys': ['firebreak:role'] })).not.toBe('Allowed');
    expect(
      await decide(role('Developer'), 'ec2:CreateTags', SG, {
        'aws:TagKeys': ['Name', 'firebreak:role'],
        'ec2:CreateAction': 'CreateSecurityGroup',
      }),
    ).not.toBe('Allowed');
    expect(await decide(role('Developer'), 'ec2:DeleteTags', SG, { 'aws:TagKeys': ['firebreak:role'] })).not.toBe('Allowed');
    expect(await decide(role('Developer'), 'ec2:CreateTags', SG, { 'aws:TagKeys': ['Owner'] })).toBe('Allowed');
  });

  it('denies a member principal changes to a Firebreak group, and leaves its other groups alone', async () => {
    const firebreakGroup = { 'aws:ResourceTag/firebreak:role': 'isolation' };
    expect(await decide(role('Developer'), 'ec2:AuthorizeSecurityGroupEgress', SG, firebreakGroup)).not.toBe('Allowed');
    expect(await decide(role('Developer'), 'ec2:DeleteSecurityGroup', SG, firebreakGroup)).not.toBe('Allowed');
    expect(await decide(role('Developer'), 'ec2:AuthorizeSecurityGroupEgress', SG, {})).toBe('Allowed');
  });

  it.each(['FirebreakResponder', 'FirebreakReleaser'])("allows Firebreak's role %s", async (name) => {
    expect(
      await decide(role(name), 'ec2:CreateTags', SG, {
        'aws:TagKeys': ['Name', 'firebreak:role'],
        'ec2:CreateAction': 'CreateSecurityGroup',
      }),
    ).toBe('Allowed');
    expect(await decide(role(name), 'ec2:RevokeSecurityGroupEgress', SG, { 'aws:ResourceTag/firebreak:role': 'isolation' })).toBe(
      'Allowed',
    );
  });
});
