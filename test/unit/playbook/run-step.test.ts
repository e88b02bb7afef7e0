import type { CaseLedger, TimelineEntry, TimelineFold } from '../../../lib/runtime/ledger/ledger';
import { runStep, StepRecordTarget } from '../../../lib/runtime/playbook/run-step';

/** A target whose ledger only records the entries runStep appends itself. */
function target(): { target: StepRecordTarget; appended: TimelineEntry[] } {
  const appended: TimelineEntry[] = [];
  const ledger = {
    appendTimeline: (_caseId: string, entry: TimelineEntry) => {
      appended.push(entry);
      return Promise.resolve();
    },
  } as unknown as CaseLedger;
  return { target: { ledger, caseId: 'fb-1', executionName: 'exec-1' }, appended };
}

describe('runStep and the folded timeline entry (issue 13)', () => {
  it('writes the SUCCEEDED entry itself when the step folded none', async () => {
    const t = target();
    await runStep('Step', t.target, () => Promise.resolve({ a: 1 }));
    expect(t.appended).toEqual([
      expect.objectContaining({ step: 'Step', status: 'SUCCEEDED', executionName: 'exec-1', details: { a: 1 } }),
    ]);
  });

  it('writes none when the step wrote its fold, and hands the step the entry it would have written', async () => {
    const t = target();
    let carried: TimelineFold | undefined;
    await runStep('Step', t.target, (run) => {
      carried = run.fold({ a: 1 });
      carried?.written();
      return Promise.resolve({ a: 1 });
    });
    expect(t.appended).toEqual([]);
    expect(carried?.entry).toEqual(
      expect.objectContaining({ step: 'Step', status: 'SUCCEEDED', executionName: 'exec-1', details: { a: 1 } }),
    );
  });

  it('writes the entry when the fold was taken but its write did not commit', async () => {
    const t = target();
    await runStep('Step', t.target, (run) => {
      run.fold({ a: 1 });
      return Promise.resolve({ a: 2 });
    });
    expect(t.appended).toEqual([expect.objectContaining({ status: 'SUCCEEDED', details: { a: 2 } })]);
  });

  it('always writes a FAILED entry itself, even after a fold was written', async () => {
    const t = target();
    await expect(
      runStep('Step', t.target, (run) => {
        run.fold({})?.written();
        return Promise.reject(new TypeError('boom'));
      }),
    ).rejects.toThrow('boom');
    expect(t.appended).toEqual([expect.objectContaining({ status: 'FAILED', error: { name: 'TypeError', message: 'boom' } })]);
  });

  it('gives no fold for a dry run (no target) and writes nothing', async () => {
    let fold: TimelineFold | undefined = {} as TimelineFold;
    await runStep('Step', undefined, (run) => {
      fold = run.fold({});
      return Promise.resolve(1);
    });
    expect(fold).toBeUndefined();
  });
});
