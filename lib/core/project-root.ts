import * as path from 'node:path';

/**
 * The repository root (where `package.json`, `lambdas/`, `runbooks/` and `emulator/` live), as an absolute path.
 * Read from this file's place in the tree (`lib/core/`), so it holds when run from source (tsx, jest); the bundled
 * Lambdas never use it.
 */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
