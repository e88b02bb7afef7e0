import type { CaseLedger } from '../ledger/ledger';
import { ClientFactory } from '../clients';
import { loadRuntimeConfig, RuntimeConfig } from '../config';
import { ConfigError } from '../../core/errors';

/** What every playbook step needs: configuration, clients, the ledger and a clock. */
export interface StepDeps {
  readonly config: RuntimeConfig;
  readonly clients: ClientFactory;
  readonly ledger: CaseLedger;
  /** Current time. */
  readonly now: () => Date;
}

/** Builds a step's ledger from its clients (deps.ts passes the DynamoDB case ledger). */
export type LedgerFactory = (clients: ClientFactory, config: RuntimeConfig, now: () => Date) => CaseLedger;

/**
 * Builds the dependencies of the playbook steps from a runtime configuration. The ledger is built on first use by
 * `ledger`; without one (the steps that never touch the case: Normalize, GameDayGuard, PlanDryRun; their
 * bundles then carry no ledger and no DynamoDB client), using `deps.ledger` throws.
 * @param config - validated runtime configuration.
 * @param ledger - how to build the ledger, or `undefined` for a step without one.
 * @returns the dependencies; `ledger` throws {@link ConfigError} on use when `ledger` was not given.
 */
export function buildStepDepsWith(config: RuntimeConfig, ledger?: LedgerFactory): StepDeps {
  const clients = new ClientFactory({
    region: config.region,
    securityAccountId: config.securityAccountId,
    responderRoleName: config.responderRoleName,
    endpoint: config.endpoint,
    sfnEndpoint: config.sfnEndpoint,
  });
  const now = () => new Date();
  let built: CaseLedger | undefined;
  return {
    config,
    clients,
    now,
    get ledger(): CaseLedger {
      if (!ledger) throw new ConfigError('this step has no case ledger (its handler is stepHandlerWithoutLedger)');
      built ??= ledger(clients, config, now);
      return built;
    },
  };
}

const cached = new Map<LedgerFactory | undefined, { key: string; deps: StepDeps }>();

/**
 * The step dependencies for the current environment, built once per configuration and ledger factory (Lambda
 * containers reuse clients and cached credentials across invocations).
 * @param env - the environment (docs/ARCHITECTURE.md, "Runtime configuration").
 * @param ledger - see {@link buildStepDepsWith}.
 * @throws {ConfigError} when the environment is invalid.
 */
export function stepDepsFromEnvWith(env: NodeJS.ProcessEnv, ledger?: LedgerFactory): StepDeps {
  const config = loadRuntimeConfig(env);
  const key = JSON.stringify(config);
  const hit = cached.get(ledger);
  if (hit?.key === key) return hit.deps;
  const deps = buildStepDepsWith(config, ledger);
  cached.set(ledger, { key, deps });
  return deps;
}
