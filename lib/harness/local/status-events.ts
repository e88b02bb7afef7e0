import { randomUUID } from 'node:crypto';
import type { ExecutionStatusChangeEvent } from '../../runtime/playbook/shared/close-orphaned-case';

export type { ExecutionStatusChangeEvent };

/** The event as EventBridge delivers it: what CloseOrphanedCase reads ({@link ExecutionStatusChangeEvent}) and the rest of its envelope. */
export type DeliveredStatusChangeEvent = ExecutionStatusChangeEvent & {
  version: string;
  id: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: { output: string | null };
};

/**
 * Over this many bytes of escaped input and output together, Step Functions leaves the input out of the
 * status-change event (`input: null`): "If the combined escaped input and escaped output sent to EventBridge
 * exceeds 248KB, then the input will be excluded" ("EventBridge payloads", "EventBridge (CloudWatch Events) for Step Functions execution status changes", Step Functions Developer Guide). DescribeExecution still
 * returns it for a Standard workflow.
 */
export const STATUS_EVENT_PAYLOAD_LIMIT_BYTES = 248 * 1024;

/**
 * The "Step Functions Execution Status Change" event Step Functions sends to the default bus when a
 * Standard execution's status changes, in the documented shape ("EventBridge (CloudWatch Events) for
 * Step Functions execution status changes", Step Functions Developer Guide,
 * https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html; the Execution Timed Out example is
 * `fixtures/events/states-execution-timed-out.json`): `detail` as DescribeExecution returns it, dates in
 * epoch milliseconds, `input` the execution's input as JSON text (null when, escaped, it is over
 * {@link STATUS_EVENT_PAYLOAD_LIMIT_BYTES}), `output` null for an execution that did not succeed.
 * @param x - the execution: region, account, state machine name, execution name, status, start and
 *   stop (epoch milliseconds), input.
 * @returns the event as EventBridge delivers it.
 */
export function executionStatusChangeEvent(x: {
  region: string;
  account: string;
  stateMachineName: string;
  executionName: string;
  status: 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  startDate: number;
  stopDate: number;
  input: unknown;
}): DeliveredStatusChangeEvent {
  const executionArn = `arn:aws:states:${x.region}:${x.account}:execution:${x.stateMachineName}:${x.executionName}`;
  const input = JSON.stringify(x.input ?? {});
  // Escaped: the input travels as a JSON string inside the event (the output is null: the execution did not succeed).
  const escapedBytes = Buffer.byteLength(JSON.stringify(input), 'utf8');
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: x.account,
    time: new Date(x.stopDate).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: x.region,
    resources: [executionArn],
    detail: {
      executionArn,
      stateMachineArn: `arn:aws:states:${x.region}:${x.account}:stateMachine:${x.stateMachineName}`,
      name: x.executionName,
      status: x.status,
      startDate: x.startDate,
      stopDate: x.stopDate,
      input: escapedBytes > STATUS_EVENT_PAYLOAD_LIMIT_BYTES ? null : input,
      output: null,
    },
  };
}
