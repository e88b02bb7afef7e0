import type { Check } from '../../local/checks';
import { readNotifications } from '../../local/notifications';
import type { LocalExecutionResult } from '../../local/runner';
import type { LocalSession } from '../../local/session';
import type { FaultHit } from '../faults';
import { ENDED_FAILED, Expectation } from './expectation';

/**
 * Whether each execution a throttle or 5xx fault hit made the failed call again, in a later
 * invocation of the step (the state machine's Retry), and that call succeeded.
 */
function retriedAfter(execs: LocalExecutionResult[], hits: FaultHit[], operation: string): { ok: boolean; details: string }[] {
  const out: { ok: boolean; details: string }[] = [];
  for (const x of execs) {
    const executionId = x.calls[0]?.context.executionId;
    const mine = hits.filter((h) => h.executionId !== undefined && h.executionId === executionId);
    for (const step of [...new Set(mine.map((h) => h.step))]) {
      const inStep = mine.filter((h) => h.step === step);
      const last = inStep[inStep.length - 1];
      const invocations = new Set(inStep.map((h) => h.invocationId)).size;
      const retry = x.calls.find(
        (c) =>
          c.operation === operation &&
          !c.error &&
          c.context.step === step &&
          c.startedAt >= last.at &&
          c.context.invocationId !== last.invocationId,
      );
      out.push({
        ok: !!retry,
        details: `${step ?? '(outside a step)'}: ${inStep.length} fault(s) over ${invocations} invocation(s), ${retry ? `then ${operation} succeeded in a later invocation` : `${operation} never succeeded in a later invocation`}`,
      });
    }
  }
  return out;
}

/** RESOURCE_GONE is recovered from loudly enough: a `resource-gone` notification names the case. */
async function resourceGoneNotified(session: LocalSession, x: LocalExecutionResult): Promise<Check> {
  const notes = (await readNotifications(session.env)).filter((n) => n.caseId === x.caseId && n.kind === 'resource-gone');
  return {
    name: 'resource-gone-notified',
    passed: notes.length > 0,
    details: `${notes.length} "resource-gone" notification(s) for ${x.caseId ?? '(no case)'}`,
  };
}

/**
 * `behaviour: recover`: no execution FAILED; every throttle or 5xx fault was retried by a later invocation of its
 * step and the call then succeeded; and a run that ended RESOURCE_GONE told someone (read back from the queue).
 */
export const recoverExpectation: Expectation = {
  name: 'behaviour recover',
  phase: 'runs',
  async judge({ session, injection, expect: exp, runs, executions, outcome }) {
    if (exp.behaviour !== 'recover') return {};
    const failed = executions.filter((x) => ENDED_FAILED.has(x.status));
    const checks: Check[] = [];
    for (const x of runs.filter((r): r is LocalExecutionResult => r?.outcome === 'RESOURCE_GONE'))
      checks.push(await resourceGoneNotified(session, x));
    const retried: string[] = [];
    let retriesHeld = true;
    (injection.faults ?? []).forEach((f, index) => {
      if (f.kind !== 'throttle' && f.kind !== 'server-error') return;
      for (const line of retriedAfter(
        executions,
        outcome.hits.filter((h) => h.fault === index),
        f.operation,
      )) {
        retriesHeld &&= line.ok;
        retried.push(line.details);
      }
    });
    return {
      checks,
      verdicts: [
        {
          name: 'behaviour recover',
          passed: failed.length === 0 && retriesHeld,
          details: `${failed.length ? `${failed.length} execution(s) FAILED: ${failed.map((x) => `${x.error?.name}: ${x.error?.message.slice(0, 160)}`).join('; ')}` : 'no execution FAILED'}${retried.length ? `; retried: ${retried.join('; ')}` : ''}`,
        },
      ],
    };
  },
};
