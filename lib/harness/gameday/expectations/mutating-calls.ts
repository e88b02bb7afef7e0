import type { Expectation } from './expectation';

/** `expect.maxMutatingCalls`: at most this many mutating AWS calls (over every run of a repeat). */
export const mutatingCallsExpectation: Expectation = {
  name: 'mutating calls',
  phase: 'report',
  judge({ expect: exp, report }) {
    if (exp.maxMutatingCalls === undefined || !report) return {};
    return {
      verdicts: [
        {
          name: 'mutating calls',
          passed: report.apiCalls.mutating <= exp.maxMutatingCalls,
          details: `${report.apiCalls.mutating} (at most ${exp.maxMutatingCalls})`,
        },
      ],
    };
  },
};
