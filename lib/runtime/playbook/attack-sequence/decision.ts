import { chainedRoutes } from '../../../core/incident/sequence-summary';
import type { Incident } from '../../../core/incident/incident';
import type { DecisionHooks } from '../hooks';

/**
 * Decide of `attack-sequence`: a sequence that names no resource Firebreak can contain in an account it acts in (only
 * S3 buckets, clusters, ...; keys it cannot revoke; accounts the deployment does not list) makes a notify-only case
 * naming its resources, never a silent one.
 * @returns the reason, or `undefined` when the catalog decides.
 */
function refusal(i: Incident): string | undefined {
  if (chainedRoutes(i.sequence).length > 0) return undefined;
  const named = (i.sequence?.resources ?? []).map((r) => r.why);
  return `attack sequence ${i.sequence?.uid ?? '?'} names no access key or instance Firebreak can contain${named.length ? ` (${named.join('; ')})` : ' (no resources)'}: notify-only case, see runbooks/attack-sequence/runbook.md`;
}

/** Decide's hooks of `attack-sequence` (decision-registry.ts): its chains are the sequence's routes (chain-sequence-containment.ts). */
export const ATTACK_SEQUENCE_DECISION: DecisionHooks = { refusal };
