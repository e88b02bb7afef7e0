import * as fs from 'node:fs';
import { RUN_TMPDIR_VARIABLE } from './global-setup';

/**
 * jest `globalTeardown`: removes the run's temporary directory (global-setup.ts), with every cloud assembly and
 * temporary file the tests left in it. Each test file stops the emulators it started (test/support/emulator.ts), and a
 * server whose Node process is gone exits by itself.
 */
export default async function globalTeardown(): Promise<void> {
  const dir = process.env[RUN_TMPDIR_VARIABLE];
  if (dir && /firebreak-jest-/.test(dir)) fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}
