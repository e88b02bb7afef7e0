/** Lambda `normalize-finding`: the `Normalize` state. Logic: lib/runtime/playbook/shared/normalize-finding.ts `normalizeFinding` (lib/core/incident/normalize.ts). */
import * as z from 'zod/mini';
import { PlaybookSchema } from '../../lib/core/catalog/catalog';
import { stepHandlerWithoutLedger } from '../../lib/runtime/playbook/handler-without-ledger';
import { normalizeFinding } from '../../lib/runtime/playbook/shared/normalize-finding';

const NormalizeInputSchema = z.object({
  input: z.unknown(),
  executionName: z.string().check(z.minLength(1)),
  executionStartTime: z.string().check(z.minLength(1)),
  /** Set by each playbook's state machine; ec2-compromise omits it. */
  playbook: z.optional(PlaybookSchema),
});

export const handler = stepHandlerWithoutLedger('normalize-finding', NormalizeInputSchema, (input, deps) => normalizeFinding(input, deps));
