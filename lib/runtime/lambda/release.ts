import type { IAMClient } from '@aws-sdk/client-iam';
import { DeleteFunctionConcurrencyCommand, LambdaClient, PutFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import type { PlannedAction } from '../ec2/instance';
import type { RolePriorState } from '../iam/revoke';
import type { ReleaseItem } from '../release/plan';
import { ensureCredentialsReleased, verifyCredentialsReleased } from '../release/release-credentials';
import type { ReservedConcurrencyPrior } from './contain';
import { readReservedConcurrency } from './function';

/**
 * Release of a lambda-compromise case, from the prior state it recorded: the reserved concurrency back to its recorded
 * value (DeleteFunctionConcurrency when none was reserved, PutFunctionConcurrency with the number otherwise: Lambda API
 * Reference), only while it is still Firebreak's 0 (a value someone set since is theirs: left, reported); Firebreak's
 * `FirebreakRevokeOlderSessions` policy off the execution role only when its text is exactly one Firebreak writes (or
 * put back to the document an earlier case left: {@link ensureCredentialsReleased}). The published evidence version is
 * kept (it is evidence). Idempotent: a second release finds everything restored and changes nothing.
 */

/** What the case recorded (`priorState` of a lambda-compromise case). */
export interface FunctionPriorState {
  readonly reservedConcurrency?: ReservedConcurrencyPrior;
  readonly role?: RolePriorState;
}

/** What release did. */
export interface FunctionReleaseResult {
  readonly functionName: string;
  readonly restored: PlannedAction[];
  readonly unchanged: ReleaseItem[];
  readonly notRestored: ReleaseItem[];
}

/** The change that puts the recorded reserved concurrency back, or why there is none. */
function concurrencyChange(functionName: string, recorded: number | null, current: number | null) {
  if (current === recorded) return { unchanged: `reserved concurrency is ${current ?? 'none'}, as before containment` };
  if (current !== 0)
    return {
      notRestored: `reserved concurrency is ${current ?? 'none'} (changed since containment set 0): left as it is, recorded ${recorded ?? 'none'}`,
    };
  const action = {
    operation: recorded === null ? 'Lambda.DeleteFunctionConcurrency' : 'Lambda.PutFunctionConcurrency',
    target: functionName,
    change: `reserved concurrency 0 → ${recorded ?? 'none'}`,
  };
  const command =
    recorded === null
      ? new DeleteFunctionConcurrencyCommand({ FunctionName: functionName })
      : new PutFunctionConcurrencyCommand({ FunctionName: functionName, ReservedConcurrentExecutions: recorded });
  return { action, command };
}

/**
 * Releases a function (see the module's comment), through the releaser role's clients.
 * @param protectedRoleNames - Firebreak's own roles (never touched).
 * @throws {ResourceGone} when the function or the role is gone (nothing changed by that part).
 */
export async function ensureFunctionReleased(
  deps: { lambda: LambdaClient; iam: IAMClient },
  functionName: string,
  prior: FunctionPriorState,
  protectedRoleNames: readonly string[] = [],
): Promise<FunctionReleaseResult> {
  const out: FunctionReleaseResult = { functionName, restored: [], unchanged: [], notRestored: [] };
  const recorded = prior.reservedConcurrency;
  if (recorded) {
    const current = await readReservedConcurrency(deps.lambda, functionName);
    const change = concurrencyChange(functionName, recorded.reservedConcurrentExecutions, current);
    const item = { item: 'reserved-concurrency', target: functionName } as const;
    if ('unchanged' in change) out.unchanged.push({ ...item, detail: change.unchanged! });
    else if ('notRestored' in change) out.notRestored.push({ ...item, detail: change.notRestored! });
    else {
      await deps.lambda.send(change.command as PutFunctionConcurrencyCommand);
      out.restored.push(change.action);
    }
  }
  if (prior.role) {
    const role = await ensureCredentialsReleased({ role: prior.role, protectedRoleNames, mode: 'apply' }, { iam: deps.iam });
    out.restored.push(...role.actions);
    out.unchanged.push(...role.unchanged);
    out.notRestored.push(...role.notRestored);
  }
  return out;
}

/**
 * Reads a release back: the reserved concurrency is the recorded one (or someone else's, not Firebreak's 0) and the
 * role carries no Firebreak revocation policy of this case.
 * @returns one line per problem; empty when released.
 */
export async function verifyFunctionReleased(
  deps: { lambda: LambdaClient; iam: IAMClient },
  functionName: string,
  prior: FunctionPriorState,
  protectedRoleNames: readonly string[] = [],
): Promise<string[]> {
  const problems: string[] = [];
  const recorded = prior.reservedConcurrency?.reservedConcurrentExecutions;
  if (prior.reservedConcurrency && recorded !== 0) {
    const current = await readReservedConcurrency(deps.lambda, functionName);
    if (current === 0) problems.push(`${functionName}: reserved concurrency is still Firebreak's 0 (recorded ${recorded ?? 'none'})`);
  }
  if (prior.role) problems.push(...(await verifyCredentialsReleased({ role: prior.role, protectedRoleNames }, { iam: deps.iam })));
  return problems;
}
