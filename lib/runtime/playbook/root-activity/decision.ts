import type { DecisionHooks } from '../hooks';

/** Decide's hooks of `root-activity` (decision-registry.ts): notify-only, it has no steps of its own and plans nothing. */
export const ROOT_ACTIVITY_DECISION: DecisionHooks = {
  refusal: () => 'root activity: nothing can be revoked automatically; notify-only case, see runbooks/root-activity/runbook.md',
};
