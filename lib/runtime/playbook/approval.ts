import { PublishCommand } from '@aws-sdk/client-sns';
import { z } from 'zod';
import { InvalidInput } from '../../core/errors';
import type { ApprovalAnswer } from '../ledger/ledger';
import { StepDeps } from './deps';
import { caseTarget, runStep } from './run-step';
import { PlaybookState, PlaybookStateSchema } from '../../core/contracts/state';
import { snsSubject } from './sns-subject';
import { describeResource } from '../../core/incident/describe';
import { terminalSafe } from '../../core/text';

/**
 * Approvals (issue #4): a catalog entry in `approval` mode pauses the playbook at RequestApproval,
 * a Lambda task with the `.waitForTaskToken` integration ("Wait for a Callback with Task Token",
 * Step Functions Developer Guide), until `firebreak approve` / `deny` sends the token's result
 * (SendTaskSuccess), or the task's TimeoutSeconds passes (`States.Timeout`, caught into
 * ApprovalTimedOut). RecordApproval then puts the decision, and who made it, on the timeline, and
 * chooses containment or notify-only.
 */

/** RequestApproval's input: the Lambda integration's `Payload`. */
export const RequestApprovalInputSchema = z.object({ state: PlaybookStateSchema, taskToken: z.string().min(1) });

/** The output `firebreak approve` / `deny` send with SendTaskSuccess: the playbook's `$.approval`. */
export const ApprovalSchema = z.object({
  decision: z.enum(['approve', 'deny', 'timeout']),
  /** The approver's ARN (STS GetCallerIdentity of whoever ran the CLI); absent for a timeout. */
  by: z.string().optional(),
  reason: z.string().max(1024).optional(),
  /** ISO-8601 UTC. */
  at: z.string().optional(),
});
/** An approval decision. */
export type Approval = z.infer<typeof ApprovalSchema>;

/** What the catalog entry says happens when nobody answers. @default 'notify' */
function timeoutAction(state: PlaybookState, deps: StepDeps): 'contain' | 'notify' {
  const entry = deps.config.catalog.find((e) => e.id === state.incident.catalogEntryId);
  return entry?.approvalTimeoutAction ?? 'notify';
}

/**
 * RequestApproval: records the pending approval (task token, deadline) on the case, so the CLI can
 * answer it, and notifies once with the case and the exact commands. A re-run (new execution after a
 * crash) records its own token: only the latest one can be answered.
 * @param timeoutSeconds - the task's TimeoutSeconds (the deployment's `approvalTimeoutSeconds`).
 * @returns `{ requested: true, expiresAt }` (the task then waits for the token).
 */
export async function requestApproval(input: z.infer<typeof RequestApprovalInputSchema>, deps: StepDeps): Promise<{ requested: true; expiresAt: string }> {
  const { state, taskToken } = input;
  const caseId = state.case.caseId;
  return runStep('RequestApproval', caseTarget(state, deps.ledger), async () => {
    const now = deps.now();
    const expiresAt = new Date(now.getTime() + deps.config.approvalTimeoutSeconds * 1000).toISOString();
    const onTimeout = timeoutAction(state, deps);
    await deps.ledger.putApprovalRequest(caseId, { taskToken, executionName: state.run.executionName, requestedAt: now.toISOString(), expiresAt, onTimeout });
    if (await deps.ledger.markNotified(caseId, 'approval-request')) {
      const i = state.incident;
      await deps.clients.security().sns.send(new PublishCommand({
        TopicArn: deps.config.topicArn,
        Subject: snsSubject(`[Firebreak] ${caseId} approval needed: ${describeResource(i)} (${i.finding.type})`),
        // Plain text, not JSON: what the member account shaped (the resource ID, the finding type) is escaped as the CLI does.
        Message: terminalSafe([
          `Case ${caseId} (${i.playbook}) waits for approval before containing ${i.resource.id} in ${i.account}/${i.region}.`,
          `Finding: ${i.finding.type}${i.finding.severity !== undefined ? `, severity ${i.finding.severity}` : ''} (${i.finding.id}).`,
          `Approve:  firebreak approve ${caseId} --reason "..."`,
          `Deny:     firebreak deny ${caseId} --reason "..."`,
          `Without an answer by ${expiresAt}, the case is ${onTimeout === 'contain' ? 'contained' : 'notify-only'}.`,
          `Runbook: runbooks/${i.playbook}/runbook.md`,
        ].join('\n')),
        MessageAttributes: { caseId: { DataType: 'String', StringValue: caseId }, kind: { DataType: 'String', StringValue: 'approval-request' } },
      }));
    }
    return { requested: true as const, expiresAt };
  });
}

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
export async function recordApproval(state: PlaybookState & { approval?: unknown }, deps: StepDeps): Promise<ApprovalOutcome> {
  const parsed = ApprovalSchema.safeParse(state.approval);
  if (!parsed.success) throw new InvalidInput(`approval: ${parsed.error.issues[0]?.message ?? 'malformed'}: expected { decision: approve|deny, by, reason }`);
  const approval = parsed.data;
  const target = caseTarget(state, deps.ledger);
  const recordOn = target ? { ...target, trigger: approval.decision === 'timeout' ? 'auto' : 'manual', operator: approval.by } : undefined;
  return runStep('RecordApproval', recordOn, async () => {
    const action: ApprovalOutcome['action'] = approval.decision === 'approve' ? 'contain' : approval.decision === 'deny' ? 'notify' : timeoutAction(state, deps);
    const outcome: ApprovalOutcome = { action, decision: approval.decision, by: approval.decision === 'timeout' ? 'timeout' : approval.by ?? 'unknown', reason: approval.reason };
    const answer: ApprovalAnswer = { decision: approval.decision, by: outcome.by, reason: approval.reason, at: approval.at ?? deps.now().toISOString(), action };
    await deps.ledger.answerApproval(state.case.caseId, answer);
    return outcome;
  });
}
