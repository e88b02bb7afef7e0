import { InvalidInput } from '../../../core/errors';
import { verifyInstanceIsolated } from '../../ec2/verify';
import type { PlaybookState } from '../../../core/contracts/state';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import { findingEniIds } from './common';
import '../../clients/assume-role';

/** VerifyIsolation: read back from two sides against the groups Contain used; fails loudly with VerificationFailed. */
export async function verifyIsolation(state: PlaybookState, deps: StepDeps) {
  const member = deps.clients.member(state.incident.account, state.incident.region);
  const isolate = state.contain?.isolate;
  if (!isolate?.groups) throw new InvalidInput('contain is missing from the playbook state');
  return runStep('VerifyIsolation', caseTarget(state, deps.ledger), () =>
    verifyInstanceIsolated(
      {
        instanceId: state.incident.resource.id,
        groups: isolate.groups,
        findingEniIds: findingEniIds(state.incident),
        notFoundGraceSeconds: deps.config.notFoundGraceSeconds,
      },
      { ec2: member.ec2 },
    ),
  );
}
