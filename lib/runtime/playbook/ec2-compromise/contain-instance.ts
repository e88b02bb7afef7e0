import { ContainPriorState, ensureInstanceContained } from '../../ec2/contain';
import { isolationGroupsDecisionKey, IsolationGroups, recordedIsolationGroups } from '../../ec2/isolation-groups';
import type { PlaybookState } from '../../../core/contracts/state';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import { findingEniIds } from './common';
import '../../clients/assume-role';

/** The case entries that record the groups ENIs move through (`decisions.untrack-group#<id>`), read by ResealIsolation. */
const groupEntries = (groups: readonly IsolationGroups[]) =>
  groups.map((g) => ({ map: 'decisions', key: isolationGroupsDecisionKey(g), value: g }));

/**
 * Contain: preserve and isolate the instance in one step ({@link ensureInstanceContained}): every ENI (the instance's,
 * those attached to it, those the finding names) through the untrack group to the isolation group; termination
 * protection, shutdown=stop, volumes kept, Auto Scaling detach, target groups; EIPs, profile, tags. The prior state
 * (`priorState.preserve`, `priorState.isolate`) and the groups are recorded on the case, in one write when the VPC's
 * groups exist, before any change.
 * @returns `{ instanceId, preserve, isolate }` (`$.contain`).
 */
export async function containInstance(state: PlaybookState, deps: StepDeps) {
  const member = deps.clients.member(state.incident.account, state.incident.region);
  const caseId = state.case.caseId;
  return runStep('Contain', caseTarget(state, deps.ledger), () =>
    ensureInstanceContained(
      {
        instanceId: state.incident.resource.id,
        caseId,
        findingEniIds: findingEniIds(state.incident),
        notFoundGraceSeconds: deps.config.notFoundGraceSeconds,
      },
      {
        ...member,
        knownFirebreakGroupIds: async () =>
          recordedIsolationGroups((await deps.ledger.getCase(caseId))?.decisions).flatMap((g) => [g.isolationGroupId, g.untrackGroupId]),
        recordPriorState: async (prior, groups) => {
          const [preserve, isolate] = await deps.ledger.recordOnce(caseId, [
            { map: 'priorState', key: 'preserve', value: prior.preserve },
            { map: 'priorState', key: 'isolate', value: prior.isolate },
            ...groupEntries(groups),
          ]);
          return { preserve, isolate } as ContainPriorState;
        },
        recordGroups: async (groups) => {
          await deps.ledger.recordOnce(caseId, groupEntries(groups));
        },
      },
    ),
  );
}
