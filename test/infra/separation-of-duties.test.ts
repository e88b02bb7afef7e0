import * as fs from 'node:fs';
import * as path from 'node:path';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { Template } from 'aws-cdk-lib/assertions';
import { MEMBER_ACTING_STEPS, RELEASING_STEPS, STEP_NAMES, stepRoleName } from '../../lib/infra/steps';
import { buildTestApp, flat, list, roleStatements, Statement, templateOf } from './support';

/**
 * Separation of duties in the member account (issue 4, "Release is a separate permission"): the
 * responder role, which contains, cannot release, and the releaser role, which releases, cannot contain.
 * Shown on the two role policies and trust policies exactly as the member stack synthesizes them,
 * evaluated with iam-simulate (conditions included).
 */

const MEMBER = '111111111111';
const SECURITY = '222222222222';
const ROOT = path.resolve(__dirname, '..', '..');

const ec2 = (type: string, id: string) => `arn:aws:ec2:us-east-1:${MEMBER}:${type}/${id}`;
const INSTANCE = ec2('instance', 'i-0123456789abcdef0');
const ENI = ec2('network-interface', 'eni-0123456789abcdef0');
const SG = ec2('security-group', 'sg-0123456789abcdef0');
const VPC = ec2('vpc', 'vpc-0123456789abcdef0');
const EIP = ec2('elastic-ip', 'eipalloc-0123456789abcdef0');
const SNAPSHOT = 'arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0';
const ASG = `arn:aws:autoscaling:us-east-1:${MEMBER}:autoScalingGroup:6d1e3c2a-0000-4000-8000-000000000001:autoScalingGroupName/web`;
const TARGET_GROUP = `arn:aws:elasticloadbalancing:us-east-1:${MEMBER}:targetgroup/web/0123456789abcdef`;
const TRAIL = `arn:aws:cloudtrail:us-east-1:${MEMBER}:trail/org-audit`;
const user = (name: string) => `arn:aws:iam::${MEMBER}:user/${name}`;
const role = (name: string) => `arn:aws:iam::${MEMBER}:role/${name}`;
const INSTANCE_PROFILE = `arn:aws:iam::${MEMBER}:instance-profile/web-profile`;

type Context = Record<string, string | string[]>;
type Case = readonly [action: string, resource: string, context?: Context];

/**
 * What only release does, each with the context under which the releaser is allowed it (so that a
 * denial of the responder is the policy's doing, not a missing condition key).
 */
