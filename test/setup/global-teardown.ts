/**
 * jest `globalTeardown`: nothing to clean up. Each test file stops the emulators it started
 * (test/support/emulator.ts), and a server whose Node process is gone exits by itself.
 */
export default async function globalTeardown(): Promise<void> {}
