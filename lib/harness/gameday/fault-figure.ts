import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalSession } from '../local/session';
import { replayEvent, EventEnvelope } from '../local/replay';
import type { LocalExecutionResult } from '../local/runner';
import { readNotifications } from '../local/notifications';
import type { DrillWorld } from './drill';
import { EVERY_OPERATION, installFaults } from './faults';

/**
 * What one run under transient faults ended as, read back from the emulator (the ledger, the notification
 * queue) and the execution's status, not from the playbook's own return values:
 * - `contained`: the execution ended CONTAINED, the case is CONTAINED in the ledger and every read-back check passed;
 * - `failed-notified`: the execution ended FAILED (or TIMED_OUT), so the state machine's ExecutionsFailed alarm
 *   fires, AND the case is FAILED in the ledger with a `failed` notification about it on the topic;
 * - `notified`: a notify-only outcome (the finding's severity or type calls for no containment): the case is NOTIFIED
 *   and a `notify-only` notification about it was published;
 * - `failed-alarm-only`: the execution ended FAILED, but no FAILED case with a notification: only the alarm tells;
 * - `silent`: none of these (no case a person was told of, and no alarm).
 */
export type FigureVerdict = 'contained' | 'failed-notified' | 'notified' | 'failed-alarm-only' | 'silent';

/** One run of {@link runUnderTransientFaults}. */
export interface FigureRun {
  readonly seed: string;
  readonly verdict: FigureVerdict;
  readonly status: string;
  readonly outcome?: string;
  readonly caseId?: string;
  /** The case's status in the ledger. */
  readonly caseStatus?: string;
  /** Kinds of the notifications about the case (or, without a case, naming the resource). */
  readonly notifications: readonly string[];
  /** Read-back checks that failed (for `contained`, none). */
  readonly failedChecks: readonly string[];
  /** HTTP attempts the fault failed, and attempts it saw. */
  readonly injected: number;
  readonly attempts: number;
  /**
   * Calls whose answer was an error after all the SDK's attempts (what the steps saw), answers the playbook expects
   * included (a DryRun's DryRunOperation, S3 HeadObject's NotFound before an artifact is written: 9 in a fault-free
   * ec2-compromise run); and Lambda invocations retried by the state machine.
   */
  readonly callsFailed: number;
  readonly stepRetries: number;
  readonly durationMs: number;
  readonly error?: string;
}

/** Options of {@link runUnderTransientFaults}. */
export interface FigureOptions {
  /** The seeds, one run each (a new twin world per run). */
  readonly seeds: readonly string[];
  /** Probability that one HTTP attempt fails. */
  readonly rate: number;
  /** The world around the twin (Auto Scaling group, target group...). */
  readonly world?: Partial<DrillWorld>;
  /** Called after each run. */
  readonly onRun?: (run: FigureRun) => void;
}

/** The resource IDs a run's case and notifications are looked up by. */
function resourceIds(r: { twin?: { instanceId: string }; credentialTwin?: { userName?: string; accessKeyId?: string } }): string[] {
  return [r.twin?.instanceId, r.credentialTwin?.accessKeyId, r.credentialTwin?.userName].filter((x): x is string => !!x);
}

/**
 * Replays `event` once per seed with the drill fault `{ kind: transient, operations: '*', rate }` (every HTTP
 * attempt of every call of every Lambda client fails with probability `rate`, beneath the SDK's retry), and
 * judges each run ({@link FigureVerdict}) from the emulator's state. The execution-ended rule
 * (close-orphaned-case) runs under the same faults, as it would in AWS.
 * @param session - a local session (the emulator, the synthesized playbooks).
 * @param event - the event to replay (a twin world is built for each run).
 * @returns one {@link FigureRun} per seed, in order.
 */
export async function runUnderTransientFaults(session: LocalSession, event: EventEnvelope, options: FigureOptions): Promise<FigureRun[]> {
  const out: FigureRun[] = [];
  for (const seed of options.seeds) {
    const started = Date.now();
    const installed = installFaults([{ kind: 'transient', operations: EVERY_OPERATION, rate: options.rate }], {
      seed,
      deleteResource: () => Promise.reject(new Error('no deletion in a transient-fault run')),
    });
    let result: Awaited<ReturnType<typeof replayEvent>>;
    try {
      result = await replayEvent(session, event, { extras: options.world });
    } finally {
      installed.remove();
    }
    const fault = installed.reports()[0];
    const x: LocalExecutionResult | undefined = result.executions[0];
    const ids = resourceIds(result);
    // The cases of the run's resource, from the ledger (one per run: the twin is new).
    const cases = (
      (
        await session.env.security.ddb.send(
          new ScanCommand({ TableName: session.env.ledgerTable, FilterExpression: 'sk = :c', ExpressionAttributeValues: { ':c': 'CASE' } }),
        )
      ).Items ?? []
    ).filter((c) => ids.includes(String(c.resourceId)) || ids.some((id) => String(c.resourceId).includes(id)));
    const record = cases[0];
    const caseId = record ? String(record.caseId) : x?.caseId;
    const inbox = await readNotifications(session.env);
    const notes = inbox.filter((n) => (caseId && n.caseId === caseId) || (!caseId && ids.some((id) => n.body.includes(id))));
    const kinds = notes.map((n) => n.kind ?? '?');
    const failedChecks = result.report.checks.filter((c) => !c.passed).map((c) => c.name);
    const status = x?.status ?? 'NO_MATCH';
    const endedFailed = status === 'FAILED' || status === 'TIMED_OUT';
    let verdict: FigureVerdict;
    if (x?.outcome === 'CONTAINED' && record?.status === 'CONTAINED' && failedChecks.length === 0) verdict = 'contained';
    else if (endedFailed && record?.status === 'FAILED' && kinds.includes('failed')) verdict = 'failed-notified';
    else if (x?.outcome === 'NOTIFIED' && record?.status === 'NOTIFIED' && kinds.includes('notify-only')) verdict = 'notified';
    else if (endedFailed) verdict = 'failed-alarm-only';
    else verdict = 'silent';
    const run: FigureRun = {
      seed,
      verdict,
      status,
      outcome: x?.outcome,
      caseId,
      caseStatus: record?.status as string | undefined,
      notifications: kinds,
      failedChecks,
      injected: fault.injected,
      attempts: fault.matchingCalls,
      callsFailed: x ? x.calls.filter((c) => c.error).length : 0,
      stepRetries: x ? x.steps.reduce((a, s) => a + Math.max(0, s.invocations - 1), 0) : 0,
      durationMs: Date.now() - started,
      error: x?.error ? `${x.error.name}: ${x.error.message.slice(0, 200)}` : undefined,
    };
    options.onRun?.(run);
    out.push(run);
  }
  return out;
}

/** The figure over runs: how many of each verdict, and the wall time. */
export function summarizeFigure(
  runs: readonly FigureRun[],
): Record<FigureVerdict, number> & { runs: number; containedShare: number; totalMs: number } {
  const count = (v: FigureVerdict) => runs.filter((r) => r.verdict === v).length;
  return {
    runs: runs.length,
    contained: count('contained'),
    'failed-notified': count('failed-notified'),
    notified: count('notified'),
    'failed-alarm-only': count('failed-alarm-only'),
    silent: count('silent'),
    containedShare: runs.length ? count('contained') / runs.length : 0,
    totalMs: runs.reduce((a, r) => a + r.durationMs, 0),
  };
}
