import type * as z from 'zod/mini';
import { StepDeps, stepDepsFromEnvWith } from './deps-base';
import { makeStepHandler, StepHandler } from './handler-base';

/**
 * {@link stepHandler} for a step that never touches the case (STEP_ACCESS without `ledger`: Normalize, GameDayGuard,
 * PlanDryRun): its dependencies have no ledger (`deps.ledger` throws {@link ConfigError}), so its bundle
 * carries neither the ledger nor the DynamoDB client.
 * @param step - the step's folder name (`lambdas/<step>`), used as the logger's service suffix.
 * @param schema - zod schema of the step's input.
 * @param run - the step's logic.
 * @returns the handler.
 */
export function stepHandlerWithoutLedger<S extends z.core.$ZodType>(
  step: string,
  schema: S,
  run: (input: z.infer<S>, deps: StepDeps) => Promise<unknown>,
): StepHandler {
  return makeStepHandler(step, schema, run, () => stepDepsFromEnvWith(process.env));
}
