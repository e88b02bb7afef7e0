import type * as z from 'zod/mini';
import type { StepDeps } from './deps-base';
import { stepDepsFromEnv } from './deps';
import { makeStepHandler, StepHandler } from './handler-base';

export type { StepHandler } from './handler-base';

/**
 * Wraps one playbook step in the thin middy shell every Lambda shares ({@link makeStepHandler}), with the
 * step dependencies of the environment and the case ledger ({@link stepDepsFromEnv}).
 * @param step - the step's folder name (`lambdas/<step>`), used as the logger's service suffix.
 * @param schema - zod schema of the step's input.
 * @param run - the step's logic.
 * @returns the handler.
 */
export function stepHandler<S extends z.core.$ZodType>(
  step: string,
  schema: S,
  run: (input: z.infer<S>, deps: StepDeps) => Promise<unknown>,
): StepHandler {
  return makeStepHandler(step, schema, run, () => stepDepsFromEnv());
}
