import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { Template } from 'aws-cdk-lib/assertions';
import { parseConfig } from '../../lib/core/config';
import { ConfigError } from '../../lib/core/errors';
import { PROJECT_ROOT } from '../../lib/core/project-root';
import { FirebreakApp } from '../../lib/infra/app';
import { forwardedEntries } from '../../lib/infra/member-policies';
import { isGlobalServiceEntry } from '../../lib/infra/regions';
import { concreteIntrinsics } from '../support/responder-policy';
import { buildTestApp, flat, list, roleStatements, Statement } from './support';

/**
 * Issue 16, item 1: one deployment, several regions. The home region holds the playbooks, the ledger, the vault and the
 * global IAM roles; each other region gets a member stack (transit key, forwarding rules) and a security stack (GuardDuty
 * findings forwarded home). Every template is read back from the cloud assembly on disk.
 */

const SECURITY = '222222222222';
const MEMBER = '111111111111';

interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
}
interface StackOnDisk {
  name: string;
  region: string;
  account: string;
  resources: Record<string, CfnResource>;
  template: Record<string, unknown>;
  /** The template file's size, in bytes. */
  bytes: number;
}

/** The physical-name property of every type Firebreak names; IAM's names are global, every other one regional. */
const NAMED: Readonly<Record<string, string>> = {
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::Events::Rule': 'Name',
  'AWS::Events::EventBus': 'Name',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::KMS::Alias': 'AliasName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::Logs::ResourcePolicy': 'PolicyName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::CloudFormation::StackSet': 'StackSetName',
};
const GLOBAL_TYPES = new Set(['AWS::IAM::Role', 'AWS::IAM::ManagedPolicy', 'AWS::S3::Bucket']);

/** Synthesizes the app and reads every stack's template back from the assembly directory. */
function synthesize(built: FirebreakApp): StackOnDisk[] {
  const assembly = built.app.synth();
  return assembly.stacks.map((s) => {
    const text = fs.readFileSync(path.join(assembly.directory, s.templateFile), 'utf8');
    const template = JSON.parse(text) as Record<string, unknown>;
    return {
      name: s.stackName,
      region: s.environment.region,
      account: s.environment.account,
      resources: template.Resources as Record<string, CfnResource>,
      template,
      bytes: Buffer.byteLength(text),
    };
  });
}

/**
 * Every physical name of the stacks, keyed as AWS scopes it: IAM's (and S3's) by name alone, every other by region too.
 * All stacks are taken to be in one account (single-account mode is the strictest case).
 */
function physicalNameKeys(stacks: readonly StackOnDisk[]): string[] {
  return stacks.flatMap((s) =>
    Object.values(s.resources).flatMap((r) => {
      const prop = NAMED[r.Type];
      const name = prop === undefined ? undefined : r.Properties?.[prop];
      if (name === undefined) return [];
      const text = typeof name === 'string' ? name : flat(name).replace(/<AWS::Region>/g, s.region);
      return [GLOBAL_TYPES.has(r.Type) ? `global ${r.Type} ${text}` : `${s.region} ${r.Type} ${text}`];
    }),
  );
}

const repeats = (keys: readonly string[]) => keys.filter((k, i) => keys.indexOf(k) !== i);
const byName = (stacks: readonly StackOnDisk[], name: string) => {
  const s = stacks.find((x) => x.name === name);
  if (!s) throw new Error(`no stack ${name}: ${stacks.map((x) => x.name).join(', ')}`);
  return s;
};
const ofType = (s: StackOnDisk, type: string) => Object.values(s.resources).filter((r) => r.Type === type);
const ruleNames = (s: StackOnDisk) => ofType(s, 'AWS::Events::Rule').map((r) => r.Properties?.Name as string);

