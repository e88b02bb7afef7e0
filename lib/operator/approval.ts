import { SendTaskSuccessCommand, TaskTimedOut, TaskDoesNotExist, InvalidToken } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { InvalidInput } from '../core/errors';
import type { Approval } from '../runtime/playbook/shared/approval';
import { assertCaseId } from './cases';
import { Connection, executionArn } from './connection';

/** What {@link answerApproval} did. */
export interface ApprovalSent {
  readonly caseId: string;
  readonly decision: 'approve' | 'deny';
  readonly by: string;
  /** The execution that was waiting (and now goes on). */
  readonly executionArn: string;
}

/**
 * Answers a case's pending approval (`firebreak approve` / `deny`): reads the task token that
 * RequestApproval recorded on the case, and sends `{ decision, by, reason, at }` with SendTaskSuccess.
 * `by` is the caller's ARN (STS GetCallerIdentity); RecordApproval puts it on the timeline.
 * @throws {InvalidInput} for a malformed case ID or missing deny reason (before any AWS call), an
 *   unknown case, a case not waiting for approval, or a request that has already been answered or
 *   has timed out (Step Functions' TaskTimedOut / TaskDoesNotExist).
 */
export async function answerApproval(
  conn: Connection,
  caseId: string,
  decision: 'approve' | 'deny',
  reason?: string,
): Promise<ApprovalSent> {
  assertCaseId(caseId);
  if (decision === 'deny' && !reason?.trim()) throw new InvalidInput('deny needs --reason TEXT: it goes on the case timeline');
  const record = await conn.ledger.getCase(caseId);
  if (!record) throw new InvalidInput(`no case ${caseId} in the ledger`);
  const pending = record.approval;
  if (!pending?.taskToken || pending.answer) {
    throw new InvalidInput(
      pending?.answer
        ? `case ${caseId}'s approval was already answered: ${pending.answer.decision} by ${pending.answer.by} at ${pending.answer.at}`
        : `case ${caseId} is not waiting for an approval (status ${record.status})`,
    );
  }
  const by = (await conn.sts.send(new GetCallerIdentityCommand({}))).Arn ?? 'unknown';
  const output: Approval = { decision, by, reason: reason?.trim() || undefined, at: new Date().toISOString() };
  try {
    await conn.sfn.send(new SendTaskSuccessCommand({ taskToken: pending.taskToken, output: JSON.stringify(output) }));
  } catch (err) {
    if (err instanceof TaskTimedOut || err instanceof TaskDoesNotExist || err instanceof InvalidToken) {
      throw new InvalidInput(
        `case ${caseId}'s approval request is no longer open (${err.name}): it timed out at ${pending.expiresAt} and the default (${pending.onTimeout}) applied, or the execution ended`,
        { cause: err },
      );
    }
    throw err;
  }
  return { caseId, decision, by, executionArn: executionArn(conn, record.playbook, pending.executionName) };
}
