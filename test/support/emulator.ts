import { resetEmulator, startEmulator, type Emulator, type StartEmulatorOptions } from '../../lib/harness/local/emulator';

/** What {@link useEmulator} gives a test file. */
export interface EmulatorHandle {
  /** The emulator's base URL (`http://127.0.0.1:PORT`). Throws when read outside the tests. */
  readonly endpoint: string;
  /** The emulator's port. Throws when read outside the tests. */
  readonly port: number;
  /** Wipes the emulator's state (all accounts), e.g. in a `beforeEach`. */
  reset(): Promise<void>;
}

/**
 * Gives the calling test file (or `describe` block) its own fresh emulator: started in `beforeAll`,
 * stopped in `afterAll`.
 *
 * @example
 * const emulator = useEmulator();
 * beforeEach(() => emulator.reset());
 * it('…', async () => { new EC2Client({ endpoint: emulator.endpoint, … }); });
 *
 * @param opts - passed to startEmulator (default account 222222222222).
 */
export function useEmulator(opts: StartEmulatorOptions = {}): EmulatorHandle {
  let emulator: Emulator | undefined;

  beforeAll(async () => {
    emulator = await startEmulator(opts);
  }, 120_000);

  afterAll(async () => {
    await emulator?.stop();
    emulator = undefined;
  });

  const current = (): Emulator => {
    if (!emulator) throw new Error('useEmulator: the emulator is only available inside tests');
    return emulator;
  };

  return {
    get endpoint() {
      return current().endpoint;
    },
    get port() {
      return current().port;
    },
    reset: () => resetEmulator(current().endpoint),
  };
}
