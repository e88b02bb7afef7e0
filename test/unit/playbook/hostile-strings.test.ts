import fc from 'fast-check';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidInput } from '../../../lib/core/errors';
import { IncidentSchema } from '../../../lib/core/incident/incident';
import { INCIDENT_MAX_BYTES, normalizeEvent } from '../../../lib/core/incident/normalize';
import { subject } from '../../../lib/runtime/playbook/notice';
import { SNS_SUBJECT_MAX_CHARS, snsSubject } from '../../../lib/runtime/playbook/sns-subject';
import { findingOf } from '../../support/findings';

/**
 * Issue 11, hostile strings: what a member account can shape (resource IDs, finding types, titles, names)
 * reaches SNS subjects; and no event, legal or forged, makes the incident large.
 */

/** Strings an attacker would try: ANSI sequences, C0/C1 controls, bidi and zero-width characters, line breaks, any Unicode. */
const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc
    .array(
      fc.constantFrom(
        '\u001b[2J',
        '\u001b[31m',
        '\u001b]0;owned\u0007',
        '\u001b]8;;http://x\u001b\\',
        '\r',
        '\n',
        '\t',
        '\u0000',
        '\u0085',
        '\u009b',
        '\u202e',
        '\u2066',
        '\u200b',
        '\ufeff',
        '\ud800',
        '\udfff',
        '😀',
        'é',
        'ｉ',
        'i-0abc',
        ' ',
        '[Firebreak]',
      ),
      { maxLength: 40 },
    )
    .map((a) => a.join('')),
);

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

function expectSafeSubject(s: string): void {
  expect(s).toMatch(PRINTABLE_ASCII);
  expect(s.length).toBeGreaterThan(0);
  expect(s.length).toBeLessThanOrEqual(SNS_SUBJECT_MAX_CHARS);
  expect(s).toBe(s.trim());
}

