import * as fs from 'node:fs';
import * as path from 'node:path';

import {
  ApiCallMatchInput,
  bandBounds,
  buildCatalog,
  CATALOG,
  CatalogEntry,
  catalogPlaybooks,
  DEFAULT_SEVERITY_FLOOR,
  matchApiCallEntry,
  matchCatalogEntry,
  severityFloorOf,
} from '../../../lib/core/catalog/catalog';
import {
  BELOW_FLOOR_RULE_NAME,
  belowFloorRule,
  catalogRules,
  EventPattern,
  eventPatternFor,
  ruleNameFor,
} from '../../../lib/core/catalog/patterns';
import { EXECUTION_ENDED_RULE_NAME } from '../../../lib/infra/security-account-stack';
import { FirebreakNames } from '../../../lib/infra/names';
import { useLocalSession } from '../../support/local';

const GUARDDUTY_ENTRIES = CATALOG.filter((e) => e.kind === 'guardduty-finding');
const ROOT = path.resolve(__dirname, '..', '..', '..');
const FIXTURES = path.join(ROOT, 'fixtures', 'events');

/**
 * A small EventBridge pattern evaluator for exactly the operators the catalog's patterns use: exact
 * strings, `prefix`, `numeric`, `exists`, `anything-but` with a list or a `prefix` ("Content filtering in Amazon
 * EventBridge event patterns", EventBridge User Guide: a value filter never matches an absent field).
 * Anything else throws, so a new operator in the patterns fails this test until the evaluator learns it.
 */
function patternMatches(pattern: EventPattern, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([key, rule]) => {
    const value = event[key];
    if (Array.isArray(rule)) {
      if (value === undefined || value === null) return rule.some((r) => isExistsFalse(r));
      const values = Array.isArray(value) ? value : [value];
      return values.some((v) => rule.some((r) => valueMatches(r, v)));
    }
    if (rule && typeof rule === 'object') {
      // An absent object matches only a rule whose every field may be absent (`exists: false`), as in EventBridge.
      if (value === undefined || value === null) return patternMatches(rule as EventPattern, {});
      if (typeof value !== 'object' || Array.isArray(value)) return false;
      return patternMatches(rule as EventPattern, value as Record<string, unknown>);
    }
    throw new Error(`pattern field ${key} is neither a list nor an object: ${JSON.stringify(rule)}`);
  });
}

function isExistsFalse(rule: unknown): boolean {
  return !!rule && typeof rule === 'object' && (rule as { exists?: unknown }).exists === false;
}

function valueMatches(rule: unknown, value: unknown): boolean {
  if (typeof rule === 'string' || typeof rule === 'number') return rule === value;
  if (rule && typeof rule === 'object') {
    const ops = Object.keys(rule);
    if (ops.length !== 1) throw new Error(`unsupported pattern operator ${JSON.stringify(rule)}`);
    const r = rule as { prefix?: unknown; numeric?: unknown; exists?: unknown; 'anything-but'?: unknown };
    if (ops[0] === 'prefix') return typeof value === 'string' && typeof r.prefix === 'string' && value.startsWith(r.prefix);
    if (ops[0] === 'numeric') return typeof value === 'number' && numericMatches(r.numeric as unknown[], value);
    if (ops[0] === 'exists') return r.exists === true;
    if (ops[0] === 'anything-but' && Array.isArray(r['anything-but'])) return !r['anything-but'].includes(value);
    // `anything-but` with a `prefix` (the finding-type filter `notPrefix`).
    const but = r['anything-but'] as { prefix?: unknown } | undefined;
    if (ops[0] === 'anything-but' && but && typeof but.prefix === 'string' && Object.keys(but).length === 1)
      return typeof value === 'string' && !value.startsWith(but.prefix);
  }
  throw new Error(`unsupported pattern operator ${JSON.stringify(rule)}`);
}

function numericMatches(conditions: unknown[], value: number): boolean {
  if (conditions.length === 0 || conditions.length % 2 !== 0) throw new Error(`malformed numeric condition ${JSON.stringify(conditions)}`);
  for (let i = 0; i < conditions.length; i += 2) {
    const [op, bound] = [conditions[i], conditions[i + 1]];
    if (typeof bound !== 'number') throw new Error(`numeric bound ${JSON.stringify(bound)} is not a number`);
    const ok =
      op === '>='
        ? value >= bound
        : op === '>'
          ? value > bound
          : op === '<'
            ? value < bound
            : op === '<='
              ? value <= bound
              : op === '='
                ? value === bound
                : undefined;
    if (ok === undefined) throw new Error(`unsupported numeric operator ${JSON.stringify(op)}`);
    if (!ok) return false;
  }
  return true;
}

