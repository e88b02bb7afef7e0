import type { LocalExecutionResult } from '../../local/runner';
import { budgetedRuns, Expectation, Verdict } from './expectation';

/** A step's time summed over its invocations in the given executions (retries included), or undefined when it never ran. */
function stepDuration(execs: LocalExecutionResult[], step: string): { ms: number; invocations: number } | undefined {
  const steps = execs.flatMap((x) => x.steps.filter((s) => s.name === step));
  if (!steps.length) return undefined;
  return { ms: steps.reduce((a, s) => a + s.durationMs, 0), invocations: steps.reduce((a, s) => a + s.invocations, 0) };
}

/** The containment's time budget: each execution expected to end SUCCEEDED (with a repeat, each that contained), in wall time. */
export const timeToContainExpectation: Expectation = {
  name: 'time to contain',
  phase: 'report',
  judge(ctx) {
    const seconds = ctx.budget.containSeconds;
    return {
      verdicts: budgetedRuns(ctx, true).map((x): Verdict => ({
        name: 'time to contain',
        passed: x.durationMs <= seconds * 1000,
        details: `${x.durationMs} ms (budget ${seconds} s)`,
      })),
    };
  },
};

/** Each named step's time budget, summed over its invocations (retries included); a step that never ran passes. */
export const stepBudgetsExpectation: Expectation = {
  name: 'step budgets',
  phase: 'report',
  judge(ctx) {
    const runs = budgetedRuns(ctx, false);
    return {
      verdicts: Object.entries(ctx.budget.stepSeconds).map(([step, seconds]): Verdict => {
        const d = stepDuration(runs, step);
        return {
          name: `step budget ${step}`,
          passed: !d || d.ms <= seconds * 1000,
          details: d ? `${d.ms} ms over ${d.invocations} invocation(s) (budget ${seconds} s)` : `not run (budget ${seconds} s)`,
        };
      }),
    };
  },
};
