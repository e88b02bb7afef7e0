import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { CURRENTLY_RECOMMENDED_FLAGS } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../../lib/core/errors';
import { Firebreak, FirebreakProps } from '../../lib/infra/firebreak';
import { FirebreakNames } from '../../lib/infra/names';
import { MEMBER_ACTING_STEPS, STEP_NAMES } from '../../lib/infra/steps';
import { SKIP_BUNDLING } from './support';

/**
 * The `Firebreak` construct in a CDK app of the test's own (not buildApp's): it synthesizes with two props, and two
 * installs with different prefixes synthesize side by side in one app, account and region without sharing a
 * physical name. Templates are read back from the cloud assembly on disk, not from the constructs.
 */

const SECURITY = '222222222222';
const MEMBERS = ['111111111111'];

interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
}
type Templates = { security: Record<string, CfnResource>; member: Record<string, CfnResource> };

/**
 * The property that holds each named resource type's physical name, and its length limit in AWS (the resource's
 * CloudFormation reference: AWS::IAM::Role RoleName 64, AWS::Lambda::Function FunctionName 64, AWS::Events::Rule Name
 * 64, AWS::SQS::Queue QueueName 80, AWS::StepFunctions::StateMachine StateMachineName 80, AWS::SNS::Topic TopicName 256,
 * AWS::Events::EventBus Name 256, AWS::KMS::Alias AliasName 256, AWS::DynamoDB::Table TableName 255,
 * AWS::Logs::LogGroup LogGroupName 512, AWS::Logs::ResourcePolicy PolicyName 255).
 */
const NAMED: Readonly<Record<string, { prop: string; max: number }>> = {
  'AWS::DynamoDB::Table': { prop: 'TableName', max: 255 },
  'AWS::StepFunctions::StateMachine': { prop: 'StateMachineName', max: 80 },
  'AWS::IAM::Role': { prop: 'RoleName', max: 64 },
  'AWS::Lambda::Function': { prop: 'FunctionName', max: 64 },
  'AWS::Events::Rule': { prop: 'Name', max: 64 },
  'AWS::Events::EventBus': { prop: 'Name', max: 256 },
  'AWS::SNS::Topic': { prop: 'TopicName', max: 256 },
  'AWS::KMS::Alias': { prop: 'AliasName', max: 256 },
  'AWS::Logs::LogGroup': { prop: 'LogGroupName', max: 512 },
  'AWS::SQS::Queue': { prop: 'QueueName', max: 80 },
  'AWS::Logs::ResourcePolicy': { prop: 'PolicyName', max: 255 },
  // "PutDashboard", CloudWatch API Reference: a name is unique in the account (across Regions), at most 255 characters.
  'AWS::CloudWatch::Dashboard': { prop: 'DashboardName', max: 255 },
};

/** Synthesizes the app and reads each install's two templates back from the assembly directory. */
function synthesize(app: App, installs: Firebreak[]): Templates[] {
  const assembly = app.synth();
  const read = (stackName: string): Record<string, CfnResource> => {
    const stack = assembly.stacks.find((s) => s.stackName === stackName);
    if (!stack) throw new Error(`no stack ${stackName} in the assembly`);
    const template = JSON.parse(fs.readFileSync(path.join(assembly.directory, stack.templateFile), 'utf8')) as {
      Resources: Record<string, CfnResource>;
    };
    return template.Resources;
  };
  return installs.map((fb) => ({ security: read(fb.securityStack.stackName), member: read(fb.memberStack.stackName) }));
}

/** Every physical name given in a template, as `<type> <name>` (names CloudFormation generates are not strings here). */
function physicalNames(resources: Record<string, CfnResource>): { type: string; name: string }[] {
  return Object.values(resources).flatMap((r) => {
    const named = NAMED[r.Type];
    const name = named === undefined ? undefined : r.Properties?.[named.prop];
    return typeof name === 'string' ? [{ type: r.Type, name }] : [];
  });
}

