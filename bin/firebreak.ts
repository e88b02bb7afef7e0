#!/usr/bin/env node
/** The `firebreak` CLI. The only place that sets the process's exit code (DESIGN.md §7). */
import { runCli } from '../lib/cli/program';
import { processOutput } from '../lib/cli/output';

// A reader that stops early (`firebreak cases show ... | head`) closes the pipe: stop quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

runCli(process.argv.slice(2), processOutput).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`firebreak: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
