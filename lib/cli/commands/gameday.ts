import * as fs from 'node:fs';
import * as path from 'node:path';
import { listDrills, readDrill } from '../../gameday/drill';
import { drillTrends, readHistory } from '../../gameday/history';
import { REPORTS_DIR, writeReports } from '../../gameday/reports';
import { renderScorecard, runDrill } from '../../gameday/run-drill';
import { buildScorecard, DrillScore, GameDayScorecard, newRunId, scoreDrill } from '../../gameday/scorecard';
import { renderHtml } from '../../gameday/scorecard-html';
import { openLocalSession } from '../../local/session';
import { InvalidInput } from '../../errors';
import { ExitCode, Output } from '../output';

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
  const files = options.all ? listDrills() : drillFiles.length ? drillFiles : [DEFAULT_DRILL];
  if (files.length === 0) throw new InvalidInput('no drill files found under runbooks/');
  const drills = files.map((f) => ({ file: f, ...readDrill(f) }));
  const started = new Date();
  const runId = newRunId(started);
  const session = await openLocalSession({ endpoint: options.endpoint, log: options.json ? undefined : output.err });
  const scores: DrillScore[] = [];
  try {
    for (const d of drills) {
      const result = await runDrill(session, d.drill, d.dir);
      scores.push(scoreDrill(result, path.relative(process.cwd(), path.resolve(d.file)), d.drill.budget.containSeconds));
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
    output.out(`Game day ${runId}: ${scorecard.passed ? 'PASSED' : 'FAILED'}: ${t.drills} drill(s), ${t.passedInjections}/${t.injections} injections, ${t.passedChecks}/${t.checks} read-back checks, ${t.apiCalls} API calls, wall time ${scorecard.wallTimeMs} ms (emulator start, seeding and synthesis included)`);
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
  const dir = options.out ?? REPORTS_DIR;
  const history = readHistory(dir);
  if (history.length === 0) throw new InvalidInput(`no game-day history in ${path.join(dir, 'history.jsonl')}: run firebreak gameday first`);
  const trends = drillTrends(history);
  const latest = history[history.length - 1];
  const latestFile = path.join(dir, latest.runId, 'scorecard.json');
  const html = path.join(dir, 'report.html');
  if (fs.existsSync(latestFile)) fs.writeFileSync(html, renderHtml(JSON.parse(fs.readFileSync(latestFile, 'utf8')) as GameDayScorecard, trends));
  if (options.json) {
    output.out(JSON.stringify({ runs: history.length, trends }, null, 2));
    return ExitCode.Ok;
  }
  const rows = trends.map((t) => {
    const ttc = t.points.map((p) => p.timeToContainMs).filter((v): v is number => v !== undefined).sort((a, b) => a - b);
    const last = t.points[t.points.length - 1];
    return [t.drill, String(t.runs), `${Math.round(t.passRate * 100)}%`, fmt(last.timeToContainMs), fmt(ttc.length ? ttc[Math.floor((ttc.length - 1) / 2)] : undefined), fmt(ttc.length ? ttc[ttc.length - 1] : undefined)];
  });
  const head = ['DRILL', 'RUNS', 'PASS RATE', 'LAST TTC', 'MEDIAN TTC', 'WORST TTC'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows]) output.out(r.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd());
  output.out(`${history.length} game day(s) from ${history[0].at} to ${latest.at}${fs.existsSync(html) ? `; charts: ${html}` : ''}`);
  return ExitCode.Ok;
}

function fmt(ms?: number): string {
  return ms === undefined ? '-' : `${(ms / 1000).toFixed(2)} s`;
}
