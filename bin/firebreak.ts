#!/usr/bin/env node
/** The `firebreak` CLI. The only place that sets the process's exit code (DESIGN.md §7). */
import '../lib/local/polyfills';
import { runCli } from '../lib/cli/program';
import { processOutput } from '../lib/cli/output';

runCli(process.argv.slice(2), processOutput).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`firebreak: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
