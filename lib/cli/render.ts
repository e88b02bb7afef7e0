import type { TimelineEntry } from '../runtime/ledger/ledger';
import { CASE_ID_PATTERN } from '../core/names';
import type { CaseDetail, CaseSummary, StatusView } from '../operator/cases';
import type { ExecutionEnd, StepProgress } from '../operator/follow';
import type { Output } from './output';

/** Text styles; plain text when the output has no colour (not a TTY, or `NO_COLOR` set). */
export interface Style {
  ok(s: string): string;
  bad(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
}

/** The styles for an output: ANSI only when `output.color` is true (https://no-color.org). */
export function style(output: Output): Style {
  const wrap = (code: number, reset: number) => (s: string) => (output.color ? `\u001b[${code}m${s}\u001b[${reset}m` : s);
  return { ok: wrap(32, 39), bad: wrap(31, 39), bold: wrap(1, 22), dim: wrap(2, 22) };
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** One line of `--wait` progress: a Task state that ended. Readable without colour. */
export function renderStep(step: StepProgress, s: Style): string {
  const mark = step.status === 'SUCCEEDED' ? s.ok('ok  ') : s.bad('FAIL');
  const line = `  ${mark} ${step.name.padEnd(26)} ${secs(step.endedAt - step.startedAt).padStart(8)}`;
  return step.status === 'FAILED' ? `${line}  ${step.error ?? ''}${step.cause ? `: ${firstLine(step.cause)}` : ''}` : line;
}

/** The closing lines of `--wait`: status, outcome, case, and for a failure the failing step and its error. */
export function renderEnd(end: ExecutionEnd, s: Style): string[] {
  const out = end.output ?? {};
  const caseId = (out.case as { caseId?: string } | undefined)?.caseId;
  const status = end.status === 'SUCCEEDED' ? s.ok(end.status) : s.bad(end.status);
  const lines = [`${status}  outcome ${String(out.outcome ?? '-')}  case ${caseId ?? '-'}  (${secs(end.durationMs)})`];
  if (end.status !== 'SUCCEEDED') {
    if (end.failedStep)
      lines.push(
        `  failed step: ${end.failedStep.name}: ${end.failedStep.error ?? end.error ?? '?'}${end.failedStep.cause ? `: ${firstLine(end.failedStep.cause)}` : ''}`,
      );
    else lines.push(`  error: ${end.error ?? '?'}${end.cause ? `: ${firstLine(end.cause)}` : ''}`);
  }
  lines.push(...renderPlan(out.plan));
  // A dry run opens no case: its reference (`dry-run-…`) is not one `cases show` can read.
  if (caseId && CASE_ID_PATTERN.test(caseId)) lines.push(`  timeline: firebreak cases show ${caseId}`);
  return lines;
}

/**
 * A dry run's (or a shadow case's) plan, `$.plan` (ContainmentPlanSchema): one aligned line per change, `operation  target
 * change`, then who else it would affect. Nothing when the execution made no plan.
 */
function renderPlan(plan: unknown): string[] {
  const p = plan as { sample?: boolean; actions?: { operation: string; target: string; change: string }[]; affected?: string } | undefined;
  if (!p?.actions) return [];
  const head = `  plan (dry run, nothing changed)${p.sample ? ', for a GuardDuty sample finding' : ''}:`;
  if (!p.actions.length) return [head, '    no change: it is contained already, or there is nothing to contain'];
  const op = Math.max(...p.actions.map((a) => a.operation.length));
  const target = Math.max(...p.actions.map((a) => a.target.length));
  return [
    head,
    ...p.actions.map((a) => `    ${a.operation.padEnd(op)}  ${a.target.padEnd(target)}  ${a.change}`),
    ...(p.affected ? [`  also affects: ${p.affected}`] : []),
  ];
}

function firstLine(text: string): string {
  try {
    const parsed = JSON.parse(text) as { errorMessage?: string };
    if (parsed.errorMessage) return parsed.errorMessage.split('\n')[0];
  } catch {
    // not JSON
  }
  return text.split('\n')[0];
}

/** `firebreak cases list` as a table. */
export function renderCaseList(cases: CaseSummary[]): string[] {
  if (cases.length === 0) return ['no cases'];
  const rows = cases.map((c) => [c.caseId, c.status, c.playbook, c.account, c.resourceId, c.trigger ?? '-', c.createdAt]);
  const head = ['CASE', 'STATUS', 'PLAYBOOK', 'ACCOUNT', 'RESOURCE', 'TRIGGER', 'OPENED (UTC)'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) =>
    r
      .map((v, i) => v.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const quiet = ['SHADOW', 'SUPPRESSED'].map((st) => [st, cases.filter((c) => c.status === st).length] as const).filter(([, n]) => n);
  const note = quiet.length
    ? [`(${quiet.map(([st, n]) => `${n} ${st}`).join(', ')}: recorded, nothing changed, nobody notified; see --shadow, --suppressed)`]
    : [];
  return [fmt(head), ...rows.map(fmt), ...note];
}

/** `firebreak cases show` as text: the case, its prior state and evidence, then the timeline. */
export function renderCase(d: CaseDetail): string[] {
  const c = d.case;
  const lines = [
    `case ${c.caseId}  ${c.status}`,
    `  playbook  ${c.playbook}`,
    `  resource  ${c.resourceId} in ${c.account}/${c.region}`,
    `  finding   ${c.findingType ?? '-'}${c.severity !== undefined ? ` severity ${c.severity}` : ''} (${c.findingIds.join(', ')})`,
    `  opened    ${c.createdAt} (${c.trigger ?? '-'}${c.operator ? ` by ${c.operator}` : ''})${c.reason ? `: ${c.reason}` : ''}`,
    `  updated   ${c.updatedAt}`,
    ...(c.chainedFrom ? [`  chained from ${c.chainedFrom}`] : []),
    ...c.chained.map(
      (r) =>
        `  chained   ${r.playbook} ${r.resource}: ${r.caseId ? `case ${r.caseId} ` : ''}${r.status ? `${r.status} ` : ''}${r.executionArn}`,
    ),
    ...renderSequence(c.sequence),
    `  prior state recorded: ${Object.keys(c.priorState).join(', ') || 'none'}`,
    `  evidence: ${Object.keys(c.evidence).join(', ') || 'none'}`,
  ];
  for (const [k, v] of Object.entries(c.evidence)) lines.push(`    ${k}: ${evidenceIds(v)}`);
  lines.push('timeline:');
  for (const t of d.timeline) lines.push(...renderTimelineEntry(t));
  return lines;
}

/** An attack sequence's case: its uid, its signals and each resource with what was done with it (`--json` has all of it). */
function renderSequence(s: CaseDetail['case']['sequence']): string[] {
  if (!s) return [];
  const signals = s.signals.map((g) => g.name ?? g.type).join(', ');
  return [
    `  sequence  ${s.uid}: ${s.signalCount} signal(s)${signals ? ` (${signals})` : ''}, ${s.resourceCount} resource(s)`,
    ...s.resources.map((r) => `    ${r.resourceType} ${r.uid} in ${r.account}/${r.region}: ${r.why}`),
  ];
}

function evidenceIds(v: unknown): string {
  const text = JSON.stringify(v);
  const ids = text.match(/\b(snap-[0-9a-f]+|[\w/-]+\.json)\b/g) ?? [];
  return ids.length ? [...new Set(ids)].join(' ') : text.slice(0, 120);
}

function renderTimelineEntry(t: TimelineEntry): string[] {
  const calls = t.apiCalls
    ? Object.entries(t.apiCalls)
        .map(([k, n]) => `${k}×${n}`)
        .join(' ')
    : '';
  const by = [t.trigger, t.executionName].filter(Boolean).join(' ');
  const lines = [`  ${t.at}  ${t.status.padEnd(9)} ${t.step.padEnd(24)} ${by}`];
  if (calls) lines.push(`      calls: ${calls}`);
  if (t.error) lines.push(`      error: ${t.error.name}: ${t.error.message.split('\n')[0]}`);
  // A person's note (`firebreak cases note`): the whole text and who wrote it, never cut.
  const note = t.step === 'Note' ? (t.details as { note?: unknown } | undefined)?.note : undefined;
  if (typeof note === 'string') return [...lines, `      note by ${t.operator ?? 'unknown'}: ${note}`];
  const details = t.details ? JSON.stringify(t.details) : '';
  if (details && details !== '{}') lines.push(`      ${details.length > 240 ? `${details.slice(0, 237)}...` : details}`);
  return lines;
}

/** `firebreak status` as text. */
export function renderStatus(v: StatusView): string[] {
  const lines: string[] = [];
  if (v.case)
    lines.push(`case ${v.case.caseId}  ${v.case.status}  ${v.case.playbook} on ${v.case.resourceId} (${v.case.account}/${v.case.region})`);
  if (v.execution) {
    lines.push(
      `execution ${v.execution.executionArn}  ${v.execution.status ?? 'unknown'}${v.execution.startDate ? `  started ${v.execution.startDate}` : ''}${v.execution.stopDate ? `  stopped ${v.execution.stopDate}` : ''}`,
    );
    if (v.execution.error) lines.push(`  error: ${v.execution.error}${v.execution.cause ? `: ${v.execution.cause.split('\n')[0]}` : ''}`);
  }
  if (v.lastStep) lines.push(`last step: ${v.lastStep.step} ${v.lastStep.status} at ${v.lastStep.at}`);
  return lines;
}
