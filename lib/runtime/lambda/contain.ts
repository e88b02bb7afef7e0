import type { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient, PutFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import type { PlannedAction, StepMode } from '../ec2/instance';
import { ensureRoleSessionsRevoked, RolePriorState, roleRevocationProblem } from '../iam/revoke';
import { protectedRoleReason } from '../iam/principals';
import { functionsWithRole, readReservedConcurrency, roleNameOf } from './function';
import type { FunctionRecorder } from './preserve';

/**
 * Containment of a Lambda function (lambda-compromise), after GuardDuty's "Remediating a potentially compromised Lambda
 * function" (https://docs.aws.amazon.com/guardduty/latest/ug/remediate-lambda-protection-finding-types.html: disable
 * the function's execution triggers; rotate the credentials the function had access to) and the AWS Security Incident
 * Response User Guide (https://docs.aws.amazon.com/security-ir/latest/userguide/):
 * - **reserved concurrency 0** (PutFunctionConcurrency, Lambda API Reference): "throttles all invocations" of every
 *   version and alias, from every trigger, without changing the code, the triggers or the permissions (each stays as it
 *   is for the investigation and for release); the reserved concurrency before it is recorded on the case first
 *   (`priorState.reservedConcurrency`: a number, or `null` for none) so release puts it back.
 * - **the execution role's older sessions revoked**: Firebreak's inline `FirebreakRevokeOlderSessions` deny on
 *   `aws:TokenIssueTime` before the case's cutoff ("Revoking IAM role temporary security credentials", IAM User Guide,
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html), which ends the credentials a
 *   compromised function may have leaked. Never for a protected role (service-linked, Firebreak's own).
 *   **A role shared with other functions** is not revoked unless the deployment says so (`revokeSharedLambdaRole`):
 *   revoking its older sessions breaks the warm execution environments of every function using the role (each gets
 *   fresh credentials only in a new environment), an outage beyond the function GuardDuty named. The result names the
 *   other functions and the notification carries them; a person decides. When ListFunctions is too long to read
 *   whole, the role is treated as shared.
 * Every change narrows access; a failure part-way leaves the function throttled, or unchanged.
 */

/** `priorState.reservedConcurrency`: the function's reserved concurrency before containment. */
export interface ReservedConcurrencyPrior {
  readonly functionName: string;
  /** `null`: none was reserved. */
  readonly reservedConcurrentExecutions: number | null;
}

/** What throttling did or would do. */
export interface ThrottleResult {
  readonly functionName: string;
  readonly prior: ReservedConcurrencyPrior;
  readonly actions: PlannedAction[];
}

/**
 * Sets the function's reserved concurrency to 0 unless it is 0 already, recording the prior value first (first record
 * wins, so a re-run after a crash still holds the value before Firebreak).
 * @throws {ResourceGone} when the function no longer exists.
 */
export async function ensureFunctionThrottled(
  lambda: LambdaClient,
  functionName: string,
  mode: StepMode,
  record: FunctionRecorder,
): Promise<ThrottleResult> {
  const current = await readReservedConcurrency(lambda, functionName);
  const observed: ReservedConcurrencyPrior = { functionName, reservedConcurrentExecutions: current };
  const prior = mode === 'apply' ? await record('reservedConcurrency', observed) : observed;
  if (current === 0) return { functionName, prior, actions: [] };
  const action = {
    operation: 'Lambda.PutFunctionConcurrency',
    target: functionName,
    change: `reserved concurrency ${current ?? 'none'} → 0`,
  };
  if (mode === 'apply')
    await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: functionName, ReservedConcurrentExecutions: 0 }));
  return { functionName, prior, actions: [action] };
}

/** What the role part did or would do. */
export interface RoleRevocationResult {
  readonly roleName?: string;
  readonly prior?: RolePriorState;
  readonly actions: PlannedAction[];
  /** Why the role's sessions are not revoked (protected, shared, not a role ARN), when they are not. */
  readonly notRevoked?: string;
  /** The other functions using the role (when it is shared). */
  readonly sharedWith?: string[];
}

/** Input of {@link ensureFunctionRoleRevoked}. */
export interface RoleRevocation {
  readonly functionName: string;
  /** The function's execution role (`Role` of its configuration). */
  readonly roleArn: string;
  /** The case's cutoff: sessions issued before it are denied. */
  readonly cutoff: Date;
  readonly mode: StepMode;
  /** Firebreak's own roles by name (besides the `firebreak-`/service-linked rule). */
  readonly protectedRoleNames: readonly string[];
  /** Revoke a role other functions share too (`revokeSharedLambdaRole`). */
  readonly revokeShared: boolean;
}

/**
 * Revokes the execution role's sessions issued before the cutoff ({@link ensureRoleSessionsRevoked}), unless the role
 * is protected or shared (see the module's comment).
 * @throws {ResourceGone} when the role no longer exists.
 */
export async function ensureFunctionRoleRevoked(
  deps: { lambda: LambdaClient; iam: IAMClient; recordRole?: (v: RolePriorState) => Promise<RolePriorState> },
  input: RoleRevocation,
): Promise<RoleRevocationResult> {
  const roleName = roleNameOf(input.roleArn);
  if (!roleName) return { actions: [], notRevoked: `${input.roleArn} is not an IAM role ARN` };
  const protectedReason = protectedRoleReason(roleName, '/', input.protectedRoleNames);
  if (protectedReason) return { roleName, actions: [], notRevoked: protectedReason };
  if (!input.revokeShared) {
    const others = await functionsWithRole(deps.lambda, input.roleArn, input.functionName);
    if (others.entries.length > 0 || others.truncated) {
      const names = others.entries.slice(0, 20);
      const why = others.truncated
        ? 'ListFunctions was too long to read whole: the role may be shared'
        : `shared with ${others.entries.length} other function(s)`;
      return {
        roleName,
        actions: [],
        sharedWith: names,
        notRevoked: `${why}; revoking its older sessions would break them too (revokeSharedLambdaRole)`,
      };
    }
  }
  const out = await ensureRoleSessionsRevoked(
    { roleName, cutoff: input.cutoff, mode: input.mode, protectedRoleNames: input.protectedRoleNames },
    { iam: deps.iam, recordPriorState: input.mode === 'apply' ? deps.recordRole : undefined },
  );
  if (out.protectedReason) return { roleName, actions: [], notRevoked: out.protectedReason };
  return { roleName, prior: out.prior, actions: out.actions };
}

/**
 * Reads containment back: reserved concurrency 0, and Firebreak's revocation policy with the case's cutoff on the role
 * when the role part revoked it.
 * @returns one line per problem; empty when contained.
 * @throws {ResourceGone} when the function or the role is gone.
 */
export async function verifyFunctionContained(
  deps: { lambda: LambdaClient; iam: IAMClient },
  input: { functionName: string; roleName?: string; cutoff?: string },
): Promise<string[]> {
  const problems: string[] = [];
  const reserved = await readReservedConcurrency(deps.lambda, input.functionName);
  if (reserved !== 0) problems.push(`${input.functionName}: reserved concurrency is ${reserved ?? 'none'}, not 0`);
  if (input.roleName && input.cutoff) {
    const problem = await roleRevocationProblem(deps.iam, input.roleName, input.cutoff);
    if (problem) problems.push(problem);
  }
  return problems;
}
