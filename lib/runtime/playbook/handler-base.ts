import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import { FirebreakError } from '../../core/errors';
import { parseOrThrow } from '../../core/contracts/parse';
import { mapAwsError } from '../aws-errors';
import type { StepDeps } from './deps-base';

/** A Lambda handler produced by {@link stepHandler}. */
export type StepHandler = (event: unknown, context: Context) => Promise<unknown>;

/**
 * Wraps one playbook step in the thin middy shell every Lambda shares (DESIGN.md §4):
 * Powertools logger (with the case ID when the input has one), zod validation of the input, and
 * mapping of errors to the named errors the state machine's Retry/Catch match on (`Throttled`,
 * `TransientAwsError`, `ResourceGone`, `InvalidInput`, `AccessDenied`, ...). The Lambda error
 * type is the error's `name`.
 *
 * The shell shared by {@link stepHandler} (handler.ts: with the case ledger) and {@link stepHandlerWithoutLedger}
 * (handler-without-ledger.ts), which differ only in the dependencies they give the step.
 * @param step - the step's folder name.
 * @param schema - zod schema of the step's input.
 * @param run - the step's logic.
 * @param depsOf - the step's dependencies, called once per invocation (cached per configuration).
 * @returns the handler.
 */
export function makeStepHandler<S extends z.core.$ZodType>(
  step: string,
  schema: S,
  run: (input: z.infer<S>, deps: StepDeps) => Promise<unknown>,
  depsOf: () => StepDeps,
): StepHandler {
  const logger = new Logger({ serviceName: 'firebreak', persistentKeys: { step } });
  const base = async (event: unknown): Promise<unknown> => {
    const input = parseOrThrow(schema, event, `${step} input`);
    const caseId = findCaseId(input);
    if (caseId) logger.appendKeys({ caseId });
    try {
      const result = await run(input, depsOf());
      logger.info('step succeeded');
      return result;
    } catch (err) {
      const mapped = mapAwsError(err);
      const e = mapped instanceof Error ? mapped : new Error(String(mapped));
      logger.error('step failed', { errorName: e.name, errorMessage: e.message, firebreak: mapped instanceof FirebreakError });
      throw e;
    }
  };
  return middy(base).use(injectLambdaContext(logger, { resetKeys: true })) as unknown as StepHandler;
}

function findCaseId(input: unknown): string | undefined {
  const i = input as { case?: { caseId?: string }; state?: { case?: { caseId?: string } } } | undefined;
  return i?.case?.caseId ?? i?.state?.case?.caseId;
}
