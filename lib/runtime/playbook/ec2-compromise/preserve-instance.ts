import { ensureInstancePreserved, PreservePriorState } from '../../ec2/preserve';
import type { PlaybookState } from '../../../core/contracts/state';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import '../../clients/assume-role';

/** Preserve: termination protection, shutdown=stop, volumes kept, ASG detach, target groups. */
export async function preserveInstance(state: PlaybookState, deps: StepDeps) {
  const member = deps.clients.member(state.incident.account, state.incident.region);
  return runStep('Preserve', caseTarget(state, deps.ledger), () =>
    ensureInstancePreserved(
      { instanceId: state.incident.resource.id, mode: 'apply', notFoundGraceSeconds: deps.config.notFoundGraceSeconds },
      { ...member, recordPriorState: (v: PreservePriorState) => deps.ledger.recordPriorState(state.case.caseId, 'preserve', v) },
    ),
  );
}
