import type { Expectation } from './expectation';

/**
 * A single run (no `repeat`): its status (or NO_MATCH) and, when the drill names one, its outcome. The runs it chained
 * (`chainedFrom`: attack-sequence's containments) are its own and are judged by the read-back checks.
 */
export const statusExpectation: Expectation = {
  name: 'status',
  phase: 'runs',
  judge({ injection, expect: exp, outcome }) {
    if (injection.repeat) return {};
    const report = outcome.results[0].report;
    const x = report.executions[0];
    const status = x ? x.status : 'NO_MATCH';
    return {
      verdicts: [
        {
          name: 'status',
          passed: status === exp.status && report.executions.filter((e) => !e.chainedFrom).length <= 1,
          details: `expected ${exp.status}, got ${report.executions.map((e) => e.status).join(',') || 'NO_MATCH'}`,
        },
        ...(exp.outcome
          ? [{ name: 'outcome', passed: x?.outcome === exp.outcome, details: `expected ${exp.outcome}, got ${x?.outcome ?? '-'}` }]
          : []),
      ],
    };
  },
};