/** An app as `cdk init` makes one (its cdk.json sets the currently recommended feature flags), without bundling. */
function newApp(): App {
  const app = new App({ context: { ...CURRENTLY_RECOMMENDED_FLAGS, ...SKIP_BUNDLING } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

describe('Firebreak construct', () => {
  test('a CDK app of its own synthesizes it with two props: both stacks, cdk-nag clean, with the default names', () => {
    const app = newApp();
    const fb = new Firebreak(app, 'Firebreak', { securityAccountId: SECURITY, memberAccountIds: MEMBERS });
    const [t] = synthesize(app, [fb]);
    expect([fb.securityStack.stackName, fb.memberStack.stackName]).toEqual(['FirebreakSecurity', 'FirebreakMember']);
    const names = physicalNames(t.security)
      .concat(physicalNames(t.member))
      .map((n) => n.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'firebreak-ledger',
        'firebreak-ec2-compromise',
        'firebreak',
        'firebreak-notifications',
        'FirebreakResponder',
        'FirebreakReleaser',
        'alias/firebreak-evidence-transit',
        '/aws/events/firebreak-below-floor',
        'firebreak-forward-dlq',
      ]),
    );
    // The security half is in the security account; the member half trusts its step roles by ARN.
    const responder = Object.values(t.member).find((r) => r.Type === 'AWS::IAM::Role' && r.Properties?.RoleName === 'FirebreakResponder')!;
    expect(JSON.stringify(responder.Properties?.AssumeRolePolicyDocument)).toContain(`:iam::${SECURITY}:role/firebreak-contain-instance`);
  });

  test('two installs with different prefixes synthesize side by side in one app, account and region, sharing no physical name', () => {
    const app = newApp();
    const props = (prefix: string): FirebreakProps => ({ securityAccountId: SECURITY, memberAccountIds: MEMBERS, prefix });
    // The second prefix has the maximum length (20), so every name it feeds is checked against its limit too.
    const installs = [new Firebreak(app, 'Blue', props('blue')), new Firebreak(app, 'Green', props('green-team-response1'))];
    const templates = synthesize(app, installs);
    const [blue, green] = templates.map((t) => [...physicalNames(t.security), ...physicalNames(t.member)]);

    // Every named type has names in each install (the comparison below cannot pass on empty sets).
    for (const names of [blue, green]) expect(new Set(names.map((n) => n.type))).toEqual(new Set(Object.keys(NAMED)));
    expect(blue.length).toBe(green.length);
    // No physical name of one install is a name of the other, for any type.
    const key = (n: { type: string; name: string }) => `${n.type} ${n.name}`;
    const greenKeys = new Set(green.map(key));
    expect(blue.map(key).filter((k) => greenKeys.has(k))).toEqual([]);
    // Each install's names are its own: every one carries its prefix; and each fits its type's limit.
    installs.forEach((fb, i) => {
      const { prefix, pascal } = fb.names;
      const own = new RegExp(`^(${prefix}(-|$)|${pascal}|alias/${prefix}-|/aws/(events|lambda|vendedlogs/states)/${prefix}-)`);
      const names = [blue, green][i];
      expect(names.filter((n) => !own.test(n.name))).toEqual([]);
      expect(names.filter((n) => n.name.length > NAMED[n.type].max)).toEqual([]);
      expect(names.filter((n) => n.type === 'AWS::Lambda::Function')).toHaveLength(STEP_NAMES.length);
    });
  });

  test('each install wires its own names: the member roles trust its step roles, and its Lambdas are told its role names and table', () => {
    const app = newApp();
    const fb = new Firebreak(app, 'Blue', { securityAccountId: SECURITY, memberAccountIds: MEMBERS, prefix: 'blue' });
    const [t] = synthesize(app, [fb]);
    const roles = Object.values(t.member).filter((r) => r.Type === 'AWS::IAM::Role' && typeof r.Properties?.RoleName === 'string');
    expect(roles.map((r) => r.Properties?.RoleName).sort()).toEqual(['BlueReleaser', 'BlueResponder']);
    const responder = roles.find((r) => r.Properties?.RoleName === 'BlueResponder')!;
    const trusted = JSON.stringify(responder.Properties?.AssumeRolePolicyDocument);
    const stepRoles = new Set(
      Object.values(t.security)
        .filter((r) => r.Type === 'AWS::IAM::Role')
        .map((r) => r.Properties?.RoleName),
    );
    for (const step of MEMBER_ACTING_STEPS) {
      expect(trusted).toContain(`:iam::${SECURITY}:role/blue-${step}"`);
      expect(stepRoles.has(`blue-${step}`)).toBe(true);
    }
    const fn = Object.values(t.security).find(
      (r) => r.Type === 'AWS::Lambda::Function' && r.Properties?.FunctionName === 'blue-contain-instance',
    )!;
    const env = (fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env).toMatchObject({
      FIREBREAK_RESPONDER_ROLE_NAME: 'BlueResponder',
      FIREBREAK_RELEASER_ROLE_NAME: 'BlueReleaser',
      FIREBREAK_TRANSIT_KEY_ALIAS: 'alias/blue-evidence-transit',
    });
    const table = Object.entries(t.security).find(([, r]) => r.Type === 'AWS::DynamoDB::Table')!;
    expect(table[1].Properties?.TableName).toBe('blue-ledger');
    expect(env.FIREBREAK_LEDGER_TABLE).toEqual({ Ref: table[0] });
    // The responder may not write to this install's own roles (its step roles, its releaser, its stacks' roles).
    const denied = JSON.stringify(Object.values(t.member).filter((r) => r.Type === 'AWS::IAM::Policy'));
    for (const pattern of ['role/blue-*', 'role/BlueReleaser*', 'role/BlueSecurity-*', 'role/BlueMember-*'])
      expect(denied).toContain(pattern);
  });

  test.each([
    ['uppercase', 'Blue'],
    ['an underscore', 'blue_team'],
    ['a trailing hyphen', 'blue-'],
    ['a leading digit', '1blue'],
    ['21 characters', 'a'.repeat(21)],
    ['nothing', ''],
  ])('a prefix with %s is refused at construction with a ConfigError naming prefix, and nothing is added to the app', (_what, prefix) => {
    const app = newApp();
    expect(() => new Firebreak(app, 'Bad', { securityAccountId: SECURITY, memberAccountIds: MEMBERS, prefix })).toThrow(ConfigError);
    expect(() => new Firebreak(app, 'Bad2', { securityAccountId: SECURITY, memberAccountIds: MEMBERS, prefix })).toThrow(
      /prefix: must be 1-20 characters/,
    );
    expect(() => new FirebreakNames(prefix)).toThrow(ConfigError);
    expect(app.synth().stacks).toEqual([]);
  });

  test('a bad required prop is refused with the key named', () => {
    const app = newApp();
    expect(() => new Firebreak(app, 'Bad', { securityAccountId: '12345', memberAccountIds: MEMBERS })).toThrow(
      /securityAccountId: must be a 12-digit AWS account ID/,
    );
    expect(() => new Firebreak(app, 'Bad2', { securityAccountId: SECURITY, memberAccountIds: [SECURITY] })).toThrow(
      /memberAccountIds: must not contain securityAccountId/,
    );
  });
});
