import { Check, readCaseRecord } from '../../local/checks';
import { readNotifications } from '../../local/notifications';
import type { LocalExecutionResult } from '../../local/runner';
import type { LocalSession } from '../../local/session';
import { ENDED_FAILED, executionCaseId, Expectation } from './expectation';

/**
 * Fail-loudly read-back for one execution: the case is FAILED, its timeline has this execution's
 * FAILED RecordFailure entry, and a `failed` notification for the case reached the topic's queue.
 */
async function failLoudlyChecks(session: LocalSession, x: LocalExecutionResult): Promise<Check[]> {
  const caseId = executionCaseId(x);
  if (!caseId) {
    return [
      {
        name: 'case-status-failed',
        passed: false,
        details: `no case was opened (${x.status}${x.error ? `: ${x.error.name}` : ''}): nothing to record the failure on`,
      },
    ];
  }
  const { item, timeline } = await readCaseRecord(session.env, caseId);
  // An execution that failed records it itself (RecordFailure); one that timed out or was stopped cannot, and the
  // execution-ended rule's CloseOrphanedCase records it.
  const step = x.status === 'FAILED' ? 'RecordFailure' : 'CloseOrphanedCase';
  const entry = timeline.find((t) => t.step === step && t.status === 'FAILED' && t.executionName === x.executionName);
  const notes = (await readNotifications(session.env)).filter((n) => n.caseId === caseId);
  const failed = notes.filter((n) => n.kind === 'failed');
  return [
    { name: 'case-status-failed', passed: item?.status === 'FAILED', details: `case ${caseId}: status=${item?.status ?? 'missing'}` },
    {
      name: 'timeline-failed-entry',
      passed: !!entry,
      details: entry
        ? `${step} FAILED at ${entry.at}: ${entry.error?.name ?? '?'}: ${String(entry.error?.message ?? '').slice(0, 160)}`
        : `no FAILED ${step} entry for execution ${x.executionName} (${x.status}) among ${timeline.length} entries`,
    },
    {
      name: 'failure-notified',
      passed: failed.length > 0,
      details: `${failed.length} "failed" notification(s) for ${caseId} (${notes.length} in all: ${notes.map((n) => n.kind).join(', ') || 'none'})`,
    },
  ];
}

/**
 * `behaviour: fail-loudly`: every run ends FAILED (never SUCCEEDED), and, read back for each, the case is FAILED,
 * its timeline says so, and a `failed` notification names it.
 */
export const failLoudlyExpectation: Expectation = {
  name: 'behaviour fail-loudly',
  phase: 'runs',
  async judge({ session, expect: exp, runs }) {
    if (exp.behaviour !== 'fail-loudly') return {};
    const judged = runs.filter((x): x is LocalExecutionResult => !!x);
    const checks: Check[] = [];
    for (const x of judged) checks.push(...(await failLoudlyChecks(session, x)));
    const succeeded = runs.filter((x) => !x || !ENDED_FAILED.has(x.status));
    const first = judged[0];
    return {
      checks,
      verdicts: [
        {
          name: 'behaviour fail-loudly',
          passed: judged.length > 0 && succeeded.length === 0,
          details:
            succeeded.length || !judged.length
              ? `expected every run to end FAILED, got ${runs.map((x) => x?.status ?? 'NO_MATCH').join(', ')}`
              : `${first.status === 'FAILED' ? 'FAILED' : `${first.status} (reported FAILED)`}${first.error ? ` (${first.error.name}: ${first.error.message.slice(0, 160)})` : ''}; notified and on the timeline: see checks case-status-failed, timeline-failed-entry, failure-notified`,
        },
      ],
    };
  },
};
