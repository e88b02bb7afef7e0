import * as fs from 'node:fs';
import * as path from 'node:path';
import { closeOrphanedCase, ExecutionStatusChangeEventSchema } from '../../../lib/runtime/playbook/shared/close-orphaned-case';
import type { StepDeps } from '../../../lib/runtime/playbook/deps';
import { executionStatusChangeEvent } from '../../../lib/harness/local/status-events';

const FIXTURE = path.join(__dirname, '..', '..', '..', 'fixtures', 'events', 'states-execution-timed-out.json');

/** Dependencies that fail the test if the step reaches the ledger or SNS. */
const untouchable = {
  ledger: new Proxy({}, { get: (_t, p) => () => { throw new Error(`ledger.${String(p)} called`); } }),
  clients: { security: () => { throw new Error('SNS used'); } },
  config: { catalog: undefined, topicArn: 'arn:aws:sns:us-east-1:222222222222:t' },
  now: () => new Date(),
} as unknown as StepDeps;

describe('close-orphaned-case input', () => {
  it('accepts AWS\'s documented Execution Timed Out event (fixtures/events/states-execution-timed-out.json)', () => {
    const event = ExecutionStatusChangeEventSchema.parse(JSON.parse(fs.readFileSync(FIXTURE, 'utf8')));
    expect(event.detail).toMatchObject({ status: 'TIMED_OUT', name: 'execution-name', startDate: 1551224926156, stopDate: 1551224927157, input: '{}' });
  });

  it('gives the local runner\'s events the documented shape: the same keys as the example', () => {
    const documented = JSON.parse(fs.readFileSync(FIXTURE, 'utf8'));
    const local = executionStatusChangeEvent({
      region: 'us-east-1', account: '222222222222', stateMachineName: 'firebreak-ec2-compromise', executionName: 'x', status: 'TIMED_OUT',
      startDate: 1, stopDate: 2, input: { a: 1 },
    });
    expect(Object.keys(local).sort()).toEqual(Object.keys(documented).sort());
    expect(Object.keys(local.detail).sort()).toEqual(Object.keys(documented.detail).sort());
    expect(ExecutionStatusChangeEventSchema.parse(local).detail.input).toBe('{"a":1}');
  });

  it('does nothing for an execution whose input no Firebreak playbook opened a case for, nor for a status that is not an end', async () => {
    const event = ExecutionStatusChangeEventSchema.parse(JSON.parse(fs.readFileSync(FIXTURE, 'utf8')));
    await expect(closeOrphanedCase(event, untouchable)).resolves.toEqual({ action: 'not-owner', notified: false });
    const running = { ...event, detail: { ...event.detail, status: 'RUNNING' as const } };
    await expect(closeOrphanedCase(running, untouchable)).resolves.toEqual({ action: 'ignored', notified: false });
  });

  it('reads the input with DescribeExecution when the event left it out (over 248 KB), and does nothing when there is none', async () => {
    const event = ExecutionStatusChangeEventSchema.parse(JSON.parse(fs.readFileSync(FIXTURE, 'utf8')));
    const noInput = { ...event, detail: { ...event.detail, input: null } };
    const asked: unknown[] = [];
    // Only the SFN client: the ledger and SNS stay untouchable, so reaching them fails the test.
    const withSfn = (input: string | undefined) => ({
      ...untouchable,
      clients: { security: () => ({ sfn: { send: async (cmd: { input: unknown }) => { asked.push(cmd.input); return { input }; } } }) },
    }) as unknown as StepDeps;
    await expect(closeOrphanedCase(noInput, withSfn(undefined))).resolves.toEqual({ action: 'not-owner', notified: false });
    await expect(closeOrphanedCase(noInput, withSfn('{}'))).resolves.toEqual({ action: 'not-owner', notified: false });
    expect(asked).toEqual([{ executionArn: event.detail.executionArn }, { executionArn: event.detail.executionArn }]);
  });
});
