import { z } from 'zod';
import { parseOrThrow } from '../../incident/normalize';
import { assertCaseId } from '../../operator/cases';
import { connect, ConnectOptions } from '../../operator/connection';
import { followExecution } from '../../operator/follow';
import { startRelease } from '../../operator/release';
import { ExitCode, Output } from '../output';
import { renderEnd, renderStep, style } from '../render';

/** Options of `firebreak release`. */
export interface ReleaseCommandOptions extends ConnectOptions {
  readonly reason?: string;
  readonly wait?: boolean;
  readonly json?: boolean;
}

const ReasonSchema = z.object({ reason: z.string({ message: '--reason TEXT is required: it goes on the case timeline' }).trim().min(3, '--reason must say why (at least 3 characters)').max(1024) });

/**
 * `firebreak release <caseId> --reason TEXT [--wait]`: starts the release playbook on the case
 * (lib/operator/release.ts) and with `--wait` follows it.
 * @returns 0 when started (with `--wait`: when it succeeded) or already released; 1 when the release failed.
 * @throws {InvalidInput} for a malformed case ID or missing reason (before any AWS call), or a case with nothing to release.
 */
export async function releaseCommand(caseId: string, o: ReleaseCommandOptions, output: Output): Promise<number> {
  assertCaseId(caseId);
  const { reason } = parseOrThrow(ReasonSchema, { reason: o.reason }, 'options');
  const conn = await connect(o);
  const started = await startRelease(conn, caseId, reason);
  const s = style(output);
  if (started.action === 'already-released') {
    if (o.json) output.out(JSON.stringify(started, null, 2));
    else output.out(`Case ${caseId} was already released${started.releasedAt ? ` at ${started.releasedAt}` : ''}; nothing was started.`);
    return ExitCode.Ok;
  }
  if (!o.json) {
    output.out(`${s.bold('Started')} release of case ${caseId} as ${started.operator}`);
    output.out(`  execution ${started.executionArn}`);
  }
  if (!o.wait) {
    if (o.json) output.out(JSON.stringify(started, null, 2));
    return ExitCode.Ok;
  }
  const end = await followExecution(conn, started.executionArn!, { pollMs: conn.kind === 'local' ? 200 : 1000, onStep: o.json ? undefined : (step) => output.out(renderStep(step, s)) });
  if (o.json) output.out(JSON.stringify({ ...started, end }, null, 2));
  else for (const line of renderEnd(end, s)) output.out(line);
  return end.status === 'SUCCEEDED' ? ExitCode.Ok : ExitCode.Failed;
}
