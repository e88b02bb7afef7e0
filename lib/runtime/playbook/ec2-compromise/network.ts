import { IsolatePriorState, resealUntrackedEnis } from '../../ec2/isolate';
import { recordedIsolationGroups } from '../../ec2/isolation-groups';
import type { Incident } from '../../../core/incident/incident';
import type { CaseRecord } from '../../ledger/ledger';
import type { StepDeps } from '../deps-base';
import '../../clients/assume-role';

/**
 * Moves every ENI of a case's instance that is on one of the case's recorded untrack groups onto its VPC's
 * isolation group ({@link resealUntrackedEnis}); the ENIs looked at are those attached to the instance, those
 * recorded in the prior state, and those the finding names. A case that recorded no group touches nothing.
 * @returns what was moved and what is still open.
 */
export async function resealCaseNetwork(
  record: CaseRecord | undefined,
  incident: Incident,
  findingEniIds: readonly string[],
  deps: StepDeps,
) {
  const recorded = recordedIsolationGroups(record?.decisions);
  if (!recorded.length) return { moved: [], stillOpen: [], checked: 0 };
  const prior = (record?.priorState as { isolate?: IsolatePriorState } | undefined)?.isolate;
  const member = deps.clients.member(incident.account, incident.region);
  return resealUntrackedEnis(
    { instanceId: incident.resource.id, recorded, knownEniIds: [...Object.keys(prior?.securityGroupsByEni ?? {}), ...findingEniIds] },
    { ec2: member.ec2 },
  );
}
