import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type * as z from 'zod';
import type { ManualTarget, StartEnvelopeSchema } from '../../core/incident/schema';
import type { PlaybookState } from '../../core/contracts/state';
import '../clients/sfn';

/**
 * The start envelope of a run chained from a case (credential-compromise's ChainInstanceContainment, attack-sequence's
 * ChainSequenceContainment): `{ firebreak: { target, chainedFrom } }`, the same on every re-run of the step (the
 * trigger and the operator are the chaining case's), so that `StartExecution` sees the same input each time.
 * @param state - the chaining case's state (`case.caseId`, `incident.trigger`, `incident.playbook`).
 * @param target - the resource the chained run acts on.
 * @param reason - why, at most 1,024 characters (`StartOptionsSchema`).
 */
export function chainedEnvelope(state: PlaybookState, target: ManualTarget, reason: string): z.input<typeof StartEnvelopeSchema> {
  const i = state.incident;
  return {
    firebreak: { trigger: i.trigger, dryRun: false, chainedFrom: state.case.caseId, operator: `firebreak:${i.playbook}`, reason, target },
  };
}

/**
 * Starts a chained run, or finds it started: Step Functions `StartExecution` with a name derived from the chaining case
 * and the same input on every call, so it returns the running execution ("StartExecution is idempotent for STANDARD
 * workflows", Step Functions API Reference, https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html),
 * and `ExecutionAlreadyExists` (the execution has ended) means the chained run already happened: its ARN is the state
 * machine's with `:execution:<name>`.
 * @param sfn - the security account's Step Functions client.
 * @returns the execution's ARN and whether an earlier call had started it (`alreadyStarted`).
 * @throws whatever else `StartExecution` throws (the step's Retry and Catch handle it).
 */
export async function startChainedRun(
  sfn: SFNClient,
  stateMachineArn: string,
  executionName: string,
  envelope: z.input<typeof StartEnvelopeSchema>,
): Promise<{ executionArn: string; alreadyStarted: boolean }> {
  try {
    const out = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: executionName, input: JSON.stringify(envelope) }));
    return { executionArn: out.executionArn!, alreadyStarted: false };
  } catch (err) {
    if (!(err instanceof ExecutionAlreadyExists)) throw err;
    return { executionArn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`, alreadyStarted: true };
  }
}