describe('two regions in one synth (config.regions)', () => {
  const built = buildTestApp({ securityAccountId: SECURITY, memberAccountIds: [MEMBER], regions: ['us-east-1', 'eu-west-1'] });
  const stacks = synthesize(built);
  const homeMember = byName(stacks, 'FirebreakMember');
  const euMember = byName(stacks, 'FirebreakMember-eu-west-1');
  const euSecurity = byName(stacks, 'FirebreakSecurity-eu-west-1');

  it('synthesizes both regions: the home stacks in us-east-1, a member and a security stack in eu-west-1, cdk-nag clean', () => {
    expect(stacks.map((s) => `${s.name} ${s.region}`).sort()).toEqual(
      [
        'FirebreakMember us-east-1',
        'FirebreakMember-eu-west-1 eu-west-1',
        'FirebreakSecurity us-east-1',
        'FirebreakSecurity-eu-west-1 eu-west-1',
      ].sort(),
    );
    expect(euSecurity.account).toBe(SECURITY);
    // Every template well under CloudFormation's 1,000,000 bytes for a template in S3 ("CloudFormation quotas"); the security
    // stack's is written unindented, and aws-cdk-lib warns from 80 %.
    for (const s of stacks) expect({ stack: s.name, under80Percent: s.bytes < 800_000 }).toEqual({ stack: s.name, under80Percent: true });
  });

  it('gives no physical name twice where AWS scopes it (IAM globally, the rest per region), with every name counted', () => {
    const keys = physicalNameKeys(stacks);
    expect(keys.length).toBeGreaterThan(100);
    expect(repeats(keys)).toEqual([]);
    // The regional stacks do name things of their own (the comparison above is not vacuous for them).
    expect(keys.filter((k) => k.startsWith('eu-west-1 '))).toEqual(
      expect.arrayContaining([
        'eu-west-1 AWS::KMS::Alias alias/firebreak-evidence-transit',
        'eu-west-1 AWS::Events::Rule firebreak-findings-to-home',
        'eu-west-1 AWS::SNS::Topic firebreak-notifications',
      ]),
    );
  });

  it('keeps the global IAM roles in the home member stack only; the other region gets the transit key and its forwarding rules', () => {
    const named = (s: StackOnDisk) => ofType(s, 'AWS::IAM::Role').flatMap((r) => (r.Properties?.RoleName ? [r.Properties.RoleName] : []));
    expect(named(homeMember).sort()).toEqual(['FirebreakReleaser', 'FirebreakResponder']);
    expect(named(euMember)).toEqual([]);
    expect(ofType(euMember, 'AWS::KMS::Key')).toHaveLength(1);
    // us-east-1 is the global service events' region and the home: the IAM and sign-in rules are there, and only there.
    const global = forwardedEntries().filter(isGlobalServiceEntry);
    expect(global.map((e) => e.id).sort()).toEqual(['root-activity-access-key', 'root-activity-console']);
    for (const e of forwardedEntries()) {
      const where = [homeMember, euMember].filter((s) => ruleNames(s).includes(`firebreak-forward-${e.id}`)).map((s) => s.region);
      expect({ entry: e.id, where }).toEqual({ entry: e.id, where: isGlobalServiceEntry(e) ? ['us-east-1'] : ['us-east-1', 'eu-west-1'] });
    }
  });

  it("forwards every GuardDuty finding of the other region to the home region's default bus, with a role that may only put there", () => {
    const [rule] = ofType(euSecurity, 'AWS::Events::Rule');
    expect(rule.Properties?.EventPattern).toEqual({ source: ['aws.guardduty'], 'detail-type': ['GuardDuty Finding'] });
    const target = (rule.Properties?.Targets as { Arn: unknown; RoleArn: unknown; DeadLetterConfig: unknown }[])[0];
    expect(flat(target.Arn)).toBe('arn:<AWS::Partition>:events:us-east-1:<AWS::AccountId>:event-bus/default');
    const policies = ofType(euSecurity, 'AWS::IAM::Policy').flatMap(
      (p) => (p.Properties?.PolicyDocument as { Statement: Statement[] }).Statement,
    );
    expect(policies.map((s) => ({ a: s.Action, r: flat(s.Resource) }))).toEqual([
      { a: 'events:PutEvents', r: 'arn:<AWS::Partition>:events:us-east-1:<AWS::AccountId>:event-bus/default' },
    ]);
    // Undeliverable findings alarm to the region's own topic (an alarm notifies a topic of its own region only).
    const [alarm] = ofType(euSecurity, 'AWS::CloudWatch::Alarm');
    expect(flat(alarm.Properties?.AlarmActions)).toContain('Topic');
  });

  describe("the responder's policy (iam-simulate): every listed region, and no other", () => {
    const roleId = Object.entries(homeMember.resources).find(([, r]) => r.Properties?.RoleName === 'FirebreakResponder')![0];
    const statements = concreteIntrinsics(roleStatements(templateOfDisk(homeMember), roleId), MEMBER, 'us-east-1') as Statement[];
    const policy = { Version: '2012-10-17', Statement: statements };
    const simulate = async (action: string, resource: string, context: Record<string, string | string[]>, resourcePolicy?: object) =>
      (
        (await runSimulation(
          {
            request: {
              principal: `arn:aws:iam::${MEMBER}:role/FirebreakResponder`,
              action,
              resource: { resource, accountId: MEMBER },
              contextVariables: context,
            },
            identityPolicies: [{ name: 'responder', policy }],
            ...(resourcePolicy ? { resourcePolicy } : {}),
            serviceControlPolicies: [],
            resourceControlPolicies: [],
          } as never,
          {},
        )) as { overallResult?: string; errors?: unknown }
      ).overallResult ?? 'simulation error';
    const instance = (region: string) => `arn:aws:ec2:${region}:${MEMBER}:instance/i-0123456789abcdef0`;

    it.each(['us-east-1', 'eu-west-1'])('allows the snapshot of an instance in %s', async (region) => {
      expect(await simulate('ec2:CreateSnapshots', instance(region), { 'aws:RequestedRegion': region })).toBe('Allowed');
    });

    it('denies it explicitly in a region the deployment does not respond in', async () => {
      expect(await simulate('ec2:CreateSnapshots', instance('ap-southeast-2'), { 'aws:RequestedRegion': 'ap-southeast-2' })).toBe(
        'ExplicitlyDenied',
      );
    });

    it("uses any region's transit key by its alias through EC2, and no other key", async () => {
      const key = `arn:aws:kms:eu-west-1:${MEMBER}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
      const via = { 'aws:RequestedRegion': 'eu-west-1', 'kms:ViaService': 'ec2.eu-west-1.amazonaws.com' };
      // A KMS key is usable by a policy of its account only where its key policy delegates to the account (the transit key's
      // first statement, as CDK writes every key's: "Default key policy", AWS KMS Developer Guide).
      const keyPolicy = {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${MEMBER}:root` }, Action: 'kms:*', Resource: '*' }],
      };
      expect(
        await simulate('kms:ReEncryptTo', key, { ...via, 'kms:ResourceAliases': ['alias/firebreak-evidence-transit'] }, keyPolicy),
      ).toBe('Allowed');
      expect(await simulate('kms:ReEncryptTo', key, { ...via, 'kms:ResourceAliases': ['alias/payments'] }, keyPolicy)).not.toBe('Allowed');
      // Through EC2 or RDS only, and (RegionPolicy) in a listed region only.
      const transit = { 'kms:ResourceAliases': ['alias/firebreak-evidence-transit'] };
      const s3 = { 'aws:RequestedRegion': 'eu-west-1', 'kms:ViaService': 's3.eu-west-1.amazonaws.com', ...transit };
      expect(await simulate('kms:ReEncryptTo', key, s3, keyPolicy)).not.toBe('Allowed');
      const elsewhere = key.replace('eu-west-1', 'ap-southeast-2');
      const there = { 'aws:RequestedRegion': 'ap-southeast-2', 'kms:ViaService': 'ec2.ap-southeast-2.amazonaws.com', ...transit };
      expect(await simulate('kms:ReEncryptTo', elsewhere, there, keyPolicy)).toBe('ExplicitlyDenied');
      expect(await simulate('kms:Decrypt', elsewhere, { ...there, 'kms:ResourceAliases': ['alias/ebs-default'] }, keyPolicy)).toBe(
        'ExplicitlyDenied',
      );
    });

    it("reads a principal's CloudTrail event history in a listed region, and not in another", async () => {
      expect(await simulate('cloudtrail:LookupEvents', '*', { 'aws:RequestedRegion': 'eu-west-1' })).toBe('Allowed');
      expect(await simulate('cloudtrail:LookupEvents', '*', { 'aws:RequestedRegion': 'ap-southeast-2' })).toBe('ExplicitlyDenied');
    });

    it('still calls IAM (a global service, recorded in us-east-1) whatever the region', async () => {
      const user = `arn:aws:iam::${MEMBER}:user/alice`;
      expect(await simulate('iam:UpdateAccessKey', user, { 'aws:RequestedRegion': 'us-east-1' })).toBe('Allowed');
    });
  });

  it('copies a snapshot shared in either region into the security account (the security step role names both regions)', () => {
    const security = byName(stacks, 'FirebreakSecurity');
    const text = JSON.stringify(security.template);
    for (const region of ['us-east-1', 'eu-west-1']) {
      expect(text).toContain(`:ec2:${region}::snapshot/*`);
      expect(text).toContain(`ec2.${region}.amazonaws.com`);
    }
  });

  it('passes cfn-lint, every regional template', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fb-regions-'));
    try {
      const files = [euMember, euSecurity].map((s) => {
        const file = path.join(dir, `${s.name}.json`);
        fs.writeFileSync(file, JSON.stringify(s.template));
        return file;
      });
      const lint = spawnSync(path.join(PROJECT_ROOT, '.firebreak', 'venv', 'bin', 'cfn-lint'), ['--regions', 'eu-west-1', '--', ...files], {
        encoding: 'utf8',
      });
      // Exit code bit mask: 2 errors, 4 warnings (cfn-lint README).
      expect({ status: (lint.status ?? 1) & 3, out: lint.stdout + lint.stderr }).toEqual({ status: 0, out: expect.any(String) });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a home region other than us-east-1', () => {
  const stacks = synthesize(
    buildTestApp({
      securityAccountId: SECURITY,
      memberAccountIds: [MEMBER],
      region: 'eu-west-1',
      regions: ['eu-west-1', 'ap-southeast-2'],
      organization: { id: 'o-a1b2c3d4e5', memberStackSet: { organizationalUnitIds: ['ou-ab12-cdef3456'] } },
    }),
  );

  it('forwards the global service events once, from a us-east-1 member stack that holds only those rules', () => {
    const global = byName(stacks, 'FirebreakMember-us-east-1');
    expect(ruleNames(global).sort()).toEqual(['firebreak-forward-root-activity-access-key', 'firebreak-forward-root-activity-console']);
    expect(ofType(global, 'AWS::KMS::Key')).toEqual([]);
    const everywhere = stacks.flatMap(ruleNames).filter((n) => n.startsWith('firebreak-forward-root-activity'));
    expect(everywhere.sort()).toEqual(['firebreak-forward-root-activity-access-key', 'firebreak-forward-root-activity-console']);
    // No security stack there: us-east-1 is not a responding region.
    expect(stacks.map((s) => s.name)).not.toContain('FirebreakSecurity-us-east-1');
    expect(repeats(physicalNameKeys(stacks))).toEqual([]);
  });

  it('deploys the member stacks as StackSets: the home one, the regional ones together, the global events one (the roles only at home)', () => {
    const security = byName(stacks, 'FirebreakSecurity');
    const sets = ofType(security, 'AWS::CloudFormation::StackSet').map((r) => ({
      name: r.Properties?.StackSetName,
      regions: (r.Properties?.StackInstancesGroup as { Regions: string[] }[])[0].Regions,
      roles: Object.values((JSON.parse(r.Properties?.TemplateBody as string) as { Resources: Record<string, CfnResource> }).Resources)
        .filter((x) => x.Type === 'AWS::IAM::Role' && x.Properties?.RoleName)
        .map((x) => x.Properties!.RoleName),
    }));
    expect(sets).toEqual([
      { name: 'FirebreakMember', regions: ['eu-west-1'], roles: expect.arrayContaining(['FirebreakResponder', 'FirebreakReleaser']) },
      { name: 'FirebreakMember-regions', regions: ['ap-southeast-2'], roles: [] },
      { name: 'FirebreakMember-us-east-1', regions: ['us-east-1'], roles: [] },
    ]);
  });
});

