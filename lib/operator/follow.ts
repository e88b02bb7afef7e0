import { DescribeExecutionCommand, GetExecutionHistoryCommand, HistoryEvent } from '@aws-sdk/client-sfn';
import type { Connection } from './connection';

/** One step of an execution as {@link followExecution} reports it. */
export interface StepProgress {
  /** The state's name (`Isolate`, ...). */
  readonly name: string;
  readonly status: 'SUCCEEDED' | 'FAILED';
  /** When the state was entered and left, epoch milliseconds. */
  readonly startedAt: number;
  readonly endedAt: number;
  readonly error?: string;
  readonly cause?: string;
}

/** How an execution ended. */
export interface ExecutionEnd {
  readonly executionArn: string;
  /** Step Functions status: SUCCEEDED, FAILED, TIMED_OUT, ABORTED (RUNNING when `timeoutSeconds` ran out first). */
  readonly status: string;
  /** The playbook's output (`outcome`, `case`, ...) when it succeeded. */
  readonly output?: Record<string, unknown>;
  readonly error?: string;
  readonly cause?: string;
  /** The last Task state that failed, and its error: what `--wait` prints for a failure. */
  readonly failedStep?: StepProgress;
  readonly steps: StepProgress[];
  /** Start to stop, in milliseconds. */
  readonly durationMs: number;
}

/** Options of {@link followExecution}. */
export interface FollowOptions {
  /** Called for each Task state as it ends, in order. */
  readonly onStep?: (step: StepProgress) => void;
  /** Milliseconds between history polls. @default 1000 */
  readonly pollMs?: number;
  /** Give up following after this many seconds (the execution goes on). @default 21600 (the playbooks' 6 h limit) */
  readonly timeoutSeconds?: number;
}

const END_TYPES = new Set(['ExecutionSucceeded', 'ExecutionFailed', 'ExecutionAborted', 'ExecutionTimedOut']);
const seconds = (d: Date | undefined) => (d ? d.getTime() : Date.now());

/**
 * Follows an execution live, state by state, from `GetExecutionHistory` (paged; re-read while the
 * execution runs), until it ends: the `--wait` of `firebreak run` and `release`.
 * Task states are reported when they end (`TaskStateExited`, or a `TaskFailed` that the state's
 * Catch then handles); Choice, Pass and Wait states are not reported.
 * @returns how it ended, with every Task step and the failing one.
 * @throws the SDK's errors (ExecutionDoesNotExist, AccessDenied, ...).
 */
export async function followExecution(
  conn: Pick<Connection, 'sfn'>,
  executionArn: string,
  options: FollowOptions = {},
): Promise<ExecutionEnd> {
  const steps: StepProgress[] = [];
  const deadline = Date.now() + (options.timeoutSeconds ?? 21_600) * 1000;
  let seen = 0;
  let entered: { name: string; at: number; type: string } | undefined;
  let failure: { error?: string; cause?: string } | undefined;
  let failedStep: StepProgress | undefined;
  let ended = false;
  while (!ended && Date.now() < deadline) {
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = await conn.sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }));
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    for (const e of events.filter((x) => (x.id ?? 0) > seen)) {
      seen = Math.max(seen, e.id ?? 0);
      const at = seconds(e.timestamp);
      if (e.type === 'TaskStateEntered') {
        entered = { name: e.stateEnteredEventDetails?.name ?? '?', at, type: 'Task' };
        failure = undefined;
      } else if (e.type === 'TaskFailed' || e.type === 'LambdaFunctionFailed') {
        const d = e.taskFailedEventDetails ?? e.lambdaFunctionFailedEventDetails;
        failure = { error: d?.error, cause: d?.cause };
      } else if (e.type === 'TaskStateExited' && entered) {
        const step: StepProgress = failure
          ? { name: entered.name, status: 'FAILED', startedAt: entered.at, endedAt: at, error: failure.error, cause: failure.cause }
          : { name: entered.name, status: 'SUCCEEDED', startedAt: entered.at, endedAt: at };
        if (step.status === 'FAILED') failedStep = step;
        steps.push(step);
        options.onStep?.(step);
        entered = undefined;
        failure = undefined;
      } else if (END_TYPES.has(e.type ?? '')) {
        if (entered && failure) {
          // The failing state never exited: its error ended the execution.
          failedStep = {
            name: entered.name,
            status: 'FAILED',
            startedAt: entered.at,
            endedAt: at,
            error: failure.error,
            cause: failure.cause,
          };
          steps.push(failedStep);
          options.onStep?.(failedStep);
        }
        ended = true;
      }
    }
    if (!ended) await new Promise((r) => setTimeout(r, options.pollMs ?? 1000));
  }
  const d = await conn.sfn.send(new DescribeExecutionCommand({ executionArn }));
  let output: Record<string, unknown> | undefined;
  try {
    output = d.output ? (JSON.parse(d.output) as Record<string, unknown>) : undefined;
  } catch {
    output = undefined;
  }
  return {
    executionArn,
    status: d.status ?? 'UNKNOWN',
    output,
    error: d.error,
    cause: d.cause,
    failedStep,
    steps,
    durationMs: seconds(d.stopDate) - seconds(d.startDate),
  };
}
