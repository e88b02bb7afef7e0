import type { PlaybookState } from '../../../core/contracts/state';
import { ensureFunctionRoleRevoked, ensureFunctionThrottled } from '../../lambda/contain';
import { readFunction } from '../../lambda/function';
import type { PlannedAction, StepMode } from '../../ec2/instance';
import type { StepDeps } from '../deps-base';
import { firebreakRoles, functionOf, functionRecorder, NO_RECORDS } from './common';
import '../../clients/iam';

/** ContainFunction's result (`$.functionContainment`). */
export interface FunctionContainmentResult {
  readonly functionName: string;
  /** The reserved concurrency before containment (`null`: none). */
  readonly priorReservedConcurrency: number | null;
  readonly roleName?: string;
  /** The revocation cutoff, when the role's sessions are (or would be) revoked. */
  readonly cutoff?: string;
  /** Why the role's sessions are not revoked, when they are not. */
  readonly notRevoked?: string;
  readonly sharedWith?: string[];
  readonly actions: PlannedAction[];
}

/**
 * Throttle then revoke, in `mode` ({@link ensureFunctionThrottled}, {@link ensureFunctionRoleRevoked}): the role is the
 * one the function's configuration names, recorded on the case once (`decisions.functionRole`), so a re-run acts on it
 * even if someone swaps the function's role meanwhile; the cutoff is recorded once too (`decisions.revocationCutoff`).
 */
export async function containFunctionIn(state: PlaybookState, deps: StepDeps, mode: StepMode): Promise<FunctionContainmentResult> {
  const i = state.incident;
  const f = functionOf(state);
  const { lambda, iam } = deps.clients.member(i.account, i.region);
  const caseId = state.case.caseId;
  const apply = mode === 'apply';
  const read = (await readFunction(lambda, f.functionName)).configuration.Role ?? '';
  const roleArn = apply ? await deps.ledger.recordDecision(caseId, 'functionRole', read) : read;
  const now = new Date(Math.ceil(deps.now().getTime() / 1000) * 1000).toISOString();
  const cutoff = apply ? await deps.ledger.recordDecision(caseId, 'revocationCutoff', now) : now;
  const throttled = await ensureFunctionThrottled(lambda, f.functionName, mode, apply ? functionRecorder(deps.ledger, caseId) : NO_RECORDS);
  const role = await ensureFunctionRoleRevoked(
    { lambda, iam, recordRole: (v) => deps.ledger.recordPriorState(caseId, 'role', v) },
    {
      functionName: f.functionName,
      roleArn,
      cutoff: new Date(cutoff),
      mode,
      protectedRoleNames: firebreakRoles(deps),
      revokeShared: deps.config.revokeSharedLambdaRole,
    },
  );
  return {
    functionName: f.functionName,
    priorReservedConcurrency: throttled.prior.reservedConcurrentExecutions,
    ...(role.roleName ? { roleName: role.roleName } : {}),
    ...(role.notRevoked ? { notRevoked: role.notRevoked } : { cutoff: cutoff.replace(/\.\d{3}Z$/, 'Z') }),
    ...(role.sharedWith ? { sharedWith: role.sharedWith } : {}),
    actions: [...throttled.actions, ...role.actions],
  };
}
