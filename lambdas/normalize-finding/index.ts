/** Lambda `normalize-finding`: the `Normalize` state, and ec2-compromise's `Triage` (normalize and decide). Logic: lib/runtime/playbook/shared/normalize-finding.ts `normalizeFinding` (lib/core/incident/normalize.ts). */
import * as z from 'zod/mini';
import { PlaybookSchema } from '../../lib/core/catalog/catalog';
import { stepHandlerWithoutLedger } from '../../lib/runtime/playbook/handler-without-ledger';
import { normalizeFinding, triageFinding } from '../../lib/runtime/playbook/shared/normalize-finding';

const NormalizeInputSchema = z.object({
  input: z.unknown(),
  executionName: z.string().check(z.minLength(1)),
  executionStartTime: z.string().check(z.minLength(1)),
  /** Set by each playbook's state machine; ec2-compromise omits it. */
  playbook: z.optional(PlaybookSchema),
  /** Set by ec2-compromise's Triage state: normalize and decide ({@link triageFinding}). */
  triage: z.optional(z.boolean()),
});

export const handler = stepHandlerWithoutLedger('normalize-finding', NormalizeInputSchema, (input, deps) =>
  input.triage ? triageFinding(input, deps) : normalizeFinding(input, deps),
);
