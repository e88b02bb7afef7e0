import { randomBytes } from 'node:crypto';
import type { DrillScorecard } from './run-drill';

/**
 * The scorecard of a game day (`firebreak gameday --all`): every drill's injections, with the
 * timeline of each execution's steps, its read-back checks, time to contain against the budget, and
 * its API calls. Written as `reports/<run-id>/scorecard.{json,md,html}` (issue #5).
 */

/** One step on an injection's timeline. Times are milliseconds from the injection's first execution start. */
export interface TimelineStep {
  readonly name: string;
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly startMs: number;
  readonly endMs: number;
  readonly calls: number;
}

/** One injection of a drill, summarized. */
export interface InjectionScore {
  readonly name: string;
  readonly passed: boolean;
  /** Execution status (or NO_MATCH) and outcome of the first execution. */
  readonly status: string;
  readonly outcome?: string;
  /** What Firebreak did, in one line (the replay report's `response`): contained, case opened and nothing contained, NO_MATCH (below the floor), ... */
  readonly response: string;
  /** Milliseconds from the execution's start to its end, for a CONTAINED outcome. */
  readonly timeToContainMs?: number;
  /** The drill's containment budget, in milliseconds. */
  readonly budgetMs?: number;
  readonly apiCalls: { readonly total: number; readonly mutating: number; readonly byOperation: Record<string, number> };
  readonly checks: { readonly name: string; readonly passed: boolean; readonly details: string }[];
  readonly verdicts: { readonly name: string; readonly passed: boolean; readonly details: string }[];
  readonly timeline: TimelineStep[];
  readonly caseId?: string;
  readonly error?: string;
}

/** One drill, summarized. */
export interface DrillScore {
  readonly drill: string;
  readonly runbook: string;
  /** The drill file, relative to the project. */
  readonly file: string;
  readonly passed: boolean;
  readonly wallTimeMs: number;
  readonly injections: InjectionScore[];
}

/** A game day's scorecard: `scorecard.json`. */
export interface GameDayScorecard {
  readonly runId: string;
  /** ISO-8601 UTC. */
  readonly startedAt: string;
  readonly finishedAt: string;
  /** The whole run, emulator start and synthesis included, in milliseconds. */
  readonly wallTimeMs: number;
  readonly passed: boolean;
  readonly totals: {
    readonly drills: number;
    readonly injections: number;
    readonly passedInjections: number;
    readonly checks: number;
    readonly passedChecks: number;
    readonly apiCalls: number;
  };
  readonly drills: DrillScore[];
}

/** A new run ID: `<yyyymmddThhmmssZ>-<4 hex>` (UTC), sortable and unique enough for one machine. */
export function newRunId(now = new Date()): string {
  return `${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${randomBytes(2).toString('hex')}`;
}

/**
 * Summarizes one drill's scorecard (lib/harness/gameday/run-drill.ts) for the game-day scorecard.
 * @param file - the drill file, relative to the project.
 * @param budgetSeconds - the drill's containment budget.
 */
export function scoreDrill(s: DrillScorecard, file: string, budgetSeconds?: number): DrillScore {
  return {
    drill: s.drill,
    runbook: s.runbook,
    file,
    passed: s.passed,
    wallTimeMs: s.wallTimeMs,
    injections: s.injections.map((i) => {
      const x = i.report.executions[0];
      const origin = Math.min(...i.report.executions.map((e) => e.startedAt ?? Infinity));
      const timeline: TimelineStep[] = i.report.executions.flatMap((e) =>
        e.steps
          .filter((st) => st.startedAt !== undefined && st.endedAt !== undefined)
          .map((st) => ({
            name: i.report.executions.length > 1 ? `${st.name} (${e.playbook})` : st.name,
            status: st.status,
            startMs: st.startedAt! - origin,
            endMs: st.endedAt! - origin,
            calls: Object.values(st.apiCalls).reduce((a, b) => a + b, 0),
          })),
      );
      return {
        name: i.name,
        passed: i.passed,
        status: x?.status ?? 'NO_MATCH',
        outcome: x?.outcome,
        response: i.report.response,
        timeToContainMs: x?.outcome === 'CONTAINED' ? x.durationMs : undefined,
        budgetMs: budgetSeconds === undefined ? undefined : budgetSeconds * 1000,
        apiCalls: { total: i.report.apiCalls.total, mutating: i.report.apiCalls.mutating, byOperation: i.report.apiCalls.byOperation },
        checks: i.report.checks.map((c) => ({ name: c.name, passed: c.passed, details: c.details })),
        verdicts: i.verdicts.map((v) => ({ name: v.name, passed: v.passed, details: v.details })),
        timeline,
        caseId: x?.caseId,
        error: x?.error ? `${x.error.name}: ${x.error.message}` : undefined,
      };
    }),
  };
}

