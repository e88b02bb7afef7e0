import type { FaultReport } from '../faults';
import type { Expectation } from './expectation';

/** One fault's line: how many times it fired, of how many matching calls (or what it deleted), in which steps. */
function faultLine(f: FaultReport): string {
  const what = f.kind === 'delete-resource' ? (f.deleted ? ` (${f.deleted})` : '') : ` of ${f.matchingCalls} matching call(s)`;
  const where = Object.keys(f.bySteps).length
    ? ` in ${Object.entries(f.bySteps)
        .map(([s, n]) => `${s}×${n}`)
        .join(', ')}`
    : '';
  return `${f.declared}: ${f.injected} injected${what}${where}`;
}

/** Every fault the injection declares was injected at least once: a drill whose fault never fired proves nothing. */
export const faultsInjectedExpectation: Expectation = {
  name: 'faults injected',
  phase: 'report',
  judge({ outcome }) {
    if (!outcome.faults) return {};
    const silent = outcome.faults.filter((f) => f.injected === 0);
    return {
      verdicts: [
        {
          name: 'faults injected',
          passed: silent.length === 0,
          details:
            outcome.faults.map(faultLine).join('; ') + (silent.length ? ` — never fired: ${silent.map((f) => f.declared).join('; ')}` : ''),
        },
      ],
    };
  },
};
