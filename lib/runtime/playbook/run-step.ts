import { randomUUID } from 'node:crypto';
import type { CaseLedger } from '../ledger/ledger';
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
 * Runs one playbook step: attributes its AWS calls to it, and appends a timeline entry (what,
 * when, how long, API calls by operation, details) to the case, on success and on failure.
 * The timeline write itself is not counted among the step's calls.
 * @param step - state name, e.g. `Isolate`.
 * @param target - the case to record on, or undefined to record nothing (dry run).
 * @param fn - the step's logic.
 * @param details - what to put on the timeline from the result.
 * @returns `fn`'s result.
 * @throws whatever `fn` throws, after recording it.
 */
export async function runStep<T>(
  step: string,
  target: StepRecordTarget | undefined,
  fn: () => Promise<T>,
  details: (result: T) => Record<string, unknown> = (r) => (r && typeof r === 'object' ? (r as Record<string, unknown>) : { result: r }),
): Promise<T> {
  const stepRunId = randomUUID();
  const calls: ApiCallRecord[] = [];
  const unsubscribe = subscribeApiCalls((r) => {
    if (r.context.stepRunId === stepRunId) calls.push(r);
  });
  const startedAt = new Date();
  try {
    const result = await withCallContext({ step, stepRunId }, fn);
    unsubscribe();
    if (target) {
      await target.ledger.appendTimeline(target.caseId, {
        at: startedAt.toISOString(),
        step,
        status: 'SUCCEEDED',
        executionName: target.executionName,
        trigger: target.trigger,
        operator: target.operator,
        durationMs: Date.now() - startedAt.getTime(),
        apiCalls: countByOperation(calls),
        details: details(result),
      });
    }
    return result;
  } catch (err) {
    unsubscribe();
    if (target) {
      const e = err instanceof Error ? err : new Error(String(err));
      await target.ledger
        .appendTimeline(target.caseId, {
          at: startedAt.toISOString(),
          step,
          status: 'FAILED',
          executionName: target.executionName,
          trigger: target.trigger,
          operator: target.operator,
          durationMs: Date.now() - startedAt.getTime(),
          apiCalls: countByOperation(calls),
          error: { name: e.name, message: e.message },
        })
        .catch(() => undefined); // the original error matters more than a failed timeline write
    }
    throw err;
  }
}
