import { CaseLedger } from '../ledger/ledger';
import { ClientFactory } from '../clients';
import { loadRuntimeConfig, RuntimeConfig } from '../config';

/** What every playbook step needs: configuration, clients, the ledger and a clock. */
export interface StepDeps {
  readonly config: RuntimeConfig;
  readonly clients: ClientFactory;
  readonly ledger: CaseLedger;
  /** Current time. */
  readonly now: () => Date;
}

/**
 * Builds the dependencies of the playbook steps from a runtime configuration.
 * @param config - validated runtime configuration.
 */
export function buildStepDeps(config: RuntimeConfig): StepDeps {
  const clients = new ClientFactory({
    region: config.region,
    securityAccountId: config.securityAccountId,
    responderRoleName: config.responderRoleName,
    endpoint: config.endpoint,
    sfnEndpoint: config.sfnEndpoint,
  });
  const now = () => new Date();
  return { config, clients, ledger: new CaseLedger({ ddb: clients.security().ddb, tableName: config.ledgerTable, now }), now };
}

let cached: { key: string; deps: StepDeps } | undefined;

/**
 * The step dependencies for the current environment, built once per configuration (Lambda
 * containers reuse clients and cached credentials across invocations).
 * @throws {ConfigError} when the environment is invalid.
 */
export function stepDepsFromEnv(env: NodeJS.ProcessEnv = process.env): StepDeps {
  const config = loadRuntimeConfig(env);
  const key = JSON.stringify(config);
  if (!cached || cached.key !== key) cached = { key, deps: buildStepDeps(config) };
  return cached.deps;
}
