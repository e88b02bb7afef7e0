#!/usr/bin/env node
// package.json `bin` entry: runs bin/firebreak.ts through tsx (a runtime dependency), on the project's
// own Node 22 (scripts/pinned-node.js). Started by another Node (the one on PATH), it runs itself again
// on the pinned binary, with that binary's folder first on PATH so that child processes use it too.
// The CLI loads each command's module with `await import(...)` (lib/cli/command-table.ts), which Node
// resolves through its ESM loader: tsx's ESM hooks let it find and compile the TypeScript there, as
// tsx's CommonJS hooks do for `require`.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ROOT, requiredMajor, pinnedNodePath } = require('../scripts/pinned-node');

const major = Number(process.versions.node.split('.')[0]);
if (major !== requiredMajor()) {
  const pinned = pinnedNodePath();
  if (!fs.existsSync(pinned)) {
    process.stderr.write(
      `firebreak: runs on Node ${requiredMajor()} (this is ${process.version}); run ./firebreak, which installs it (${path.relative(process.cwd(), ROOT) || '.'}/scripts/ensure-deps.sh)\n`,
    );
    process.exit(2);
  }
  const { spawn } = require('node:child_process');
  const env = { ...process.env, PATH: `${path.dirname(pinned)}${path.delimiter}${process.env.PATH ?? ''}` };
  const child = spawn(pinned, [__filename, ...process.argv.slice(2)], { stdio: 'inherit', env });
  // Ctrl-C reaches the child from the terminal itself (same process group); the parent waits for it
  // to clean up. Signals sent to this process alone are passed on.
  process.on('SIGINT', () => {});
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('error', (err) => {
    process.stderr.write(`firebreak: cannot start ${pinned}: ${err.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (os.constants.signals[signal] ?? 0)));
} else {
  import('tsx/esm/api').then(({ register }) => {
    register();
    require('tsx/cjs');
    require('./firebreak.ts');
  });
}
