import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidInput } from '../../core/errors';
import type { GameDayScorecard } from './scorecard';

/** One game day in `reports/history.jsonl`. */
export interface HistoryEntry {
  readonly runId: string;
  /** ISO-8601 UTC start. */
  readonly at: string;
  readonly passed: boolean;
  readonly wallTimeMs: number;
  readonly drills: {
    readonly drill: string;
    readonly passed: boolean;
    readonly injections: number;
    readonly passedInjections: number;
    /** The drill's contained injections' time to contain, in milliseconds (the slowest, the one that matters against a budget). */
    readonly timeToContainMs?: number;
    readonly apiCalls: number;
  }[];
}

/** A drill's trend across game days. */
export interface DrillTrend {
  readonly drill: string;
  readonly runs: number;
  /** Fraction of runs in which every injection passed (0..1). */
  readonly passRate: number;
  readonly points: { readonly runId: string; readonly at: string; readonly passed: boolean; readonly timeToContainMs?: number }[];
}

/** The history line of a scorecard. */
export function historyEntry(s: GameDayScorecard): HistoryEntry {
  return {
    runId: s.runId,
    at: s.startedAt,
    passed: s.passed,
    wallTimeMs: s.wallTimeMs,
    drills: s.drills.map((d) => {
      const ttc = d.injections.map((i) => i.timeToContainMs).filter((v): v is number => v !== undefined);
      return {
        drill: d.drill,
        passed: d.passed,
        injections: d.injections.length,
        passedInjections: d.injections.filter((i) => i.passed).length,
        timeToContainMs: ttc.length ? Math.max(...ttc) : undefined,
        apiCalls: d.injections.reduce((a, i) => a + i.apiCalls.total, 0),
      };
    }),
  };
}

/** Appends a scorecard to `<reportsDir>/history.jsonl` (one JSON object per line). */
export function appendHistory(reportsDir: string, s: GameDayScorecard): void {
  fs.mkdirSync(reportsDir, { recursive: true });
  fs.appendFileSync(path.join(reportsDir, 'history.jsonl'), `${JSON.stringify(historyEntry(s))}\n`);
}

/**
 * Reads `<reportsDir>/history.jsonl`, oldest first.
 * @returns an empty list when there is no history yet.
 * @throws {InvalidInput} naming the line when a line is not a history entry.
 */
export function readHistory(reportsDir: string): HistoryEntry[] {
  const file = path.join(reportsDir, 'history.jsonl');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((line, n) => {
      try {
        const e = JSON.parse(line) as HistoryEntry;
        if (typeof e.runId !== 'string' || !Array.isArray(e.drills)) throw new InvalidInput('not a history entry');
        return e;
      } catch (err) {
        throw new InvalidInput(`${file}:${n + 1}: ${(err as Error).message}`, { cause: err });
      }
    });
}

/** Time to contain and pass rate per drill across game days, drills in name order. */
export function drillTrends(history: readonly HistoryEntry[]): DrillTrend[] {
  const byDrill = new Map<string, DrillTrend['points'][number][]>();
  for (const run of history) {
    for (const d of run.drills) {
      const points = byDrill.get(d.drill) ?? [];
      points.push({ runId: run.runId, at: run.at, passed: d.passed, timeToContainMs: d.timeToContainMs });
      byDrill.set(d.drill, points);
    }
  }
  return [...byDrill.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([drill, points]) => ({
      drill,
      runs: points.length,
      passRate: points.filter((p) => p.passed).length / points.length,
      points,
    }));
}
