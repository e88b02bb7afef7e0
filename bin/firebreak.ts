#!/usr/bin/env node
/** The `firebreak` CLI. The only place that sets the process's exit code (DESIGN.md §7). */
import { runCli } from '../lib/cli/program';
import { processOutput } from '../lib/cli/output';

// Read when an SDK client is first built (its runtime config), after this line. The AWS SDK's once-per-process notice
// that Node 20 loses support in 2027 only adds noise to a CLI run here (as
// lib/harness/local/polyfills.ts says); the harness commands load that module themselves (lib/cli/commands/load-harness.ts),
// so that `--help` and the operator commands load no harness code.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

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
