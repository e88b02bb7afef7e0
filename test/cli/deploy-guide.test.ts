import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONFIG_FILE_CONTEXT_KEY, parseConfig } from '../../lib/core/config';
import { PROJECT_ROOT } from '../../lib/core/project-root';
import { FirebreakNames } from '../../lib/infra/names';
import { buildTestApp, templateOf } from '../infra/support';
import { parseError } from '../support/parse-cli';

/**
 * docs/DEPLOY.md (issue 16, item 2): every command of the deploy guide is checked. Its configuration is valid and
 * synthesizes (bundling skipped) with the member StackSet's automatic deployment; each `npx cdk` command names a known
 * subcommand, flag, profile and stack; each `aws` command is on the list below (the AWS CLI reference page of each) with
 * only its flags, and its values are the guide's accounts, region and names; each `./firebreak` command parses with the
 * real program. test/cli/doctor.test.ts runs the guide's `firebreak doctor` against a local stack.
 */

const GUIDE = fs.readFileSync(path.join(PROJECT_ROOT, 'docs/DEPLOY.md'), 'utf8');
const PROFILES = ['management', 'security', 'member', 'sandbox'];
const MEMBER = '111111111111';

/** The fenced blocks of a markdown text, with their language. */
function blocks(markdown: string): { lang: string; body: string }[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```/gm)].map((m) => ({ lang: m[1], body: m[2] }));
}

/** The commands of the bash blocks, one per line (continuations joined), as words. */
function commands(markdown: string): string[][] {
  return blocks(markdown)
    .filter((b) => b.lang === 'bash')
    .flatMap((b) => b.body.replace(/\\\n\s*/g, ' ').split('\n'))
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(/\s+/));
}

/** The flags of a command: `--flag value` pairs (a flag followed by another flag, or last, has no value). */
function flags(words: readonly string[]): { positional: string[]; options: Map<string, string | true> } {
  const positional: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < words.length; i++) {
    if (!words[i].startsWith('-')) positional.push(words[i]);
    else if (i + 1 < words.length && !words[i + 1].startsWith('-')) options.set(words[i], words[++i]);
    else options.set(words[i], true);
  }
  return { positional, options };
}

const config = parseConfig(JSON.parse(blocks(GUIDE).find((b) => b.lang === 'json')!.body), 'docs/DEPLOY.md');
const names = new FirebreakNames(config.prefix);
const SECURITY = config.securityAccountId!;
const TOPIC_ARN = `arn:aws:sns:${config.region}:${SECURITY}:${names.notificationTopic}`;
const STACKSETS = 'member.org.stacksets.cloudformation.amazonaws.com';

/**
 * The AWS CLI commands the guide may use, each with its flags (besides `--profile` and `--region`) and what their values
 * must be (AWS CLI Command Reference, https://awscli.amazonaws.com/v2/documentation/api/latest/reference/<service>/<command>.html).
 */
const AWS_COMMANDS: Readonly<Record<string, Readonly<Record<string, (v: string | true) => boolean>>>> = {
  // ActivateOrganizationsAccess: trusted access for StackSets, from the management account (no required parameter).
  'cloudformation activate-organizations-access': {},
  'organizations register-delegated-administrator': {
    '--account-id': (v) => v === SECURITY,
    '--service-principal': (v) => v === STACKSETS,
  },
  'cloudformation list-stack-instances': {
    '--stack-set-name': (v) => v === names.memberStack,
    '--call-as': (v) => v === config.organization?.memberStackSet?.callAs,
  },
  'guardduty enable-organization-admin-account': { '--admin-account-id': (v) => v === SECURITY },
  'guardduty list-detectors': {},
  'guardduty update-organization-configuration': {
    '--detector-id': (v) => typeof v === 'string' && /^[0-9a-f]{32}$/.test(v),
    '--auto-enable-organization-members': (v) => v === 'ALL',
  },
  'guardduty list-organization-admin-accounts': {},
  'sns list-subscriptions-by-topic': { '--topic-arn': (v) => v === TOPIC_ARN },
};

describe('the deploy guide (docs/DEPLOY.md)', () => {
  const all = commands(GUIDE);
  const built = buildTestApp(config as unknown as Record<string, unknown>);
  const stacks = [built.security.stackName, built.member.stackName];

  it('walks bootstrap, security stack, StackSet, GuardDuty, topic, doctor and a sandbox game day, in that order', () => {
    const order = ['npx cdk bootstrap', 'npx cdk deploy FirebreakSecurity', 'list-stack-instances', 'enable-organization-admin-account'];
    const text = all.map((w) => w.join(' '));
    const at = (s: string) => text.findIndex((t) => t.includes(s));
    for (const s of [...order, 'list-subscriptions-by-topic', './firebreak doctor', './firebreak gameday --target aws'])
      expect([s, at(s)]).not.toEqual([s, -1]);
    expect(order.map(at)).toEqual([...order.map(at)].sort((a, b) => a - b));
    expect(at('list-subscriptions-by-topic')).toBeLessThan(at('./firebreak doctor'));
    expect(at('./firebreak doctor')).toBeLessThan(at('./firebreak gameday --target aws'));
    for (const w of all) expect(['npx cdk', 'aws', './firebreak'].some((p) => w.join(' ').startsWith(`${p} `))).toBe(true);
  });

  it('its configuration synthesizes: both stacks, and the member StackSet with automatic deployment to the OU', () => {
    expect(stacks).toEqual(['FirebreakSecurity', 'FirebreakMember']);
    const [stackSet] = Object.values(templateOf(built.security).findResources('AWS::CloudFormation::StackSet'));
    expect(stackSet.Properties).toMatchObject({
      StackSetName: names.memberStack,
      PermissionModel: 'SERVICE_MANAGED',
      AutoDeployment: { Enabled: true },
      StackInstancesGroup: [
        {
          DeploymentTargets: { OrganizationalUnitIds: config.organization!.memberStackSet!.organizationalUnitIds },
          Regions: [config.region],
        },
      ],
    });
  });

  it('every npx cdk command is a known subcommand with known flags, profiles, accounts and stacks', () => {
    const cdk = all.filter((w) => w[0] === 'npx');
    expect(cdk.length).toBeGreaterThanOrEqual(6);
    for (const words of cdk) {
      const { positional, options } = flags(words.slice(3));
      expect([words.join(' '), words[1], words[2]]).toEqual([words.join(' '), 'cdk', expect.stringMatching(/^(synth|bootstrap|deploy)$/)]);
      for (const [flag, value] of options) {
        if (flag === '-c') expect(value).toBe(`${CONFIG_FILE_CONTEXT_KEY}=firebreak.json`);
        else expect([flag, PROFILES.includes(value as string)]).toEqual(['--profile', true]);
      }
      if (words[2] === 'deploy') for (const s of positional) expect(stacks).toContain(s);
      if (words[2] === 'bootstrap')
        for (const env of positional) expect(env).toMatch(new RegExp(`^aws://(${SECURITY}|${MEMBER})/${config.region}$`));
      if (words[2] === 'synth') expect(positional).toEqual([]);
    }
  });

  it('every aws command is on the list, with only its flags, and the values the guide configures', () => {
    const aws = all.filter((w) => w[0] === 'aws');
    expect(aws.length).toBeGreaterThanOrEqual(8);
    for (const words of aws) {
      const name = `${words[1]} ${words[2]}`;
      const spec = AWS_COMMANDS[name];
      expect([name, spec !== undefined]).toEqual([name, true]);
      const { positional, options } = flags(words.slice(3));
      expect([name, positional]).toEqual([name, []]);
      expect([name, PROFILES.includes(options.get('--profile') as string)]).toEqual([name, true]);
      if (options.has('--region')) expect(options.get('--region')).toBe(config.region);
      for (const [flag, check] of Object.entries(spec)) expect([name, flag, check(options.get(flag) ?? true)]).toEqual([name, flag, true]);
      for (const flag of options.keys())
        expect([name, flag, ['--profile', '--region', ...Object.keys(spec)].includes(flag)]).toEqual([name, flag, true]);
    }
  });

  it('every ./firebreak command parses with the real program', async () => {
    const cli = all.filter((w) => w[0] === './firebreak');
    expect(cli.length).toBeGreaterThanOrEqual(3);
    for (const words of cli) expect([words.join(' '), await parseError(words.slice(1))]).toEqual([words.join(' '), undefined]);
  });

  it('the checks refuse a wrong aws flag and an unknown firebreak option', async () => {
    const bad = flags(['--admin-account-id', '333333333333']).options;
    expect(AWS_COMMANDS['guardduty enable-organization-admin-account']['--admin-account-id'](bad.get('--admin-account-id')!)).toBe(false);
    expect(await parseError(['doctor', '--no-such-option'])).toMatch(/unknown option/);
  });
});
