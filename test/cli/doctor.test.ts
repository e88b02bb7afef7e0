import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { ListSubscriptionsByTopicCommand, SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { configuredDefaults } from '../../lib/cli/commands/doctor';
import { InvalidInput } from '../../lib/core/errors';
import { PROJECT_ROOT } from '../../lib/core/project-root';
import { doctorExpectations } from '../../lib/harness/doctor-expectations';
import { standInDeployment, standInRole } from '../../lib/harness/local/deployment-stand-ins';
import type { DoctorCheck, DoctorExpectations, PolicyDocument } from '../../lib/operator/doctor';
import { parsePolicyDocument, witnesses } from '../../lib/operator/doctor';
import { cli } from '../support/cli';
import { useLocalSession } from '../support/local';

/**
 * `firebreak doctor` (issue 16, item 2) against one local stack: it passes on a healthy stack (the member stack's own
 * role policies and trust, the bus, GuardDuty's admin, a confirmed subscription), and fails with a precise line for each
 * of: the releaser role missing, the responder's trust no longer admitting the step roles, one action missing from the
 * responder's policy, the topic with only a pending subscription. Each is broken, checked and restored in turn.
 */

const MEMBER = '111111111111';
const SECURITY = '222222222222';

describe('firebreak doctor', () => {
  const local = useLocalSession();
  let endpoint: string;
  let expected: DoctorExpectations;

  const doctor = async (...extra: string[]) => {
    const r = await cli(['doctor', '--endpoint', endpoint, '--json', ...extra]);
    if (r.stdout.length === 0) throw new Error(r.stderr.join('\n'));
    return { ...r, checks: r.code === 2 ? [] : (JSON.parse(r.stdout.join('\n')) as { checks: DoctorCheck[] }).checks };
  };
  const failures = (checks: DoctorCheck[]) => checks.filter((c) => c.status === 'FAIL').map((c) => `${c.check}: ${c.reason}`);

  beforeAll(async () => {
    endpoint = local.session.sfn.endpoint;
    const { env } = local.session;
    expected = doctorExpectations({ securityAccount: env.securityAccount, region: env.region, partition: 'aws' });
    await standInDeployment(env, expected);
  }, 120_000);

  it('passes on a healthy local stack, one line per check, aligned, through preflight too', async () => {
    const r = await doctor();
    expect(r.stderr).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.checks.map((c) => [c.check, c.account, c.status])).toEqual([
      ['role FirebreakResponder', MEMBER, 'PASS'],
      ['permissions FirebreakResponder', MEMBER, 'PASS'],
      ['role FirebreakReleaser', MEMBER, 'PASS'],
      ['permissions FirebreakReleaser', MEMBER, 'PASS'],
      ['guardduty admin', SECURITY, 'PASS'],
      ['bus firebreak', SECURITY, 'PASS'],
      ['topic firebreak-notifications', SECURITY, 'PASS'],
    ]);
    expect(r.checks[1].reason).toMatch(/^allows all \d+ action-resource grants of the member stack's responder policy \(simulated\)/);
    const table = await cli(['preflight', '--endpoint', endpoint]);
    expect(table.code).toBe(0);
    expect(table.stdout[0]).toMatch(/^CHECK\s+ACCOUNT\s+REGION\s+RESULT\s+REASON$/);
    const column = table.stdout[0].indexOf('RESULT');
    for (const line of table.stdout.slice(1, -1)) expect(line.slice(column, column + 4)).toBe('PASS');
    expect(table.stdout.at(-1)).toBe('7 passed, 0 failed, 0 skipped');
  });

  it("runs the deploy guide's doctor command (docs/DEPLOY.md), its AWS-only options replaced by the local stack", async () => {
    const guide = fs.readFileSync(path.join(PROJECT_ROOT, 'docs/DEPLOY.md'), 'utf8');
    const line = guide.split('\n').find((l) => l.startsWith('./firebreak doctor '))!;
    const argv = line
      .split(/\s+/)
      .slice(1)
      .join(' ')
      .replace(/ --(profile|region) \S+/g, '')
      .split(' ');
    expect(argv).toEqual(['doctor', '--account', MEMBER, '--read-role', expect.any(String), '--organization-id', expect.any(String)]);
    const r = await cli([...argv, '--endpoint', endpoint]);
    expect(r.stderr).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout.at(-1)).toBe('7 passed, 0 failed, 0 skipped');
  });

  it('fails when the releaser role is missing, naming the role and the account', async () => {
    const { iam } = local.session.env.member;
    const releaser = expected.roles(MEMBER)[1];
    const trust = (await iam.send(new GetRoleCommand({ RoleName: releaser.name }))).Role!.AssumeRolePolicyDocument!;
    for (const name of (await iam.send(new ListRolePoliciesCommand({ RoleName: releaser.name }))).PolicyNames ?? [])
      await iam.send(new DeleteRolePolicyCommand({ RoleName: releaser.name, PolicyName: name }));
    await iam.send(new DeleteRoleCommand({ RoleName: releaser.name }));
    try {
      const r = await doctor();
      expect(r.code).toBe(1);
      expect(failures(r.checks)).toEqual([
        `role FirebreakReleaser: role FirebreakReleaser does not exist in ${MEMBER}: deploy the member stack there`,
      ]);
      expect(r.checks.find((c) => c.check === 'permissions FirebreakReleaser')).toMatchObject({ status: 'SKIP' });
    } finally {
      await iam.send(new CreateRoleCommand({ RoleName: releaser.name, AssumeRolePolicyDocument: decodeURIComponent(trust) }));
      await standInRole(local.session.env, expected, releaser);
    }
    expect((await doctor()).code).toBe(0);
  });

  it("fails when the responder's trust no longer admits the step roles, naming them (read, not tried)", async () => {
    const { iam } = local.session.env.member;
    const responder = expected.roles(MEMBER)[0];
    await iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: responder.name,
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::333333333333:root' }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );
    try {
      const r = await doctor();
      expect(r.code).toBe(1);
      const [line] = failures(r.checks);
      expect(failures(r.checks)).toHaveLength(1);
      expect(line).toMatch(
        /^role FirebreakResponder: the trust policy of FirebreakResponder does not admit arn:aws:iam::222222222222:role\/firebreak-/,
      );
      for (const principal of responder.trustedPrincipals) expect(line).toContain(principal);
    } finally {
      await standInRole(local.session.env, expected, responder);
    }
  });

  it("fails when one action is missing from the responder's policy, naming the action and the role", async () => {
    const { iam } = local.session.env.member;
    const responder = expected.roles(MEMBER)[0];
    const [name] = (await iam.send(new ListRolePoliciesCommand({ RoleName: responder.name }))).PolicyNames!.sort();
    const doc = JSON.parse(
      decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName: responder.name, PolicyName: name }))).PolicyDocument!),
    ) as PolicyDocument;
    // The first action of the first statement that grants several: dropping it leaves the statement valid.
    const index = doc.Statement.findIndex((s) => s.Effect === 'Allow' && Array.isArray(s.Action) && s.Action.length > 1);
    const [removed, ...kept] = doc.Statement[index].Action as string[];
    const statements = doc.Statement.map((s, i) => (i === index ? { ...s, Action: kept } : s));
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: responder.name,
        PolicyName: name,
        PolicyDocument: JSON.stringify({ ...doc, Statement: statements }),
      }),
    );
    try {
      const r = await doctor();
      expect(r.code).toBe(1);
      const lines = failures(r.checks);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(
          `^permissions FirebreakResponder: FirebreakResponder is not allowed ${removed} \\(on (\\*|arn:[^)]+)\\), which its steps call$`,
        ),
      );
    } finally {
      await standInRole(local.session.env, expected, responder);
    }
  });

  it('fails when the topic has only a pending subscription: pages would reach nobody', async () => {
    const { sns } = local.session.env.security;
    const topicArn = local.session.env.topicArn;
    const [queue] = (await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }))).Subscriptions!;
    await sns.send(new UnsubscribeCommand({ SubscriptionArn: queue.SubscriptionArn }));
    const pending = await sns.send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: 'email', Endpoint: 'oncall@example.com', ReturnSubscriptionArn: true }),
    );
    try {
      const r = await doctor();
      expect(r.code).toBe(1);
      expect(failures(r.checks)).toEqual([
        'topic firebreak-notifications: no confirmed subscription (1 pending confirmation: email): pages would reach nobody until one is confirmed',
      ]);
    } finally {
      await sns.send(new UnsubscribeCommand({ SubscriptionArn: pending.SubscriptionArn }));
      await sns.send(
        new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queue.Endpoint, Attributes: { RawMessageDelivery: 'true' } }),
      );
    }
    expect((await doctor()).code).toBe(0);
  });

  it('refuses bad input with exit 2 before any call', async () => {
    for (const bad of [
      ['--account', '12345'],
      ['--read-role', 'no spaces'],
      ['--organization-id', 'org-1'],
    ]) {
      const r = await cli(['doctor', '--endpoint', 'http://127.0.0.1:1', ...bad]);
      expect(r.code).toBe(2);
      expect(r.stderr).toEqual([expect.stringMatching(new RegExp(`^firebreak: error: ${bad[0]} `))]);
    }
  });

  it("takes --account and --organization-id from cdk.json's configuration where it runs; a bad one is bad input", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fb-doctor-'));
    try {
      expect(configuredDefaults(dir)).toEqual({});
      const firebreak = { securityAccountId: SECURITY, memberAccountIds: [MEMBER, '333333333333'], organization: { id: 'o-a1b2c3d4e5' } };
      fs.writeFileSync(path.join(dir, 'cdk.json'), JSON.stringify({ app: 'x', context: { firebreak } }));
      expect(configuredDefaults(dir)).toEqual({ memberAccountIds: [MEMBER, '333333333333'], organizationId: 'o-a1b2c3d4e5' });
      fs.writeFileSync(path.join(dir, 'cdk.json'), JSON.stringify({ context: { firebreak: { memberAccountIds: ['12'] } } }));
      expect(() => configuredDefaults(dir)).toThrow(InvalidInput);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads policy documents as IAM returns them (URL-encoded JSON) and refuses anything else (pure)', () => {
    const doc = { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 'ec2:DescribeInstances', Resource: '*' } };
    expect(parsePolicyDocument(encodeURIComponent(JSON.stringify(doc))).Statement).toEqual([doc.Statement]);
    expect(parsePolicyDocument(JSON.stringify(doc)).Statement).toEqual([doc.Statement]);
    for (const bad of [undefined, '', 'not json', '%7B%22Version%22', JSON.stringify({ Version: '2012-10-17' })])
      expect(() => parsePolicyDocument(bad)).toThrow();
  });

  it('builds witnesses that meet the conditions and replace wildcards (pure)', () => {
    const w = witnesses({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['ec2:ModifyNetworkInterfaceAttribute'],
          Resource: 'arn:aws:ec2:us-east-1:111111111111:security-group/*',
          Condition: { StringEquals: { 'aws:ResourceTag/firebreak:role': ['isolation', 'untrack'] }, Null: { 'aws:TagKeys': 'true' } },
        },
        { Effect: 'Deny', Action: 'iam:*', Resource: '*' },
      ],
    });
    const context = { 'aws:ResourceTag/firebreak:role': 'isolation' };
    expect(w).toEqual([
      {
        grant: 1,
        action: 'ec2:ModifyNetworkInterfaceAttribute',
        resource: 'arn:aws:ec2:us-east-1:111111111111:security-group/doctor-sample',
        context,
      },
      {
        grant: 1,
        action: 'ec2:ModifyNetworkInterfaceAttribute',
        resource: 'arn:aws:ec2:us-east-1:111111111111:security-group/doctor-sample/doctor-sample',
        context,
      },
    ]);
  });
});