/**
 * IAM's limit on a role's inline policies, 10,240 characters in all, whitespace excluded ("IAM and AWS STS quotas", IAM User
 * Guide, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html): a role over it does not deploy.
 */
const INLINE_POLICY_LIMIT = 10_240;

describe('many regions and accounts (the roles still deploy)', () => {
  // 32 regions of the aws partition (config allows 40) and 5 member accounts.
  const many = ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'ap-south-1', 'ap-northeast-3', 'ap-northeast-2', 'ap-southeast-1'];
  const more = ['ap-southeast-2', 'ap-northeast-1', 'ca-central-1', 'eu-central-1', 'eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-north-1'];
  const most = ['sa-east-1', 'af-south-1', 'ap-east-1', 'ap-south-2', 'ap-southeast-3', 'ap-southeast-5', 'ap-southeast-4', 'ca-west-1'];
  const all = ['ap-southeast-7', 'eu-south-1', 'eu-south-2', 'eu-central-2', 'il-central-1', 'mx-central-1', 'me-south-1', 'me-central-1'];
  const regions = [...many, ...more, ...most, ...all];
  const accounts = ['111111111111', '111111111112', '111111111113', '111111111114', '111111111115'];
  const organization = { id: 'o-a1b2c3d4e5', memberStackSet: { organizationalUnitIds: ['ou-ab12-cdef3456'] } };
  const built = buildTestApp({ securityAccountId: SECURITY, memberAccountIds: accounts, regions, organization }, { nag: false });
  /** A role's inline policies' characters, intrinsics made concrete in the longest partition name (aws-us-gov). */
  const inlineSize = (template: Template, roleId: string) =>
    Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => list(p.Properties.Roles).some((r) => (r as { Ref?: string }).Ref === roleId))
      .map((p) =>
        JSON.stringify(concreteIntrinsics(p.Properties.PolicyDocument, MEMBER, 'ap-southeast-2')).replace(/arn:aws:/g, 'arn:aws-us-gov:'),
      )
      .reduce((n, text) => n + text.length, 0);

  it("keeps the security account's copy step (ShareSnapshots) under IAM's inline policy limit", () => {
    const template = Template.fromStack(built.security);
    const roleId = Object.keys(template.findResources('AWS::IAM::Role', { Properties: { RoleName: 'firebreak-share-snapshots' } }))[0];
    expect(inlineSize(template, roleId)).toBeLessThan(INLINE_POLICY_LIMIT);
  });

  it("keeps the home security stack, with the member StackSets, under CloudFormation's resource and template size limits", () => {
    // "CloudFormation quotas", AWS CloudFormation User Guide: a template body in an S3 object, at most 1 MB; the CDK
    // uploads it from the assembly as written.
    const assembly = built.app.synth();
    const security = assembly.getStackByName('FirebreakSecurity');
    const sets = Object.values(Template.fromStack(built.security).findResources('AWS::CloudFormation::StackSet'));
    // The home region's, and one for the 31 others (their templates are the same: us-east-1, here the home, has the global rules).
    expect(sets.map((r) => [r.Properties.StackSetName, r.Properties.StackInstancesGroup[0].Regions.length])).toEqual([
      ['FirebreakMember', 1],
      ['FirebreakMember-regions', regions.length - 1],
    ]);
    // The same but for the labels CDK gives the dead-letter queue's policy statements after each stack's construct path
    // (`AllowEventRule<path>`): the StackSet deploys the first region's, whose labels name that region's stack.
    const label = /"AllowEventRule[A-Za-z0-9]+"/g;
    const templates = built.regional.members.map((m) => JSON.stringify(Template.fromStack(m).toJSON()).replace(label, '"AllowEventRule"'));
    expect(new Set(templates).size).toBe(1);
    expect(fs.statSync(path.join(assembly.directory, security.templateFile)).size).toBeLessThan(1_000_000);
  });

  it("keeps the member account's responder under IAM's inline policy limit", () => {
    const template = Template.fromStack(built.member);
    const roleId = Object.keys(template.findResources('AWS::IAM::Role', { Properties: { RoleName: 'FirebreakResponder' } }))[0];
    expect(inlineSize(template, roleId)).toBeLessThan(INLINE_POLICY_LIMIT);
  });
});

