import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureEmulatorInstalled } from '../../lib/harness/local/emulator';

/** The environment variable through which globalTeardown finds this run's temporary directory. */
export const RUN_TMPDIR_VARIABLE = 'FIREBREAK_JEST_TMPDIR';

/**
 * jest `globalSetup`: installs the emulator's venv once, before any worker starts, so that test
 * files that start emulators do not race to install it (the install lock would serialise them too).
 * Then gives the run a temporary directory of its own (`TMPDIR`, which `os.tmpdir()` reads on every call and the
 * workers, started after this, inherit): every CDK app built without an `outdir` synthesizes into a new
 * `<tmpdir>/cdk.outXXXX` that nothing removes (aws-cdk-lib's `App`), about 500 per run; globalTeardown removes the
 * whole directory.
 */
export default async function globalSetup(): Promise<void> {
  await ensureEmulatorInstalled({
    log: (line) => process.stderr.write(`[emulator] ${line}\n`),
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'firebreak-jest-'));
  process.env[RUN_TMPDIR_VARIABLE] = dir;
  process.env.TMPDIR = dir;
}
