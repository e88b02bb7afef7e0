import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { gamedayCommand, gamedayReportCommand } from '../../lib/cli/commands/gameday';
import type { GameDayScorecard } from '../../lib/harness/gameday/scorecard';
import { readHistory } from '../../lib/harness/gameday/history';
import { useEmulator } from '../support/emulator';

const run = promisify(execFile);
const CHROMIUM = '/usr/bin/chromium';
/** Headless Chromium as issue #5 specifies it; --dump-dom prints the DOM after the page's scripts ran. */
const HEADLESS = ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run'];

describe('game-day scorecard (gameday → reports/<run-id>/scorecard.{json,md,html}, history, report)', () => {
  const emulator = useEmulator();
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'fb-reports-'));
  const lines: string[] = [];
  const output = { out: (l: string) => lines.push(l), err: () => undefined };
  let scorecard: GameDayScorecard;
  let dir: string;

  beforeAll(async () => {
    const code = await gamedayCommand(
      ['runbooks/ec2-compromise/drill.yaml', 'runbooks/root-activity/drill.yaml'],
      { endpoint: emulator.endpoint, out, json: true },
      output,
    );
    expect(code).toBe(0);
    scorecard = JSON.parse(lines.join('\n'));
    dir = path.join(out, scorecard.runId);
  }, 300_000);

  it('writes the scorecard as JSON, Markdown and HTML under the run ID, and a history line', () => {
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'scorecard.json'), 'utf8'))).toEqual(scorecard);
    expect(scorecard).toMatchObject({ passed: true, totals: { drills: 2 } });
    expect(scorecard.totals.passedInjections).toBe(scorecard.totals.injections);
    const contained = scorecard.drills[0].injections[0];
    expect(contained).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED', budgetMs: 60_000 });
    expect(contained.timeToContainMs).toBeGreaterThan(0);
    expect(contained.timeline.map((s) => s.name)).toEqual(expect.arrayContaining(['Contain', 'WriteManifest']));
    for (const s of contained.timeline) expect(s.endMs).toBeGreaterThanOrEqual(s.startMs);
    const md = fs.readFileSync(path.join(dir, 'scorecard.md'), 'utf8');
    expect(md).toMatch(new RegExp(`^# Game day ${scorecard.runId}: PASSED`));
    expect(md).toContain('| ec2-compromise | C&C activity from a two-ENI IPv6 instance is contained | pass | SUCCEEDED / CONTAINED |');
    expect(readHistory(out).map((h) => h.runId)).toEqual([scorecard.runId]);
  });

  it('renders the HTML in headless Chromium: the timeline of every execution, every check, no script errors', async () => {
    const html = path.join(dir, 'scorecard.html');
    // Self-contained: no external script, style or URL (the SVG namespace is a name, not a fetch).
    expect(fs.readFileSync(html, 'utf8')).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!www\.w3\.org\/2000\/svg')/);
    const { stdout: dom } = await run(CHROMIUM, [...HEADLESS, '--virtual-time-budget=5000', '--dump-dom', `file://${html}`], {
      maxBuffer: 64 * 1024 * 1024,
      timeout: 120_000,
    });
    expect(dom).toMatch(/<body[^>]*data-rendered="true"/);
    expect(dom).toMatch(/<pre id="script-errors"><\/pre>/);
    const steps = scorecard.drills.flatMap((d) => d.injections.flatMap((i) => i.timeline));
    expect(steps.length).toBeGreaterThan(10);
    expect((dom.match(/<rect class="step( failed)?"/g) ?? []).length).toBe(steps.length);
    expect((dom.match(/<svg class="timeline"/g) ?? []).length).toBe(
      scorecard.drills.flatMap((d) => d.injections).filter((i) => i.timeline.length).length,
    );
    expect((dom.match(/<section class="injection" data-passed="true"/g) ?? []).length).toBe(scorecard.totals.injections);
    expect(dom).toContain('time to contain');
    const png = path.join(out, 'scorecard.png');
    await run(CHROMIUM, [...HEADLESS, '--hide-scrollbars', '--window-size=1280,1600', `--screenshot=${png}`, `file://${html}`], {
      timeout: 120_000,
    });
    expect(fs.readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
  }, 240_000);

  it('catches and shows a script error, so the check above can fail', async () => {
    const broken = path.join(out, 'broken.html');
    fs.writeFileSync(
      broken,
      fs
        .readFileSync(path.join(dir, 'scorecard.html'), 'utf8')
        .replace('var s = input.scorecard;', 'var s = input.scorecard; s.drills = null;'),
    );
    const { stdout: dom } = await run(CHROMIUM, [...HEADLESS, '--virtual-time-budget=5000', '--dump-dom', `file://${broken}`], {
      maxBuffer: 64 * 1024 * 1024,
      timeout: 120_000,
    });
    expect(dom).not.toMatch(/data-rendered="true"/);
    expect(dom).toMatch(/<pre id="script-errors">[^<]+<\/pre>/);
  }, 240_000);

  it('appends every game day to the history and reports trends per drill', async () => {
    lines.length = 0;
    // A game day of its own, on a fresh embedded emulator, as `firebreak gameday` runs by default.
    expect(await gamedayCommand(['runbooks/root-activity/drill.yaml'], { out, json: true }, output)).toBe(0);
    const second = JSON.parse(lines.join('\n')) as GameDayScorecard;
    expect(readHistory(out).map((h) => h.runId)).toEqual([scorecard.runId, second.runId]);
    lines.length = 0;
    expect(await gamedayReportCommand({ out, json: true }, output)).toBe(0);
    const report = JSON.parse(lines.join('\n'));
    expect(report.runs).toBe(2);
    const root = report.trends.find((t: { drill: string }) => t.drill === 'root-activity');
    expect(root).toMatchObject({ runs: 2, passRate: 1 });
    const ec2 = report.trends.find((t: { drill: string }) => t.drill === 'ec2-compromise');
    expect(ec2.runs).toBe(1);
    expect(ec2.points[0].timeToContainMs).toBeGreaterThan(0);
    expect(fs.readFileSync(path.join(out, 'report.html'), 'utf8')).toContain('scorecard-data');
    lines.length = 0;
    await gamedayReportCommand({ out }, output);
    expect(lines[0]).toMatch(/^DRILL\s+RUNS\s+PASS RATE\s+LAST TTC\s+MEDIAN TTC\s+WORST TTC$/);
  }, 300_000);
});
