import { terminalSafe } from '../core/text';
import type { TimelineEntry } from '../runtime/ledger/ledger';
import type { CaseDetail } from './cases';
import { CASE_REPORT_SCRIPT, CASE_REPORT_STYLE } from './case-report-page';

/**
 * The HTML case report of `firebreak cases show <caseId> --html FILE` (issue 16, item 5), for the post-incident review:
 * one self-contained page (no external script, style, font or URL) built from {@link CaseDetail} (`showCase`).
 *
 * Every string in a case may come from a finding or a member account (titles, tags, reasons, notes, resource names):
 * the page is rendered on the server side with every string escaped for HTML text and attributes by {@link escapeHtml}
 * (terminal and bidirectional controls shown as `\uXXXX` by `terminalSafe`), and the one script (the timeline chart,
 * lib/operator/case-report-page.ts) reads its data from a `<script type="application/json">` block in which `<`, `>`
 * and `&` are `\u003c`, `\u003e`, `\u0026`, so no string can close the block or open a comment, and writes it with
 * `textContent` only.
 */

/** One thing a person did on the case, as the ledger recorded it. */
export interface CaseActor {
  /** `started`, `approved`, `denied`, `approval timed out`, `noted`, `asked for release`, `released`. */
  readonly role: string;
  /** The principal's ARN as recorded (or `timeout`). */
  readonly by: string;
  /** ISO-8601 UTC. */
  readonly at: string;
  /** The reason or note given. */
  readonly text?: string;
}

/**
 * Who started, approved, denied, noted or released the case, in timeline order: the case's `operator` (a start by
 * hand), `RecordApproval` entries (`details.decision`, `details.by`), `Note` entries (`operator`, `details.note`), and
 * the release playbook's `LoadCase` (who asked, and why) and `CloseRelease` (`details.released`).
 */
export function caseActors(detail: CaseDetail): CaseActor[] {
  const c = detail.case;
  const started: CaseActor[] = c.operator ? [{ role: 'started', by: c.operator, at: c.createdAt, text: c.reason }] : [];
  return [...started, ...detail.timeline.flatMap(actorOf)];
}

const DECISIONS: Record<string, string> = { approve: 'approved', deny: 'denied', timeout: 'approval timed out' };

