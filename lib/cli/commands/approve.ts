import { answerApproval } from '../../operator/approval';
import { assertCaseId } from '../../operator/cases';
import { connect, ConnectOptions } from '../../operator/connection';
import { followExecution } from '../../operator/follow';
import { ExitCode, Output } from '../output';
import { renderEnd, renderStep, style } from '../render';
import { InvalidInput } from '../../errors';

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
export async function approveCommand(decision: 'approve' | 'deny', caseId: string, o: ApproveCommandOptions, output: Output): Promise<number> {
  assertCaseId(caseId);
  if (decision === 'deny' && !o.reason?.trim()) throw new InvalidInput('deny needs --reason TEXT: it goes on the case timeline');
  const conn = await connect(o);
  const sent = await answerApproval(conn, caseId, decision, o.reason);
  const s = style(output);
  if (!o.json) {
    output.out(`${s.bold(decision === 'approve' ? 'Approved' : 'Denied')} case ${caseId} as ${sent.by}: ${decision === 'approve' ? 'containment goes ahead' : 'nothing is contained; the case stays notify-only'}`);
    output.out(`  execution ${sent.executionArn}`);
  }
  if (!o.wait) {
    if (o.json) output.out(JSON.stringify(sent, null, 2));
    return ExitCode.Ok;
  }
  const end = await followExecution(conn, sent.executionArn, { pollMs: conn.kind === 'local' ? 200 : 1000, onStep: o.json ? undefined : (step) => output.out(renderStep(step, s)) });
  if (o.json) output.out(JSON.stringify({ ...sent, end }, null, 2));
  else for (const line of renderEnd(end, s)) output.out(line);
  return end.status === 'SUCCEEDED' ? ExitCode.Ok : ExitCode.Failed;
}
