import * as fs from 'node:fs';
import * as path from 'node:path';

import { ApiCallMatchInput, CATALOG, CatalogEntry, catalogPlaybooks, matchApiCallEntry, matchCatalogEntry } from '../../../lib/catalog/catalog';

const GUARDDUTY_ENTRIES = CATALOG.filter((e) => e.kind === 'guardduty-finding');
import { EventPattern, catalogRules, eventPatternFor, ruleNameFor } from '../../../lib/catalog/patterns';
import { useLocalSession } from '../../support/local';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const FIXTURES = path.join(ROOT, 'fixtures', 'events');

/**
 * A small EventBridge pattern evaluator for exactly the operators the catalog's patterns use:
 * exact strings, `prefix` and `numeric` ("Content filtering in Amazon EventBridge event
 * patterns", EventBridge User Guide). Anything else throws, so a new operator in the patterns
 * fails this test until the evaluator learns it.
 */
function patternMatches(pattern: EventPattern, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([key, rule]) => {
    const value = event[key];
    if (Array.isArray(rule)) {
      if (value === undefined || value === null) return false;
      const values = Array.isArray(value) ? value : [value];
      return values.some((v) => rule.some((r) => valueMatches(r, v)));
    }
    if (rule && typeof rule === 'object') {
      if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
      return patternMatches(rule as EventPattern, value as Record<string, unknown>);
    }
    throw new Error(`pattern field ${key} is neither a list nor an object: ${JSON.stringify(rule)}`);
  });
}

function valueMatches(rule: unknown, value: unknown): boolean {
  if (typeof rule === 'string' || typeof rule === 'number') return rule === value;
  if (rule && typeof rule === 'object') {
    const ops = Object.keys(rule);
    if (ops.length !== 1) throw new Error(`unsupported pattern operator ${JSON.stringify(rule)}`);
    const r = rule as { prefix?: unknown; numeric?: unknown };
    if (ops[0] === 'prefix') return typeof value === 'string' && typeof r.prefix === 'string' && value.startsWith(r.prefix);
    if (ops[0] === 'numeric') return typeof value === 'number' && numericMatches(r.numeric as unknown[], value);
  }
  throw new Error(`unsupported pattern operator ${JSON.stringify(rule)}`);
}

function numericMatches(conditions: unknown[], value: number): boolean {
  if (conditions.length === 0 || conditions.length % 2 !== 0) throw new Error(`malformed numeric condition ${JSON.stringify(conditions)}`);
  for (let i = 0; i < conditions.length; i += 2) {
    const [op, bound] = [conditions[i], conditions[i + 1]];
    if (typeof bound !== 'number') throw new Error(`numeric bound ${JSON.stringify(bound)} is not a number`);
    const ok = op === '>=' ? value >= bound : op === '>' ? value > bound : op === '<' ? value < bound : op === '<=' ? value <= bound : op === '=' ? value === bound : undefined;
    if (ok === undefined) throw new Error(`unsupported numeric operator ${JSON.stringify(op)}`);
    if (!ok) return false;
  }
  return true;
}

/** One point of the grid. */
interface Finding {
  readonly type: string;
  readonly severity: number;
  readonly role: 'ACTOR' | 'TARGET';
  readonly resourceType: 'Instance' | 'AccessKey';
}

const FINDING_TYPES = [
  'Backdoor:EC2/C&CActivity.B',
  'Backdoor:EC2/C&CActivity.B!DNS',
  'CryptoCurrency:EC2/BitcoinTool.B!DNS',
  'Trojan:EC2/DNSDataExfiltration',
  'Impact:EC2/PortSweep',
  'UnauthorizedAccess:EC2/SSHBruteForce',
  'UnauthorizedAccess:EC2/TorClient',
  'Recon:EC2/PortProbeUnprotectedPort',
  'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
  'CredentialAccess:IAMUser/AnomalousBehavior',
  'Execution:Runtime/NewBinaryExecuted',
  'Backdoor:Runtime/C&CActivity.B',
  'backdoor:ec2/C&CActivity.B',
  'Backdoor:EC2',
  'EC2/Backdoor:EC2/',
];
const SEVERITIES = Array.from({ length: 21 }, (_, i) => i / 2);
const ROLES = ['ACTOR', 'TARGET'] as const;
const RESOURCE_TYPES = ['Instance', 'AccessKey'] as const;

const GRID: Finding[] = FINDING_TYPES.flatMap((type) =>
  SEVERITIES.flatMap((severity) => ROLES.flatMap((role) => RESOURCE_TYPES.map((resourceType) => ({ type, severity, role, resourceType })))),
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
      resource: { resourceType: f.resourceType },
      service: { resourceRole: f.role, count: 1 },
    },
  };
}

function matchInputOf(f: Finding) {
  return { source: 'aws.guardduty', detailType: 'GuardDuty Finding', findingType: f.type, resourceType: f.resourceType, resourceRole: f.role, severity: f.severity };
}

