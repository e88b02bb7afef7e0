import { runSimulation } from '@cloud-copilot/iam-simulate';
import { GAMEDAY_GUARD_ACTIONS } from '../../lib/runtime/playbook/shared/guard-gameday';
import { sessionPolicyFor } from '../../lib/runtime/clients';
import { BASELINE_READ_ACTIONS } from '../../lib/runtime/playbook/cloudtrail-tamper/record-trail-baselines';

/**
 * GameDayGuard assumes the responder role with a session policy ({@link sessionPolicyFor}): the session may do
 * what both the role and the session policy allow ("Session policies", IAM User Guide). Evaluated with
 * iam-simulate under an identity policy that allows every EC2 and IAM action (more than the responder role has).
 */
const MEMBER = '111111111111';
const SESSION = `arn:aws:sts::${MEMBER}:assumed-role/FirebreakResponder/firebreak-responder`;

async function decide(action: string, resource: string, sessionActions: readonly string[] = GAMEDAY_GUARD_ACTIONS): Promise<string> {
  const result = (await runSimulation(
    {
      request: { principal: SESSION, action, resource: { resource, accountId: MEMBER }, contextVariables: {} },
      identityPolicies: [
        {
          name: 'responder',
          policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ec2:*', 'iam:*', 'cloudtrail:*'], Resource: '*' }] },
        },
      ],
      sessionPolicy: JSON.parse(sessionPolicyFor(sessionActions)) as unknown,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    } as never,
    {},
  )) as { overallResult?: string; errors?: unknown };
  if (!result.overallResult) throw new Error(`simulation failed: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
}

describe("the game-day guard's session policy", () => {
  const instance = `arn:aws:ec2:us-east-1:${MEMBER}:instance/i-0123456789abcdef0`;
  const user = `arn:aws:iam::${MEMBER}:user/ci-deployer`;

  it("allows reading the target's tags", async () => {
    expect(await decide('ec2:DescribeInstances', '*')).toBe('Allowed');
    expect(await decide('iam:ListUserTags', user)).toBe('Allowed');
    expect(await decide('iam:ListRoleTags', `arn:aws:iam::${MEMBER}:role/app`)).toBe('Allowed');
  });

  it.each([
    ['ec2:ModifyNetworkInterfaceAttribute', `arn:aws:ec2:us-east-1:${MEMBER}:network-interface/eni-0123456789abcdef0`],
    ['ec2:CreateTags', instance],
    ['ec2:ModifyInstanceAttribute', instance],
    ['ec2:CreateSnapshots', instance],
    ['iam:AttachUserPolicy', user],
    ['iam:UpdateAccessKey', user],
  ])('denies %s, which the role itself allows', async (action, resource) => {
    expect(await decide(action, resource)).not.toBe('Allowed');
  });
});

describe("the trail baselines' session policy (record-trail-baselines)", () => {
  const trail = `arn:aws:cloudtrail:us-east-1:${MEMBER}:trail/management-events`;

  it('allows listing and reading the trails', async () => {
    // DescribeTrails has no resource type (Resource "*"); the reads name the trail.
    expect(await decide('cloudtrail:DescribeTrails', '*', BASELINE_READ_ACTIONS)).toBe('Allowed');
    for (const action of ['cloudtrail:GetTrail', 'cloudtrail:GetEventSelectors'])
      expect(await decide(action, trail, BASELINE_READ_ACTIONS)).toBe('Allowed');
  });

  it.each([
    ['cloudtrail:StartLogging', trail],
    ['cloudtrail:StopLogging', trail],
    ['cloudtrail:PutEventSelectors', trail],
    ['cloudtrail:UpdateTrail', trail],
    ['iam:PutRolePolicy', `arn:aws:iam::${MEMBER}:role/app`],
    ['ec2:ModifyNetworkInterfaceAttribute', `arn:aws:ec2:us-east-1:${MEMBER}:network-interface/eni-0123456789abcdef0`],
  ])('denies %s, which the role itself allows', async (action, resource) => {
    expect(await decide(action, resource, BASELINE_READ_ACTIONS)).not.toBe('Allowed');
  });
});
