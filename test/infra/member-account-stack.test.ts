import { runSimulation } from '@cloud-copilot/iam-simulate';
import { Template } from 'aws-cdk-lib/assertions';
import { CATALOG } from '../../lib/core/catalog/catalog';
import { eventPatternFor } from '../../lib/core/catalog/patterns';
import { forwardedEntries } from '../../lib/infra/member-account-stack';
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
    it("trusts only the security account's member-acting step roles, by exact ARN", () => {
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
        'guard-gameday',
        'decide-response',
        'plan-containment',
        'preserve-credential-evidence',
        'contain-instance',
        'deny-instance-credentials',
        'reseal-isolation',
        'snapshot-volumes',
        'check-snapshots',
        'copy-snapshots',
        'share-snapshots',
        'collect-artifacts',
        'revoke-credentials',
        'verify-revocation',
        'judge-trail-change',
        'restore-logging',
        'revoke-actor',
        'verify-tamper-response',
        'preserve-bucket',
        'contain-bucket',
        'verify-bucket-containment',
        'preserve-database',
        'contain-database',
        'verify-database-containment',
        'plan-function',
        'preserve-function',
        'contain-function',
        'verify-function-containment',
        'preserve-task',
        'stop-task',
        'verify-task-stopped',
        'close-orphaned-case',
        'record-trail-baselines',
      ]);
    });

    it('trusts its own account in single-account mode and uses the configured role name', () => {
      const t = templateOf(buildTestApp({ responderRoleName: 'IrResponder' }).member);
      const [role] = Object.values(t.findResources('AWS::IAM::Role', { Properties: { RoleName: 'IrResponder' } }));
      const [trust] = role.Properties.AssumeRolePolicyDocument.Statement as Statement[];
      expect(flat((trust.Principal as { AWS: unknown }).AWS)).toBe('arn:aws:iam::<AWS::AccountId>:root');
      expect(list(trust.Condition!.ArnEquals['aws:PrincipalArn'] as unknown[]).map(flat)).toContain(
        'arn:<AWS::Partition>:iam::<AWS::AccountId>:role/firebreak-contain-instance',
      );
    });

    it('lets a trusted step role assume it and refuses another role of the security account', async () => {
      const role = template.toJSON().Resources[responderId];
      const trustPolicy = concrete(role.Properties.AssumeRolePolicyDocument) as object;
      const assume = async (principal: string) =>
        (await runSimulation(
          {
            request: {
              principal,
              action: 'sts:AssumeRole',
              resource: { resource: `arn:aws:iam::${MEMBER}:role/FirebreakResponder`, accountId: MEMBER },
              // iam-simulate does not derive aws:PrincipalArn from the principal yet.
              contextVariables: { 'aws:PrincipalArn': principal },
            },
            identityPolicies: [
              {
                name: 'caller',
                policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] },
              },
            ],
            resourcePolicy: trustPolicy,
            serviceControlPolicies: [],
            resourceControlPolicies: [],
          } as never,
          {},
        )) as { overallResult?: string };
      expect((await assume(`arn:aws:iam::${SECURITY}:role/firebreak-contain-instance`)).overallResult).toBe('Allowed');
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
          'ec2:DescribeInstances',
          'ec2:DescribeInstanceAttribute',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSecurityGroups',
          'ec2:DescribeAddresses',
          'ec2:DescribeIamInstanceProfileAssociations',
          'ec2:DescribeSnapshots',
          'ec2:DescribeVolumes',
          'ec2:GetConsoleOutput',
          'ec2:ModifyInstanceAttribute',
          'ec2:ModifyNetworkInterfaceAttribute',
          'ec2:CreateSecurityGroup',
          'ec2:AuthorizeSecurityGroupIngress',
          'ec2:AuthorizeSecurityGroupEgress',
          'ec2:RevokeSecurityGroupEgress',
          'ec2:DisassociateAddress',
          'ec2:DisassociateIamInstanceProfile',
          'ec2:CreateTags',
          'ec2:CreateSnapshots',
          'ec2:CopySnapshot',
          'ec2:ModifySnapshotAttribute',
          'autoscaling:DescribeAutoScalingInstances',
          'autoscaling:DetachInstances',
          'cloudtrail:DescribeTrails',
          'elasticloadbalancing:DescribeTargetGroups',
          'elasticloadbalancing:DescribeTargetHealth',
          'elasticloadbalancing:DeregisterTargets',
          'kms:CreateGrant',
          'kms:Decrypt',
          'kms:DescribeKey',
          'kms:Encrypt',
          'kms:GenerateDataKeyWithoutPlaintext',
          'kms:ReEncryptFrom',
          'kms:ReEncryptTo',
          // lambda-compromise (the function and its versions; the role's IAM actions are credential-compromise's)
          'lambda:GetFunction',
          'lambda:GetFunctionConcurrency',
          'lambda:GetFunctionUrlConfig',
          'lambda:GetPolicy',
          'lambda:ListEventSourceMappings',
          'lambda:ListFunctions',
          'lambda:ListVersionsByFunction',
          'lambda:PublishVersion',
          'lambda:PutFunctionConcurrency',
          // rds-compromise (Firebreak's snapshots only; ModifyDBInstance sets PubliclyAccessible false only)
          'rds:CopyDBClusterSnapshot',
          'rds:CopyDBSnapshot',
          'rds:CreateDBClusterSnapshot',
          'rds:CreateDBSnapshot',
          'rds:DescribeDBClusterSnapshotAttributes',
          'rds:DescribeDBClusterSnapshots',
          'rds:DescribeDBClusters',
          'rds:DescribeDBInstances',
          'rds:DescribeDBSnapshotAttributes',
          'rds:DescribeDBSnapshots',
          'rds:ModifyDBClusterSnapshotAttribute',
          'rds:ModifyDBInstance',
          'rds:ModifyDBSnapshotAttribute',
          // s3-compromise (bucket-level only: no s3:GetObject on member data)
          's3:GetBucketAcl',
          's3:GetBucketPolicy',
          's3:GetBucketPublicAccessBlock',
          's3:GetBucketVersioning',
          's3:ListBucketVersions',
          's3:PutBucketPolicy',
          's3:PutBucketPublicAccessBlock',
          's3:PutBucketVersioning',
          // ecs-task-compromise (no RunTask, no UpdateService)
          'ecs:DescribeServices',
          'ecs:DescribeTaskDefinition',
          'ecs:DescribeTasks',
          'ecs:StopTask',
          // credential-compromise
          'iam:ListAccessKeys',
          'iam:UpdateAccessKey',
          'iam:AttachUserPolicy',
          'iam:ListUserPolicies',
          'iam:ListAttachedUserPolicies',
          'iam:GetLoginProfile',
          'iam:DeleteLoginProfile',
          'iam:ListUserTags',
          'iam:GetRole',
          'iam:GetRolePolicy',
          'iam:PutRolePolicy',
          'iam:ListRoleTags',
          // ec2-compromise: the role of the instance's profile (its deny, issue 15)
          'iam:GetInstanceProfile',
          // cloudtrail-tamper
          'cloudtrail:GetTrailStatus',
          'cloudtrail:GetTrail',
          'cloudtrail:GetEventSelectors',
          'cloudtrail:StartLogging',
          // credential-compromise and cloudtrail-tamper: the principal's records as evidence (issue 16, item 4)
          'cloudtrail:LookupEvents',
        ].sort(),
      );
    });

    it('scopes every IAM action to the users, the roles or the instance profiles of this account', () => {
      for (const s of statements.filter((st) => st.Effect === 'Allow' && list(st.Action).some((a) => a.startsWith('iam:')))) {
        const actions = list(s.Action);
        const resources = list(s.Resource).map(flat);
        expect(actions.every((a) => a.startsWith('iam:'))).toBe(true);
        const kind = actions.every((a) => /User|AccessKey|LoginProfile/.test(a))
          ? 'user'
          : actions.every((a) => a === 'iam:GetInstanceProfile')
            ? 'instance-profile'
            : 'role';
        expect([actions, resources]).toEqual([actions, [`arn:<AWS::Partition>:iam::<AWS::AccountId>:${kind}/*`]]);
      }
    });

    it("explicitly denies IAM writes on service-linked roles, itself, the releaser and Firebreak's own roles", () => {
      const denies = statements.filter((st) => st.Effect === 'Deny');
      expect(denies).toHaveLength(1);
      expect(list(denies[0].Action).sort()).toEqual(['iam:Delete*', 'iam:Put*', 'iam:Update*']);
      expect(list(denies[0].Resource).map(flat).sort()).toEqual(
        [
          'aws-service-role/*',
          'FirebreakResponder',
          'FirebreakReleaser',
          'firebreak-*',
          'FirebreakReleaser*',
          'FirebreakSecurity-*',
          'FirebreakMember-*',
        ]
          .map((r) => `arn:<AWS::Partition>:iam::<AWS::AccountId>:role/${r}`)
          .sort(),
      );
      expect(denies[0].Condition).toBeUndefined();
    });

    it('scopes the CloudTrail actions to the trails of this account (DescribeTrails, which has no resource type, on "*")', () => {
      // Compare per action (policy minimization may merge statements).
      const resourcesOf = new Map<string, string[]>();
      for (const st of statements.filter((x) => x.Effect === 'Allow')) {
        for (const action of list(st.Action).filter((a) => a.startsWith('cloudtrail:'))) {
          expect([action, st.Condition]).toEqual([action, undefined]);
          resourcesOf.set(action, [...(resourcesOf.get(action) ?? []), ...list(st.Resource).map(flat)]);
        }
      }
      const trails = ['arn:<AWS::Partition>:cloudtrail:*:<AWS::AccountId>:trail/*'];
      expect(Object.fromEntries(resourcesOf)).toEqual({
        'cloudtrail:GetTrailStatus': trails,
        'cloudtrail:DescribeTrails': ['*'],
        'cloudtrail:GetTrail': trails,
        'cloudtrail:GetEventSelectors': trails,
        'cloudtrail:StartLogging': trails,
        // PreserveCredentialEvidence (issue 16, item 4): LookupEvents has no resource type; read-only.
        'cloudtrail:LookupEvents': ['*'],
      });
    });

    it("stays well under IAM's 10,240-character limit for a role's inline policies, in the longest partition and region", () => {
      // IAM does not count white space ("IAM and AWS STS quotas", IAM User Guide); measure the policy as
      // IAM stores it, with intrinsics resolved to long values.
      const long = (v: unknown): unknown =>
        JSON.parse(
          JSON.stringify(concrete(v))
            .replace(/arn:aws:/g, 'arn:aws-us-gov:')
            .replace(/us-east-1/g, 'ap-southeast-2'),
        );
      const inline = Object.values(template.findResources('AWS::IAM::Policy'))
        .filter((p) => list(p.Properties.Roles).some((r: unknown) => (r as { Ref?: string }).Ref === responderId))
        .map((p) => JSON.stringify(long(p.Properties.PolicyDocument)).length);
      const total = inline.reduce((a, b) => a + b, 0);
      expect(total).toBeLessThan(10_240 * 0.7);
    });

    it('scopes Resource "*" to read-only Describe actions, the two Lambda listings and CloudTrail LookupEvents, which support no resource type', () => {
      // ListFunctions and ListEventSourceMappings: "Actions, resources, and condition keys for AWS Lambda" (Service
      // Authorization Reference) lists no resource type for them, so they take "*"; both only read. LookupEvents likewise
      // ("Actions, resources, and condition keys for AWS CloudTrail"): a read of the event history (issue 16, item 4).
      const lambdaListings = ['lambda:ListEventSourceMappings', 'lambda:ListFunctions', 'cloudtrail:LookupEvents'];
      for (const s of statements.filter((st) => list(st.Resource).includes('*'))) {
        for (const action of list(s.Action)) if (!lambdaListings.includes(action)) expect(action).toMatch(/:Describe/);
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
            request: {
              principal: `arn:aws:iam::${MEMBER}:role/FirebreakResponder`,
              action,
              resource: { resource, accountId: MEMBER },
              contextVariables,
            },
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
        expect(
          await decide('ec2:ModifySnapshotAttribute', snapshot, { ...transit, 'ec2:Add/userId': SECURITY, 'ec2:Add/group': 'all' }),
        ).not.toBe('Allowed');
        expect(
          await decide('ec2:ModifySnapshotAttribute', snapshot, {
            'aws:ResourceTag/firebreak:stage': 'source',
            'ec2:Add/userId': SECURITY,
          }),
        ).not.toBe('Allowed');
      });

      it("creates and changes only security groups tagged as Firebreak's", async () => {
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
        expect(
          await decide('ec2:CreateTags', sg, { 'ec2:CreateAction': 'CreateSecurityGroup', 'aws:TagKeys': ['Name', 'firebreak:role'] }),
        ).toBe('Allowed');
        // A group it did not create can never be made one of Firebreak's by tagging it.
        expect(await decide('ec2:CreateTags', sg, { 'aws:TagKeys': ['firebreak:role'] })).not.toBe('Allowed');
      });

      describe('credential revocation', () => {
        const user = (name: string) => `arn:aws:iam::${MEMBER}:user/${name}`;
        const role = (name: string) => `arn:aws:iam::${MEMBER}:role/${name}`;

        it("may deactivate a user's key, attach AWSDenyAll and remove its console access", async () => {
          expect(await decide('iam:UpdateAccessKey', user('alice'))).toBe('Allowed');
          expect(await decide('iam:UpdateAccessKey', user('ops/alice'))).toBe('Allowed');
          expect(await decide('iam:AttachUserPolicy', user('alice'), { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AWSDenyAll' })).toBe(
            'Allowed',
          );
          expect(await decide('iam:DeleteLoginProfile', user('alice'))).toBe('Allowed');
          expect(await decide('iam:ListAccessKeys', user('alice'))).toBe('Allowed');
        });

        it('may write an inline policy on an ordinary role', async () => {
          expect(await decide('iam:PutRolePolicy', role('web-app-role'))).toBe('Allowed');
          expect(await decide('iam:GetRolePolicy', role('web-app-role'))).toBe('Allowed');
        });

        it("may not write to service-linked roles, itself or Firebreak's own roles", async () => {
          for (const protectedRole of [
            'aws-service-role/x.amazonaws.com/AWSServiceRoleForX',
            'FirebreakResponder',
            'firebreak-revoke-credentials',
            'FirebreakReleaser',
          ]) {
            for (const action of ['iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:UpdateAssumeRolePolicy']) {
              expect([protectedRole, action, await decide(action, role(protectedRole))]).toEqual([
                protectedRole,
                action,
                'ExplicitlyDenied',
              ]);
            }
          }
          // Reading them stays allowed (the verification reads policies back).
          expect(await decide('iam:GetRole', role('FirebreakResponder'))).toBe('Allowed');
        });

        it('may attach no policy to a user but AWSDenyAll, and write no inline policy on a user', async () => {
          for (const arn of [
            'arn:aws:iam::aws:policy/AdministratorAccess',
            `arn:aws:iam::${MEMBER}:policy/AWSDenyAll`,
            'arn:aws:iam::aws:policy/job-function/AWSDenyAll',
            'arn:aws:iam::aws:policy/AWSDenyAllX',
          ]) {
            expect([arn, await decide('iam:AttachUserPolicy', user('alice'), { 'iam:PolicyARN': arn })]).toEqual([arn, 'ImplicitlyDenied']);
          }
          expect(await decide('iam:AttachUserPolicy', user('alice'))).not.toBe('Allowed');
          for (const action of [
            'iam:PutUserPolicy',
            'iam:DeleteUserPolicy',
            'iam:DetachUserPolicy',
            'iam:PutUserPermissionsBoundary',
            'iam:DeleteUserPermissionsBoundary',
          ]) {
            expect([action, await decide(action, user('alice'))]).toEqual([action, 'ImplicitlyDenied']);
          }
        });

        it('may read and contain a bucket but never read, write or delete its objects, nor delete its policy', async () => {
          const bucket = 'arn:aws:s3:::example-bucket';
          for (const action of ['s3:GetBucketPolicy', 's3:PutBucketPolicy', 's3:PutBucketPublicAccessBlock', 's3:ListBucketVersions'])
            expect([action, await decide(action, bucket)]).toEqual([action, 'Allowed']);
          for (const action of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion'])
            expect([action, await decide(action, `${bucket}/data/a.txt`)]).toEqual([action, 'ImplicitlyDenied']);
          for (const action of ['s3:DeleteBucketPolicy', 's3:DeleteBucket', 's3:PutBucketAcl'])
            expect([action, await decide(action, bucket)]).toEqual([action, 'ImplicitlyDenied']);
        });

        it('may not create credentials, attach managed policies or touch another account', async () => {
          expect(await decide('iam:CreateAccessKey', user('alice'))).not.toBe('Allowed');
          expect(await decide('iam:AttachRolePolicy', role('web-app-role'))).not.toBe('Allowed');
          expect(await decide('iam:DeleteUser', user('alice'))).not.toBe('Allowed');
          expect(await decide('iam:PutRolePolicy', 'arn:aws:iam::999999999999:role/web-app-role')).not.toBe('Allowed');
        });
      });

      describe('trail logging', () => {
        const trail = (account: string, region = 'us-east-1', name = 'org-audit') =>
          `arn:aws:cloudtrail:${region}:${account}:trail/${name}`;

        it('may restart logging and read a trail of its own account, in any region', async () => {
          expect(await decide('cloudtrail:StartLogging', trail(MEMBER))).toBe('Allowed');
          expect(await decide('cloudtrail:StartLogging', trail(MEMBER, 'eu-west-1'))).toBe('Allowed');
          for (const action of ['cloudtrail:GetTrailStatus', 'cloudtrail:GetTrail', 'cloudtrail:GetEventSelectors']) {
            expect([action, await decide(action, trail(MEMBER))]).toEqual([action, 'Allowed']);
          }
        });

        it("may not restart logging on another account's trail", async () => {
          expect(await decide('cloudtrail:StartLogging', trail('999999999999'))).not.toBe('Allowed');
          expect(await decide('cloudtrail:StartLogging', trail(SECURITY))).not.toBe('Allowed');
        });

        it('may not stop, delete or reconfigure a trail', async () => {
          for (const action of [
            'cloudtrail:StopLogging',
            'cloudtrail:DeleteTrail',
            'cloudtrail:UpdateTrail',
            'cloudtrail:PutEventSelectors',
            'cloudtrail:CreateTrail',
          ]) {
            expect([action, await decide(action, trail(MEMBER))]).toEqual([action, expect.not.stringMatching(/^Allowed$/)]);
          }
        });
      });

      it('uses the transit key only through EC2', async () => {
        expect(await decide('kms:ReEncryptTo', TRANSIT_KEY_ARN, { 'kms:ViaService': 'ec2.us-east-1.amazonaws.com' })).toBe('Allowed');
        expect(await decide('kms:Decrypt', TRANSIT_KEY_ARN, {})).not.toBe('Allowed');
        expect(await decide('kms:CreateGrant', TRANSIT_KEY_ARN, { 'kms:GrantIsForAWSResource': 'false' })).not.toBe('Allowed');
      });
    });
  });

  describe('forwarding of API-call events', () => {
    const securityBus = `arn:<AWS::Partition>:events:us-east-1:${SECURITY}:event-bus/firebreak`;
    const forwardingRules = (t: Template) =>
      Object.values(t.findResources('AWS::Events::Rule')).filter((r) => String(r.Properties.Name).startsWith('firebreak-forward-'));
    const forwardingRoleId = (t: Template) => {
      const ids = new Set(forwardingRules(t).map((r) => r.Properties.Targets[0].RoleArn['Fn::GetAtt'][0] as string));
      expect(ids.size).toBe(1);
      return [...ids][0];
    };

    it('forwards every API-call entry of the catalog that the security account hears on its firebreak bus', () => {
      const apiCalls = CATALOG.filter((e) => e.kind === 'api-call');
      expect(apiCalls.length).toBeGreaterThan(0);
      expect(forwardedEntries().map((e) => e.id)).toEqual(apiCalls.map((e) => e.id));
    });

    it("has one rule per forwarded entry on the default bus, with the entry's own pattern (failed calls excluded)", () => {
      const rules = forwardingRules(template);
      expect(rules.map((r) => r.Properties.Name).sort()).toEqual(
        forwardedEntries()
          .map((e) => `firebreak-forward-${e.id}`)
          .sort(),
      );
      for (const entry of forwardedEntries()) {
        const rule = rules.find((r) => r.Properties.Name === `firebreak-forward-${entry.id}`)!;
        expect([entry.id, rule.Properties.EventBusName]).toEqual([entry.id, undefined]);
        expect([entry.id, rule.Properties.State]).toEqual([entry.id, 'ENABLED']);
        expect([entry.id, rule.Properties.EventPattern]).toEqual([entry.id, eventPatternFor(entry)]);
        expect(rule.Properties.EventPattern.detail.errorCode).toEqual([{ exists: false }]);
      }
    });

    it("targets the security account's firebreak bus with the forwarding role and a dead-letter queue", () => {
      const resources = template.toJSON().Resources;
      const roleId = forwardingRoleId(template);
      for (const rule of forwardingRules(template)) {
        expect(rule.Properties.Targets).toHaveLength(1);
        const [target] = rule.Properties.Targets;
        expect(flat(target.Arn)).toBe(securityBus);
        expect(target.RoleArn).toEqual({ 'Fn::GetAtt': [roleId, 'Arn'] });
        const queueId = target.DeadLetterConfig.Arn['Fn::GetAtt'][0];
        expect(resources[queueId].Type).toBe('AWS::SQS::Queue');
        expect(resources[queueId].Properties.SqsManagedSseEnabled).toBe(true);
      }
    });

    it('targets the bus of its own account in single-account mode', () => {
      const t = templateOf(buildTestApp().member);
      const rules = forwardingRules(t);
      expect(rules).toHaveLength(forwardedEntries().length);
      for (const rule of rules)
        expect(flat(rule.Properties.Targets[0].Arn)).toBe('arn:<AWS::Partition>:events:us-east-1:<AWS::AccountId>:event-bus/firebreak');
    });

    it("gives the forwarding role only events:PutEvents on that bus, assumable only by EventBridge for this account's forwarding rules", () => {
      const roleId = forwardingRoleId(template);
      const role = template.toJSON().Resources[roleId];
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      expect(role.Properties.Policies).toBeUndefined();
      const [trust, ...more] = role.Properties.AssumeRolePolicyDocument.Statement as Statement[];
      expect(more).toEqual([]);
      expect(trust).toMatchObject({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'events.amazonaws.com' } });
      expect(flat(trust.Condition!.StringEquals['aws:SourceAccount'])).toBe('<AWS::AccountId>');
      expect(flat(trust.Condition!.ArnLike['aws:SourceArn'])).toBe(
        'arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:rule/firebreak-forward-*',
      );
      const statements = roleStatements(template, roleId);
      expect(statements.map((st) => [st.Effect, st.Action, list(st.Resource).map(flat)])).toEqual([
        ['Allow', 'events:PutEvents', [securityBus]],
      ]);
    });

    it("lets the forwarding role put events on the security account's bus and on no other (iam-simulate)", async () => {
      const statements = concrete(roleStatements(template, forwardingRoleId(template))) as Statement[];
      const put = async (resource: string, action = 'events:PutEvents') =>
        (
          (await runSimulation(
            {
              request: {
                principal: `arn:aws:iam::${MEMBER}:role/forwarding`,
                action,
                resource: { resource, accountId: resource.split(':')[4] },
                contextVariables: {},
              },
              identityPolicies: [{ name: 'forwarding', policy: { Version: '2012-10-17', Statement: statements } }],
              // The security account's bus policy admits the member account (SecurityAccountStack).
              resourcePolicy: {
                Version: '2012-10-17',
                Statement: [
                  { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${MEMBER}:root` }, Action: 'events:PutEvents', Resource: resource },
                ],
              },
              serviceControlPolicies: [],
              resourceControlPolicies: [],
            } as never,
            {},
          )) as { overallResult?: string }
        ).overallResult;
      expect(await put(`arn:aws:events:us-east-1:${SECURITY}:event-bus/firebreak`)).toBe('Allowed');
      expect(await put(`arn:aws:events:us-east-1:${SECURITY}:event-bus/default`)).not.toBe('Allowed');
      expect(await put(`arn:aws:events:us-east-1:999999999999:event-bus/firebreak`)).not.toBe('Allowed');
    });
  });

  describe('evidence transit key', () => {
    it('rotates, carries the transit alias and lets the security account copy shared snapshots', () => {
      const [keyId, key] = Object.entries(template.findResources('AWS::KMS::Key'))[0];
      expect(key.Properties.EnableKeyRotation).toBe(true);
      template.hasResourceProperties('AWS::KMS::Alias', {
        AliasName: 'alias/firebreak-evidence-transit',
        TargetKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
      });
      const statements = key.Properties.KeyPolicy.Statement as Statement[];
      const forSecurity = statements.filter((s) => flat((s.Principal as { AWS?: unknown }).AWS) === `arn:aws:iam::${SECURITY}:root`);
      const actions = forSecurity.flatMap((s) => list(s.Action)).sort();
      expect(actions).toEqual(['kms:CreateGrant', 'kms:Decrypt', 'kms:DescribeKey', 'kms:ReEncryptFrom']);
      const grant = forSecurity.find((s) => list(s.Action).includes('kms:CreateGrant'))!;
      expect(grant.Condition).toEqual({ Bool: { 'kms:GrantIsForAWSResource': 'true' } });
    });
  });
});
