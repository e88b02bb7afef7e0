/**
 * Loads harness modules for the commands that run the local emulator and runner (`replay`, `gameday`, `local up`), and
 * for `doctor` (the synthesized member stack it compares a deployment with):
 * only those commands, and only when they run (eslint.config.js refuses a static import of lib/harness from lib/cli),
 * so `firebreak --help` and the operator commands load no harness code.
 * @param load - the command's `await import(...)` of the harness modules it uses.
 * @returns what `load` resolves to.
 * @throws whatever loading a module throws (a broken install).
 */
export async function loadHarness<T>(load: () => Promise<T>): Promise<T> {
  return load();
}