function actorOf(t: TimelineEntry): CaseActor[] {
  const d = (t.details ?? {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const by = text(d.by) ?? t.operator ?? 'unknown';
  if (t.step === 'RecordApproval' && typeof d.decision === 'string')
    return [{ role: DECISIONS[d.decision] ?? d.decision, by, at: t.at, text: text(d.reason) }];
  if (t.step === 'Note') return [{ role: 'noted', by, at: t.at, text: text(d.note) }];
  if (t.step === 'LoadCase' && t.executionName?.startsWith('release-'))
    return [{ role: 'asked for release', by, at: t.at, text: text(d.reason) }];
  if (t.step === 'CloseRelease' && d.released === true) return [{ role: 'released', by, at: t.at, text: text(d.reason) }];
  return [];
}

/** A group of changes one step recorded (`details…actions`), with the prior state recorded beside them (`prior`). */
export interface ActionGroup {
  readonly at: string;
  readonly step: string;
  readonly executionName?: string;
  /** Where in the entry's details the group sits (`preserve`, `isolate`, or empty for the details themselves). */
  readonly path: string;
  readonly prior?: unknown;
  readonly actions: readonly { readonly operation: string; readonly target?: string; readonly change?: string }[];
}

/**
 * Every change the timeline records, in order: each object in an entry's details (at most three levels down) that
 * holds an `actions` array of `{ operation, target, change }`, with its `prior` when the step recorded one beside it.
 * A `plan` (a SHADOW case's, what would have been done) is not a change and is left out.
 */
export function actionGroups(timeline: readonly TimelineEntry[]): ActionGroup[] {
  const groups: ActionGroup[] = [];
  const walk = (t: TimelineEntry, v: unknown, path: string, depth: number) => {
    if (!v || typeof v !== 'object' || Array.isArray(v) || depth > 3) return;
    const o = v as Record<string, unknown>;
    const actions = Array.isArray(o.actions) ? o.actions.filter(isAction) : [];
    if (actions.length) groups.push({ at: t.at, step: t.step, executionName: t.executionName, path, prior: o.prior, actions });
    // `plan`: what a SHADOW case would have done (CloseCase, lib/runtime/playbook/shared/close-case.ts), never done.
    for (const [k, child] of Object.entries(o))
      if (!['actions', 'prior', 'plan'].includes(k)) walk(t, child, path ? `${path}.${k}` : k, depth + 1);
  };
  for (const t of timeline) walk(t, t.details, '', 0);
  return groups;
}

function isAction(a: unknown): a is ActionGroup['actions'][number] {
  return !!a && typeof a === 'object' && typeof (a as { operation?: unknown }).operation === 'string';
}

/** A run of the case (one execution name): when, how started, and how it ended. */
export interface CaseRun {
  readonly executionName: string;
  readonly trigger?: string;
  readonly operator?: string;
  readonly firstAt: string;
  readonly lastAt: string;
  readonly entries: number;
  readonly failedSteps: readonly string[];
  /**
   * The last outcome the run recorded (`details.outcome`, `details.closed.status`, CloseCase's `details.status`,
   * `RELEASED` for a closed release).
   */
  readonly outcome?: string;
}

/** The case's runs, in the order they first appear on the timeline. */
export function caseRuns(timeline: readonly TimelineEntry[]): CaseRun[] {
  const runs = new Map<string, TimelineEntry[]>();
  for (const t of timeline) if (t.executionName) runs.set(t.executionName, [...(runs.get(t.executionName) ?? []), t]);
  return [...runs].map(([executionName, es]) => ({
    executionName,
    trigger: es.find((e) => e.trigger)?.trigger,
    operator: es.find((e) => e.operator)?.operator,
    firstAt: es[0].at,
    lastAt: es.at(-1)!.at,
    entries: es.length,
    failedSteps: es.filter((e) => e.status === 'FAILED').map((e) => e.step),
    outcome: es
      .map(outcomeOf)
      .filter((o): o is string => !!o)
      .at(-1),
  }));
}

function outcomeOf(t: TimelineEntry): string | undefined {
  const d = (t.details ?? {}) as { outcome?: unknown; closed?: { status?: unknown }; released?: unknown; status?: unknown };
  if (t.step === 'CloseRelease' && d.released === true) return 'RELEASED';
  // CloseCase (lib/runtime/playbook/shared/close-case.ts) records the status it set the case to as `status`.
  if (t.step === 'CloseCase' && typeof d.status === 'string') return d.status;
  if (typeof d.closed?.status === 'string') return d.closed.status;
  return typeof d.outcome === 'string' ? d.outcome : undefined;
}

/**
 * Escapes a string for HTML text and attribute values (`&`, `<`, `>`, `"`, `'`), after showing every terminal and
 * bidirectional control as `\uXXXX` (lib/core/text.ts `terminalSafe`).
 */
export function escapeHtml(s: string): string {
  return terminalSafe(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A JSON value as nested HTML: objects as `<dl>`, arrays as `<ul>`, scalars as escaped text. */
export function renderValue(v: unknown, depth = 0): string {
  if (v === undefined || v === null) return '<span class="muted">-</span>';
  if (typeof v !== 'object') return `<span class="value">${escapeHtml(String(v))}</span>`;
  if (depth > 8) return `<span class="value">${escapeHtml(JSON.stringify(v))}</span>`;
  if (Array.isArray(v)) {
    if (!v.length) return '<span class="muted">none</span>';
    return `<ul class="value">${v.map((x) => `<li>${renderValue(x, depth + 1)}</li>`).join('')}</ul>`;
  }
  const entries = Object.entries(v as Record<string, unknown>);
  if (!entries.length) return '<span class="muted">none</span>';
  return `<dl class="value">${entries.map(([k, x]) => `<dt>${escapeHtml(k)}</dt><dd>${renderValue(x, depth + 1)}</dd>`).join('')}</dl>`;
}

/** A `<table>` of rows already escaped: `head` are the column names (plain text, escaped here). */
function table(cls: string, head: readonly string[], rows: readonly string[]): string {
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  return `<table class="${cls}"><thead><tr>${th}</tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}

const cell = (s: string | number | undefined, cls = '') =>
  `<td${cls ? ` class="${escapeHtml(cls)}"` : ''}>${s === undefined || s === '' ? '<span class="muted">-</span>' : escapeHtml(String(s))}</td>`;

/** The case's fields (finding, account, region, resource, status, outcome) and its runs. */
function caseSection(d: CaseDetail): string {
  const c = d.case;
  const runs = caseRuns(d.timeline);
  const rows: [string, string | number | undefined][] = [
    ['Finding type', c.findingType],
    ['Severity', c.severity],
    ['Title', c.title],
    ['Finding IDs', c.findingIds.join(', ')],
    ['Playbook', c.playbook],
    ['Account', c.account],
    ['Region', c.region],
    ['Resource', c.resourceId],
    ['Status', c.status],
    ['Outcome', runs.map((r) => r.outcome ?? '-').join(' → ')],
    ['Opened', `${c.createdAt} (${c.trigger ?? '-'}${c.operator ? ` by ${c.operator}` : ''})`],
    ['Reason', c.reason],
    ['Updated', c.updatedAt],
    ['Chained from', c.chainedFrom],
  ];
  const shown = rows.filter(([k, v]) => v !== undefined || ['Finding type', 'Severity'].includes(k));
  const fields = `<table class="case">${shown.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th>${cell(v)}</tr>`).join('\n')}</table>`;
  const runRows = runs.map(
    (r) =>
      `<tr class="run">${cell(r.executionName)}${cell(r.trigger)}${cell(r.operator)}${cell(r.firstAt, 'time')}${cell(r.lastAt, 'time')}` +
      `${cell(r.entries)}${cell(r.failedSteps.join(', ') || 'none')}${cell(r.outcome)}</tr>`,
  );
  const chained = c.chained.map(
    (r) => `<tr>${cell(r.playbook)}${cell(r.resource)}${cell(r.caseId)}${cell(r.status)}${cell(r.executionArn)}</tr>`,
  );
  return `<h2>Case</h2>\n${fields}\n<h3>Runs</h3>\n${table('runs', ['Execution', 'Trigger', 'By', 'First entry', 'Last entry', 'Entries', 'Failed steps', 'Outcome'], runRows)}${
    chained.length ? `\n<h3>Chained runs</h3>\n${table('chained', ['Playbook', 'Resource', 'Case', 'Status', 'Execution'], chained)}` : ''
  }`;
}

/** The timeline: the chart (drawn by the script) and every entry, in order, as a table. */
function timelineSection(d: CaseDetail): string {
  const rows = d.timeline.map((t, i) => {
    const calls = Object.entries(t.apiCalls ?? {})
      .map(([k, n]) => `${k}×${n}`)
      .join(' ');
    const error = t.error ? `${t.error.name}: ${t.error.message}` : undefined;
    const count = Object.values(t.apiCalls ?? {}).reduce((a, n) => a + n, 0);
    const hasDetails = !!t.details && Object.keys(t.details).length > 0;
    const details =
      count || hasDetails
        ? `<details><summary>${count} API call(s)${hasDetails ? ', details' : ''}</summary>` +
          `${count ? `<div class="value">${escapeHtml(calls)}</div>` : ''}${hasDetails ? renderValue(t.details) : ''}</details>`
        : '';
    return (
      `<tr class="entry" data-index="${i}">${cell(t.at, 'time')}${cell(t.step)}${cell(t.status, t.status)}${cell(t.trigger)}` +
      `${cell(t.operator)}${cell(t.executionName)}${cell(t.durationMs === undefined ? undefined : `${t.durationMs} ms`)}` +
      `${cell(error, error ? 'FAILED' : '')}<td>${details}</td></tr>`
    );
  });
  const head = ['At (UTC)', 'Step', 'Status', 'Trigger', 'By', 'Execution', 'Took', 'Error', 'API calls and details'];
  return `<h2>Timeline</h2>
<p class="muted">${d.timeline.length} entries, oldest first, as the ledger recorded them.</p>
<div id="timeline-chart"><p class="muted">The chart of the timeline is drawn by the page's script; every entry is in the table below.</p></div>
${table('timeline', head, rows)}`;
}

/** Every change made, with the prior state recorded beside it, then the case's prior state as release reads it. */
function actionsSection(d: CaseDetail): string {
  const groups = actionGroups(d.timeline);
  // The prior state a step recorded goes on its own full-width row under the step's changes: nested values (groups by
  // ENI, lists of ARNs) need the page's width, not a column's.
  const rows = groups.flatMap((g) => [
    ...g.actions.map(
      (a) =>
        `<tr class="action">${cell(g.at, 'time')}${cell(g.step + (g.path ? ` (${g.path})` : ''))}${cell(a.operation)}${cell(a.target)}${cell(a.change)}</tr>`,
    ),
    ...(g.prior === undefined
      ? []
      : [
          `<tr class="action-prior"><td></td><td colspan="4"><span class="muted">Prior state recorded with these changes</span>${renderValue(g.prior)}</td></tr>`,
        ]),
  ]);
  const prior = Object.entries(d.case.priorState).map(([k, v]) => `<tr class="prior">${cell(k)}<td>${renderValue(v)}</td></tr>`);
  return `<h2>Actions and prior state</h2>
${rows.length ? table('actions', ['At (UTC)', 'Step', 'Operation', 'Target', 'Change'], rows) : '<p class="muted">No change recorded.</p>'}
<h3>Prior state on the case (what release restores)</h3>
${prior.length ? table('prior-state', ['Action', 'Prior state'], prior) : '<p class="muted">None recorded.</p>'}`;
}

/** The evidence the case records (snapshots with owner and KMS key, the manifest's hash and version) and the artifacts. */
function evidenceSection(d: CaseDetail): string {
  const rows = Object.entries(d.case.evidence).map(([k, v]) => `<tr class="evidence">${cell(k)}<td>${renderValue(v)}</td></tr>`);
  const artifacts = d.timeline.flatMap((t) => {
    const list = (t.details as { artifacts?: unknown } | undefined)?.artifacts;
    return Array.isArray(list) ? list.map((a) => ({ at: t.at, a: (a ?? {}) as Record<string, unknown> })) : [];
  });
  const text = (v: unknown) => (v === undefined || v === null ? undefined : String(v));
  const artifactRows = artifacts.map(
    ({ at, a }) =>
      `<tr class="artifact">${cell(at, 'time')}${cell(text(a.name))}${cell(text(a.bucket))}${cell(text(a.key))}${cell(text(a.versionId))}${cell(text(a.sha256))}${cell(text(a.bytes))}</tr>`,
  );
  return `<h2>Evidence</h2>
${rows.length ? table('evidence', ['Item', 'Recorded (owner, KMS key, hash, version)'], rows) : '<p class="muted">None recorded.</p>'}
${artifactRows.length ? `<h3>Artifacts</h3>\n${table('artifacts', ['At (UTC)', 'Name', 'Bucket', 'Key', 'Version', 'SHA-256', 'Bytes'], artifactRows)}` : ''}`;
}

/** Who started, approved, denied, noted or released, with their principal ARNs as recorded. */
function peopleSection(d: CaseDetail): string {
  const rows = caseActors(d).map((a) => `<tr class="actor">${cell(a.at, 'time')}${cell(a.role)}${cell(a.by)}${cell(a.text)}</tr>`);
  return `<h2>People</h2>
${rows.length ? table('people', ['At (UTC)', 'What', 'Principal', 'Reason or note'], rows) : '<p class="muted">No person acted on this case.</p>'}`;
}

/**
 * The report: one self-contained HTML page (see the module's description) with the case, its runs, the timeline as a
 * chart and a table (every entry, oldest first, times ISO-8601 UTC as recorded), every change with the prior state
 * recorded with it, the evidence (owners, KMS keys, hashes, versions) and who acted. `<body data-rendered="true">`
 * and an empty `#script-errors` once the chart is drawn.
 * @param generatedAt - when the report was written (shown on the page). @default the clock
 */
export function renderCaseReport(detail: CaseDetail, generatedAt: Date = new Date()): string {
  const chart = detail.timeline.map((t) => ({
    at: t.at,
    step: terminalSafe(t.step),
    status: t.status,
    durationMs: t.durationMs,
    executionName: t.executionName === undefined ? undefined : terminalSafe(t.executionName),
    by: t.operator === undefined ? undefined : terminalSafe(t.operator),
  }));
  // JSON inside <script>: escape what could close the element or start a comment.
  const data = JSON.stringify({ timeline: chart }).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
  const c = detail.case;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Firebreak case ${escapeHtml(c.caseId)}</title>
<style>
${CASE_REPORT_STYLE}</style>
</head>
<body>
<pre id="script-errors"></pre>
<main id="report">
<h1>Case ${escapeHtml(c.caseId)} <span class="status">${escapeHtml(c.status)}</span></h1>
<div class="muted">${escapeHtml(c.playbook)} · ${escapeHtml(c.resourceId)} in ${escapeHtml(c.account)}/${escapeHtml(c.region)} · report written ${escapeHtml(generatedAt.toISOString())} from the case ledger</div>
${caseSection(detail)}
${timelineSection(detail)}
${actionsSection(detail)}
${evidenceSection(detail)}
${peopleSection(detail)}
</main>
<script type="application/json" id="case-data">${data}</script>
<script>
${CASE_REPORT_SCRIPT}</script>
</body>
</html>
`;
}
