import { openLocalSession, LocalSession, LocalSessionOptions } from '../../lib/harness/local/session';

/** What {@link useLocalSession} gives a test file. */
export interface LocalSessionHandle {
  /** The open session. Throws when read outside the tests. */
  readonly session: LocalSession;
}

/**
 * Gives the calling test file its own emulator, seeded with both accounts, with the runner and the
 * router built from the synthesized template: opened in `beforeAll`, closed in `afterAll`.
 * @param options - e.g. `environment` overrides of the Lambdas' environment.
 */
export function useLocalSession(options: LocalSessionOptions = {}): LocalSessionHandle {
  let session: LocalSession | undefined;
  beforeAll(async () => {
    session = await openLocalSession(options);
  }, 180_000);
  afterAll(async () => {
    await session?.close();
    session = undefined;
  });
  return {
    get session(): LocalSession {
      if (!session) throw new Error('useLocalSession: only available inside tests');
      return session;
    },
  };
}
