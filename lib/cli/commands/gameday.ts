import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DrillScore, GameDayScorecard } from '../../harness/gameday/scorecard';
import { connect } from '../../operator/connection';
import { Interrupted, InvalidInput } from '../../core/errors';
import { ExitCode, Output } from '../output';
import { loadHarness } from './load-harness';

/** The drill `firebreak gameday` runs when none is named. */
export const DEFAULT_DRILL = path.join('runbooks', 'ec2-compromise', 'drill.yaml');

/** Options of `firebreak gameday`. */
export interface GamedayCommandOptions {
  readonly endpoint?: string;
  readonly json?: boolean;
  /** Run every drill under `runbooks/`. */
  readonly all?: boolean;
  /** Where the reports go. @default reports */
  readonly out?: string;
}

/**
 * `firebreak gameday [DRILL...] [--all]`: validates every drill (before any AWS call), runs them on one
 * local session, prints each drill's scorecard, and writes the game day's scorecard
 * (`<out>/<run-id>/scorecard.{json,md,html}`) and its line in `<out>/history.jsonl`.
 * @returns 0 when every expectation of every drill held, 1 otherwise.
 * @throws {InvalidInput} for a bad drill, or drills named together with `--all` (exit code 2).
 */
export async function gamedayCommand(drillFiles: string[], options: GamedayCommandOptions, output: Output): Promise<number> {
  if (options.all && drillFiles.length) throw new InvalidInput('name drills or use --all, not both');
  const [
    { listDrills, readDrill },
    { REPORTS_DIR, writeReports },
    { renderScorecard, runDrill },
    { buildScorecard, newRunId, scoreDrill },
    { openLocalSession },
  ] = await loadHarness(() =>
    Promise.all([
      import('../../harness/gameday/drill'),
      import('../../harness/gameday/reports'),
      import('../../harness/gameday/run-drill'),
      import('../../harness/gameday/scorecard'),
      import('../../harness/local/session'),
    ]),
  );
  const files = options.all ? listDrills() : drillFiles.length ? drillFiles : [DEFAULT_DRILL];
  if (files.length === 0) throw new InvalidInput('no drill files found under runbooks/');
  const drills = files.map((f) => ({ file: f, ...readDrill(f) }));
  const started = new Date();
  const runId = newRunId(started);
  const log = options.json ? undefined : output.err;
  // The drills rehearse containment, many instances of one account within minutes: the blast-radius breaker (issue 14)
  // is opened wide for them, or `--all` would trip it and hold the later drills' cases for approval.
  const breaker = { FIREBREAK_BREAKER: JSON.stringify({ perAccount: 1000, perOrganization: 10000 }) };
  const session = await openLocalSession({ endpoint: options.endpoint, log, environment: breaker });
  const scores: DrillScore[] = [];
  try {
    for (const [i, d] of drills.entries()) {
      const name = path.relative(process.cwd(), path.resolve(d.file));
      // Progress (stderr): one line as each drill starts and one as it ends, so a long `--all` shows where it is.
      log?.(`drill ${i + 1}/${drills.length} ${name}: started`);
      const result = await runDrill(session, d.drill, d.dir);
      log?.(
        `drill ${i + 1}/${drills.length} ${name}: ${result.passed ? 'PASSED' : 'FAILED'} in ${(result.wallTimeMs / 1000).toFixed(1)} s`,
      );
      scores.push(scoreDrill(result, name, d.drill.budget.containSeconds));
      if (!options.json) {
        for (const line of renderScorecard(result)) output.out(line);
        output.out('');
      }
    }
  } finally {
    await session.close();
  }
  const scorecard = buildScorecard(runId, started, scores);
  const written = writeReports(options.out ?? REPORTS_DIR, scorecard);
  if (options.json) output.out(JSON.stringify(scorecard, null, 2));
  else {
    const t = scorecard.totals;
    output.out(
      `Game day ${runId}: ${scorecard.passed ? 'PASSED' : 'FAILED'}: ${t.drills} drill(s), ${t.passedInjections}/${t.injections} injections, ${t.passedChecks}/${t.checks} read-back checks, ${t.apiCalls} API calls, wall time ${scorecard.wallTimeMs} ms (emulator start, seeding and synthesis included)`,
    );
    output.out(`  scorecard: ${written.html} (also .json, .md); history: ${written.history}`);
  }
  return scorecard.passed ? ExitCode.Ok : ExitCode.Failed;
}

