import type { Expectation, Verdict } from './expectation';

/**
 * `expect.checks`: `all` — every read-back check made (the report's and the other expectations') passed, and at
 * least one was made; or a list of names, each made and passed.
 */
export const checksExpectation: Expectation = {
  name: 'checks',
  phase: 'report',
  judge({ expect: exp, report }) {
    const checks = report?.checks ?? [];
    if (exp.checks === 'all') {
      const failed = checks.filter((c) => !c.passed);
      return {
        verdicts: [
          {
            name: 'checks',
            passed: checks.length > 0 && failed.length === 0,
            details: failed.length ? `failed: ${failed.map((c) => c.name).join(', ')}` : `${checks.length} passed`,
          },
        ],
      };
    }
    return {
      verdicts: exp.checks.map((name): Verdict => {
        const c = checks.find((k) => k.name === name);
        return { name: `check ${name}`, passed: !!c?.passed, details: c ? c.details : 'not made' };
      }),
    };
  },
};
