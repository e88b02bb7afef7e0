#!/usr/bin/env node
// package.json `bin` entry: runs bin/firebreak.ts through tsx (a runtime dependency). The CLI loads each command's
// module with `await import(...)` (lib/cli/command-table.ts), which Node resolves through its ESM loader: tsx's ESM
// hooks let it find and compile the TypeScript there, as tsx's CommonJS hooks do for `require`.
import('tsx/esm/api').then(({ register }) => {
  register();
  require('tsx/cjs');
  require('./firebreak.ts');
});
