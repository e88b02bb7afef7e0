import { startEmulator, Emulator } from './emulator';
import { seedLocalAccounts, LocalEnvironment } from './seed';
import { LocalRunner, LocalRunnerOptions } from './runner';
import { EmulatorRouter } from './router';
import { loadSecurityTemplate } from './template-cache';

/** A ready local world: emulator (started or reused), seeded accounts, runner and router. */
export interface LocalSession {
  readonly env: LocalEnvironment;
  readonly runner: LocalRunner;
  readonly router: EmulatorRouter;
  /** Stops the emulator if this session started it; leaves a given endpoint running. */
  close(): Promise<void>;
}

/** Options of {@link openLocalSession}. */
export interface LocalSessionOptions extends Omit<LocalRunnerOptions, 'template'> {
  /** Use an emulator that is already running (its state is left there for inspection). */
  readonly endpoint?: string;
  /** Progress lines (to stderr in the CLI). */
  readonly log?: (line: string) => void;
}

/**
 * Opens a local session: starts the embedded emulator (or uses `endpoint`), seeds the two
 * accounts, and loads the synthesized template into a runner and a router.
 * @throws {EmulatorUnavailable} when the emulator cannot be installed or started.
 */
export async function openLocalSession(options: LocalSessionOptions = {}): Promise<LocalSession> {
  let emulator: Emulator | undefined;
  const endpoint = options.endpoint ?? (emulator = await startEmulator({ log: options.log })).endpoint;
  try {
    options.log?.(`emulator at ${endpoint}`);
    const env = await seedLocalAccounts(endpoint);
    const runner = LocalRunner.create(env, { ...options, template: loadSecurityTemplate() });
    const router = new EmulatorRouter(env.security, runner.rules);
    return { env, runner, router, close: async () => { await emulator?.stop(); } };
  } catch (err) {
    await emulator?.stop();
    throw err;
  }
}
