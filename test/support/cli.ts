import { runCli } from '../../lib/cli/program';

/** Runs the CLI in process; stdout and stderr lines (stderr split on newlines, empty lines dropped). */
export async function cli(argv: string[]): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runCli(argv, { out: (l) => stdout.push(l), err: (l) => stderr.push(l) });
  return { code, stdout, stderr: stderr.flatMap((l) => l.split('\n')).filter(Boolean) };
}
