import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as z from 'zod';
import { InvalidInput } from '../../core/errors';
import { parseOrThrow } from '../../core/incident/normalize';
import { addCaseNote, assertCaseId, caseStatus, listCases, showCase } from '../../operator/cases';
import { renderCaseReport } from '../../operator/case-report';
import { connect, ConnectOptions } from '../../operator/connection';
import { ExitCode, Output } from '../output';
import { renderCase, renderCaseList, renderStatus } from '../render';

/** Options of `firebreak cases list`. */
export interface CasesListOptions extends ConnectOptions {
  readonly open?: boolean;
  readonly account?: string;
  /** Only shadow-mode cases (`SHADOW`). */
  readonly shadow?: boolean;
  /** Only suppressed cases (`SUPPRESSED`). */
  readonly suppressed?: boolean;
  /** Only the cases of this resource (lib/operator/cases.ts `CaseListFilter.resource`). */
  readonly resource?: string;
  readonly json?: boolean;
}

/**
 * `firebreak cases list [--open] [--account ID] [--shadow] [--suppressed] [--resource ID]`: the ledger's cases, newest first.
 * @returns 0.
 * @throws {InvalidInput} for a malformed `--account` or an empty `--resource` (before any AWS call).
 */
export async function casesListCommand(o: CasesListOptions, output: Output): Promise<number> {
  if (o.account !== undefined)
    parseOrThrow(z.object({ account: z.string().regex(/^\d{12}$/, 'must be a 12-digit account ID') }), { account: o.account }, '--account');
  if (o.resource !== undefined && !o.resource.trim()) throw new InvalidInput('--resource needs a resource ID');
  const conn = await connect(o);
  const filter = { open: o.open, account: o.account, shadow: o.shadow, suppressed: o.suppressed, resource: o.resource };
  const cases = await listCases(conn, filter);
  if (o.json) output.out(JSON.stringify(cases, null, 2));
  else for (const line of renderCaseList(cases)) output.out(line);
  return ExitCode.Ok;
}

/** Options of `firebreak cases show`. */
export interface CasesShowOptions extends ConnectOptions {
  readonly json?: boolean;
  /** Also write the HTML case report (lib/operator/case-report.ts) to this file. */
  readonly html?: string;
}

/**
 * `firebreak cases show <caseId> [--html FILE]`: the case, its recorded prior state and evidence, and its timeline; with
 * `--html`, also the self-contained HTML case report written to FILE (lib/operator/case-report.ts), one line saying so
 * on stderr.
 * @throws {InvalidInput} for a malformed case ID or an unusable `--html` FILE ({@link assertHtmlTarget}; before any AWS
 *   call) or an unknown case.
 * @throws {Error} from node:fs when FILE cannot be written ({@link writeHtmlReport}: FILE then left as it was).
 */
export async function casesShowCommand(caseId: string, o: CasesShowOptions, output: Output): Promise<number> {
  assertCaseId(caseId);
  if (o.html !== undefined && !o.html.trim()) throw new InvalidInput('--html needs a file name');
  const replaces = o.html === undefined ? false : assertHtmlTarget(o.html);
  const conn = await connect(o);
  const detail = await showCase(conn, caseId);
  if (o.json) output.out(JSON.stringify(detail, null, 2));
  else for (const line of renderCase(detail)) output.out(line);
  if (o.html !== undefined) {
    writeHtmlReport(o.html, renderCaseReport(detail));
    output.err(`Wrote the case report of ${caseId} to ${o.html}${replaces ? ' (replaced the file there)' : ''}`);
  }
  return ExitCode.Ok;
}

/**
 * Checks the `--html` FILE before any AWS call: its directory exists, and FILE is absent or a regular file (not a
 * directory, a symbolic link, a device or a pipe: a link could send the report, with text a member account wrote,
 * over a file the operator never named).
 * @returns whether a file is there (it will be replaced).
 * @throws {InvalidInput} otherwise.
 */
export function assertHtmlTarget(file: string): boolean {
  const dir = fs.statSync(path.dirname(path.resolve(file)), { throwIfNoEntry: false });
  if (!dir?.isDirectory()) throw new InvalidInput(`--html ${file}: no such directory`);
  const st = fs.lstatSync(file, { throwIfNoEntry: false });
  if (st && !st.isFile())
    throw new InvalidInput(
      `--html ${file}: ${st.isDirectory() ? 'a directory' : st.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}`,
    );
  return !!st;
}

/**
 * Writes the report to FILE whole or not at all: into a new temporary file beside it (created exclusively, so never
 * through a link), then renamed over FILE, which replaces whatever name is at FILE rather than writing through it
 * (rename(2)). On failure the temporary file is removed and FILE left as it was.
 * @throws {Error} from node:fs when the directory cannot be written or FILE is now a directory.
 */
export function writeHtmlReport(file: string, html: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    fs.writeFileSync(tmp, html, { flag: 'wx' });
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * `firebreak cases note <caseId> TEXT...`: a person's note on the case timeline (lib/operator/cases.ts `addCaseNote`);
 * the words are joined with spaces, so the text need not be quoted.
 * @returns 0 once the note is recorded.
 * @throws {InvalidInput} for a malformed case ID, an empty or too long note, or an unknown case.
 */
export async function casesNoteCommand(
  caseId: string,
  words: string[],
  o: ConnectOptions & { json?: boolean },
  output: Output,
): Promise<number> {
  const text = words.join(' ');
  assertCaseId(caseId);
  const conn = await connect(o);
  const noted = await addCaseNote(conn, caseId, text);
  if (o.json) output.out(JSON.stringify(noted, null, 2));
  else output.out(`Noted on case ${noted.caseId} as ${noted.by} at ${noted.at}`);
  return ExitCode.Ok;
}

/**
 * `firebreak status <caseId | executionArn>`.
 * @returns 0, or 1 when the execution failed, timed out or was aborted.
 * @throws {InvalidInput} when the reference is neither a case ID nor an execution ARN (before any AWS call), or names nothing.
 */
export async function statusCommand(ref: string, o: ConnectOptions & { json?: boolean }, output: Output): Promise<number> {
  if (!ref.startsWith('arn:')) assertCaseId(ref);
  const conn = await connect(o);
  const view = await caseStatus(conn, ref);
  if (o.json) output.out(JSON.stringify(view, null, 2));
  else for (const line of renderStatus(view)) output.out(line);
  return ['FAILED', 'TIMED_OUT', 'ABORTED'].includes(view.execution?.status ?? '') ? ExitCode.Failed : ExitCode.Ok;
}
