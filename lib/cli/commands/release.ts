import * as z from 'zod';
import { parseOrThrow } from '../../core/incident/normalize';
import { assertCaseId } from '../../operator/cases';
import { connect, ConnectOptions } from '../../operator/connection';
import { startRelease } from '../../operator/release';
import { ExitCode, Output } from '../output';
import { style } from '../render';
import { finishStarted, ReasonSchema } from './started';

/** Options of `firebreak release`. */
export interface ReleaseCommandOptions extends ConnectOptions {
  readonly reason?: string;
  readonly wait?: boolean;
  readonly json?: boolean;
}

/**
 * `firebreak release <caseId> --reason TEXT [--wait]`: starts the release playbook on the case
 * (lib/operator/release.ts) and with `--wait` follows it.
 * @returns 0 when started (with `--wait`: when it succeeded) or already released; 1 when the release failed.
 * @throws {InvalidInput} for a malformed case ID or missing reason (before any AWS call), or a case with nothing to release.
 */
export async function releaseCommand(caseId: string, o: ReleaseCommandOptions, output: Output): Promise<number> {
  assertCaseId(caseId);
  const { reason } = parseOrThrow(z.object({ reason: ReasonSchema }), { reason: o.reason }, 'options');
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
  return finishStarted(conn, started.executionArn!, started, o, output);
}
