import { readEventFile, replayEvent } from '../../lib/harness/local/replay';
import { MAX_NOTE_LENGTH } from '../../lib/operator/cases';
import { cli } from '../support/cli';
import { useLocalSession } from '../support/local';
import { readCase } from '../support/read-back';

/**
 * `firebreak cases note <caseId> TEXT` (issue 16, item 5) against a local stack: the note is on the case timeline with
 * the caller's identity, read back from the ledger; `cases show` prints it whole and escaped; bad input changes nothing.
 */

const OPERATOR = 'arn:aws:iam::222222222222:user/firebreak-local-operator';

describe('firebreak cases note', () => {
  const local = useLocalSession();
  let caseId: string;
  let endpoint: string;

  beforeAll(async () => {
    endpoint = local.session.sfn.endpoint;
    // A notify-only case (Medium): it exists, and nothing the note does may change it.
    const e = JSON.parse(JSON.stringify(readEventFile('fixtures/events/guardduty-ec2-bitcoin-dns.json')));
    e.detail.severity = 5;
    e.detail.id = `note-${Math.random().toString(16).slice(2)}`;
    const { report } = await replayEvent(local.session, e);
    caseId = report.executions[0].caseId!;
  }, 120_000);

  it('puts the note on the timeline with who wrote it, and changes nothing else on the case', async () => {
    const before = (await readCase(local.session.env, caseId)).item!;
    const r = await cli(['cases', 'note', caseId, 'checked', 'the', 'miner:', 'cron job from the build image', '--endpoint', endpoint]);
    expect(r.stderr).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout[0]).toMatch(new RegExp(`^Noted on case ${caseId} as ${OPERATOR} at \\d{4}-\\d\\d-\\d\\dT`));
    const { item, timeline } = await readCase(local.session.env, caseId);
    const notes = timeline.filter((t) => t.step === 'Note');
    expect(notes).toEqual([
      expect.objectContaining({
        status: 'INFO',
        trigger: 'manual',
        operator: OPERATOR,
        details: { note: 'checked the miner: cron job from the build image' },
      }),
    ]);
    expect({ ...item, updatedAt: undefined }).toEqual({ ...before, updatedAt: undefined });

    const show = await cli(['cases', 'show', caseId, '--endpoint', endpoint]);
    expect(show.stdout).toContain(`      note by ${OPERATOR}: checked the miner: cron job from the build image`);
  });

  it('prints a hostile note escaped, never raw terminal control', async () => {
    const r = await cli(['cases', 'note', caseId, 'evil \u001b[2J\u001b]0;pwned\u0007 done', '--endpoint', endpoint]);
    expect(r.code).toBe(0);
    const show = await cli(['cases', 'show', caseId, '--endpoint', endpoint]);
    const line = show.stdout.find((l) => l.includes('evil'))!;
    expect(line).toBeDefined();
    expect([...line].filter((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)).toEqual([]);
    // Stored as given: the ledger keeps what the person typed.
    const stored = (await readCase(local.session.env, caseId)).timeline.filter((t) => t.step === 'Note').map((t) => t.details.note);
    expect(stored).toContain('evil \u001b[2J\u001b]0;pwned\u0007 done');
  });

  it('refuses an empty note, one too long, a malformed case ID and an unknown case, writing nothing', async () => {
    const count = async () => (await readCase(local.session.env, caseId)).timeline.filter((t) => t.step === 'Note').length;
    const before = await count();
    const empty = await cli(['cases', 'note', caseId, '   ', '--endpoint', endpoint]);
    expect([empty.code, empty.stderr]).toEqual([2, [expect.stringMatching(/a note needs text/)]]);
    const long = await cli(['cases', 'note', caseId, 'x'.repeat(MAX_NOTE_LENGTH + 1), '--endpoint', endpoint]);
    expect([long.code, long.stderr]).toEqual([2, [expect.stringMatching(/at most 4000 characters \(this one has 4001\)/)]]);
    const bad = await cli(['cases', 'note', 'not-a-case', 'hello', '--endpoint', endpoint]);
    expect([bad.code, bad.stderr]).toEqual([2, [expect.stringMatching(/not-a-case is not a case ID/)]]);
    const unknown = await cli(['cases', 'note', 'fb-20261204-0000000000', 'hello', '--endpoint', endpoint]);
    expect([unknown.code, unknown.stderr]).toEqual([2, [expect.stringMatching(/no case fb-20261204-0000000000 in the ledger/)]]);
    expect(await count()).toBe(before);
  });
});