/**
 * `firebreak gameday report`: time to contain and pass rate per drill across the game days in
 * `<out>/history.jsonl`, as a table, and as charts in `<out>/report.html` (with the latest scorecard).
 * @returns 0.
 * @throws {InvalidInput} when there is no history, or a line of it is malformed.
 */
export async function gamedayReportCommand(options: { out?: string; json?: boolean }, output: Output): Promise<number> {
  const [{ drillTrends, readHistory }, { REPORTS_DIR }, { renderHtml }] = await loadHarness(() =>
    Promise.all([
      import('../../harness/gameday/history'),
      import('../../harness/gameday/reports'),
      import('../../harness/gameday/scorecard-html'),
    ]),
  );
  const dir = options.out ?? REPORTS_DIR;
  const history = readHistory(dir);
  if (history.length === 0)
    throw new InvalidInput(`no game-day history in ${path.join(dir, 'history.jsonl')}: run firebreak gameday first`);
  const trends = drillTrends(history);
  const latest = history[history.length - 1];
  const latestFile = path.join(dir, latest.runId, 'scorecard.json');
  const html = path.join(dir, 'report.html');
  if (fs.existsSync(latestFile))
    fs.writeFileSync(html, renderHtml(JSON.parse(fs.readFileSync(latestFile, 'utf8')) as GameDayScorecard, trends));
  if (options.json) {
    output.out(JSON.stringify({ runs: history.length, trends }, null, 2));
    return ExitCode.Ok;
  }
  const rows = trends.map((t) => {
    const ttc = t.points
      .map((p) => p.timeToContainMs)
      .filter((v): v is number => v !== undefined)
      .sort((a, b) => a - b);
    const last = t.points[t.points.length - 1];
    return [
      t.drill,
      String(t.runs),
      `${Math.round(t.passRate * 100)}%`,
      fmt(last.timeToContainMs),
      fmt(ttc.length ? ttc[Math.floor((ttc.length - 1) / 2)] : undefined),
      fmt(ttc.length ? ttc[ttc.length - 1] : undefined),
    ];
  });
  const head = ['DRILL', 'RUNS', 'PASS RATE', 'LAST TTC', 'MEDIAN TTC', 'WORST TTC'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows])
    output.out(
      r
        .map((v, i) => v.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    );
  output.out(`${history.length} game day(s) from ${history[0].at} to ${latest.at}${fs.existsSync(html) ? `; charts: ${html}` : ''}`);
  return ExitCode.Ok;
}

function fmt(ms?: number): string {
  return ms === undefined ? '-' : `${(ms / 1000).toFixed(2)} s`;
}

/** Options of `firebreak gameday --target aws`. */
export interface SandboxCommandOptions {
  readonly profile?: string;
  readonly region?: string;
  /** A local stack standing in for the sandbox account (tests, rehearsal). */
  readonly endpoint?: string;
  readonly json?: boolean;
  /** Seconds to wait for each case. @default 300 */
  readonly timeout?: string;
}

/**
 * `firebreak gameday --target aws [--profile P] [--region R] [DRILL...]`: a game day against the
 * deployed stack in a sandbox account (lib/harness/sandbox/run.ts). The drills choose the canaries: an
 * ec2-compromise drill an instance, a credential-compromise drill an IAM user's key; none, both.
 * Ctrl-C stops waiting and cleans up before exiting.
 * @returns 0 when every check passed (zero leftovers included), 1 otherwise, 130 when interrupted.
 * @throws {InvalidInput} for a drill of another runbook, or a bad --timeout (before any AWS call).
 */
