import { ensureEmulatorInstalled } from '../../lib/harness/local/emulator';

/**
 * jest `globalSetup`: installs the emulator's venv once, before any worker starts, so that test
 * files that start emulators do not race to install it (the install lock would serialise them too).
 */
export default async function globalSetup(): Promise<void> {
  await ensureEmulatorInstalled({
    log: (line) => process.stderr.write(`[emulator] ${line}\n`),
  });
}
