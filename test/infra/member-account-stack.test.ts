import { runSimulation } from '@cloud-copilot/iam-simulate';
import { Template } from 'aws-cdk-lib/assertions';
import { MEMBER_ACTING_STEPS, STEP_NAMES, stepRoleName } from '../../lib/infra/steps';
import { buildTestApp, flat, list, roleStatements, Statement, templateOf } from './support';

const MEMBER = '111111111111';
const SECURITY = '222222222222';
const TRANSIT_KEY_ARN = `arn:aws:kms:us-east-1:${MEMBER}:key/0000aaaa-0000-4000-8000-000000000001`;

/** Replaces the flattened intrinsics of the member template with one concrete member account's values. */
function concrete(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(concrete);
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if ('Fn::Join' in obj || 'Ref' in obj || 'Fn::GetAtt' in obj) return concrete(flat(obj));
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, concrete(v)]));
  }
  if (typeof value !== 'string') return value;
  return value
    .replace(/<AWS::Partition>/g, 'aws')
    .replace(/<AWS::Region>/g, 'us-east-1')
    .replace(/<AWS::AccountId>/g, MEMBER)
    .replace(/<TransitKey[A-Z0-9]+\.Arn>/g, TRANSIT_KEY_ARN);
}

describe('MemberAccountStack', () => {
  let template: Template;
  let responderId: string;
  beforeAll(() => {
    template = templateOf(buildTestApp({ securityAccountId: SECURITY }).member);
    responderId = Object.keys(template.findResources('AWS::IAM::Role', { Properties: { RoleName: 'FirebreakResponder' } }))[0];
  });

  describe('responder role trust policy', () => {
    it('trusts only the security account\'s member-acting step roles, by exact ARN', () => {
      const role = template.toJSON().Resources[responderId];
      expect(role.Properties.MaxSessionDuration).toBe(3600);
      const statements = role.Properties.AssumeRolePolicyDocument.Statement as Statement[];
      expect(statements).toHaveLength(1);
      const [trust] = statements;
      expect(trust.Effect).toBe('Allow');
      expect(trust.Action).toBe('sts:AssumeRole');
      expect(trust.Principal).toEqual({ AWS: `arn:aws:iam::${SECURITY}:root` });
      expect(Object.keys(trust.Condition!)).toEqual(['ArnEquals']);
      const arns = list(trust.Condition!.ArnEquals['aws:PrincipalArn'] as unknown[]).map(flat);
      expect(arns.sort()).toEqual(MEMBER_ACTING_STEPS.map((s) => `arn:<AWS::Partition>:iam::${SECURITY}:role/${stepRoleName(s)}`).sort());
    });

    it('leaves out every step that does not act in member accounts', () => {
      const text = JSON.stringify(template.toJSON().Resources[responderId].Properties.AssumeRolePolicyDocument);
      for (const step of STEP_NAMES.filter((s) => !MEMBER_ACTING_STEPS.includes(s))) {
        expect(text).not.toContain(`role/${stepRoleName(step)}"`);
      }
      expect(MEMBER_ACTING_STEPS).toEqual([
        'plan-containment', 'preserve-instance', 'isolate-instance', 'verify-isolation', 'snapshot-volumes',
        'check-snapshots', 'copy-snapshots', 'share-snapshots', 'collect-artifacts', 'revoke-credentials', 'verify-revocation',
      ]);
    });

    it('trusts its own account in single-account mode and uses the configured role name', () => {
      const t = templateOf(buildTestApp({ responderRoleName: 'IrResponder' }).member);
      const [role] = Object.values(t.findResources('AWS::IAM::Role', { Properties: { RoleName: 'IrResponder' } }));
      const [trust] = role.Properties.AssumeRolePolicyDocument.Statement as Statement[];
      expect(flat((trust.Principal as { AWS: unknown }).AWS)).toBe('arn:aws:iam::<AWS::AccountId>:root');
      expect(list(trust.Condition!.ArnEquals['aws:PrincipalArn'] as unknown[]).map(flat)).toContain(
        'arn:<AWS::Partition>:iam::<AWS::AccountId>:role/firebreak-isolate-instance',
      );
    });

    it('lets a trusted step role assume it and refuses another role of the security account', async () => {
      const role = template.toJSON().Resources[responderId];
      const trustPolicy = concrete(role.Properties.AssumeRolePolicyDocument) as object;
      const assume = async (principal: string) =>
        (
          await runSimulation(
            {
              request: {
                principal,
                action: 'sts:AssumeRole',
                resource: { resource: `arn:aws:iam::${MEMBER}:role/FirebreakResponder`, accountId: MEMBER },
                // iam-simulate does not derive aws:PrincipalArn from the principal yet.
                contextVariables: { 'aws:PrincipalArn': principal },
              },
              identityPolicies: [{ name: 'caller', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] } }],
              resourcePolicy: trustPolicy,
              serviceControlPolicies: [],
              resourceControlPolicies: [],
            } as never,
            {},
          )
        ) as { overallResult?: string };
      expect((await assume(`arn:aws:iam::${SECURITY}:role/firebreak-isolate-instance`)).overallResult).toBe('Allowed');
      expect((await assume(`arn:aws:iam::${SECURITY}:role/firebreak-notify`)).overallResult).not.toBe('Allowed');
      expect((await assume(`arn:aws:iam::${SECURITY}:role/Admin`)).overallResult).not.toBe('Allowed');
    });
  });

  describe('responder role permissions', () => {
    let statements: Statement[];
    beforeAll(() => {
      statements = roleStatements(template, responderId);
    });

    it('allows exactly the actions the playbook needs in member accounts', () => {
      const actions = new Set(statements.filter((s) => s.Effect === 'Allow').flatMap((s) => list(s.Action)));
      expect([...actions].sort()).toEqual(
        [
          'ec2:DescribeInstances', 'ec2:DescribeInstanceAttribute', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSecurityGroups',
          'ec2:DescribeAddresses', 'ec2:DescribeIamInstanceProfileAssociations', 'ec2:DescribeSnapshots', 'ec2:DescribeVolumes',
          'ec2:GetConsoleOutput', 'ec2:ModifyInstanceAttribute', 'ec2:ModifyNetworkInterfaceAttribute', 'ec2:CreateSecurityGroup',
          'ec2:AuthorizeSecurityGroupIngress', 'ec2:AuthorizeSecurityGroupEgress', 'ec2:RevokeSecurityGroupEgress',
          'ec2:RevokeSecurityGroupIngress', 'ec2:DisassociateAddress', 'ec2:DisassociateIamInstanceProfile', 'ec2:CreateTags',
          'ec2:CreateSnapshots', 'ec2:CopySnapshot', 'ec2:ModifySnapshotAttribute', 'autoscaling:DescribeAutoScalingInstances',
          'autoscaling:DetachInstances', 'elasticloadbalancing:DescribeTargetGroups', 'elasticloadbalancing:DescribeTargetHealth',
          'elasticloadbalancing:DeregisterTargets', 'kms:CreateGrant', 'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt',
          'kms:GenerateDataKeyWithoutPlaintext', 'kms:ReEncryptFrom', 'kms:ReEncryptTo',
          // credential-compromise
          'iam:ListAccessKeys', 'iam:UpdateAccessKey', 'iam:GetUser', 'iam:GetUserPolicy', 'iam:PutUserPolicy',
          'iam:ListUserPolicies', 'iam:ListAttachedUserPolicies', 'iam:GetLoginProfile', 'iam:DeleteLoginProfile',
          'iam:GetRole', 'iam:GetRolePolicy', 'iam:PutRolePolicy', 'iam:ListRolePolicies', 'iam:ListAttachedRolePolicies',
        ].sort(),
      );
    });

    it('scopes every IAM action to the users or the roles of this account', () => {
      for (const s of statements.filter((st) => st.Effect === 'Allow' && list(st.Action).some((a) => a.startsWith('iam:')))) {
        const actions = list(s.Action);
        const resources = list(s.Resource).map(flat);
        expect(actions.every((a) => a.startsWith('iam:'))).toBe(true);
        const kind = actions.every((a) => /User|AccessKey|LoginProfile/.test(a)) ? 'user' : 'role';
        expect([actions, resources]).toEqual([actions, [`arn:<AWS::Partition>:iam::<AWS::AccountId>:${kind}/*`]]);
      }
    });

    it('explicitly denies IAM writes on service-linked roles, itself and Firebreak\'s own roles', () => {
      const denies = statements.filter((st) => st.Effect === 'Deny');
      expect(denies).toHaveLength(1);
      expect(list(denies[0].Action).sort()).toEqual(['iam:Delete*', 'iam:Put*', 'iam:Update*']);
      expect(list(denies[0].Resource).map(flat).sort()).toEqual(
        ['aws-service-role/*', 'FirebreakResponder', 'firebreak-*', 'FirebreakReleaser*', 'FirebreakSecurity-*', 'FirebreakMember-*'].map((r) => `arn:<AWS::Partition>:iam::<AWS::AccountId>:role/${r}`).sort(),
      );
      expect(denies[0].Condition).toBeUndefined();
    });

    it('scopes Resource "*" to read-only Describe actions', () => {
      for (const s of statements.filter((st) => list(st.Resource).includes('*'))) {
        for (const action of list(s.Action)) expect(action).toMatch(/:Describe/);
      }
    });

    describe('policy semantics (iam-simulate)', () => {
      const policy = () => ({ name: 'responder', policy: concrete({ Version: '2012-10-17', Statement: statements }) });
      const decide = async (action: string, resource: string, contextVariables: Record<string, string | string[]> = {}) => {
        // KMS authorizes against the key policy too (here the root-delegation default plus the copy grants).
        const keyPolicy = action.startsWith('kms:')
          ? concrete(Object.values(template.findResources('AWS::KMS::Key'))[0].Properties.KeyPolicy)
          : undefined;
        const result = (await runSimulation(
          {
            request: { principal: `arn:aws:iam::${MEMBER}:role/FirebreakResponder`, action, resource: { resource, accountId: MEMBER }, contextVariables },
            identityPolicies: [policy()],
            resourcePolicy: keyPolicy,
            serviceControlPolicies: [],
            resourceControlPolicies: [],
          } as never,
          {},
        )) as { overallResult?: string; errors?: unknown };
        if (!result.overallResult) throw new Error(`simulation failed: ${JSON.stringify(result)}`);
        return result.overallResult;
      };
      const snapshot = 'arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0';
      const sg = `arn:aws:ec2:us-east-1:${MEMBER}:security-group/sg-0123456789abcdef0`;

      it('shares a transit copy only with the security account, never publicly', async () => {
        const transit = { 'aws:ResourceTag/firebreak:stage': 'transit' };
        expect(await decide('ec2:ModifySnapshotAttribute', snapshot, { ...transit, 'ec2:Add/userId': SECURITY })).toBe('Allowed');
        expect(await decide('ec2:ModifySnapshotAttribute', snapshot, { ...transit, 'ec2:Add/userId': '999999999999' })).not.toBe('Allowed');
        expect(await decide('ec2:ModifySnapshotAttribute', snapshot, { ...transit, 'ec2:Add/userId': SECURITY, 'ec2:Add/group': 'all' })).not.toBe('Allowed');
        expect(await decide('ec2:ModifySnapshotAttribute', snapshot, { 'aws:ResourceTag/firebreak:stage': 'source', 'ec2:Add/userId': SECURITY })).not.toBe('Allowed');
      });

      it('creates and changes only security groups tagged as Firebreak\'s', async () => {
        expect(await decide('ec2:CreateSecurityGroup', sg, { 'aws:RequestTag/firebreak:role': 'isolation' })).toBe('Allowed');
        expect(await decide('ec2:CreateSecurityGroup', sg, {})).not.toBe('Allowed');
        expect(await decide('ec2:RevokeSecurityGroupEgress', sg, { 'aws:ResourceTag/firebreak:role': 'isolation' })).toBe('Allowed');
        expect(await decide('ec2:AuthorizeSecurityGroupIngress', sg, {})).not.toBe('Allowed');
        expect(await decide('ec2:ModifyNetworkInterfaceAttribute', sg, { 'aws:ResourceTag/firebreak:role': 'untrack' })).toBe('Allowed');
        expect(await decide('ec2:ModifyNetworkInterfaceAttribute', sg, { 'aws:ResourceTag/firebreak:role': 'web' })).not.toBe('Allowed');
      });

      it('writes only firebreak:* tags on existing resources', async () => {
        const instance = `arn:aws:ec2:us-east-1:${MEMBER}:instance/i-0123456789abcdef0`;
        expect(await decide('ec2:CreateTags', instance, { 'aws:TagKeys': ['firebreak:case-id', 'firebreak:status'] })).toBe('Allowed');
        expect(await decide('ec2:CreateTags', instance, { 'aws:TagKeys': ['firebreak:status', 'Owner'] })).not.toBe('Allowed');
        expect(await decide('ec2:CreateTags', sg, { 'ec2:CreateAction': 'CreateSecurityGroup', 'aws:TagKeys': ['Name', 'firebreak:role'] })).toBe('Allowed');
      });

      describe('credential revocation', () => {
        const user = (name: string) => `arn:aws:iam::${MEMBER}:user/${name}`;
        const role = (name: string) => `arn:aws:iam::${MEMBER}:role/${name}`;

        it('may deactivate a user\'s key, write its inline policy and remove its console access', async () => {
          expect(await decide('iam:UpdateAccessKey', user('alice'))).toBe('Allowed');
          expect(await decide('iam:UpdateAccessKey', user('ops/alice'))).toBe('Allowed');
          expect(await decide('iam:PutUserPolicy', user('alice'))).toBe('Allowed');
          expect(await decide('iam:DeleteLoginProfile', user('alice'))).toBe('Allowed');
          expect(await decide('iam:ListAccessKeys', user('alice'))).toBe('Allowed');
        });

        it('may write an inline policy on an ordinary role', async () => {
          expect(await decide('iam:PutRolePolicy', role('web-app-role'))).toBe('Allowed');
          expect(await decide('iam:GetRolePolicy', role('web-app-role'))).toBe('Allowed');
        });

        it('may not write to service-linked roles, itself or Firebreak\'s own roles', async () => {
          for (const protectedRole of [
            'aws-service-role/x.amazonaws.com/AWSServiceRoleForX',
            'FirebreakResponder',
            'firebreak-revoke-credentials',
            'FirebreakReleaser',
          ]) {
            for (const action of ['iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:UpdateAssumeRolePolicy']) {
              expect([protectedRole, action, await decide(action, role(protectedRole))]).toEqual([protectedRole, action, 'ExplicitlyDenied']);
            }
          }
          // Reading them stays allowed (the verification reads policies back).
          expect(await decide('iam:GetRole', role('FirebreakResponder'))).toBe('Allowed');
        });

        it('may not create credentials, attach managed policies or touch another account', async () => {
          expect(await decide('iam:CreateAccessKey', user('alice'))).not.toBe('Allowed');
          expect(await decide('iam:AttachRolePolicy', role('web-app-role'))).not.toBe('Allowed');
          expect(await decide('iam:DeleteUser', user('alice'))).not.toBe('Allowed');
          expect(await decide('iam:PutRolePolicy', 'arn:aws:iam::999999999999:role/web-app-role')).not.toBe('Allowed');
        });
      });

      it('uses the transit key only through EC2', async () => {
        expect(await decide('kms:ReEncryptTo', TRANSIT_KEY_ARN, { 'kms:ViaService': 'ec2.us-east-1.amazonaws.com' })).toBe('Allowed');
        expect(await decide('kms:Decrypt', TRANSIT_KEY_ARN, {})).not.toBe('Allowed');
        expect(await decide('kms:CreateGrant', TRANSIT_KEY_ARN, { 'kms:GrantIsForAWSResource': 'false' })).not.toBe('Allowed');
      });
    });
  });

  describe('evidence transit key', () => {
    it('rotates, carries the transit alias and lets the security account copy shared snapshots', () => {
      const [keyId, key] = Object.entries(template.findResources('AWS::KMS::Key'))[0];
      expect(key.Properties.EnableKeyRotation).toBe(true);
      template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/firebreak-evidence-transit', TargetKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
      const statements = key.Properties.KeyPolicy.Statement as Statement[];
      const forSecurity = statements.filter((s) => flat((s.Principal as { AWS?: unknown }).AWS) === `arn:aws:iam::${SECURITY}:root`);
      const actions = forSecurity.flatMap((s) => list(s.Action)).sort();
      expect(actions).toEqual(['kms:CreateGrant', 'kms:Decrypt', 'kms:DescribeKey', 'kms:ReEncryptFrom']);
      const grant = forSecurity.find((s) => list(s.Action).includes('kms:CreateGrant'))!;
      expect(grant.Condition).toEqual({ Bool: { 'kms:GrantIsForAWSResource': 'true' } });
    });
  });
});
