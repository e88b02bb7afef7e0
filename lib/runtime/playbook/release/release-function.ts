import { InvalidInput } from '../../../core/errors';
import type { ReleaseState } from '../../../core/contracts/state';
import { ensureFunctionReleased } from '../../lambda/release';
import type { ReleaseItem } from '../../release/plan';
import type { PlannedAction } from '../../ec2/instance';
import type { StepDeps } from '../deps-base';
import { runStep } from '../run-step';
import { caseRecord, priorOf, releaseTarget } from './common';
import { releaserClients } from './releaser';
import '../../clients/lambda';
import '../../clients/iam';

/** ReleaseFunction's result, in the shape of every release step's (`ReleaseResult`). */
export interface FunctionReleaseStepResult {
  readonly mode: 'apply';
  readonly functionName: string;
  readonly actions: PlannedAction[];
  readonly unchanged: ReleaseItem[];
  readonly notRestored: ReleaseItem[];
}

/**
 * ReleaseFunction: undoes a lambda-compromise case from the prior state it recorded ({@link ensureFunctionReleased}),
 * through the releaser role: the reserved concurrency back to its recorded value while it is still Firebreak's 0, and
 * Firebreak's revocation policy off the execution role when it is exactly Firebreak's. The evidence version is kept.
 * @throws {InvalidInput} when the case is not about a function. {@link ResourceGone} when the function or role is gone.
 */
export async function releaseFunction(state: ReleaseState, deps: StepDeps): Promise<FunctionReleaseStepResult> {
  const { lambda, iam } = releaserClients(state, deps);
  return runStep('ReleaseFunction', releaseTarget(state, deps), async () => {
    const record = await caseRecord(state, deps);
    const r = record.incident.resource;
    if (r.type !== 'LambdaFunction') throw new InvalidInput(`Case ${record.caseId} is not about a Lambda function`);
    const roles = [deps.config.responderRoleName, deps.config.releaserRoleName];
    const out = await ensureFunctionReleased({ lambda, iam }, r.functionName, priorOf(record), roles);
    return { mode: 'apply', functionName: out.functionName, actions: out.restored, unchanged: out.unchanged, notRestored: out.notRestored };
  });
}
