import type { PlaybookState } from '../../../core/contracts/state';
import type { IsolatePriorState } from '../../ec2/isolate';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import type { InstanceCredentialsPriorState } from '../../iam/instance-credentials';
import { INSTANCE_CREDENTIALS_PRIOR_KEY, instanceCredentialsResponse, InstanceCredentialsResult } from './instance-credentials';
import '../../clients/assume-role';

/**
 * DenyInstanceCredentials (after Contain, outside the isolation's critical path): the instance role's credentials are
 * denied when they are the contained instance's (`ec2:SourceInstanceARN`, {@link ensureInstanceCredentialsDenied}), so
 * the credentials EC2 delivered to it, and any copy taken from its instance metadata, stop working wherever they are
 * used, while other instances of the role keep working; with `revokeInstanceRoleSessions`, every session of the role
 * issued before now is revoked too (the whole role: every instance until it gets fresh credentials). The role comes
 * from the profile the case recorded before containment (`priorState.isolate.instanceProfileArn`), never from tags (a
 * re-run: the role the first run recorded, `priorState.instanceCredentials.roleName`); the
 * deny is read back (GetRolePolicy) before the step returns, so it is part of the playbook's verification.
 * @returns what was done, or why nothing was (no profile, role gone, protected role).
 * @throws {NotYetConsistent} when a written policy does not read back yet (the state machine retries).
 */
export async function denyInstanceCredentials(state: PlaybookState, deps: StepDeps): Promise<InstanceCredentialsResult> {
  return runStep('DenyInstanceCredentials', caseTarget(state, deps.ledger), async () => {
    const record = await deps.ledger.getCase(state.case.caseId);
    const isolate = record?.priorState?.isolate as IsolatePriorState | undefined;
    const recorded = record?.priorState?.[INSTANCE_CREDENTIALS_PRIOR_KEY] as InstanceCredentialsPriorState | undefined;
    return instanceCredentialsResponse(state, deps, isolate?.instanceProfileArn, 'apply', recorded?.roleName);
  });
}
