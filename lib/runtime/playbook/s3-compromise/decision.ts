import type { Incident } from '../../../core/incident/incident';
import { offendingPrincipal } from '../../s3/principal';
import type { DecisionHooks } from '../hooks';

/**
 * Decide of `s3-compromise`: a finding about public exposure is contained (the public access block); a compromise
 * finding whose principal Firebreak cannot name exactly (lib/runtime/s3/principal.ts: root, another account, a
 * federated user, one of Firebreak's own roles, ...) has nothing Firebreak may deny: a notify-only case that says why,
 * and a person decides. A finding that shows neither compromise nor exposure is already notify-only (its triage).
 * @returns the reason, or `undefined` when the catalog decides.
 */
function refusal(i: Incident): string | undefined {
  if (i.resource.type !== 'S3Bucket') return undefined;
  const r = i.resource;
  if (r.exposed || i.finding.type.startsWith('Policy:S3/')) return undefined;
  const named = offendingPrincipal({ partition: i.partition, account: i.account, ...r.principal, remoteAccountId: r.remoteAccountId });
  if (!named.named)
    return `${named.why}; nothing else to contain on ${r.bucketName}: notify-only case, see runbooks/s3-compromise/runbook.md`;
  return undefined;
}

/** Decide's hooks of `s3-compromise` (decision-registry.ts). */
export const S3_COMPROMISE_DECISION: DecisionHooks = { refusal };
