import * as z from 'zod/mini';
import { InvalidInput } from '../errors';
import './zod-locale';

/**
 * Validates `value` against `schema` (a `zod/mini` schema or a classic one: both are zod core schemas). Its own module,
 * so that a step's handler (lib/runtime/playbook/handler-base.ts) validates its input without loading event
 * normalization and the finding-type table (lib/core/incident/normalize.ts re-exports it for its callers).
 * @param schema - a zod schema.
 * @param value - what to validate.
 * @param what - what `value` is, for the message (e.g. `claim-case input`).
 * @returns the parsed value.
 * @throws {InvalidInput} naming the first bad field (`Invalid <what>: <path>: <zod's message>`), with zod's error as `cause`.
 */
export function parseOrThrow<T extends z.core.$ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const parsed = z.safeParse(schema, value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue.path.length ? issue.path.join('.') : '(root)';
    throw new InvalidInput(`Invalid ${what}: ${path}: ${issue.message}`, { cause: parsed.error });
  }
  return parsed.data;
}
