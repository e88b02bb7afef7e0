import { ExitCode, Output } from '../output';
import { loadHarness } from './load-harness';

/** Options of `firebreak replay`. */
export interface ReplayCommandOptions {
  readonly endpoint?: string;
  readonly json?: boolean;
}

/**
 * `firebreak replay <event.json>`: validates the event (before any AWS call), opens a local
 * session (embedded emulator, or `--endpoint`), replays the event and prints the report.
 * @returns the exit code: 0 when every execution ended as designed and every check passed, 1
 *   otherwise.
 * @throws {InvalidInput} for a bad file or event (the caller maps it to exit code 2).
 */
export async function replayCommand(file: string, options: ReplayCommandOptions, output: Output): Promise<number> {
  const [{ readEventFile, replayEvent }, { openLocalSession }, { renderReport }] = await loadHarness(() =>
    Promise.all([import('../../harness/local/replay'), import('../../harness/local/session'), import('../../harness/report')]),
  );
  const event = readEventFile(file);
  const session = await openLocalSession({ endpoint: options.endpoint, log: options.json ? undefined : output.err });
  try {
    const { report } = await replayEvent(session, event);
    if (options.json) output.out(JSON.stringify(report, null, 2));
    else for (const line of renderReport(report)) output.out(line);
    const failed = report.executions.some((x) => x.status === 'FAILED') || report.checks.some((c) => !c.passed);
    return failed ? ExitCode.Failed : ExitCode.Ok;
  } finally {
    await session.close();
  }
}
