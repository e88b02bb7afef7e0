import * as fs from 'node:fs';
import * as path from 'node:path';
import { closeOrphanedCase, ExecutionStatusChangeEventSchema } from '../../../lib/runtime/playbook/shared/close-orphaned-case';
import type { StepDeps } from '../../../lib/runtime/playbook/deps';
import { executionStatusChangeEvent } from '../../../lib/harness/local/status-events';
import fc from 'fast-check';
import { OPERATOR_PLAYBOOKS, PLAYBOOKS, playbookOfStateMachine } from '../../../lib/core/catalog/catalog';
import { NAME_PREFIX_PATTERN, stateMachineName } from '../../../lib/core/names';

const FIXTURE = path.join(__dirname, '..', '..', '..', 'fixtures', 'events', 'states-execution-timed-out.json');

/** Dependencies that fail the test if the step reaches the ledger or SNS. */
const untouchable = {
  ledger: new Proxy(
    {},
    {
      get: (_t, p) => () => {
        throw new Error(`ledger.${String(p)} called`);
      },
    },
  ),
  clients: {
    security: () => {
      throw new Error('SNS used');
    },
  },
  config: { catalog: undefined, topicArn: 'arn:aws:sns:us-east-1:222222222222:t' },
  now: () => new Date(),
} as unknown as StepDeps;

describe('close-orphaned-case input', () => {
  it("accepts AWS's documented Execution Timed Out event (fixtures/events/states-execution-timed-out.json)", () => {
    const event = ExecutionStatusChangeEventSchema.parse(JSON.parse(fs.readFileSync(FIXTURE, 'utf8')));
    expect(event.detail).toMatchObject({
      status: 'TIMED_OUT',
      name: 'execution-name',
      startDate: 1551224926156,
      stopDate: 1551224927157,
      input: '{}',
    });
  });

  it("gives the local runner's events the documented shape: the same keys as the example", () => {
    const documented = JSON.parse(fs.readFileSync(FIXTURE, 'utf8'));
    const local = executionStatusChangeEvent({
      region: 'us-east-1',
      account: '222222222222',
      stateMachineName: 'firebreak-ec2-compromise',
      executionName: 'x',
      status: 'TIMED_OUT',
      startDate: 1,
      stopDate: 2,
      input: { a: 1 },
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
    // A Firebreak playbook's execution (the documented example's state machine is no playbook's: nothing is read for it).
    const stateMachineArn = 'arn:aws:states:us-east-1:012345678912:stateMachine:firebreak-ec2-compromise';
    const noInput = { ...event, detail: { ...event.detail, stateMachineArn, input: null } };
    const asked: unknown[] = [];
    // Only the SFN client: the ledger and SNS stay untouchable, so reaching them fails the test.
    const withSfn = (input: string | undefined) =>
      ({
        ...untouchable,
        clients: {
          security: () => ({
            sfn: {
              send: async (cmd: { input: unknown }) => {
                asked.push(cmd.input);
                return { input };
              },
            },
          }),
        },
      }) as unknown as StepDeps;
    await expect(closeOrphanedCase(noInput, withSfn(undefined))).resolves.toEqual({ action: 'not-owner', notified: false });
    await expect(closeOrphanedCase(noInput, withSfn('{}'))).resolves.toEqual({ action: 'not-owner', notified: false });
    expect(asked).toEqual([{ executionArn: event.detail.executionArn }, { executionArn: event.detail.executionArn }]);
  });
});

describe('close-orphaned-case under any name prefix (issue 12: `<prefix>-<playbook>`)', () => {
  it('finds the catalog playbook of a state machine whatever the prefix, and none for release or a foreign name', () => {
    const prefix = fc.stringMatching(NAME_PREFIX_PATTERN);
    fc.assert(
      fc.property(
        prefix,
        fc.constantFrom(...PLAYBOOKS),
        (pre, playbook) => playbookOfStateMachine(stateMachineName(playbook, pre)) === playbook,
      ),
    );
    fc.assert(
      fc.property(
        prefix,
        fc.constantFrom(...OPERATOR_PLAYBOOKS),
        (pre, playbook) => playbookOfStateMachine(stateMachineName(playbook, pre)) === undefined,
      ),
    );
    expect(playbookOfStateMachine('ec2-compromise')).toBeUndefined();
    expect(playbookOfStateMachine('-ec2-compromise')).toBeUndefined();
    expect(playbookOfStateMachine('Blue-ec2-compromise')).toBeUndefined();
  });

  it("looks up the claim of the ended execution's resource when the deployment's prefix is not firebreak", async () => {
    const finding = fs.readFileSync(
      path.join(__dirname, '..', '..', '..', 'fixtures', 'events', 'guardduty-ec2-backdoor-two-enis-ipv6.json'),
      'utf8',
    );
    const instanceId = (JSON.parse(finding) as { detail: { resource: { instanceDetails: { instanceId: string } } } }).detail.resource
      .instanceDetails.instanceId;
    const event = ExecutionStatusChangeEventSchema.parse(JSON.parse(fs.readFileSync(FIXTURE, 'utf8')));
    const ended = {
      ...event,
      detail: {
        ...event.detail,
        stateMachineArn: 'arn:aws:states:us-east-1:111111111111:stateMachine:blue-team-ec2-compromise',
        input: finding,
      },
    };
    const asked: { playbook: string; resource: { id: string } }[] = [];
    const deps = {
      ...untouchable,
      config: { ...untouchable.config, catalog: (await import('../../../lib/core/catalog/catalog')).effectiveCatalog({}, 4) },
      // The resource's claim is another execution's: the step must stop there, touching nothing.
      ledger: {
        findClaim: async (i: { playbook: string; resource: { id: string } }) => {
          asked.push(i);
          return { caseId: 'fb-20260101-0123456789', owner: 'another', status: 'IN_PROGRESS' };
        },
      },
    } as unknown as StepDeps;
    await expect(closeOrphanedCase(ended, deps)).resolves.toEqual({
      action: 'not-owner',
      caseId: 'fb-20260101-0123456789',
      notified: false,
    });
    expect(asked.map((i) => [i.playbook, i.resource.id])).toEqual([['ec2-compromise', instanceId]]);
  });
});