/** Puts drill scores together into the game day's scorecard. */
export function buildScorecard(runId: string, started: Date, drills: DrillScore[], now = new Date()): GameDayScorecard {
  const injections = drills.flatMap((d) => d.injections);
  const checks = injections.flatMap((i) => i.checks);
  return {
    runId,
    startedAt: started.toISOString(),
    finishedAt: now.toISOString(),
    wallTimeMs: now.getTime() - started.getTime(),
    passed: drills.length > 0 && drills.every((d) => d.passed),
    totals: {
      drills: drills.length,
      injections: injections.length,
      passedInjections: injections.filter((i) => i.passed).length,
      checks: checks.length,
      passedChecks: checks.filter((c) => c.passed).length,
      apiCalls: injections.reduce((a, i) => a + i.apiCalls.total, 0),
    },
    drills,
  };
}

const secs = (ms?: number) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(2)} s`);
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** `scorecard.md`: the scorecard as Markdown tables. */
export function renderMarkdown(s: GameDayScorecard): string {
  const t = s.totals;
  const lines = [
    `# Game day ${s.runId}: ${s.passed ? 'PASSED' : 'FAILED'}`,
    '',
    `Started ${s.startedAt}, ${secs(s.wallTimeMs)} in all. ${t.drills} drills, ${t.passedInjections}/${t.injections} injections passed, ${t.passedChecks}/${t.checks} read-back checks passed, ${t.apiCalls} API calls.`,
    '',
    '| drill | injection | result | status / outcome | response | time to contain (budget) | API calls (mutating) | checks |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const d of s.drills) {
    for (const i of d.injections) {
      lines.push(
        `| ${cell(d.drill)} | ${cell(i.name)} | ${i.passed ? 'pass' : '**FAIL**'} | ${i.status}${i.outcome ? ` / ${i.outcome}` : ''} | ${cell(i.response)} | ${secs(i.timeToContainMs)}${i.budgetMs !== undefined && i.timeToContainMs !== undefined ? ` (${secs(i.budgetMs)})` : ''} | ${i.apiCalls.total} (${i.apiCalls.mutating}) | ${i.checks.filter((c) => c.passed).length}/${i.checks.length} |`,
      );
    }
  }
  const failed = s.drills.flatMap((d) => d.injections.filter((i) => !i.passed).map((i) => ({ d, i })));
  if (failed.length) {
    lines.push('', '## Failures', '');
    for (const { d, i } of failed) {
      lines.push(`- **${d.drill} / ${i.name}**`);
      for (const v of i.verdicts.filter((x) => !x.passed)) lines.push(`  - verdict ${v.name}: ${v.details}`);
      for (const c of i.checks.filter((x) => !x.passed)) lines.push(`  - check ${c.name}: ${c.details}`);
      if (i.error) lines.push(`  - error: ${i.error}`);
    }
  }
  lines.push('', '## Steps', '');
  for (const d of s.drills) {
    for (const i of d.injections.filter((x) => x.timeline.length)) {
      lines.push(
        `- ${d.drill} / ${i.name}: ${i.timeline.map((st) => `${st.name} ${secs(st.endMs - st.startMs)}${st.status === 'FAILED' ? ' (failed)' : ''}`).join(' → ')}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
