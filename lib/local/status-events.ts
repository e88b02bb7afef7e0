import { randomUUID } from 'node:crypto';
import type { ExecutionStatusChangeEvent } from '../playbook/orphaned-case';

export type { ExecutionStatusChangeEvent };

/**
 * The "Step Functions Execution Status Change" event Step Functions sends to the default bus when a
 * Standard execution's status changes, in the documented shape ("EventBridge (CloudWatch Events) for
 * Step Functions execution status changes", Step Functions Developer Guide,
 * https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html; the Execution Timed Out example is
 * `fixtures/events/states-execution-timed-out.json`): `detail` as DescribeExecution returns it, dates in
 * epoch milliseconds, `input` the execution's input as JSON text, `output` null for an execution that did
 * not succeed.
 * @param x - the execution: region, account, state machine name, execution name, status, start and
 *   stop (epoch milliseconds), input.
 * @returns the event as EventBridge delivers it.
 */
export function executionStatusChangeEvent(x: {
  region: string; account: string; stateMachineName: string; executionName: string;
  status: 'FAILED' | 'TIMED_OUT' | 'ABORTED'; startDate: number; stopDate: number; input: unknown;
}): ExecutionStatusChangeEvent {
  const executionArn = `arn:aws:states:${x.region}:${x.account}:execution:${x.stateMachineName}:${x.executionName}`;
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
      input: JSON.stringify(x.input ?? {}),
      output: null,
    },
  };
}
