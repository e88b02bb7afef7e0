import { DescribeTasksCommand } from '@aws-sdk/client-ecs';
import { validateDrill } from '../../lib/harness/gameday/drill';
import { approvalExpectation } from '../../lib/harness/gameday/expectations/approval';
import type { InjectionContext } from '../../lib/harness/gameday/expectations/expectation';
import { runDrill } from '../../lib/harness/gameday/run-drill';
import type { LocalExecutionResult } from '../../lib/harness/local/runner';
import { useLocalSession } from '../support/local';
import { readCase } from '../support/read-back';

/**
 * A drill's `approval` (lib/harness/gameday/approvals.ts, expectations/approval.ts) on small ecs-task-compromise drills
 * written here, against the emulator: the drill answers the approval a High task finding asks for, after reading the
 * task back while the case waits; an approval nobody declared is denied at once (not left to the hour-long timeout) and
 * fails the injection; one declared where none is asked fails too; and the read-back fails when the member account
 * changed before the answer.
 */

const FILE = 'runbooks/ecs-task-compromise/drill-test.yaml';
const ECS = '../../fixtures/events/guardduty-runtime-ecs-crypto.json';

function drill(injections: Record<string, unknown>[]) {
  return validateDrill(
    { name: 'approvals-test', description: 'approval test', runbook: 'ecs-task-compromise', budget: { containSeconds: 30 }, injections },
    FILE,
  );
}

describe('drill approvals', () => {
  // An approval nobody answers times out after 20 s here (not the deployment's hour): a drill that hung would fail the test.
  const local = useLocalSession({ taskTokenTimeoutMs: 20_000 });
  const dir = `${process.cwd()}/runbooks/ecs-task-compromise`;
  const task = async (arn: string) =>
    (await local.session.env.member.ecs.send(new DescribeTasksCommand({ cluster: arn.split('/')[1], tasks: [arn] }))).tasks![0];

  it('approves: the task read back running while the case waits, then stopped by the case; the answer on the ledger', async () => {
    const s = await runDrill(
      local.session,
      drill([
        {
          name: 'approved',
          event: ECS,
          mutate: { freshIds: true },
          approval: { decision: 'approve', reason: 'miner confirmed' },
          expect: { status: 'SUCCEEDED', outcome: 'CONTAINED', checks: 'all' },
        },
      ]),
      dir,
    );
    const i = s.injections[0];
    expect(i.verdicts.filter((v) => !v.passed)).toEqual([]);
    const byName = Object.fromEntries(i.report.checks.map((c) => [c.name, c]));
    expect(Object.keys(byName)).toEqual(
      expect.arrayContaining([
        'awaiting-approval:task-running',
        'nothing-changed-before-approval',
        'approval-recorded',
        'task-stopped',
        'task-evidence-manifest',
      ]),
    );
    const caseId = i.report.executions[0].caseId!;
    const { item } = await readCase(local.session.env, caseId);
    expect(item!.approval.answer).toMatchObject({ decision: 'approve', action: 'contain', reason: 'miner confirmed' });
    const taskArn = item!.resourceId as string;
    expect(await task(taskArn)).toMatchObject({ lastStatus: 'STOPPED', stoppedReason: expect.stringContaining(caseId) });
  }, 120_000);

  it('denies an approval the injection does not declare at once, fails the injection, and the task keeps running', async () => {
    const s = await runDrill(
      local.session,
      drill([{ name: 'undeclared', event: ECS, mutate: { freshIds: true }, expect: { status: 'SUCCEEDED', checks: 'all' } }]),
      dir,
    );
    const i = s.injections[0];
    expect(i.passed).toBe(false);
    expect(i.verdicts.find((v) => v.name === 'approval')).toMatchObject({
      passed: false,
      details: expect.stringMatching(/does not declare/),
    });
    expect(i.report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'NOTIFIED' });
    const { item } = await readCase(local.session.env, i.report.executions[0].caseId!);
    // Denied by the drill as the operator, not left to the timeout (which records decision and by `timeout`).
    expect(item!.approval.answer).toMatchObject({
      decision: 'deny',
      action: 'notify',
      by: expect.stringMatching(/^arn:aws:iam::\d{12}:user\//),
    });
    expect(await task(item!.resourceId as string)).toMatchObject({ lastStatus: 'RUNNING', desiredStatus: 'RUNNING' });
  }, 120_000);

  it('fails an approval declared where the playbook asks none (a Medium finding is notify-only)', async () => {
    const s = await runDrill(
      local.session,
      drill([
        {
          name: 'nothing to approve',
          event: ECS,
          mutate: { freshIds: true, severity: 5 },
          approval: { decision: 'approve', reason: 'x' },
          expect: { status: 'SUCCEEDED', outcome: 'NOTIFIED', checks: 'all' },
        },
      ]),
      dir,
    );
    expect(s.injections[0].verdicts.find((v) => v.name === 'approval')).toMatchObject({
      passed: false,
      details: 'no approval was requested (the injection declares approve)',
    });
  }, 120_000);

  it('fails nothing-changed-before-approval when a member-account call changed something before the answer', async () => {
    const s = await runDrill(
      local.session,
      drill([
        {
          name: 'denied',
          event: ECS,
          mutate: { freshIds: true },
          approval: { decision: 'deny', reason: 'test' },
          expect: { status: 'SUCCEEDED' },
        },
      ]),
      dir,
    );
    const x = s.injections[0].report.executions[0];
    const answered = { caseId: x.caseId!, decision: 'deny' as const, answeredAt: Date.now(), awaiting: [] };
    // The same case's execution, with one StopTask in the member account a second before the answer.
    const early: LocalExecutionResult = {
      caseId: x.caseId,
      calls: [
        {
          operation: 'ECS.StopTask',
          mutating: true,
          startedAt: answered.answeredAt - 1000,
          endedAt: 0,
          account: local.session.env.memberAccount,
          context: {},
        },
      ],
    } as unknown as LocalExecutionResult;
    const ctx = {
      session: local.session,
      injection: { approval: { decision: 'deny', reason: 'test' } },
      outcome: { approvals: [answered] },
      executions: [early],
    } as unknown as InjectionContext;
    const { checks } = await approvalExpectation.judge(ctx);
    expect(checks!.find((c) => c.name === 'nothing-changed-before-approval')).toMatchObject({
      passed: false,
      details: expect.stringMatching(/1 mutating call.*ECS\.StopTask/),
    });
    // A call after the answer is not counted.
    (early.calls[0] as { startedAt: number }).startedAt = answered.answeredAt + 1;
    expect((await approvalExpectation.judge(ctx)).checks!.find((c) => c.name === 'nothing-changed-before-approval')?.passed).toBe(true);
  }, 120_000);
});
