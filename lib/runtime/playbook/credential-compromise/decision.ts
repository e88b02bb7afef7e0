import { protectedRoleReason } from '../../iam/protected-roles';
import type { Incident } from '../../../core/incident/incident';
import type { DecisionHooks } from '../hooks';

/** The principal types credential-compromise can revoke automatically. */
export const REVOCABLE_USER_TYPES: readonly string[] = ['IAMUser', 'AssumedRole'];

/**
 * Decide of `credential-compromise`: credentials it never revokes automatically (root, federated and other
 * principal types; a service-linked role or one of Firebreak's own) make a notify-only case.
 * @returns the reason, or `undefined` when the catalog decides.
 */
function refusal(i: Incident): string | undefined {
  if (i.resource.type !== 'AccessKey') return undefined;
  if (!REVOCABLE_USER_TYPES.includes(i.resource.userType)) {
    return `${i.resource.userType} credentials cannot be revoked automatically: notify-only case, see runbooks/credential-compromise/runbook.md`;
  }
  if (i.resource.userType === 'AssumedRole') {
    const reason = protectedRoleReason(i.resource.userName ?? '');
    if (reason) return `${reason}: Firebreak never touches it; notify-only case`;
  }
  return undefined;
}

/** Decide's hooks of `credential-compromise` (decision-registry.ts). */
export const CREDENTIAL_COMPROMISE_DECISION: DecisionHooks = {
  refusal,
  // Instance credentials used elsewhere: contain the instance too when the catalog entry says so (chain-instance-containment.ts).
  chain: (i, catalog) => {
    if (i.resource.type !== 'AccessKey' || !i.resource.instanceId) return undefined;
    const entry = catalog.find((e) => e.id === i.catalogEntryId);
    if (entry?.kind !== 'guardduty-finding' || !entry.chainInstanceContainment) return undefined;
    return { playbook: 'ec2-compromise', instanceId: i.resource.instanceId };
  },
};
