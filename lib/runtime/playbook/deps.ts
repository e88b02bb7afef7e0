import { CaseLedger } from '../ledger/ledger';
import type { RuntimeConfig } from '../config';
import { buildStepDepsWith, LedgerFactory, StepDeps, stepDepsFromEnvWith } from './deps-base';

export type { StepDeps } from './deps-base';

/** The DynamoDB case ledger of a deployment (`FIREBREAK_LEDGER_TABLE`), on the security account's document client. */
const caseLedger: LedgerFactory = (clients, config, now) =>
  new CaseLedger({ ddb: clients.security().ddb, tableName: config.ledgerTable, now });

/**
 * Builds the dependencies of the playbook steps from a runtime configuration, with the case ledger (built on first use).
 * @param config - validated runtime configuration.
 */
export function buildStepDeps(config: RuntimeConfig): StepDeps {
  return buildStepDepsWith(config, caseLedger);
}

/**
 * The step dependencies for the current environment, with the case ledger, built once per configuration (Lambda
 * containers reuse clients and cached credentials across invocations).
 * @throws {ConfigError} when the environment is invalid.
 */
export function stepDepsFromEnv(env: NodeJS.ProcessEnv = process.env): StepDeps {
  return stepDepsFromEnvWith(env, caseLedger);
}
