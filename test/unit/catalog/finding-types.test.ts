import * as fs from 'node:fs';
import * as path from 'node:path';

import {
  FAMILY_NAMES,
  familyRunbook,
  FINDING_FAMILIES,
  FINDING_TYPES,
  findingTypeEntry,
  runbookAnchor,
  runbookEntry,
} from '../../../lib/core/catalog/finding-types';
import { assessFinding, describeResponse, hostPlaybook } from '../../../lib/core/catalog/triage';

/**
 * The finding-type table against AWS's list, and the family runbooks against the table (issue 9: "a
 * runbook entry for every finding type", "the test fails when one is missing").
 */

const ROOT = path.resolve(__dirname, '..', '..', '..');
const AWS_LIST = path.join(ROOT, 'lib', 'core', 'catalog', 'aws', 'guardduty-active-finding-types.json');

interface AwsList {
  readonly source: { readonly page: string; readonly retrieved: string };
  readonly types: readonly { readonly type: string; readonly family: string }[];
}

/**
 * Compares the table with a list of types.
 * @returns the types on the list the table lacks, and the table's types the list lacks.
 */
function compare(table: readonly { type: string }[], list: readonly { type: string }[]): { missing: string[]; extra: string[] } {
  const inTable = new Set(table.map((e) => e.type));
  const inList = new Set(list.map((e) => e.type));
  return { missing: [...inList].filter((t) => !inTable.has(t)).sort(), extra: [...inTable].filter((t) => !inList.has(t)).sort() };
}

/** The sections of a family runbook: `## <type>` headings with their bodies. */
function sections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const parts = text.split(/^## /m).slice(1);
  for (const part of parts) {
    const [heading, ...body] = part.split('\n');
    out.set(heading.trim().replace(/^`|`$/g, ''), body.join('\n'));
  }
  return out;
}

