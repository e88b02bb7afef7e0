import type { Incident } from '../../../core/incident/incident';
import type { DecisionHooks } from '../hooks';

/**
 * Decide of `rds-compromise`: only a finding on a DB instance that names its identifier can be preserved and contained;
 * an `RDSLimitlessDB` finding (a shard group of an Aurora Limitless database) or one without an identifier is a
 * notify-only case that says why, and a person acts (runbooks/rds-compromise/runbook.md).
 * @returns the reason, or `undefined` when the catalog decides.
 */
function refusal(i: Incident): string | undefined {
  const r = i.resource;
  if (r.type !== 'GuardDutyResource') return undefined;
  if (r.resourceType === 'RDSDBInstance' && r.name) return undefined;
  return `${r.resourceType}${r.name ? ` ${JSON.stringify(r.name)}` : ''}: Firebreak preserves and contains DB instances only (not an Aurora Limitless shard group, nor a finding without an instance identifier): notify-only case, see runbooks/rds-compromise/runbook.md`;
}

/** Decide's hooks of `rds-compromise` (decision-registry.ts). */
export const RDS_COMPROMISE_DECISION: DecisionHooks = { refusal };
