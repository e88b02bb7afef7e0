import type { DecisionHooks } from '../hooks';

/** Decide's hooks of `lambda-compromise` (decision-registry.ts): the catalog decides (High → auto, below → notify). */
export const LAMBDA_COMPROMISE_DECISION: DecisionHooks = {};
