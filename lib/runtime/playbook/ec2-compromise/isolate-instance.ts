import { ensureInstanceIsolated, IsolatePriorState } from '../../ec2/isolate';
import { isolationGroupsDecisionKey, recordedIsolationGroups } from '../../ec2/isolation-groups';
import type { PlaybookState } from '../../../core/contracts/state';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import { findingEniIds } from './common';
import '../../clients/assume-role';

/**
 * Isolate: every ENI (the instance's, those attached to it, those the finding names) through the untrack
 * group to the isolation group; EIPs, profile, tags. The groups are recorded on the case before any move.
 */
export async function isolateInstance(state: PlaybookState, deps: StepDeps) {
  const member = deps.clients.member(state.incident.account, state.incident.region);
  const caseId = state.case.caseId;
  const known = recordedIsolationGroups((await deps.ledger.getCase(caseId))?.decisions).flatMap((g) => [
    g.isolationGroupId,
    g.untrackGroupId,
  ]);
  return runStep('Isolate', caseTarget(state, deps.ledger), () =>
    ensureInstanceIsolated(
      {
        instanceId: state.incident.resource.id,
        caseId,
        mode: 'apply',
        findingEniIds: findingEniIds(state.incident),
        notFoundGraceSeconds: deps.config.notFoundGraceSeconds,
      },
      {
        ec2: member.ec2,
        knownFirebreakGroupIds: known,
        recordPriorState: (v: IsolatePriorState) => deps.ledger.recordPriorState(caseId, 'isolate', v),
        recordGroups: async (groups) => {
          await Promise.all(groups.map((g) => deps.ledger.recordDecision(caseId, isolationGroupsDecisionKey(g), g)));
        },
      },
    ),
  );
}
