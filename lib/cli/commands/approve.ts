import { answerApproval } from '../../operator/approval';
import { assertCaseId } from '../../operator/cases';
import { connect, ConnectOptions } from '../../operator/connection';
import { Output } from '../output';
import { style } from '../render';
import { finishStarted } from './started';
import { InvalidInput } from '../../core/errors';

/** Options of `firebreak approve` and `deny`. */
export interface ApproveCommandOptions extends ConnectOptions {
  readonly reason?: string;
  readonly wait?: boolean;
  readonly json?: boolean;
}

/**
 * `firebreak approve <caseId>` / `firebreak deny <caseId> --reason TEXT`: answers the case's pending
 * approval (lib/operator/approval.ts); with `--wait`, follows the execution to its end.
 * @returns 0 when the answer was sent (with `--wait`: the execution succeeded), 1 when it failed.
 * @throws {InvalidInput} for a malformed case ID, a deny without a reason, or a case not waiting for approval.
 */
export async function approveCommand(
  decision: 'approve' | 'deny',
  caseId: string,
  o: ApproveCommandOptions,
  output: Output,
): Promise<number> {
  assertCaseId(caseId);
  if (decision === 'deny' && !o.reason?.trim()) throw new InvalidInput('deny needs --reason TEXT: it goes on the case timeline');
  const conn = await connect(o);
  const sent = await answerApproval(conn, caseId, decision, o.reason);
  const s = style(output);
  if (!o.json) {
    output.out(
      `${s.bold(decision === 'approve' ? 'Approved' : 'Denied')} case ${caseId} as ${sent.by}: ${decision === 'approve' ? 'containment goes ahead' : 'nothing is contained; the case stays notify-only'}`,
    );
    output.out(`  execution ${sent.executionArn}`);
  }
  return finishStarted(conn, sent.executionArn, sent, o, output);
}
