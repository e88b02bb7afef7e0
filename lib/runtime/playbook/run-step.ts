import { randomUUID } from 'node:crypto';
import type { CaseLedger, TimelineEntry, TimelineFold } from '../ledger/ledger';
import { ApiCallRecord, countByOperation, subscribeApiCalls, withCallContext } from '../telemetry';

/** Where a step's timeline entry goes; absent for dry runs and before a case exists. */
export interface StepRecordTarget {
  readonly ledger: CaseLedger;
  readonly caseId: string;
  readonly executionName?: string;
  readonly trigger?: string;
  /** Who started the execution by hand, when known (put on every entry). */
  readonly operator?: string;
}

/**
 * The case a step records on: none for a dry run (which writes nothing), else the claimed case.
 * @param state - the playbook state after Claim.
 */
export function caseTarget(
  state: { incident: { dryRun: boolean; trigger?: string }; case: { caseId: string; status: string }; run: { executionName: string } },
  ledger: CaseLedger,
): StepRecordTarget | undefined {
  if (state.incident.dryRun || state.case.status === 'DRY_RUN') return undefined;
  return { ledger, caseId: state.case.caseId, executionName: state.run.executionName, trigger: state.incident.trigger };
}

/**
 * What runStep hands a step's function: the step's SUCCEEDED timeline entry, to fold into the step's own last
 * ledger write (one TransactWriteItems of that write and the timeline Put, instead of two calls).
 */
export interface StepRun {
  /**
   * The SUCCEEDED entry as runStep would write it now: `at` the step's start, `durationMs` and `apiCalls` up to
   * this moment (so without the write that carries it), `details` as given. Pass it to a ledger write that takes
   * a {@link TimelineFold}; that write calls `written()` once its transaction succeeded, and runStep then writes
   * no entry of its own. Fold only into the step's last write: an error thrown after it still puts a FAILED entry.
   * @param details - what the entry records (what runStep's `details(result)` would give).
   * @returns the fold, or `undefined` when the step records nothing (dry run, no case).
   */
  fold(details: Record<string, unknown>): TimelineFold | undefined;
}

/** How a step's timeline entry travels when it is not written by the step itself (issue 13). */
export interface StepTimelineOptions {
  /**
   * Earlier steps' SUCCEEDED entries that they deferred to this step (carried in the state): folded into this step's
   * last write ({@link TimelineFold.carried}), else put by runStep, on success and on failure, under stable keys (a
   * retry rewrites the same items).
   */
  readonly carried?: readonly TimelineEntry[];
  /**
   * For a step that makes no ledger write of its own: its SUCCEEDED entry is handed here instead of written, for the
   * step's result to carry to the next step that writes (`carried`). A FAILED entry is still written at once. If the
   * execution ends between the two steps without the next one running (stopped, timed out), the entry is not written.
   */
  readonly defer?: (entry: TimelineEntry) => void;
}

/**
 * Runs one playbook step: attributes its AWS calls to it, and appends a timeline entry (what,
 * when, how long, API calls by operation, details) to the case, on success and on failure.
 * On success the step may have written the entry itself, folded into its own last ledger write
 * ({@link StepRun.fold}); runStep then writes none. A FAILED entry is always runStep's own write.
 * The timeline write itself is not counted among the step's calls.
 * @param step - state name, e.g. `Isolate`.
 * @param target - the case to record on, or undefined to record nothing (dry run); a function when the case is known
 *   only part-way (Contain claims it): called each time an entry is written.
 * @param fn - the step's logic; it gets a {@link StepRun}.
 * @param details - what to put on the timeline from the result.
 * @param options - entries carried from earlier steps, or this step's entry deferred ({@link StepTimelineOptions}).
 * @returns `fn`'s result.
 * @throws whatever `fn` throws, after recording it.
 */
export async function runStep<T>(
  step: string,
  targetOf: StepRecordTarget | undefined | (() => StepRecordTarget | undefined),
  fn: (run: StepRun) => Promise<T>,
  details: (result: T) => Record<string, unknown> = (r) => (r && typeof r === 'object' ? (r as Record<string, unknown>) : { result: r }),
  options: StepTimelineOptions = {},
): Promise<T> {
  const currentTarget = () => (typeof targetOf === 'function' ? targetOf() : targetOf);
  const stepRunId = randomUUID();
  const calls: ApiCallRecord[] = [];
  const unsubscribe = subscribeApiCalls((r) => {
    if (r.context.stepRunId === stepRunId) calls.push(r);
  });
  const startedAt = new Date();
  const entry = (
    status: 'SUCCEEDED' | 'FAILED',
    rest: Pick<TimelineEntry, 'details' | 'error'>,
    target = currentTarget(),
  ): TimelineEntry => ({
    at: startedAt.toISOString(),
    step,
    status,
    executionName: target?.executionName,
    trigger: target?.trigger,
    operator: target?.operator,
    durationMs: Date.now() - startedAt.getTime(),
    apiCalls: countByOperation(calls),
    ...rest,
  });
  let folded = false;
  let carriedWritten = !options.carried?.length;
  const run: StepRun = {
    fold: (d) =>
      currentTarget() && {
        entry: entry('SUCCEEDED', { details: d }),
        carried: options.carried,
        written: (withCarried) => {
          folded = true;
          carriedWritten ||= !!withCarried;
        },
      },
  };
  const putCarried = (t: StepRecordTarget) => Promise.all((options.carried ?? []).map((c) => t.ledger.appendTimeline(t.caseId, c, true)));
  try {
    const result = await withCallContext({ step, stepRunId }, () => fn(run));
    unsubscribe();
    const target = currentTarget();
    if (target && !carriedWritten) await putCarried(target);
    if (target && !folded) {
      const own = entry('SUCCEEDED', { details: details(result) });
      if (options.defer) options.defer(own);
      else await target.ledger.appendTimeline(target.caseId, own);
    }
    return result;
  } catch (err) {
    unsubscribe();
    const target = currentTarget();
    if (target) {
      const e = err instanceof Error ? err : new Error(String(err));
      // The original error matters more than a failed timeline write.
      await Promise.all([
        carriedWritten ? undefined : putCarried(target),
        target.ledger.appendTimeline(target.caseId, entry('FAILED', { error: { name: e.name, message: e.message } })),
      ]).catch(() => undefined);
    }
    throw err;
  }
}
