import * as fs from 'node:fs';
import * as path from 'node:path';
import { appendHistory, drillTrends, readHistory } from './history';
import { renderHtml } from './scorecard-html';
import { GameDayScorecard, renderMarkdown } from './scorecard';

/** Where a game day's reports go: `reports/` under the project. */
export const REPORTS_DIR = 'reports';

/** The files {@link writeReports} wrote. */
export interface WrittenReports {
  readonly dir: string;
  readonly json: string;
  readonly markdown: string;
  readonly html: string;
  readonly history: string;
}

/**
 * Writes a game day's scorecard to `<reportsDir>/<runId>/scorecard.{json,md,html}` and appends it to
 * `<reportsDir>/history.jsonl`; the HTML includes the trends of the whole history, this run included.
 * @throws {InvalidInput} when the existing history has a malformed line (nothing is written then).
 */
export function writeReports(reportsDir: string, scorecard: GameDayScorecard): WrittenReports {
  const history = readHistory(reportsDir); // fails before writing anything if it is corrupt
  const dir = path.join(reportsDir, scorecard.runId);
  fs.mkdirSync(dir, { recursive: true });
  const json = path.join(dir, 'scorecard.json');
  const markdown = path.join(dir, 'scorecard.md');
  const html = path.join(dir, 'scorecard.html');
  fs.writeFileSync(json, `${JSON.stringify(scorecard, null, 2)}\n`);
  fs.writeFileSync(markdown, renderMarkdown(scorecard));
  appendHistory(reportsDir, scorecard);
  const trends = drillTrends([...history, ...readHistory(reportsDir).slice(history.length)]);
  fs.writeFileSync(html, renderHtml(scorecard, trends));
  return { dir, json, markdown, html, history: path.join(reportsDir, 'history.jsonl') };
}