/** The rule names whose pattern matches the finding, by the evaluator above. */
function matchingRuleNames(f: Finding): string[] {
  return CATALOG.filter((e) => patternMatches(eventPatternFor(e), eventOf(f))).map(ruleNameFor).sort();
}

function readFixture(name: string): { source: string; 'detail-type': string; detail: unknown } {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as { source: string; 'detail-type': string; detail: unknown };
}

describe('catalog', () => {
  it('has at least one entry, each with a unique id and rule name', () => {
    expect(CATALOG.length).toBeGreaterThan(0);
    expect(new Set(CATALOG.map((e) => e.id)).size).toBe(CATALOG.length);
    expect(new Set(catalogRules().map((r) => r.ruleName)).size).toBe(catalogRules().length);
    expect(catalogRules().length).toBe(CATALOG.length + CATALOG.filter((e) => e.kind === 'guardduty-finding').length);
  });

  it('gives each finding at most one entry: the severity bands of entries with the same types and role do not overlap', () => {
    for (const f of GRID) expect(matchingRuleNames(f).length).toBeLessThanOrEqual(1);
  });

  describe('eventPatternFor and matchCatalogEntry', () => {
    it('uses only the operators the test evaluator knows (prefix, numeric, exact)', () => {
      // patternMatches throws on anything else; one evaluation per entry walks the whole pattern.
      for (const entry of GUARDDUTY_ENTRIES) expect(() => patternMatches(eventPatternFor(entry), eventOf(GRID[0]))).not.toThrow();
    });

    it.each(GUARDDUTY_ENTRIES.map((e) => [e.id, e] as [string, CatalogEntry]))('agree for entry %s on every finding of the grid', (_id, entry) => {
      const pattern = eventPatternFor(entry);
      const disagreements = GRID.filter((f) => patternMatches(pattern, eventOf(f)) !== (matchCatalogEntry(matchInputOf(f), [entry]) !== undefined));
      expect(disagreements).toEqual([]);
      // Not vacuous: the entry's pattern matches part of the grid and rejects the rest.
      expect(GRID.some((f) => patternMatches(pattern, eventOf(f)))).toBe(true);
      expect(GRID.some((f) => !patternMatches(pattern, eventOf(f)))).toBe(true);
    });

    it('agree with the whole catalog: matchCatalogEntry returns the entry whose pattern matches, or undefined', () => {
      const disagreements = GRID.filter((f) => {
        const byPattern = CATALOG.find((e) => patternMatches(eventPatternFor(e), eventOf(f)));
        return matchCatalogEntry(matchInputOf(f))?.id !== byPattern?.id;
      });
      expect(disagreements).toEqual([]);
    });

    it.each([
      [7, 'ec2-compromise-high'],
      [10, 'ec2-compromise-high'],
      [6.9, 'ec2-compromise-medium'],
      [4, 'ec2-compromise-medium'],
      [3.9, undefined],
      [0, undefined],
    ])('routes an EC2 actor finding of severity %s to %s', (severity, id) => {
      const f: Finding = { type: 'Backdoor:EC2/C&CActivity.B', severity, role: 'ACTOR', resourceType: 'Instance' };
      expect(matchCatalogEntry(matchInputOf(f))?.id).toBe(id);
      expect(matchingRuleNames(f)).toEqual(id ? [`firebreak-${id}`] : []);
    });

    it('never routes a victim (TARGET) finding', () => {
      const routed = GRID.filter((f) => f.role === 'TARGET' && (matchingRuleNames(f).length > 0 || matchCatalogEntry(matchInputOf(f))));
      expect(routed).toEqual([]);
    });

    it('routes EC2 finding types only for Instance resources and IAMUser finding types only for AccessKey resources', () => {
      for (const f of GRID) {
        const entry = matchCatalogEntry(matchInputOf(f));
        if (entry?.playbook === 'ec2-compromise') expect(f.resourceType).toBe('Instance');
        if (entry?.playbook === 'credential-compromise') expect(f.resourceType).toBe('AccessKey');
      }
    });
  });

  describe('the emulator\'s EventBridge matcher', () => {
    const local = useLocalSession();

    it('holds exactly one rule per catalog entry, on the bus the entry names', async () => {
      for (const bus of ['default', 'firebreak'] as const) {
        const ruleNames = catalogRules().filter((r) => r.eventBus === bus).map((r) => r.ruleName).sort();
        expect(local.session.runner.rules.filter((r) => r.eventBusName === bus).map((r) => r.name).sort()).toEqual(ruleNames);
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
            for (const errorCode of [undefined, 'AccessDenied']) calls.push({ source, eventSource, detailType, eventName, userIdentityType, errorCode });
          }
        }
      }
      let matched = 0;
      for (const c of calls) {
        const detail: Record<string, unknown> = { eventSource: c.eventSource, eventName: c.eventName, userIdentity: { type: c.userIdentityType } };
        if (c.errorCode) detail.errorCode = c.errorCode;
        const routed = await local.session.router.route({ source: c.source, 'detail-type': c.detailType, detail }, 'firebreak');
        const expected = matchApiCallEntry(c);
        expect({ call: c, matched: routed.matched }).toEqual({ call: c, matched: expected ? [`firebreak-${expected.id}`] : [] });
        if (expected) matched += 1;
      }
      expect(matched).toBeGreaterThan(0);
      expect(matched).toBeLessThan(calls.length);
    });

    const CASES: Finding[] = [
      { type: 'Backdoor:EC2/C&CActivity.B', severity: 7, role: 'ACTOR', resourceType: 'Instance' },
      { type: 'CryptoCurrency:EC2/BitcoinTool.B!DNS', severity: 10, role: 'ACTOR', resourceType: 'Instance' },
      { type: 'Trojan:EC2/DNSDataExfiltration', severity: 6.5, role: 'ACTOR', resourceType: 'Instance' },
      { type: 'Impact:EC2/PortSweep', severity: 4, role: 'ACTOR', resourceType: 'Instance' },
      { type: 'UnauthorizedAccess:EC2/SSHBruteForce', severity: 3.5, role: 'ACTOR', resourceType: 'Instance' },
      { type: 'UnauthorizedAccess:EC2/SSHBruteForce', severity: 8, role: 'TARGET', resourceType: 'Instance' },
      { type: 'Backdoor:EC2/C&CActivity.B', severity: 8, role: 'ACTOR', resourceType: 'AccessKey' },
      { type: 'Recon:EC2/PortProbeUnprotectedPort', severity: 8, role: 'ACTOR', resourceType: 'Instance' },
      { type: 'backdoor:ec2/C&CActivity.B', severity: 8, role: 'ACTOR', resourceType: 'Instance' },
      { type: 'Backdoor:Runtime/C&CActivity.B', severity: 8, role: 'ACTOR', resourceType: 'Instance' },
    ];

    it.each(CASES.map((f) => [`${f.type} severity ${f.severity} ${f.role} ${f.resourceType}`, f] as [string, Finding]))(
      'matches like the test evaluator and matchCatalogEntry: %s',
      async (_label, f) => {
        const routed = await local.session.router.route(eventOf(f));
        const expected = matchingRuleNames(f);
        const byCatalog = matchCatalogEntry(matchInputOf(f));
        expect(routed.matched.sort()).toEqual(expected);
        expect(expected).toEqual(byCatalog ? [ruleNameFor(byCatalog)] : []);
      },
    );

    it('matched at least one and missed at least one of those cases', () => {
      expect(CASES.some((f) => matchingRuleNames(f).length > 0)).toBe(true);
      expect(CASES.some((f) => matchingRuleNames(f).length === 0)).toBe(true);
    });

    it.each([
      ['guardduty-ec2-bitcoin-dns.json', ['firebreak-ec2-compromise-high']],
      ['guardduty-ec2-backdoor-two-enis-ipv6.json', ['firebreak-ec2-compromise-high']],
      ['guardduty-sample-ec2.json', ['firebreak-ec2-compromise-high']],
      ['guardduty-ec2-ssh-bruteforce-victim.json', []],
      ['guardduty-iamuser-anomalous.json', ['firebreak-credential-compromise-medium']],
      ['guardduty-instance-credential-exfiltration.json', ['firebreak-credential-compromise-high']],
      ['cloudtrail-stoplogging.json', []],
      ['signin-root-console-login.json', []],
    ])('routes the fixture %s to %j', async (file, expected) => {
      const event = readFixture(file);
      const routed = await local.session.router.route({ source: event.source, 'detail-type': event['detail-type'], detail: event.detail });
      expect(routed.matched).toEqual(expected);
    });

    it('has an expectation for every fixture in fixtures/events', () => {
      const covered = [
        'guardduty-ec2-bitcoin-dns.json', 'guardduty-ec2-backdoor-two-enis-ipv6.json', 'guardduty-sample-ec2.json',
        'guardduty-ec2-ssh-bruteforce-victim.json', 'guardduty-iamuser-anomalous.json', 'guardduty-instance-credential-exfiltration.json',
        'cloudtrail-stoplogging.json', 'signin-root-console-login.json',
      ];
      expect(fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort()).toEqual(covered.sort());
    });
  });

  describe('runbooks', () => {
    it.each(catalogPlaybooks())('has runbooks/%s/runbook.md and drill.yaml', (playbook) => {
      const dir = path.join(ROOT, 'runbooks', playbook);
      const missing = ['runbook.md', 'drill.yaml'].filter((f) => !fs.existsSync(path.join(dir, f)) || fs.statSync(path.join(dir, f)).size === 0);
      expect(missing).toEqual([]);
    });
  });
});
