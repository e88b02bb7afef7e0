import { InvalidInput } from '../../../core/errors';
import type { ApprovalAnswer } from '../../ledger/ledger';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import type { PlaybookState } from '../../../core/contracts/state';
import { Approval, ApprovalSchema, timeoutAction } from './approval';

/** What RecordApproval decided: `$.approvalOutcome`. */
export interface ApprovalOutcome {
  readonly action: 'contain' | 'notify';
  readonly decision: Approval['decision'];
  /** Who decided: the approver's ARN, or `timeout` when nobody answered. */
  readonly by: string;
  readonly reason?: string;
}

/**
 * RecordApproval: puts the decision on the case timeline with who made it (the approver's identity,
 * or `timeout` and the configured default), closes the pending request, and chooses the path.
 * @param state - the playbook state with `$.approval` (from SendTaskSuccess, or ApprovalTimedOut).
 * @throws {InvalidInput} when `$.approval` is missing or malformed (a forged SendTaskSuccess output).
 */
export async function recordApproval(state: PlaybookState, deps: StepDeps): Promise<ApprovalOutcome> {
  const parsed = ApprovalSchema.safeParse(state.approval);
  if (!parsed.success)
    throw new InvalidInput(`approval: ${parsed.error.issues[0]?.message ?? 'malformed'}: expected { decision: approve|deny, by, reason }`);
  const approval = parsed.data;
  const target = caseTarget(state, deps.ledger);
  const recordOn = target ? { ...target, trigger: approval.decision === 'timeout' ? 'auto' : 'manual', operator: approval.by } : undefined;
  return runStep('RecordApproval', recordOn, async () => {
    const action: ApprovalOutcome['action'] =
      approval.decision === 'approve' ? 'contain' : approval.decision === 'deny' ? 'notify' : timeoutAction(state, deps);
    const outcome: ApprovalOutcome = {
      action,
      decision: approval.decision,
      by: approval.decision === 'timeout' ? 'timeout' : (approval.by ?? 'unknown'),
      reason: approval.reason,
    };
    const answer: ApprovalAnswer = {
      decision: approval.decision,
      by: outcome.by,
      reason: approval.reason,
      at: approval.at ?? deps.now().toISOString(),
      action,
    };
    await deps.ledger.answerApproval(state.case.caseId, answer);
    return outcome;
  });
}