/** One point of the grid. */
interface Finding {
  readonly type: string;
  readonly severity: number;
  readonly role?: 'ACTOR' | 'TARGET';
  readonly resourceType: string;
  /** The finding names an EC2 instance (`resource.instanceDetails.instanceId`): a container finding's node. */
  readonly node?: boolean;
}

const FINDING_TYPES = [
  'Backdoor:EC2/C&CActivity.B',
  'UnauthorizedAccess:EC2/SSHBruteForce',
  'UnauthorizedAccess:EC2/TorClient',
  'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
  'Execution:Runtime/ReverseShell',
  'Discovery:S3/MaliciousIPCaller',
  'Policy:S3/BucketAnonymousAccessGranted',
  'AttackSequence:IAM/CompromisedCredentials',
  'Made:Up/TypeAwsAddsLater',
];
const SEVERITIES = Array.from({ length: 21 }, (_, i) => i / 2);
const ROLES = ['ACTOR', 'TARGET', undefined] as const;
/** Every resource type GuardDuty documents, and one it may add later. */
const RESOURCE_TYPES = [
  'Instance',
  'AccessKey',
  'S3Bucket',
  'S3Object',
  'EKSCluster',
  'ECSCluster',
  'Container',
  'RDSDBInstance',
  'RDSLimitlessDB',
  'Lambda',
  'AttackSequence',
  'SomethingNew',
];

const GRID: Finding[] = FINDING_TYPES.flatMap((type) =>
  SEVERITIES.flatMap((severity) =>
    ROLES.flatMap((role) =>
      RESOURCE_TYPES.flatMap((resourceType) => [false, true].map((node) => ({ type, severity, role, resourceType, node }))),
    ),
  ),
);

/** The EventBridge event a finding arrives as (the parts patterns can look at). */
function eventOf(f: Finding): { source: string; 'detail-type': string; detail: Record<string, unknown> } {
  return {
    source: 'aws.guardduty',
    'detail-type': 'GuardDuty Finding',
    detail: {
      schemaVersion: '2.0',
      accountId: '111111111111',
      region: 'us-east-1',
      id: `grid-${f.type}-${f.severity}-${f.role}-${f.resourceType}`,
      type: f.type,
      severity: f.severity,
      resource: { resourceType: f.resourceType, ...(f.node ? { instanceDetails: { instanceId: 'i-0d4e5f60718293a4b' } } : {}) },
      service: { ...(f.role ? { resourceRole: f.role } : {}), count: 1 },
    },
  };
}

function matchInputOf(f: Finding) {
  return {
    source: 'aws.guardduty',
    detailType: 'GuardDuty Finding',
    resourceType: f.resourceType,
    severity: f.severity,
    type: f.type,
    nodeInstance: f.node ?? false,
  };
}

/** The rule names whose pattern matches the finding, by the evaluator above (the below-floor rule included). */
function matchingRuleNames(f: Finding, catalog: readonly CatalogEntry[] = CATALOG): string[] {
  const floor = belowFloorRule(severityFloorOf(catalog));
  return [
    ...catalog.filter((e) => patternMatches(eventPatternFor(e), eventOf(f))).map(ruleNameFor),
    ...(patternMatches(floor.pattern, eventOf(f)) ? [floor.ruleName] : []),
  ].sort();
}

function readFixture(name: string): { source: string; 'detail-type': string; detail: unknown } {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as { source: string; 'detail-type': string; detail: unknown };
}