describe('the finding-type table', () => {
  const aws = JSON.parse(fs.readFileSync(AWS_LIST, 'utf8')) as AwsList;

  it("names AWS's page and the day the list was taken", () => {
    expect(aws.source.page).toMatch(/^https:\/\/docs\.aws\.amazon\.com\/guardduty\/latest\/ug\/guardduty_finding-types-active\.html$/);
    expect(aws.source.retrieved).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it("holds every active type on AWS's list and no other", () => {
    expect(aws.types.length).toBeGreaterThan(150);
    expect(compare(FINDING_TYPES, aws.types)).toEqual({ missing: [], extra: [] });
  });

  it('puts each type in the family AWS lists it under', () => {
    const family = new Map(aws.types.map((t) => [t.type, t.family]));
    expect(
      FINDING_TYPES.filter((e) => family.get(e.type) !== e.family).map((e) => `${e.type}: ${e.family} (AWS: ${family.get(e.type)})`),
    ).toEqual([]);
  });

  it('fails when AWS adds a type the table lacks, or retires one it holds', () => {
    expect(compare(FINDING_TYPES, [...aws.types, { type: 'Impact:EC2/SomethingNew' }])).toEqual({
      missing: ['Impact:EC2/SomethingNew'],
      extra: [],
    });
    expect(compare(FINDING_TYPES, aws.types.slice(1))).toEqual({ missing: [], extra: [aws.types[0].type] });
  });

  it('has no duplicate type, and every resource type of a row is one GuardDuty documents', () => {
    expect(new Set(FINDING_TYPES.map((e) => e.type)).size).toBe(FINDING_TYPES.length);
    const documented = [
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
      'EBSSnapshot',
      'EC2Image',
      'RecoveryPoint',
    ];
    expect(FINDING_TYPES.flatMap((e) => e.resourceTypes).filter((r) => !documented.includes(r))).toEqual([]);
  });

  it("uses the resource role only where the type's AWS page gives it a meaning (EC2 brute force), never on Runtime Monitoring or AccessKey types", () => {
    const roleDependent = FINDING_TYPES.filter((e) => e.subject === 'compromised-when-actor');
    expect(roleDependent.every((e) => e.family === 'ec2')).toBe(true);
    expect(roleDependent.map((e) => e.type)).toEqual(
      expect.arrayContaining(['UnauthorizedAccess:EC2/SSHBruteForce', 'UnauthorizedAccess:EC2/RDPBruteForce']),
    );
  });
});

describe('assessFinding', () => {
  it.each([
    ['UnauthorizedAccess:EC2/TorClient', 'Instance', 'TARGET', true, false],
    ['UnauthorizedAccess:EC2/TorRelay', 'Instance', 'TARGET', true, false],
    ['UnauthorizedAccess:EC2/MetadataDNSRebind', 'Instance', 'TARGET', true, false],
    ['UnauthorizedAccess:EC2/SSHBruteForce', 'Instance', 'TARGET', false, true],
    ['UnauthorizedAccess:EC2/SSHBruteForce', 'Instance', undefined, false, true],
    ['UnauthorizedAccess:EC2/SSHBruteForce', 'Instance', 'ACTOR', true, false],
    ['Recon:EC2/PortProbeUnprotectedPort', 'Instance', 'ACTOR', false, true],
    ['Execution:Runtime/ReverseShell', 'Instance', undefined, true, false],
    ['Execution:Runtime/ReverseShell', 'EKSCluster', undefined, false, false],
    ['UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS', 'AccessKey', 'TARGET', true, false],
    ['Discovery:S3/MaliciousIPCaller', 'S3Bucket', 'TARGET', true, false],
    ['Policy:S3/BucketAnonymousAccessGranted', 'AccessKey', 'TARGET', true, true],
    ['Policy:S3/BucketBlockPublicAccessDisabled', 'S3Bucket', 'TARGET', true, true],
    ['Object:S3/MaliciousFile', 'S3Object', undefined, false, false],
    ['Backdoor:EC2/C&CActivity.B', 'AccessKey', 'TARGET', false, false],
    ['Impact:EC2/BrandNewType', 'Instance', 'ACTOR', false, false],
  ])('%s on %s with resourceRole %s: containable %s, victim %s', (type, resourceType, role, containable, victim) => {
    const a = assessFinding({ type, resourceType, resourceRole: role });
    expect({ containable: a.containable, victim: a.victim }).toEqual({ containable, victim });
    expect(a.playbook).toBe(hostPlaybook(resourceType, type));
    expect(a.why.length).toBeGreaterThan(20);
  });

  it('points each known type to its runbook section, an unknown type to the triage runbook', () => {
    expect(runbookEntry('Backdoor:EC2/C&CActivity.B!DNS')).toBe('runbooks/findings/ec2.md#backdoor-ec2-c-cactivity-b-dns');
    expect(runbookEntry('Made:Up/Type')).toMatch(/^runbooks\/finding-triage\/runbook\.md#/);
  });
});

describe('the family runbooks', () => {
  it.each(FAMILY_NAMES)(
    'runbooks/findings/%s.md has one section per type of the family, each with what Firebreak does from the table',
    (family) => {
      const file = path.join(ROOT, familyRunbook(family));
      const text = fs.readFileSync(file, 'utf8');
      expect(text.split('\n')[0]).toBe(`# Runbook: ${FINDING_FAMILIES[family].title}`);
      expect(text).toContain(FINDING_FAMILIES[family].page);
      const found = sections(text);
      const types = FINDING_TYPES.filter((e) => e.family === family).map((e) => e.type);
      expect({ missing: types.filter((t) => !found.has(t)), extra: [...found.keys()].filter((t) => !types.includes(t)) }).toEqual({
        missing: [],
        extra: [],
      });
      for (const type of types) {
        const body = found.get(type)!;
        const problems = [
          ...['**What it means.**', '**What to check.**', '**How to respond by hand.**']
            .filter((part) => !body.includes(part))
            .map((part) => `no ${part}`),
          ...(body.includes(`**Firebreak:** ${describeResponse(type)}`) ? [] : [`no "**Firebreak:** ${describeResponse(type)}"`]),
          ...(body.includes(`<a id="${runbookAnchor(type)}"></a>`) ? [] : [`no anchor ${runbookAnchor(type)}`]),
        ];
        expect({ type, problems }).toEqual({ type, problems: [] });
      }
    },
  );

  it('runbooks/findings/ holds one runbook per family and nothing else', () => {
    expect(
      fs
        .readdirSync(path.join(ROOT, 'runbooks', 'findings'))
        .filter((f) => f !== 'README.md')
        .sort(),
    ).toEqual(FAMILY_NAMES.map((f) => `${f}.md`).sort());
  });

  it('each type of the table has a section (findingTypeEntry round-trips)', () => {
    for (const e of FINDING_TYPES) expect(findingTypeEntry(e.type)).toBe(e);
  });
});

describe('the fixtures', () => {
  const dir = path.join(ROOT, 'fixtures', 'events');
  const readme = fs.readFileSync(path.join(ROOT, 'fixtures', 'README.md'), 'utf8');
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();

  it('each has a row in fixtures/README.md naming its source', () => {
    const rows = new Map(
      readme
        .split('\n')
        .filter((l) => l.startsWith('| '))
        .map((l) => [l.split('|')[1].trim(), l]),
    );
    expect(
      files.filter(
        (f) => !rows.has(f) || !/(https:\/\/docs\.aws\.amazon\.com|\[[A-Z0-9-]+\]|samples?\/|tests?\/|_dev\/|rules\/)/.test(rows.get(f)!),
      ),
    ).toEqual([]);
  });

  it('cover a finding of every family that has a documented shape, and both sides of the EC2 resource role', () => {
    const findings = files
      .map(
        (f) =>
          JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as {
            source: string;
            detail: { type?: string; service?: { resourceRole?: string } };
          },
      )
      .filter((e) => e.source === 'aws.guardduty');
    const families = new Set(findings.map((e) => findingTypeEntry(e.detail.type!)?.family));
    // No fixture yet for malware-backup, ai-protection, custom-detection: no sample and no documented resourceType (fixtures/README.md).
    expect(FAMILY_NAMES.filter((f) => !families.has(f)).sort()).toEqual(['ai-protection', 'custom-detection', 'malware-backup']);
    const ec2Roles = new Set(
      findings.filter((e) => findingTypeEntry(e.detail.type!)?.family === 'ec2').map((e) => e.detail.service?.resourceRole),
    );
    expect([...ec2Roles].sort()).toEqual(['ACTOR', 'TARGET']);
  });
});