const RELEASE_ONLY: readonly Case[] = [
  ['iam:DetachUserPolicy', user('alice'), { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AWSDenyAll' }],
  ['iam:DeleteRolePolicy', role('web-app-role')],
  ['autoscaling:AttachInstances', ASG],
  ['elasticloadbalancing:RegisterTargets', TARGET_GROUP],
  ['ec2:AssociateIamInstanceProfile', INSTANCE],
  ['ec2:ReplaceIamInstanceProfileAssociation', INSTANCE],
  ['ec2:AssociateAddress', EIP],
  ['ec2:DeleteTags', INSTANCE, { 'aws:TagKeys': ['firebreak:status'] }],
  ['iam:PassRole', role('web-app-role'), { 'iam:PassedToService': 'ec2.amazonaws.com' }],
  // Putting an ENI back on the customer's own groups (the responder may move ENIs into Firebreak's groups only).
  ['ec2:ModifyNetworkInterfaceAttribute', SG, { 'aws:ResourceTag/firebreak:role': 'web' }],
];

/** What only containment does, each with the context under which the responder is allowed it. */
const CONTAINMENT_ONLY: readonly Case[] = [
  ['ec2:CreateSecurityGroup', SG, { 'aws:RequestTag/firebreak:role': 'isolation' }],
  ['ec2:CreateSecurityGroup', VPC],
  ['ec2:AuthorizeSecurityGroupIngress', SG, { 'aws:ResourceTag/firebreak:role': 'untrack' }],
  ['ec2:RevokeSecurityGroupEgress', SG, { 'aws:ResourceTag/firebreak:role': 'isolation' }],
  ['ec2:CreateSnapshots', INSTANCE],
  ['ec2:CopySnapshot', SNAPSHOT],
  ['ec2:ModifySnapshotAttribute', SNAPSHOT, { 'aws:ResourceTag/firebreak:stage': 'transit', 'ec2:Add/userId': SECURITY }],
  ['ec2:DisassociateIamInstanceProfile', INSTANCE],
  ['ec2:DisassociateAddress', EIP],
  ['ec2:CreateTags', INSTANCE, { 'aws:TagKeys': ['firebreak:status'] }],
  ['ec2:GetConsoleOutput', INSTANCE],
  ['autoscaling:DetachInstances', ASG],
  ['elasticloadbalancing:DeregisterTargets', TARGET_GROUP],
  ['elasticloadbalancing:DescribeTargetGroups', '*'],
  ['iam:AttachUserPolicy', user('alice'), { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AWSDenyAll' }],
  ['iam:DeleteLoginProfile', user('alice')],
  ['iam:ListUserPolicies', user('alice')],
  ['cloudtrail:StartLogging', TRAIL],
];

/** What both do (containment changes it, release puts it back), each allowed to both. */
const SHARED: readonly Case[] = [
  ['ec2:ModifyNetworkInterfaceAttribute', ENI],
  ['ec2:ModifyInstanceAttribute', INSTANCE],
  ['ec2:DescribeInstances', '*'],
  ['ec2:DescribeInstanceAttribute', INSTANCE],
  ['iam:UpdateAccessKey', user('alice')],
  ['iam:PutRolePolicy', role('web-app-role')],
  ['iam:GetRolePolicy', role('web-app-role')],
  // The responder resolves the contained instance's role (its deny, issue 15); the releaser checks the profile exists.
  ['iam:GetInstanceProfile', INSTANCE_PROFILE],
  ['iam:ListAccessKeys', user('alice')],
];

/** Replaces the member template's intrinsics with one concrete member account's values. */
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
    .replace(/<TransitKey[A-Z0-9]+\.Arn>/g, `arn:aws:kms:us-east-1:${MEMBER}:key/0000aaaa-0000-4000-8000-000000000001`);
}

async function simulate(request: object, identityPolicies: object[], resourcePolicy?: object): Promise<string> {
  const result = (await runSimulation(
    { request, identityPolicies, resourcePolicy, serviceControlPolicies: [], resourceControlPolicies: [] } as never,
    {},
  )) as { overallResult?: string };
  if (!result.overallResult) throw new Error(`simulation failed: ${JSON.stringify(result)}`);
  return result.overallResult;
}

/**
 * The AWS actions the source files call, from their `new <Operation>Command(` and the
 * `@aws-sdk/client-*` package each command is imported from (member-account services only).
 */
function actionsCalledIn(files: readonly string[]): Set<string> {
  const prefix: Record<string, string> = {
    ec2: 'ec2',
    iam: 'iam',
    'auto-scaling': 'autoscaling',
    'elastic-load-balancing-v2': 'elasticloadbalancing',
    cloudtrail: 'cloudtrail',
    s3: 's3',
    lambda: 'lambda',
    rds: 'rds',
    ecs: 'ecs',
  };
  // S3 operations authorized under another action name ("Actions, resources, and condition keys for Amazon S3",
  // Service Authorization Reference).
  const renamed: Record<string, string> = {
    's3:GetPublicAccessBlock': 's3:GetBucketPublicAccessBlock',
    's3:PutPublicAccessBlock': 's3:PutBucketPublicAccessBlock',
    's3:DeletePublicAccessBlock': 's3:PutBucketPublicAccessBlock',
    's3:ListObjectVersions': 's3:ListBucketVersions',
  };
  const actions = new Set<string>();
  for (const file of files) {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    const serviceOf = new Map<string, string>();
    for (const m of text.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s*from\s*'@aws-sdk\/client-([a-z0-9-]+)'/g)) {
      for (const name of m[1]
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean))
        serviceOf.set(name, m[2]);
    }
    for (const m of text.matchAll(/new (\w+)Command\(/g)) {
      const service = serviceOf.get(`${m[1]}Command`);
      if (service && prefix[service]) {
        const action = `${prefix[service]}:${m[1]}`;
        actions.add(renamed[action] ?? action);
      }
    }
  }
  return actions;
}

/** The `.ts` files under `dir`, its subfolders included, but those whose path relative to `dir` is in `except` (a file or a folder). */
const sourceFiles = (dir: string, except: readonly string[] = []): string[] =>
  fs
    .readdirSync(path.join(ROOT, dir), { withFileTypes: true })
    .filter((e) => !except.includes(e.name))
    .flatMap((e) => (e.isDirectory() ? sourceFiles(`${dir}/${e.name}`) : e.name.endsWith('.ts') ? [`${dir}/${e.name}`] : []));

describe('separation of duties between the responder and the releaser roles', () => {
  let template: Template;
  let roles: Record<'responder' | 'releaser', { id: string; statements: Statement[]; trust: object }>;

  beforeAll(() => {
    template = templateOf(buildTestApp({ securityAccountId: SECURITY }).member);
    const byName = (name: string) => {
      const [id, resource] = Object.entries(template.findResources('AWS::IAM::Role', { Properties: { RoleName: name } }))[0];
      return { id, statements: roleStatements(template, id), trust: concrete(resource.Properties.AssumeRolePolicyDocument) as object };
    };
    roles = { responder: byName('FirebreakResponder'), releaser: byName('FirebreakReleaser') };
  });

  const decide = (who: 'responder' | 'releaser', [action, resource, context = {}]: Case) =>
    simulate(
      {
        principal: role(who === 'responder' ? 'FirebreakResponder' : 'FirebreakReleaser'),
        action,
        resource: { resource, accountId: resource === '*' ? MEMBER : resource.split(':')[4] || MEMBER },
        contextVariables: context,
      },
      [{ name: who, policy: concrete({ Version: '2012-10-17', Statement: roles[who].statements }) }],
    );

  describe('the releaser role', () => {
    it('is allowed every release action', async () => {
      for (const c of [...RELEASE_ONLY, ...SHARED]) expect([c, await decide('releaser', c)]).toEqual([c, 'Allowed']);
    });

    it('is denied every containment action', async () => {
      for (const c of CONTAINMENT_ONLY) expect([c, await decide('releaser', c)]).toEqual([c, expect.not.stringMatching(/^Allowed$/)]);
    });

    it('removes only the firebreak:status tag, and never every tag at once', async () => {
      expect(await decide('releaser', ['ec2:DeleteTags', INSTANCE, { 'aws:TagKeys': ['firebreak:status', 'Owner'] }])).not.toBe('Allowed');
      expect(await decide('releaser', ['ec2:DeleteTags', INSTANCE, { 'aws:TagKeys': ['firebreak:case-id'] }])).not.toBe('Allowed');
      // DeleteTags without Tags removes every tag of the resource: no aws:TagKeys in the request.
      expect(await decide('releaser', ['ec2:DeleteTags', INSTANCE, {}])).not.toBe('Allowed');
    });

    it('passes a role to EC2 only, and never a protected role', async () => {
      expect(await decide('releaser', ['iam:PassRole', role('web-app-role'), { 'iam:PassedToService': 'lambda.amazonaws.com' }])).not.toBe(
        'Allowed',
      );
      expect(await decide('releaser', ['iam:PassRole', role('web-app-role'), {}])).not.toBe('Allowed');
      for (const name of ['FirebreakResponder', 'FirebreakReleaser', 'firebreak-contain-instance']) {
        expect([name, await decide('releaser', ['iam:PassRole', role(name), { 'iam:PassedToService': 'ec2.amazonaws.com' }])]).toEqual([
          name,
          'ExplicitlyDenied',
        ]);
      }
    });

    it("may not write to the responder, itself, service-linked or Firebreak's own roles", async () => {
      for (const name of [
        'FirebreakResponder',
        'FirebreakReleaser',
        'aws-service-role/x.amazonaws.com/AWSServiceRoleForX',
        'firebreak-release-credentials',
      ]) {
        for (const action of ['iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:UpdateAssumeRolePolicy', 'iam:AttachRolePolicy']) {
          expect([name, action, await decide('releaser', [action, role(name)])]).toEqual([
            name,
            action,
            expect.not.stringMatching(/^Allowed$/),
          ]);
        }
        expect([name, await decide('releaser', ['iam:DeleteRolePolicy', role(name)])]).toEqual([name, 'ExplicitlyDenied']);
      }
    });

    it("may not act on another account, create credentials or delete anything beyond Firebreak's policies", async () => {
      expect(
        await decide('releaser', [
          'iam:DetachUserPolicy',
          'arn:aws:iam::999999999999:user/alice',
          { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AWSDenyAll' },
        ]),
      ).not.toBe('Allowed');
      // It detaches AWSDenyAll and nothing else (iam:PolicyARN), and deletes no user inline policy.
      expect(
        await decide('releaser', [
          'iam:DetachUserPolicy',
          user('alice'),
          { 'iam:PolicyARN': 'arn:aws:iam::111111111111:policy/team-guardrail' },
        ]),
      ).not.toBe('Allowed');
      expect(await decide('releaser', ['iam:DeleteUserPolicy', user('alice')])).not.toBe('Allowed');
      expect(await decide('releaser', ['autoscaling:AttachInstances', ASG.replace(MEMBER, '999999999999')])).not.toBe('Allowed');
      for (const c of [
        ['iam:CreateAccessKey', user('alice')],
        ['iam:CreateLoginProfile', user('alice')],
        ['iam:DeleteUser', user('alice')],
        ['iam:DeleteAccessKey', user('alice')],
        ['ec2:DeleteSnapshot', SNAPSHOT],
        ['ec2:DeleteSecurityGroup', SG],
        ['ec2:TerminateInstances', INSTANCE],
        ['autoscaling:UpdateAutoScalingGroup', ASG],
        ['s3:DeleteObject', 'arn:aws:s3:::evidence/cases/x'],
      ] as Case[]) {
        expect([c, await decide('releaser', c)]).toEqual([c, expect.not.stringMatching(/^Allowed$/)]);
      }
    });
  });

  describe('the responder role', () => {
    it('is allowed every containment action', async () => {
      for (const c of [...CONTAINMENT_ONLY, ...SHARED]) expect([c, await decide('responder', c)]).toEqual([c, 'Allowed']);
    });

    it('is denied every release action', async () => {
      for (const c of RELEASE_ONLY) expect([c, await decide('responder', c)]).toEqual([c, expect.not.stringMatching(/^Allowed$/)]);
    });

    it('may not change the releaser role', async () => {
      for (const action of ['iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:UpdateAssumeRolePolicy']) {
        expect([action, await decide('responder', [action, role('FirebreakReleaser')])]).toEqual([action, 'ExplicitlyDenied']);
      }
    });
  });

  describe('exactly the actions each playbook calls', () => {
    const allowed = (who: 'responder' | 'releaser') =>
      new Set(roles[who].statements.filter((s) => s.Effect === 'Allow').flatMap((s) => list(s.Action)));

    it('gives the releaser exactly the calls of lib/runtime/release, plus iam:PassRole (implied by associating an instance profile)', () => {
      // ListAttachedUserPolicies: release reads a user's managed policies with lib/runtime/iam/revoke.ts's listAttachedUserPolicyArns.
      const called = actionsCalledIn([
        ...sourceFiles('lib/runtime/release'),
        'lib/runtime/ec2/instance.ts',
        'lib/runtime/s3/release.ts',
        'lib/runtime/s3/bucket.ts',
        'lib/runtime/lambda/release.ts',
        'lib/runtime/lambda/function.ts',
        'lib/runtime/rds/public-access.ts',
      ]);
      // release.ts reads the bucket's policy, public access block and versioning through bucket.ts, not its ACL or versions.
      called.delete('s3:GetBucketAcl');
      called.delete('s3:ListBucketVersions');
      // lambda/release.ts reads only the reserved concurrency through function.ts.
      for (const read of [
        'GetFunction',
        'GetPolicy',
        'GetFunctionUrlConfig',
        'ListEventSourceMappings',
        'ListVersionsByFunction',
        'ListFunctions',
      ])
        called.delete(`lambda:${read}`);
      expect([...allowed('releaser')].sort()).toEqual([...called, 'iam:PassRole', 'iam:ListAttachedUserPolicies'].sort());
    });

    it('gives the responder exactly the calls of containment (lib/runtime/ec2, lib/runtime/iam, lib/runtime/playbook but release), plus the KMS use of its snapshot copies', () => {
      // snapshot-lock.ts: the security account locks its own evidence copies (the share-snapshots step's role), not the
      // responder; principal-events.ts: preserve-credential-evidence reads the principal's CloudTrail events as the responder.
      const called = actionsCalledIn([
        ...sourceFiles('lib/runtime/ec2', ['snapshot-lock.ts']),
        'lib/runtime/evidence/principal-events.ts',
        ...sourceFiles('lib/runtime/iam'),
        ...sourceFiles('lib/runtime/playbook', ['release']),
        ...sourceFiles('lib/runtime/s3', ['release.ts']),
        ...sourceFiles('lib/runtime/lambda', ['release.ts']),
        ...sourceFiles('lib/runtime/rds'),
        ...sourceFiles('lib/runtime/ecs'),
      ]);
      expect([...allowed('responder')].filter((a) => !a.startsWith('kms:')).sort()).toEqual([...called].sort());
    });

    it('gives the releaser none of the release-only actions to the responder, and none of the containment-only to the releaser', () => {
      const responder = allowed('responder');
      const releaser = allowed('releaser');
      for (const a of [
        'iam:DetachUserPolicy',
        'iam:DeleteRolePolicy',
        'autoscaling:AttachInstances',
        'elasticloadbalancing:RegisterTargets',
        'ec2:AssociateIamInstanceProfile',
        'ec2:ReplaceIamInstanceProfileAssociation',
        'ec2:AssociateAddress',
        'ec2:DeleteTags',
        'iam:PassRole',
        's3:DeleteBucketPolicy',
      ]) {
        expect([a, responder.has(a)]).toEqual([a, false]);
      }
      for (const a of [
        'ec2:CreateSecurityGroup',
        'ec2:CreateSnapshots',
        'ec2:CopySnapshot',
        'ec2:DisassociateIamInstanceProfile',
        'ec2:DisassociateAddress',
        'autoscaling:DetachInstances',
        'elasticloadbalancing:DeregisterTargets',
        'iam:AttachUserPolicy',
        'iam:DeleteLoginProfile',
        'ec2:CreateTags',
        'ec2:ModifySnapshotAttribute',
        'cloudtrail:StartLogging',
        'kms:CreateGrant',
        's3:ListBucketVersions',
        's3:GetBucketAcl',
      ]) {
        expect([a, releaser.has(a)]).toEqual([a, false]);
      }
    });
  });

  describe('trust', () => {
    const assume = (who: 'responder' | 'releaser', principal: string) =>
      simulate(
        {
          principal,
          action: 'sts:AssumeRole',
          resource: { resource: role(who === 'responder' ? 'FirebreakResponder' : 'FirebreakReleaser'), accountId: MEMBER },
          // iam-simulate does not derive aws:PrincipalArn from the principal yet.
          contextVariables: { 'aws:PrincipalArn': principal },
        },
        [{ name: 'caller', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] } }],
        roles[who].trust,
      );
    const stepRole = (step: string) => `arn:aws:iam::${SECURITY}:role/${stepRoleName(step as never)}`;

    it("lets only the release steps' roles assume the releaser, by exact ARN", async () => {
      const [trust, ...more] = (roles.releaser.trust as { Statement: Statement[] }).Statement;
      expect(more).toEqual([]);
      expect(trust.Principal).toEqual({ AWS: `arn:aws:iam::${SECURITY}:root` });
      expect(list(trust.Condition!.ArnEquals['aws:PrincipalArn'] as string[]).sort()).toEqual(RELEASING_STEPS.map(stepRole).sort());
      for (const step of STEP_NAMES) {
        const expected = RELEASING_STEPS.includes(step) ? 'Allowed' : expect.not.stringMatching(/^Allowed$/);
        expect([step, await assume('releaser', stepRole(step))]).toEqual([step, expected]);
      }
      expect(await assume('releaser', `arn:aws:iam::${SECURITY}:role/Admin`)).not.toBe('Allowed');
    });

    it('lets no release step assume the responder', async () => {
      for (const step of STEP_NAMES) {
        const expected = MEMBER_ACTING_STEPS.includes(step) ? 'Allowed' : expect.not.stringMatching(/^Allowed$/);
        expect([step, await assume('responder', stepRole(step))]).toEqual([step, expected]);
      }
      expect(MEMBER_ACTING_STEPS.filter((s) => RELEASING_STEPS.includes(s))).toEqual([]);
    });

    it('uses the configured role names, and the responder denies writes to the configured releaser', () => {
      const t = templateOf(buildTestApp({ securityAccountId: SECURITY, releaserRoleName: 'IrReleaser' }).member);
      const [id] = Object.keys(t.findResources('AWS::IAM::Role', { Properties: { RoleName: 'IrReleaser', MaxSessionDuration: 3600 } }));
      expect(id).toBeDefined();
      const [responderId] = Object.keys(t.findResources('AWS::IAM::Role', { Properties: { RoleName: 'FirebreakResponder' } }));
      const deny = roleStatements(t, responderId).find((s) => s.Effect === 'Deny')!;
      expect(list(deny.Resource).map(flat)).toContain('arn:<AWS::Partition>:iam::<AWS::AccountId>:role/IrReleaser');
    });
  });
});