describe('catalog', () => {
  it('has at least one entry, each with a unique id and rule name; game-day rules only for containing playbooks', () => {
    expect(CATALOG.length).toBeGreaterThan(0);
    expect(new Set(CATALOG.map((e) => e.id)).size).toBe(CATALOG.length);
    expect(new Set(catalogRules().map((r) => r.ruleName)).size).toBe(catalogRules().length);
    const gameDay = catalogRules()
      .filter((r) => r.ruleName.startsWith('firebreak-gameday-'))
      .map((r) => r.entry.id)
      .sort();
    expect(gameDay).toEqual([
      'container-node-high',
      'container-node-medium',
      'credential-compromise-high',
      'credential-compromise-medium',
      'ec2-compromise-high',
      'ec2-compromise-medium',
      'ecs-task-high',
      'ecs-task-medium',
      'lambda-compromise-high',
      'lambda-compromise-medium',
      'rds-compromise-high',
      'rds-compromise-medium',
      's3-compromise-high',
      's3-compromise-medium',
      's3-exposure-high',
      's3-exposure-medium',
    ]);
    expect(catalogRules().length).toBe(CATALOG.length + gameDay.length);
  });

  it('gives every GuardDuty finding exactly one rule: a playbook at or above the floor, the counting rule below it', () => {
    for (const f of GRID) {
      const rules = matchingRuleNames(f);
      expect({ f, rules: rules.length }).toEqual({ f, rules: 1 });
      expect({ f, belowFloor: rules[0] === BELOW_FLOOR_RULE_NAME }).toEqual({ f, belowFloor: f.severity < DEFAULT_SEVERITY_FLOOR });
    }
  });

  it('routes on the resource, and on the finding type only to tell the Policy:S3/ exposure types on AccessKey from the others; never on the resource role', () => {
    const exposure = (f: Finding) => f.resourceType === 'AccessKey' && f.type.startsWith('Policy:S3/');
    for (const f of GRID) {
      const rules = matchingRuleNames(f);
      for (const other of [
        ...(exposure(f) ? [] : [{ ...f, type: 'Backdoor:EC2/C&CActivity.B' }]),
        { ...f, role: undefined },
        { ...f, role: 'ACTOR' as const },
      ]) {
        expect(matchingRuleNames(other)).toEqual(rules);
      }
    }
  });

  it.each([
    ['Instance', 8, 'ec2-compromise-high'],
    ['Instance', 7, 'ec2-compromise-high'],
    ['Instance', 6.9, 'ec2-compromise-medium'],
    ['Instance', 4, 'ec2-compromise-medium'],
    ['AccessKey', 10, 'credential-compromise-high'],
    ['AccessKey', 5, 'credential-compromise-medium'],
    ['S3Bucket', 5, 's3-compromise-medium'],
    ['S3Bucket', 8, 's3-compromise-high'],
    ['S3Object', 8, 'finding-triage'],
    ['Lambda', 8, 'lambda-compromise-high'],
    ['Lambda', 5, 'lambda-compromise-medium'],
    ['EKSCluster', 8, 'container-workload'],
    ['ECSCluster', 5, 'ecs-task-medium'],
    ['ECSCluster', 8, 'ecs-task-high'],
    ['AttackSequence', 9, 'attack-sequence-high'],
    ['AttackSequence', 5, 'attack-sequence-medium'],
    ['SomethingNew', 4, 'finding-triage'],
    ['Instance', 3.9, undefined],
    ['S3Bucket', 2, undefined],
  ])('routes a %s finding of severity %s to %s', (resourceType, severity, id) => {
    const f: Finding = { type: 'Any:Type/Here', severity, resourceType, role: 'TARGET' };
    expect(matchCatalogEntry(matchInputOf(f))?.id).toBe(id);
    expect(matchingRuleNames(f)).toEqual([id ? `firebreak-${id}` : BELOW_FLOOR_RULE_NAME]);
  });

  it.each([
    ['EKSCluster', 8, true, 'container-node-high'],
    // An ECS task goes to ecs-task-compromise whether or not the finding names its container instance.
    ['ECSCluster', 7, true, 'ecs-task-high'],
    ['EKSCluster', 5, true, 'container-node-medium'],
    ['EKSCluster', 8, false, 'container-workload'],
    ['ECSCluster', 4, false, 'ecs-task-medium'],
    ['EKSCluster', 3.9, true, undefined],
    ['Instance', 8, true, 'ec2-compromise-high'],
    ['Lambda', 8, true, 'lambda-compromise-high'],
  ])('routes a %s finding of severity %s that names a node instance (%s) to %s', (resourceType, severity, node, id) => {
    const f: Finding = { type: 'Execution:Runtime/ReverseShell', severity, resourceType, node };
    expect(matchCatalogEntry(matchInputOf(f))?.id).toBe(id);
    expect(matchingRuleNames(f)).toEqual([id ? `firebreak-${id}` : BELOW_FLOOR_RULE_NAME]);
  });

  it('waits for approval by default on a container finding that names its node, and contains nothing without the node', () => {
    const byId = (id: string) => CATALOG.find((e) => e.id === id);
    expect(byId('container-node-high')).toMatchObject({ playbook: 'ec2-compromise', mode: 'approval', approvalTimeoutAction: 'notify' });
    expect(byId('container-node-medium')).toMatchObject({ playbook: 'ec2-compromise', mode: 'notify' });
    expect(byId('container-workload')).toMatchObject({ playbook: 'finding-triage', mode: 'notify' });
  });

  it.each([
    ['Policy:S3/BucketAnonymousAccessGranted', 'AccessKey', 8, 's3-exposure-high'],
    ['Policy:S3/BucketBlockPublicAccessDisabled', 'AccessKey', 5, 's3-exposure-medium'],
    ['Policy:S3/BucketPublicAccessGranted', 'S3Bucket', 8, 's3-compromise-high'],
    ['Stealth:S3/ServerAccessLoggingDisabled', 'AccessKey', 8, 'credential-compromise-high'],
    ['UnauthorizedAccess:IAMUser/TorIPCaller', 'AccessKey', 5, 'credential-compromise-medium'],
  ])('routes %s on %s at %s to %s (the Policy:S3/ exposure types on AccessKey to s3-compromise)', (type, resourceType, severity, id) => {
    const f: Finding = { type, severity, resourceType, role: 'TARGET' };
    expect(matchCatalogEntry(matchInputOf(f))?.id).toBe(id);
    expect(matchingRuleNames(f)).toEqual([`firebreak-${id}`]);
  });

  describe('eventPatternFor and matchCatalogEntry', () => {
    it('use only the operators the test evaluator knows', () => {
      for (const entry of GUARDDUTY_ENTRIES) expect(() => patternMatches(eventPatternFor(entry), eventOf(GRID[0]))).not.toThrow();
    });

    it.each(GUARDDUTY_ENTRIES.map((e) => [e.id, e] as [string, CatalogEntry]))(
      'agree for entry %s on every finding of the grid',
      (_id, entry) => {
        const pattern = eventPatternFor(entry);
        const disagreements = GRID.filter(
          (f) => patternMatches(pattern, eventOf(f)) !== (matchCatalogEntry(matchInputOf(f), [entry]) !== undefined),
        );
        expect(disagreements).toEqual([]);
        // Not vacuous: the entry's pattern matches part of the grid and rejects the rest.
        expect(GRID.some((f) => patternMatches(pattern, eventOf(f)))).toBe(true);
        expect(GRID.some((f) => !patternMatches(pattern, eventOf(f)))).toBe(true);
      },
    );

    it('agree with the whole catalog: matchCatalogEntry returns the entry whose pattern matches, or undefined', () => {
      const disagreements = GRID.filter((f) => {
        const byPattern = CATALOG.find((e) => patternMatches(eventPatternFor(e), eventOf(f)));
        return matchCatalogEntry(matchInputOf(f))?.id !== byPattern?.id;
      });
      expect(disagreements).toEqual([]);
    });

    it('keep every rule pattern within EventBridge\'s default 2,048 characters ("Amazon EventBridge quotas")', () => {
      for (const { ruleName, pattern } of [...catalogRules(), belowFloorRule()])
        expect([ruleName, JSON.stringify(pattern).length <= 2048]).toEqual([ruleName, true]);
    });
  });

  describe('the severity floor', () => {
    it.each([0, 1, 2.5, 4, 5.5, 7])(
      'at %s, every finding at or above it has one playbook rule and every finding below it only the counting rule',
      (floor) => {
        const catalog = buildCatalog(floor);
        expect(severityFloorOf(catalog)).toBe(floor);
        for (const f of GRID) {
          const rules = matchingRuleNames(f, catalog);
          expect({ f, rules }).toEqual({
            f,
            rules: f.severity < floor ? [BELOW_FLOOR_RULE_NAME] : [expect.not.stringMatching(BELOW_FLOOR_RULE_NAME)],
          });
        }
      },
    );

    it('never hides High findings: a floor above 7 is refused, and at 7 the medium entries are gone', () => {
      expect(() => buildCatalog(7.5)).toThrow(/outside 0 to 7/);
      expect(() => buildCatalog(-1)).toThrow(/outside/);
      expect(buildCatalog(7).map((e) => e.id)).not.toEqual(expect.arrayContaining(['ec2-compromise-medium']));
      expect(bandBounds('medium', 7)).toBeUndefined();
      expect(bandBounds('high', 4)).toEqual({ minSeverity: 7 });
      expect(bandBounds('floor', 2)).toEqual({ minSeverity: 2 });
    });
  });

  describe("the emulator's EventBridge matcher", () => {
    const local = useLocalSession();

    it('holds exactly one rule per catalog entry and game-day twin, the counting, execution-ended and trail-baseline rules, on the bus each names', async () => {
      for (const bus of ['default', 'firebreak'] as const) {
        const ruleNames = [
          ...catalogRules()
            .filter((r) => r.eventBus === bus)
            .map((r) => r.ruleName),
          // The trail baselines' deployment rule (an event pattern: the stack's own status change); its schedule rule has none.
          ...(bus === 'default'
            ? [BELOW_FLOOR_RULE_NAME, EXECUTION_ENDED_RULE_NAME, `${FirebreakNames.DEFAULT.prefix}-trail-baselines-deployed`]
            : []),
        ].sort();
        expect(
          local.session.runner.rules
            .filter((r) => r.eventBusName === bus)
            .map((r) => r.name)
            .sort(),
        ).toEqual(ruleNames);
      }
    });

    it('agrees with matchApiCallEntry on a grid of API calls (sources, event names, caller types, failed calls)', async () => {
      const calls: ApiCallMatchInput[] = [];
      for (const [source, eventSource, detailType] of [
        ['aws.cloudtrail', 'cloudtrail.amazonaws.com', 'AWS API Call via CloudTrail'],
        ['aws.guardduty', 'guardduty.amazonaws.com', 'AWS API Call via CloudTrail'],
        ['aws.iam', 'iam.amazonaws.com', 'AWS API Call via CloudTrail'],
        ['aws.signin', 'signin.amazonaws.com', 'AWS Console Sign In via CloudTrail'],
      ]) {
        for (const eventName of ['StopLogging', 'DeleteTrail', 'DescribeTrails', 'DeleteDetector', 'CreateAccessKey', 'ConsoleLogin']) {
          for (const userIdentityType of ['Root', 'IAMUser']) {
            for (const errorCode of [undefined, 'AccessDenied'])
              calls.push({ source, eventSource, detailType, eventName, userIdentityType, errorCode });
          }
        }
      }
      let matched = 0;
      for (const c of calls) {
        const detail: Record<string, unknown> = {
          eventSource: c.eventSource,
          eventName: c.eventName,
          userIdentity: { type: c.userIdentityType },
        };
        if (c.errorCode) detail.errorCode = c.errorCode;
        const routed = await local.session.router.route({ source: c.source, 'detail-type': c.detailType, detail }, 'firebreak');
        const expected = matchApiCallEntry(c);
        expect({ call: c, matched: routed.matched }).toEqual({ call: c, matched: expected ? [`firebreak-${expected.id}`] : [] });
        if (expected) matched += 1;
      }
      expect(matched).toBeGreaterThan(0);
      expect(matched).toBeLessThan(calls.length);
    });

    // One finding per (resource type, severity band edge, node instance named or not): what the patterns can tell apart.
    const CASES: Finding[] = RESOURCE_TYPES.flatMap((resourceType) =>
      [3.9, 4, 6.9, 7, 10].flatMap((severity) =>
        [false, true].map((node) => ({ type: 'Backdoor:EC2/C&CActivity.B', severity, resourceType, role: 'TARGET' as const, node })),
      ),
    );

    it('matches like the test evaluator and matchCatalogEntry on every resource type at every band edge', async () => {
      for (const f of CASES) {
        const routed = await local.session.router.route(eventOf(f));
        const byCatalog = matchCatalogEntry(matchInputOf(f));
        expect({ f, matched: routed.matched.sort() }).toEqual({ f, matched: matchingRuleNames(f) });
        expect({ f, matched: routed.matched }).toEqual({ f, matched: [byCatalog ? ruleNameFor(byCatalog) : BELOW_FLOOR_RULE_NAME] });
      }
    });

    it.each([
      ['guardduty-ec2-bitcoin-dns.json', ['firebreak-ec2-compromise-high']],
      ['guardduty-ec2-backdoor-two-enis-ipv6.json', ['firebreak-ec2-compromise-high']],
      ['guardduty-sample-ec2.json', ['firebreak-ec2-compromise-high']],
      ['guardduty-ec2-ssh-bruteforce-victim.json', [BELOW_FLOOR_RULE_NAME]],
      ['guardduty-iamuser-anomalous.json', ['firebreak-credential-compromise-medium']],
      ['guardduty-instance-credential-exfiltration.json', ['firebreak-credential-compromise-high']],
      ['cloudtrail-stoplogging.json', []],
      ['signin-root-console-login.json', []],
    ])('routes the fixture %s to %j', async (file, expected) => {
      const event = readFixture(file);
      const routed = await local.session.router.route({ source: event.source, 'detail-type': event['detail-type'], detail: event.detail });
      expect(routed.matched).toEqual(expected);
    });
  });

  describe('runbooks', () => {
    it.each(catalogPlaybooks())('has runbooks/%s/runbook.md and drill.yaml', (playbook) => {
      const dir = path.join(ROOT, 'runbooks', playbook);
      const missing = ['runbook.md', 'drill.yaml'].filter(
        (f) => !fs.existsSync(path.join(dir, f)) || fs.statSync(path.join(dir, f)).size === 0,
      );
      expect(missing).toEqual([]);
    });
  });
});
