import { FindingIdentifier, guardDutyFindingIdentifier } from '../../core/security-hub';
import type { Incident } from '../../core/incident/incident';

/**
 * The Security Hub identifier of the incident's GuardDuty finding (lib/core/security-hub.ts), as a list: empty for an
 * API call, a manual start or a malformed part (nothing to update).
 */
export function incidentFindingIdentifiers(incident: Incident): FindingIdentifier[] {
  const id = guardDutyFindingIdentifier({
    partition: incident.partition,
    region: incident.region,
    account: incident.account,
    detectorId: incident.finding.detectorId,
    findingId: incident.finding.id,
  });
  return id ? [id] : [];
}

/**
 * The Security Hub identifiers of every GuardDuty finding of a case (its `findingIds`, with the detector of the case's
 * incident: a detector is one account's in one Region, as the case is), for the release: each finding seen for the case
 * is resolved with it.
 */
export function caseFindingIdentifiers(incident: Incident, findingIds: Iterable<string>): FindingIdentifier[] {
  const ids = new Set([incident.finding.id, ...findingIds]);
  return [...ids]
    .map((findingId) =>
      guardDutyFindingIdentifier({
        partition: incident.partition,
        region: incident.region,
        account: incident.account,
        detectorId: incident.finding.detectorId,
        findingId,
      }),
    )
    .filter((i): i is FindingIdentifier => i !== undefined);
}
