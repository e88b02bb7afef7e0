import fc from 'fast-check';
import { pageIdentity, pageLine, PAGE_LINE_PREFIX } from '../../../lib/core/page';
import { terminalSafe } from '../../../lib/core/text';

const CASE = 'fb-20261205-0123456789';
const kindArb = fc.constantFrom('approval-request', 'breaker-tripped', 'contained', 'notify-only', 'failed', 'gameday-refused');
const caseArb = fc.oneof(fc.constant(undefined), fc.constant(CASE), fc.string({ maxLength: 64 }));

describe('the page body (lib/core/page.ts): kind and case where every subscriber gets them', () => {
  it('reads back a plain-text page last line, whatever text comes before it, escaped as the pages escape it', () => {
    fc.assert(
      fc.property(kindArb, caseArb, fc.string({ maxLength: 2000 }), (kind, caseId, text) => {
        const body = terminalSafe([text, pageLine(kind, caseId)].join('\n'));
        expect(pageIdentity(body)).toEqual(caseId ? { kind, caseId } : { kind });
      }),
    );
  });

  it('reads a JSON page top-level kind and caseId, also inside an SNS envelope', () => {
    const json = JSON.stringify({ kind: 'contained', caseId: CASE, summary: `${PAGE_LINE_PREFIX}{"kind":"x"}` }, null, 2);
    expect(pageIdentity(json)).toEqual({ kind: 'contained', caseId: CASE });
    expect(pageIdentity(JSON.stringify({ kind: 'gameday-refused', caseId: 7 }))).toEqual({ kind: 'gameday-refused' });
    expect(pageIdentity(JSON.stringify({ Type: 'Notification', Message: json }))).toEqual({ kind: 'contained', caseId: CASE });
    const text = `Case waits.\n${pageLine('approval-request', CASE)}\n`;
    expect(pageIdentity(JSON.stringify({ Type: 'Notification', Message: text }))).toEqual({ kind: 'approval-request', caseId: CASE });
  });

  it('says nothing for a body that is not a page, and never throws', () => {
    for (const body of ['', 'hello', '[1,2]', 'null', '{"caseId":"x"}', `${PAGE_LINE_PREFIX}not json`, `${PAGE_LINE_PREFIX}{"kind":3}`])
      expect(pageIdentity(body)).toEqual({});
    // The line must be the last one: a quoted line earlier in the text says nothing.
    expect(pageIdentity(`${pageLine('failed', CASE)}\nmore text`)).toEqual({});
    fc.assert(fc.property(fc.string({ maxLength: 500 }), (body) => expect(() => pageIdentity(body)).not.toThrow()));
  });
});
