import type { ApprovalRecord } from '../../../runtime/ledger/records';
import { readCaseRecord } from '../../local/checks';
import type { Check } from '../../local/checks';
import type { AnsweredApproval } from '../approvals';
import { executionCaseId, Expectation, InjectionContext, Verdict } from './expectation';

/**
 * `approval`: the drill answered the approval the injection's executions asked for (lib/harness/gameday/approvals.ts).
 * Verdict `approval`: at least one request was answered when the injection declares `approval`, every answer was sent,
 * and no request met an injection that declares none. Read-back checks, per answered case:
 * - the twin read back while it waited (`awaiting-approval:*`, e.g. the task still running);
 * - `nothing-changed-before-approval`: no mutating call in the member account by the case's executions before the answer;
 * - `approval-recorded`: the ledger's answer is the drill's decision and reason, with the action it implies
 *   (approve → contain, deny → notify), by a named principal.
 */
export const approvalExpectation: Expectation = {
  name: 'approval',
  phase: 'runs',
  async judge(ctx) {
    const declared = ctx.injection.approval;
    const answered = ctx.outcome.approvals;
    if (!declared && answered.length === 0) return {};
    const verdicts: Verdict[] = [approvalVerdict(declared, answered)];
    const checks: Check[] = [];
    for (const a of answered) {
      checks.push(...a.awaiting, mutationsBefore(ctx, a), await recordedCheck(ctx, a));
    }
    return { verdicts, checks };
  },
};

function approvalVerdict(declared: InjectionContext['injection']['approval'], answered: AnsweredApproval[]): Verdict {
  const undeclared = answered.filter((a) => a.undeclared);
  const failed = answered.filter((a) => a.error);
  const list = answered.map((a) => `${a.decision} ${a.caseId}${a.error ? ` (not sent: ${a.error})` : ''}`).join('; ');
  if (undeclared.length)
    return {
      name: 'approval',
      passed: false,
      details: `the playbook asked for an approval the injection does not declare (add approval: { decision, reason }); the drill denied it: ${list}`,
    };
  return {
    name: 'approval',
    passed: answered.length > 0 && failed.length === 0,
    details: answered.length ? `answered ${list}` : `no approval was requested (the injection declares ${declared?.decision})`,
  };
}

/** The member-account mutating calls the case's executions made before the answer was sent. */
function mutationsBefore(ctx: InjectionContext, a: AnsweredApproval): Check {
  const member = ctx.session.env.memberAccount;
  const early = ctx.executions
    .filter((x) => executionCaseId(x) === a.caseId)
    .flatMap((x) => x.calls)
    .filter((c) => c.mutating && c.account === member && c.startedAt < a.answeredAt);
  return {
    name: 'nothing-changed-before-approval',
    passed: early.length === 0,
    details: `${early.length} mutating call(s) in the member account before the ${a.decision}${early.length ? `: ${early.map((c) => c.operation).join(', ')}` : ''}`,
  };
}

/** The answer as the ledger records it (RecordApproval), read back. */
async function recordedCheck(ctx: InjectionContext, a: AnsweredApproval): Promise<Check> {
  const answer = ((await readCaseRecord(ctx.session.env, a.caseId)).item?.approval as ApprovalRecord | undefined)?.answer;
  const reason = ctx.injection.approval?.reason.trim();
  const action = a.decision === 'approve' ? 'contain' : 'notify';
  return {
    name: 'approval-recorded',
    passed:
      !!answer &&
      answer.decision === a.decision &&
      answer.action === action &&
      (!reason || answer.reason === reason) &&
      /^arn:/.test(answer.by),
    details: answer
      ? `${a.caseId}: ${answer.decision} by ${answer.by} at ${answer.at} (${answer.action}), reason ${JSON.stringify(answer.reason ?? '')}`
      : `${a.caseId}: no answer on the case`,
  };
}
