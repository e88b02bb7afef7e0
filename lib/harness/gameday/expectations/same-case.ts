import { readCaseRecord } from '../../local/checks';
import { executionCaseId, Expectation } from './expectation';

/** `expect.sameCase`: the run ends on the previous injection's case, with the expected status, read back from the ledger. */
export const sameCaseExpectation: Expectation = {
  name: 'same-case',
  phase: 'runs',
  async judge({ session, expect: exp, runs, previousCaseId }) {
    if (!exp.sameCase) return {};
    const x = runs[0];
    const caseId = executionCaseId(x);
    const item = caseId ? (await readCaseRecord(session.env, caseId)).item : undefined;
    const status = item?.status as string | undefined;
    const wanted = exp.outcome ?? x?.outcome;
    return {
      checks: [
        {
          name: 'same-case',
          passed: !!caseId && caseId === previousCaseId && (!wanted || status === wanted),
          details: `case ${caseId ?? '(none)'}, the previous injection's ${previousCaseId ?? '(none)'}; ledger status=${status ?? 'missing'}${wanted ? ` (expected ${wanted})` : ''}`,
        },
      ],
    };
  },
};
