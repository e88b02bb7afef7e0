import { ConfigError, InvalidInput } from '../../../core/errors';
import { LAMBDA_ENV } from '../../../core/contracts/environment';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import type { PlaybookState } from '../../../core/contracts/state';
import { chainedEnvelope, startChainedRun } from '../chained-start';

/** A chained start Decide asked for: contain the instance whose credentials leaked. */
export interface ChainRequest {
  readonly playbook: 'ec2-compromise';
  readonly instanceId: string;
}

/** What ChainInstanceContainment did. */
export interface ChainResult {
  readonly playbook: 'ec2-compromise';
  readonly instanceId: string;
  /** The execution started (or found already started) for the chained case. */
  readonly executionArn: string;
  readonly executionName: string;
  /** `true` when an earlier run of this step had started it already. */
  readonly alreadyStarted: boolean;
}

/**
 * The execution name of the ec2-compromise run chained from a case: derived from the case ID, so
 * every re-run of the step names the same execution and Step Functions refuses a second one.
 */
export function chainedExecutionName(caseId: string): string {
  return `chain-${caseId}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 80);
}

/**
 * ChainInstanceContainment (credential-compromise, when the catalog entry sets
 * `chainInstanceContainment`): starts ec2-compromise on the instance whose role credentials leaked,
 * with a `{ firebreak: { target, chainedFrom } }` start envelope.
 *
 * Idempotent: the execution name is {@link chainedExecutionName}, and the input is the same on every
 * re-run, so `StartExecution` returns the running execution ("StartExecution is idempotent for
 * STANDARD workflows", Step Functions API Reference), and `ExecutionAlreadyExists` (it has ended) means
 * the chained run already happened. The chained run has its own case, keyed on the instance: if a
 * finding already contained the instance, it ends `ALREADY_HANDLED`.
 *
 * @param state - the playbook state with `decision.chain` set by Decide.
 * @returns the chained execution.
 * @throws {InvalidInput} when the decision asks for no chain.
 * @throws {ConfigError} when the stack did not give the step the ec2-compromise state machine ARN.
 */
export async function chainInstanceContainment(state: PlaybookState, deps: StepDeps): Promise<ChainResult> {
  return runStep('ChainInstanceContainment', caseTarget(state, deps.ledger), async () => {
    const chain = state.decision?.chain;
    if (!chain) throw new InvalidInput('decision.chain is missing: Decide did not ask for a chained containment');
    const stateMachineArn = deps.config.ec2PlaybookArn;
    if (!stateMachineArn) {
      const variable = LAMBDA_ENV.FIREBREAK_EC2_PLAYBOOK_ARN;
      throw new ConfigError(`${variable} is not set: the stack must give ChainInstanceContainment the ec2-compromise state machine`);
    }
    const caseId = state.case.caseId;
    const i = state.incident;
    const executionName = chainedExecutionName(caseId);
    const envelope = chainedEnvelope(
      state,
      { kind: 'instance', instanceId: chain.instanceId, account: i.account, region: i.region },
      `chained from case ${caseId}: credentials of instance ${chain.instanceId} leaked (${i.finding.type})`,
    );
    const { executionArn, alreadyStarted } = await startChainedRun(deps.clients.security().sfn, stateMachineArn, executionName, envelope);
    await deps.ledger.recordDecision(caseId, 'chain', { playbook: chain.playbook, instanceId: chain.instanceId, executionArn });
    return { playbook: chain.playbook, instanceId: chain.instanceId, executionArn, executionName, alreadyStarted };
  });
}
