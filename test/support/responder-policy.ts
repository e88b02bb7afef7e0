import { runSimulation } from '@cloud-copilot/iam-simulate';
import { DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { faultError } from '../../lib/harness/gameday/faults';
import { registerSdkInterceptor } from '../../lib/runtime/sdk-hooks';
import { buildTestApp, flat, roleStatements, templateOf } from '../infra/support';

/**
 * The responder role's identity policy as the member stack synthesizes it, with the intrinsics
 * replaced by one concrete account and region: what iam-simulate evaluates.
 */
export function responderPolicy(account: string, region: string, securityAccount: string): object {
  const template = templateOf(buildTestApp({ securityAccountId: securityAccount }).member);
  const responderId = Object.keys(template.findResources('AWS::IAM::Role', { Properties: { RoleName: 'FirebreakResponder' } }))[0];
  return concreteIntrinsics({ Version: '2012-10-17', Statement: roleStatements(template, responderId) }, account, region) as object;
}

/**
 * A template value with its intrinsics flattened (`flat`) and the pseudo parameters replaced by one concrete partition
 * (`aws`), account and region: plain policy JSON, as iam-simulate reads it.
 */
export function concreteIntrinsics(value: unknown, account: string, region: string): unknown {
  const concrete = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(concrete);
    if (v && typeof v === 'object') {
      const obj = v as Record<string, unknown>;
      if ('Fn::Join' in obj || 'Ref' in obj || 'Fn::GetAtt' in obj) return concrete(flat(obj));
      return Object.fromEntries(Object.entries(obj).map(([k, x]) => [k, concrete(x)]));
    }
    if (typeof v !== 'string') return v;
    return v
      .replace(/<AWS::Partition>/g, 'aws')
      .replace(/<AWS::Region>/g, region)
      .replace(/<AWS::AccountId>/g, account);
  };
  return concrete(value);
}

/**
 * Enforces the responder's real policy, with iam-simulate, on the security-group calls whose permission
 * depends on tags (the emulator enforces no IAM): `ModifyNetworkInterfaceAttribute` on each group it
 * names, `Authorize/RevokeSecurityGroup*` on the group, `CreateSecurityGroup` on its request tags. A call
 * the policy does not allow fails as AWS would (`UnauthorizedOperation`), before it is sent. Tags are read
 * with the harness client, which no interceptor touches.
 * @returns a function that removes the interceptor.
 */
export function enforceResponderPolicy(harnessEc2: EC2Client, policy: object, account: string, region: string): () => void {
  const sgArn = (id: string) => `arn:aws:ec2:${region}:${account}:security-group/${id}`;
  const roleTag = async (groupId: string) => {
    const g = (await harnessEc2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] })))
      .SecurityGroups?.[0];
    return g?.Tags?.find((t) => t.Key === 'firebreak:role')?.Value;
  };
  const allowed = async (action: string, resource: string, contextVariables: Record<string, string | string[]>) => {
    const result = (await runSimulation(
      {
        request: {
          principal: `arn:aws:iam::${account}:role/FirebreakResponder`,
          action,
          resource: { resource, accountId: account },
          contextVariables,
        },
        identityPolicies: [{ name: 'responder', policy }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
      } as never,
      {},
    )) as { overallResult?: string; errors?: unknown };
    if (!result.overallResult) throw new Error(`simulation failed: ${JSON.stringify(result.errors)}`);
    return result.overallResult === 'Allowed';
  };
  const tagContext = (tag: string | undefined): Record<string, string> => (tag ? { 'aws:ResourceTag/firebreak:role': tag } : {});
  return registerSdkInterceptor({
    before: async (call) => {
      const input = call.input as {
        Groups?: string[];
        GroupId?: string;
        TagSpecifications?: { Tags?: { Key?: string; Value?: string }[] }[];
      };
      let ok = true;
      if (call.operation === 'EC2.ModifyNetworkInterfaceAttribute') {
        for (const g of input.Groups ?? [])
          ok &&= await allowed('ec2:ModifyNetworkInterfaceAttribute', sgArn(g), tagContext(await roleTag(g)));
      } else if (/^EC2\.(Authorize|Revoke)SecurityGroup(Ingress|Egress)$/.test(call.operation)) {
        ok = await allowed(`ec2:${call.operation.slice(4)}`, sgArn(input.GroupId!), tagContext(await roleTag(input.GroupId!)));
      } else if (call.operation === 'EC2.CreateSecurityGroup') {
        const tags = (input.TagSpecifications ?? []).flatMap((t) => t.Tags ?? []);
        const role = tags.find((t) => t.Key === 'firebreak:role')?.Value;
        ok = await allowed('ec2:CreateSecurityGroup', sgArn('*'), {
          ...(role ? { 'aws:RequestTag/firebreak:role': role } : {}),
          'aws:TagKeys': tags.map((t) => t.Key!),
        });
      }
      if (!ok) throw faultError('deny', call.operation);
    },
  });
}
