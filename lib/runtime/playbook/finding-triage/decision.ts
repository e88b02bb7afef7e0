import type { DecisionHooks } from '../hooks';

/** Decide's hooks of `finding-triage` (decision-registry.ts): notify-only, it has no steps of its own and plans nothing. */
export const FINDING_TRIAGE_DECISION: DecisionHooks = {
  refusal: (i) => i.triage?.why ?? 'no containment exists for this resource: notify-only case',
};
