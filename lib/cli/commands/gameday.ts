import * as path from 'node:path';
import { readDrill } from '../../gameday/drill';
import { renderScorecard, runDrill } from '../../gameday/run-drill';
import { openLocalSession } from '../../local/session';
import { ExitCode, Output } from '../output';

/** The drill `firebreak gameday` runs when none is named. */
export const DEFAULT_DRILL = path.join('runbooks', 'ec2-compromise', 'drill.yaml');

/** Options of `firebreak gameday`. */
export interface GamedayCommandOptions {
  readonly endpoint?: string;
  readonly json?: boolean;
}

/**
 * `firebreak gameday [DRILL]`: validates the drill (before any AWS call), runs it on a local
 * session and prints the scorecard.
 * @returns 0 when every expectation held, 1 otherwise.
 * @throws {InvalidInput} for a bad drill (the caller maps it to exit code 2).
 */
export async function gamedayCommand(drillFile: string | undefined, options: GamedayCommandOptions, output: Output): Promise<number> {
  const { drill, dir } = readDrill(drillFile ?? DEFAULT_DRILL);
  const started = Date.now();
  const session = await openLocalSession({ endpoint: options.endpoint, log: options.json ? undefined : output.err });
  try {
    const scorecard = await runDrill(session, drill, dir);
    if (options.json) output.out(JSON.stringify({ ...scorecard, totalWallTimeMs: Date.now() - started }, null, 2));
    else {
      for (const line of renderScorecard(scorecard)) output.out(line);
      output.out(`  total wall time (emulator start, seeding and synthesis included): ${Date.now() - started} ms`);
    }
    return scorecard.passed ? ExitCode.Ok : ExitCode.Failed;
  } finally {
    await session.close();
  }
}