export async function gamedaySandboxCommand(drillFiles: string[], o: SandboxCommandOptions, output: Output): Promise<number> {
  const [{ readDrill }, { sandboxClients }, { runSandboxGameDay }] = await loadHarness(() =>
    Promise.all([import('../../harness/gameday/drill'), import('../../harness/sandbox/gameday'), import('../../harness/sandbox/run')]),
  );
  const kinds = drillFiles.length
    ? [
        ...new Set(
          drillFiles.map((f) => {
            const { drill } = readDrill(f);
            if (drill.runbook === 'ec2-compromise') return 'instance' as const;
            if (drill.runbook === 'credential-compromise') return 'access-key' as const;
            throw new InvalidInput(
              `${f}: sandbox game days contain canaries of ec2-compromise and credential-compromise; ${drill.runbook} has none`,
            );
          }),
        ),
      ]
    : (['instance', 'access-key'] as const);
  const timeout = o.timeout === undefined ? 300 : Number(o.timeout);
  if (!Number.isInteger(timeout) || timeout < 1) throw new InvalidInput(`--timeout ${o.timeout} is not a number of seconds`);
  const c = sandboxClients(await connect({ profile: o.profile, region: o.region, endpoint: o.endpoint }));
  const abort = new AbortController();
  const stop = () => abort.abort(new Interrupted('interrupted (Ctrl-C): cleaning up'));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const result = await runSandboxGameDay(c, {
      kinds,
      timeoutSeconds: timeout,
      signal: abort.signal,
      log: o.json ? undefined : output.err,
    });
    if (o.json) output.out(JSON.stringify(result, null, 2));
    else {
      output.out(
        `Sandbox game day ${result.runId} in ${c.account}/${c.region}: ${result.passed ? 'PASSED' : 'FAILED'} (${result.wallTimeMs} ms)`,
      );
      for (const x of result.cases)
        output.out(
          `  ${x.kind}: case ${x.caseId ?? '-'} ${x.status ?? 'not handled'}${x.timeToContainMs !== undefined ? `, contained ${x.timeToContainMs} ms after injection` : ''}`,
        );
      for (const x of result.checks) output.out(`  ${x.passed ? 'PASS' : 'FAIL'} ${x.name}: ${x.details}`);
    }
    if (abort.signal.aborted) return 130;
    return result.passed ? ExitCode.Ok : ExitCode.Failed;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/**
 * `firebreak gameday cleanup [--run-id ID]`: finishes the cleanup of interrupted sandbox game days, from
 * their cleanup ledgers (`.firebreak/gameday/<run-id>.json`) and their tags.
 * @returns 0 when nothing is left of them, 1 otherwise.
 * @throws {InvalidInput} when there is no unfinished game day (with that run ID).
 */
export async function gamedayCleanupCommand(o: SandboxCommandOptions & { runId?: string }, output: Output): Promise<number> {
  const { cleanupGameDay, sandboxClients, unfinishedGameDays } = await loadHarness(() => import('../../harness/sandbox/gameday'));
  const pending = unfinishedGameDays().filter((l) => !o.runId || l.runId === o.runId);
  if (pending.length === 0)
    throw new InvalidInput(
      o.runId ? `no unfinished game day ${o.runId} in .firebreak/gameday/` : 'no unfinished game day in .firebreak/gameday/',
    );
  const c = sandboxClients(await connect({ profile: o.profile, region: o.region, endpoint: o.endpoint }));
  let clean = true;
  for (const l of pending) {
    const left = await cleanupGameDay(c, l.runId);
    const rest = Object.entries(left).filter(([, n]) => n > 0);
    clean &&= rest.length === 0;
    output.out(
      `${l.runId}: ${rest.length ? `left: ${rest.map(([k, n]) => `${n} ${k}`).join(', ')} (run cleanup again once instances have terminated)` : 'cleaned up, nothing left'}`,
    );
  }
  return clean ? ExitCode.Ok : ExitCode.Failed;
}