describe('SNS subjects (snsSubject: the one rule every Publish in lib/ uses)', () => {
  it('are 1 to 99 characters of printable ASCII for any text', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        expectSafeSubject(snsSubject(text));
      }),
      { numRuns: 500 },
    );
  });

  it('are printable ASCII under 100 characters for any incident a member account can shape, with the case ID first', () => {
    const base = normalizeEvent({
      input: findingOf('Backdoor:EC2/C&CActivity.B', 'Instance', 8, 'ACTOR', 1),
      executionName: 'x',
      executionStartTime: '2026-12-02T00:00:00Z',
    }).incident;
    const caseId = 'fb-20261202-0123456789';
    fc.assert(
      fc.property(
        hostile,
        hostile,
        hostile,
        fc.constantFrom('contained', 'notify-only', 'failed', 'resource-gone', 'attached', '\u001b[31mkind'),
        (id, type, title, kind) => {
          const incident = { ...base, resource: { type: 'Instance' as const, id }, finding: { ...base.finding, type, title } };
          const s = subject(kind, incident, caseId);
          expectSafeSubject(s);
          expect(s.startsWith(`[Firebreak] ${caseId} `)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keep what is printable and drop escape sequences whole', () => {
    expect(snsSubject('[Firebreak] \u001b[2J\u001b[31mOWNED\u001b[0m\r\ni-0abc\u202e\u200b')).toBe('[Firebreak] OWNED i-0abc');
    expect(snsSubject('\u001b]0;set title\u0007case fb-1 é😀')).toBe('case fb-1 ??');
    expect(snsSubject('\u0000\u0001\u001b')).toBe('[Firebreak] notification');
    expect(snsSubject('x'.repeat(300))).toHaveLength(99);
  });
});

describe('every SNS Publish in lib/ composes its subject through snsSubject', () => {
  /** Every `.ts` file under lib/, recursively. */
  function sources(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
      const p = path.join(dir, d.name);
      return d.isDirectory() ? sources(p) : d.name.endsWith('.ts') ? [p] : [];
    });
  }

  it('has no Subject that is not snsSubject(...) or subject(...), which calls it', () => {
    const lib = path.resolve(__dirname, '..', '..', '..', 'lib');
    const offenders = sources(lib)
      .flatMap((file) =>
        fs
          .readFileSync(file, 'utf8')
          .split('\n')
          .map((line, n) => ({ line, at: `${path.relative(lib, file)}:${n + 1}` }))
          .filter(
            ({ line }) =>
              /\bSubject:/.test(line) &&
              !/\bSubject:\s*(?:snsSubject|subject)\(/.test(line) &&
              !/\bSubject:\s*state\.incident\s*$/.test(line),
          ),
      )
      .map(({ at, line }) => `${at}: ${line.trim()}`);
    expect(offenders).toEqual([]);
  });
});

describe('the incident Normalize builds is bounded', () => {
  const normalize = (input: unknown) => normalizeEvent({ input, executionName: 'x', executionStartTime: '2026-12-02T00:00:00Z' }).incident;

  it('stays under 64 KiB of JSON and valid whatever text the finding carries', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', minLength: 0, maxLength: 5000 }),
        fc.string({ unit: 'binary', maxLength: 5000 }),
        (title, role) => {
          const event = findingOf('Backdoor:EC2/C&CActivity.B', 'Instance', 8, 'ACTOR', 2);
          (event.detail as Record<string, unknown>).title = title.repeat(20);
          event.detail.service.resourceRole = role.repeat(20);
          (event.detail.service as Record<string, unknown>).eventLastSeen = title;
          const incident = normalize(event);
          expect(Buffer.byteLength(JSON.stringify(incident), 'utf8')).toBeLessThanOrEqual(INCIDENT_MAX_BYTES);
          expect(Array.from(incident.finding.title ?? '').length).toBeLessThanOrEqual(1024);
          expect(IncidentSchema.safeParse(incident).success).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('refuses an identifier longer than AWS would ever send, instead of cutting it into another one', () => {
    const event = findingOf('Backdoor:EC2/C&CActivity.B', 'Instance', 8, 'ACTOR', 3);
    (event.detail.resource as unknown as { instanceDetails: { instanceId: string } }).instanceDetails.instanceId = `i-${'0'.repeat(2000)}`;
    expect(() => normalize(event)).toThrow(InvalidInput);
    expect(() => normalize(event)).toThrow(/resource\.id is 2002 characters/);
  });

  it("keeps the finding's ENI IDs, and no more than 128", () => {
    const event = findingOf('Backdoor:EC2/C&CActivity.B', 'Instance', 8, 'ACTOR', 4);
    const details = (event.detail.resource as unknown as { instanceDetails: { networkInterfaces: Record<string, unknown>[] } })
      .instanceDetails;
    const template = details.networkInterfaces[0];
    details.networkInterfaces = Array.from({ length: 200 }, (_, n) => ({
      ...template,
      networkInterfaceId: `eni-${n.toString(16).padStart(17, '0')}`,
    }));
    const incident = normalize(event);
    expect(incident.resource.type === 'Instance' && incident.resource.networkInterfaceIds).toEqual(
      details.networkInterfaces.slice(0, 128).map((n) => n.networkInterfaceId),
    );
  });

  it("replaces a CloudTrail call's oversized requestParameters by their size and SHA-256", () => {
    const event = JSON.parse(
      fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'fixtures', 'events', 'cloudtrail-stoplogging.json'), 'utf8'),
    ) as { detail: { requestParameters: Record<string, unknown> } };
    event.detail.requestParameters = { ...event.detail.requestParameters, padding: 'p'.repeat(20_000) };
    const incident = normalizeEvent({
      input: event,
      executionName: 'x',
      executionStartTime: '2026-12-02T00:00:00Z',
      playbook: 'cloudtrail-tamper',
    }).incident;
    expect(incident.resource.type === 'ApiCall' && incident.resource.requestParameters).toEqual({
      firebreakOmitted: { bytes: expect.any(Number), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    expect(incident.resource.type === 'ApiCall' && incident.resource.target).toBeTruthy();
  });
});
