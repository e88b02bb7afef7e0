import fc from 'fast-check';
import { terminalSafe } from '../../../lib/core/text';
import { actionGroups, caseActors, caseRuns, escapeHtml, renderCaseReport } from '../../../lib/operator/case-report';
import type { CaseDetail } from '../../../lib/operator/cases';
import type { TimelineEntry } from '../../../lib/runtime/ledger/ledger';

/**
 * The HTML case report's pure parts (lib/operator/case-report.ts): whatever a finding, a member account or a person put
 * in a case, the page keeps exactly its own elements and its one data block parses back to the timeline. The rendering
 * in a browser is test/cli/case-report.test.ts's.
 */

const OPERATOR = 'arn:aws:iam::222222222222:user/alice';

function detail(s: string, timeline: TimelineEntry[]): CaseDetail {
  return {
    case: {
      caseId: 'fb-20261205-0123456789',
      playbook: 'ec2-compromise',
      account: '111111111111',
      region: 'us-east-1',
      resourceId: s,
      status: 'RELEASED',
      createdAt: '2026-12-05T00:00:00.000Z',
      updatedAt: '2026-12-05T01:00:00.000Z',
      trigger: 'manual',
      findingType: s,
      severity: 8,
      title: s,
      findingIds: [s],
      priorState: { [s]: { value: s, list: [s, 1, true, null] } },
      evidence: { [s]: { ownerAccount: s, kmsKeyId: s, sha256: s, versionId: s } },
      decisions: {},
      notifications: {},
      operator: s,
      reason: s,
      chained: [],
    },
    timeline,
  };
}

/**
 * What closes the data block, opens a comment or an element, or ends a line in a script: random strings almost never
 * hold these, so they are always tried.
 */
const HOSTILE = [
  '</script><img src=x onerror=alert(1)>',
  '</SCRIPT >',
  '<!--<script>',
  '-->]]><![CDATA[',
  '\u2028\u2029</script\u2028>',
  '"><svg onload=alert(1)>',
  '&lt;script&gt;',
];

/** The element tags of a page, in order: what a string could add to if it were not escaped. */
const tags = (html: string) => [...html.matchAll(/<([a-zA-Z][\w-]*)/g)].map((m) => m[1]);

describe('the HTML case report', () => {
  it('escapes every string: arbitrary text anywhere in a case adds no element and cannot break the data block', () => {
    const baseline = tags(renderCaseReport(detail('x', [entry('x', 'x')]), new Date(0)));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }), fc.constantFrom(...HOSTILE)), (s) => {
        const html = renderCaseReport(detail(s, [entry(s, s)]), new Date(0));
        expect(tags(html)).toEqual(baseline);
        const data = /<script type="application\/json" id="case-data">([^<]*)<\/script>/.exec(html);
        expect(JSON.parse(data![1]).timeline[0].by).toBe(terminalSafe(s));
      }),
      { numRuns: 300 },
    );
  });

  it('escapeHtml leaves no markup character and no terminal control', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        // eslint-disable-next-line no-control-regex
        expect(escapeHtml(s)).not.toMatch(/[<>"'\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
      }),
    );
    expect(escapeHtml('<a href="x">\u001b[2J')).toBe('&lt;a href=&quot;x&quot;&gt;\\u001b[2J');
  });

  it('names who approved, denied, timed out, noted, asked for and closed a release, as recorded', () => {
    const tl: TimelineEntry[] = [
      { ...entry('RecordApproval', OPERATOR), details: { decision: 'approve', by: OPERATOR, reason: 'ok' } },
      { ...entry('RecordApproval', OPERATOR), details: { decision: 'deny', by: OPERATOR, reason: 'no' } },
      { ...entry('RecordApproval', 'x'), details: { decision: 'timeout', by: 'timeout' } },
      { ...entry('Note', OPERATOR), details: { note: 'seen' } },
      { ...entry('LoadCase', OPERATOR), executionName: 'release-fb-20261205-0123456789-a', details: { reason: 'fp' } },
      { ...entry('CloseRelease', OPERATOR), executionName: 'release-fb-20261205-0123456789-a', details: { released: true, reason: 'fp' } },
    ];
    const d = detail('x', tl);
    expect(caseActors(d).map((a) => [a.role, a.by, a.text])).toEqual([
      ['started', 'x', 'x'],
      ['approved', OPERATOR, 'ok'],
      ['denied', OPERATOR, 'no'],
      ['approval timed out', 'timeout', undefined],
      ['noted', OPERATOR, 'seen'],
      ['asked for release', OPERATOR, 'fp'],
      ['released', OPERATOR, 'fp'],
    ]);
    expect(caseRuns(tl).map((r) => [r.executionName, r.outcome])).toEqual([
      ['run-1', undefined],
      ['release-fb-20261205-0123456789-a', 'RELEASED'],
    ]);
  });

  it("takes a run's outcome from CloseCase's status (s3, lambda, rds: the entries as the emulator run recorded them)", () => {
    const tl: TimelineEntry[] = [
      { ...entry('Claim', 'x'), details: { outcome: 'CLAIMED', findingId: 'f' } },
      { ...entry('ContainDatabase', 'x'), details: { outcome: 'turned-off', actions: [{ operation: 'RDS.ModifyDBInstance' }] } },
      { ...entry('CloseCase', 'x'), details: { caseId: 'fb-20261205-0123456789', status: 'CONTAINED' } },
    ];
    expect(caseRuns(tl).map((r) => r.outcome)).toEqual(['CONTAINED']);
  });

  it("does not list a shadow case's plan as changes made (CloseCase records it as details.plan; test/playbook/shadow.test.ts)", () => {
    const planned = { operation: 'EC2.ModifyNetworkInterfaceAttribute', target: 'eni-1', change: 'groups → isolation' };
    const tl: TimelineEntry[] = [
      {
        ...entry('CloseCase', 'x'),
        details: { caseId: 'fb-20261205-0123456789', status: 'SHADOW', plan: { sample: false, actions: [planned] } },
      },
    ];
    expect(actionGroups(tl)).toEqual([]);
    const html = renderCaseReport({ ...detail('x', tl), case: { ...detail('x', tl).case, status: 'SHADOW' } }, new Date(0));
    expect(html).not.toContain('<tr class="action">');
    expect(html).toContain('<dt>operation</dt><dd><span class="value">EC2.ModifyNetworkInterfaceAttribute</span></dd>');
  });

  it('finds every recorded change with the prior state beside it, at any depth of the details', () => {
    const tl: TimelineEntry[] = [
      {
        ...entry('Contain', 'x'),
        details: {
          preserve: { prior: { disableApiTermination: false }, actions: [{ operation: 'EC2.ModifyInstanceAttribute', target: 'i-1' }] },
          isolate: { nested: { actions: [{ operation: 'EC2.CreateSecurityGroup' }, { not: 'an action' }] } },
        },
      },
    ];
    expect(actionGroups(tl).map((g) => [g.path, g.prior, g.actions.map((a) => a.operation)])).toEqual([
      ['preserve', { disableApiTermination: false }, ['EC2.ModifyInstanceAttribute']],
      ['isolate.nested', undefined, ['EC2.CreateSecurityGroup']],
    ]);
  });
});

function entry(step: string, operator: string): TimelineEntry {
  return { at: '2026-12-05T00:00:01.000Z', step, status: 'SUCCEEDED', executionName: 'run-1', operator, durationMs: 5 };
}
