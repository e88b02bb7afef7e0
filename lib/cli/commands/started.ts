import * as z from 'zod';
import type { Connection } from '../../operator/connection';
import { followExecution } from '../../operator/follow';
import { ExitCode, Output } from '../output';
import { renderEnd, renderStep, style } from '../render';

/** `--reason TEXT`: required wherever an engineer acts, since it goes on the case timeline. */
export const ReasonSchema = z
  .string({ message: '--reason TEXT is required: it goes on the case timeline' })
  .trim()
  .min(3, '--reason must say why (at least 3 characters)')
  .max(1024);

/**
 * The end of every command that starts or resumes an execution (`run`, `release`, `approve`, `deny`):
 * without `--wait`, the start itself (as JSON with `--json`); with `--wait`, the execution followed
 * state by state (lib/operator/follow.ts) and how it ended.
 * @param started - what the command did, printed as JSON with `--json`.
 * @returns 0 when not waiting or the execution succeeded, 1 when it did not.
 */
export async function finishStarted(
  conn: Connection,
  executionArn: string,
  started: object,
  o: { readonly wait?: boolean; readonly json?: boolean },
  output: Output,
): Promise<number> {
  if (!o.wait) {
    if (o.json) output.out(JSON.stringify(started, null, 2));
    return ExitCode.Ok;
  }
  const s = style(output);
  const end = await followExecution(conn, executionArn, {
    pollMs: conn.kind === 'local' ? 200 : 1000,
    onStep: o.json ? undefined : (step) => output.out(renderStep(step, s)),
  });
  if (o.json) output.out(JSON.stringify({ ...started, end }, null, 2));
  else for (const line of renderEnd(end, s)) output.out(line);
  return end.status === 'SUCCEEDED' ? ExitCode.Ok : ExitCode.Failed;
}
