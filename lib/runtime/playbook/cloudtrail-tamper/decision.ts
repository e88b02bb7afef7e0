import type { DecisionHooks } from '../hooks';

/** Decide's hooks of `cloudtrail-tamper` (decision-registry.ts). */
export const CLOUDTRAIL_TAMPER_DECISION: DecisionHooks = {
  // A call that failed changed nothing (CloudTrail records failed calls with `errorCode`).
  refusal: (i) =>
    i.resource.type === 'ApiCall' && i.resource.errorCode
      ? `the call failed (${i.resource.errorCode}): it changed nothing, so nothing is contained`
      : undefined,
};
