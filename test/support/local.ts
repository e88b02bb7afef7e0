import { openLocalSession, LocalSession, LocalSessionOptions } from '../../lib/harness/local/session';

/** What {@link useLocalSession} gives a test file. */
export interface LocalSessionHandle {
  /** The open session. Throws when read outside the tests. */
  readonly session: LocalSession;
}

/**
 * The blast-radius breaker of a test session (issue 14): wide open, since the tests of other behaviour contain more
 * instances in one account within an hour than the deployment's default (5) allows; test/playbook/brakes-*.test.ts set
 * their own. A session opened with `openLocalSession` directly (`firebreak local up`, replay, game days) keeps the
 * deployment's default.
 */
export const TEST_BREAKER = { FIREBREAK_BREAKER: JSON.stringify({ perAccount: 1000, perOrganization: 10000 }) };

/**
 * Gives the calling test file its own emulator, seeded with both accounts, with the runner and the
 * router built from the synthesized template: opened in `beforeAll`, closed in `afterAll`.
 * @param options - e.g. `environment` overrides of the Lambdas' environment.
 */
export function useLocalSession(options: LocalSessionOptions = {}): LocalSessionHandle {
  let session: LocalSession | undefined;
  beforeAll(async () => {
    session = await openLocalSession({ ...options, environment: { ...TEST_BREAKER, ...options.environment } });
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