describe('config.regions validation', () => {
  it.each([
    [{ region: 'us-east-1', regions: ['eu-west-1'] }, /must include the home region us-east-1/],
    [{ region: 'us-east-1', regions: ['us-east-1', 'eu-west-1', 'eu-west-1'] }, /eu-west-1 more than once/],
    [{ region: 'us-east-1', regions: ['us-east-1', 'Frankfurt'] }, /must be an AWS region code/],
  ])('refuses %j', (input, message) => {
    expect(() => parseConfig({ securityAccountId: SECURITY, ...input })).toThrow(ConfigError);
    expect(() => parseConfig({ securityAccountId: SECURITY, ...input })).toThrow(message);
  });

  it('refuses, at synth, a region of another partition', () => {
    expect(() => buildTestApp({ securityAccountId: SECURITY, regions: ['us-east-1', 'cn-north-1'] })).toThrow(
      /cn-north-1 not in the home region's partition \(aws\)/,
    );
  });

  it('defaults to the home region alone', () => {
    expect(parseConfig({ region: 'eu-central-1' }).regions).toEqual(['eu-central-1']);
  });
});

/** The CDK assertions Template of a stack read from disk (roleStatements takes one). */
function templateOfDisk(s: StackOnDisk): Template {
  return Template.fromJSON(s.template);
}
