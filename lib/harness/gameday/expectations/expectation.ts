/**
 * The expectations a drill judges an injection on (lib/harness/gameday/drill.ts `ExpectationSchema`), one small
 * module each, all of this shape. An expectation reads what the injection did (the local executions, the fault
 * hits, the world it built) and the emulator's state read back independently (ledger, notification queue, EC2),
 * and gives verdicts (what the scorecard passes or fails on) and read-back checks (added to the report, judged by
 * the `checks` expectation).
 */
import type { Injection } from '../drill';
import type { AnsweredApproval } from '../approvals';
import type { FaultHit, FaultReport } from '../faults';
import type { InjectionWorld } from '../world';
import type { Check } from '../../local/checks';
import type { ReplayResult } from '../../local/replay';
import type { LocalExecutionResult } from '../../local/runner';
import type { LocalSession } from '../../local/session';
import type { ReplayReport } from '../../report';

/** One expectation's verdict. */
export interface Verdict {
  readonly name: string;
  readonly passed: boolean;
  readonly details: string;
}

/** What one injection did: its replays (one, or one per run of a repeat), the world, the faults and their hits. */
export interface InjectionOutcome {
  readonly results: ReplayResult[];
  readonly world: InjectionWorld;
  readonly faults?: FaultReport[];
  readonly hits: FaultHit[];
  /** The approval requests the drill answered while the injection ran (lib/harness/gameday/approvals.ts), in order. */
  readonly approvals: AnsweredApproval[];
}

/** Everything an expectation judges on. */
export interface InjectionContext {
  readonly session: LocalSession;
  readonly injection: Injection;
  readonly expect: Injection['expect'];
  readonly outcome: InjectionOutcome;
  /** The first execution of each run, in run order (`undefined`: no rule matched that run). */
  readonly runs: (LocalExecutionResult | undefined)[];
  /** Every execution of every run: the run that contained first, then the others in run order. */
  readonly executions: LocalExecutionResult[];
  /** The case the previous injection ended on, if any (for `sameCase`). */
  readonly previousCaseId?: string;
  /** The injection's budget: its own, else the drill's (seconds). */
  readonly budget: { readonly containSeconds: number; readonly stepSeconds: Readonly<Record<string, number>> };
  /** The merged report with every read-back check, for the expectations judged after the checks are made. */
  readonly report?: ReplayReport;
}

/** What an expectation gives. */
export interface Judgement {
  readonly verdicts?: Verdict[];
  readonly checks?: Check[];
}

/** An expectation: judged on the runs (`phase: 'runs'`), or on the report with every check made (`phase: 'report'`). */
export interface Expectation {
  readonly name: string;
  readonly phase: 'runs' | 'report';
  judge(ctx: InjectionContext): Promise<Judgement> | Judgement;
}

export { ENDED_FAILED } from '../../local/runner';

/** A run's status for a verdict's details: `STATUS[/OUTCOME]`, or NO_MATCH. */
export const runLabel = (x: LocalExecutionResult | undefined): string =>
  x ? `${x.status}${x.outcome && x.outcome !== x.status ? `/${x.outcome}` : ''}` : 'NO_MATCH';

/** A run's status, NO_MATCH when no rule matched it. */
export const runStatus = (x: LocalExecutionResult | undefined): string => (x ? x.status : 'NO_MATCH');

/**
 * The case of an execution: from its output or its Claim, else from what the execution-ended rule's
 * function answered (an execution whose Claim wrote the claim but never returned).
 */
export function executionCaseId(x: LocalExecutionResult | undefined): string | undefined {
  if (!x) return undefined;
  if (x.caseId) return x.caseId;
  for (const i of x.statusChange?.invoked ?? []) {
    const caseId = (i.result as { caseId?: unknown } | undefined)?.caseId;
    if (typeof caseId === 'string') return caseId;
  }
  return undefined;
}

/** The executions a time budget is judged on: with a repeat, the runs that contained; else the first run. */
export function budgetedRuns(ctx: InjectionContext, onlySucceeded: boolean): LocalExecutionResult[] {
  const picked = ctx.injection.repeat
    ? ctx.runs.filter((x) => x?.outcome === 'CONTAINED')
    : onlySucceeded && ctx.expect.status !== 'SUCCEEDED'
      ? []
      : ctx.runs.slice(0, 1);
  return picked.filter((x): x is LocalExecutionResult => !!x);
}
