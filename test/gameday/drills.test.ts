import * as path from 'node:path';
import { listDrills, readDrill } from '../../lib/harness/gameday/drill';
import { DrillScorecard, renderScorecard, runDrill } from '../../lib/harness/gameday/run-drill';
import { activeInterceptors } from '../../lib/runtime/sdk-hooks';
import { LAMBDA_TASK_RETRY } from '../../lib/infra/playbook-states';
import { useLocalSession } from '../support/local';

/**
 * Every drill under runbooks/ passes on one local session, as `firebreak gameday --all` runs them:
 * the runbooks' drills and the unexpected-event drills (issue 5, "Unexpected-event drills behave as
 * stated"). Each fault a drill declares really fired.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const DRILLS = listDrills(path.join(ROOT, 'runbooks')).map((f) => path.relative(ROOT, f));
const scorecards = new Map<string, DrillScorecard>();

describe('every drill under runbooks/', () => {
  const local = useLocalSession();

  it('finds the drills of every runbook, and unexpected-event drills', () => {
    for (const runbook of [
      'ec2-compromise',
      'credential-compromise',
      'cloudtrail-tamper',
      'root-activity',
      's3-compromise',
      'lambda-compromise',
      'ecs-task-compromise',
      'rds-compromise',
    ]) {
      expect(DRILLS).toContain(path.join('runbooks', runbook, 'drill.yaml'));
    }
    expect(DRILLS).toEqual(
      expect.arrayContaining([
        path.join('runbooks', 'ec2-compromise', 'drill-unexpected.yaml'),
        path.join('runbooks', 'credential-compromise', 'drill-unexpected.yaml'),
        path.join('runbooks', 's3-compromise', 'drill-unexpected.yaml'),
        path.join('runbooks', 'lambda-compromise', 'drill-unexpected.yaml'),
        path.join('runbooks', 'ecs-task-compromise', 'drill-unexpected.yaml'),
        path.join('runbooks', 'rds-compromise', 'drill-unexpected.yaml'),
        path.join('runbooks', 'ec2-compromise', 'drill-containers-unexpected.yaml'),
      ]),
    );
  });

  it.each(DRILLS.map((f) => [f]))(
    '%s passes',
    async (file) => {
      const { drill, dir } = readDrill(path.join(ROOT, file));
      const s = await runDrill(local.session, drill, dir);
      scorecards.set(file, s);
      const failures = s.injections.flatMap((i) => i.verdicts.filter((v) => !v.passed).map((v) => `${i.name}: ${v.name}: ${v.details}`));
      if (failures.length) process.stderr.write(`${renderScorecard(s).join('\n')}\n`);
      expect(failures).toEqual([]);
      expect(s.passed).toBe(true);
      expect(s.injections).toHaveLength(drill.injections.length);
      // Every declared fault fired, and none was left registered.
      for (const i of s.injections)
        for (const f of i.faults ?? [])
          expect({ injection: i.name, fault: f.declared, fired: f.injected > 0 }).toEqual({
            injection: i.name,
            fault: f.declared,
            fired: true,
          });
      expect(activeInterceptors()).toEqual([]);
    },
    300_000,
  );

  describe('the unexpected-event drills behave as stated', () => {
    const injection = (file: string, name: RegExp) => {
      const s = scorecards.get(path.join('runbooks', ...file.split('/')));
      if (!s) throw new Error(`${file} did not run`);
      const i = s.injections.find((x) => name.test(x.name));
      if (!i) throw new Error(`${file}: no injection matches ${name}`);
      return i;
    };

    it('repeated and concurrent events produce exactly one containment', () => {
      for (const [file, name, runs] of [
        ['ec2-compromise/drill-unexpected.yaml', /three times in a row/, 3],
        ['ec2-compromise/drill-unexpected.yaml', /twice at once/, 2],
        ['credential-compromise/drill-unexpected.yaml', /three times in a row/, 3],
        ['credential-compromise/drill-unexpected.yaml', /twice at once/, 2],
        ['cloudtrail-tamper/drill-unexpected.yaml', /twice at once/, 2],
        ['rds-compromise/drill-unexpected.yaml', /three times in a row/, 3],
        ['rds-compromise/drill-unexpected.yaml', /twice at once/, 2],
        ['ecs-task-compromise/drill-unexpected.yaml', /same High task finding twice at once/, 2],
        ['ec2-compromise/drill-containers-unexpected.yaml', /same High pod finding twice at once/, 2],
      ] as const) {
        const i = injection(file, name);
        expect(i.runs).toHaveLength(runs);
        expect(i.runs!.filter((r) => r.outcome === 'CONTAINED')).toHaveLength(1);
        expect(i.runs!.filter((r) => r.status === 'ALREADY_HANDLED')).toHaveLength(runs - 1);
        expect(new Set(i.runs!.map((r) => r.caseId)).size).toBe(1);
        expect(i.report.checks.find((c) => c.name === 'one-case-for-resource')?.passed).toBe(true);
      }
    });

    it('approvals: the case waited with nothing changed in the member account, the answer is on the ledger, and it decided the end', () => {
      for (const [file, name, decision, outcome, awaiting] of [
        ['ecs-task-compromise/drill.yaml', /High crypto miner .* approved/, 'approve', 'CONTAINED', 'awaiting-approval:task-running'],
        ['ecs-task-compromise/drill.yaml', /person denies/, 'deny', 'NOTIFIED', 'awaiting-approval:task-running'],
        [
          'ec2-compromise/drill-containers.yaml',
          /High reverse shell .* approved/,
          'approve',
          'CONTAINED',
          'awaiting-approval:security-groups-unchanged',
        ],
        ['ec2-compromise/drill-containers.yaml', /person denies/, 'deny', 'NOTIFIED', 'awaiting-approval:security-groups-unchanged'],
      ] as const) {
        const i = injection(file, name);
        expect({ name: i.name, outcome: i.report.executions[0].outcome }).toEqual({ name: i.name, outcome });
        expect(i.verdicts.find((v) => v.name === 'approval')).toMatchObject({ passed: true, details: expect.stringContaining(decision) });
        for (const check of [awaiting, 'nothing-changed-before-approval', 'approval-recorded'])
          expect({ name: i.name, check, passed: i.report.checks.find((c) => c.name === check)?.passed }).toEqual({
            name: i.name,
            check,
            passed: true,
          });
      }
    });

    it('recoverable faults end contained, after the state machine retried the step', () => {
      for (const [file, name, operation] of [
        ['ec2-compromise/drill-unexpected.yaml', /throttled ENI isolation/, 'EC2.ModifyNetworkInterfaceAttribute'],
        ['ec2-compromise/drill-unexpected.yaml', /throttled snapshot copies/, 'EC2.CopySnapshot'],
        ['ec2-compromise/drill-unexpected.yaml', /5xx errors/, 'EC2.ModifyInstanceAttribute'],
        ['credential-compromise/drill-unexpected.yaml', /throttled key deactivation/, 'IAM.UpdateAccessKey'],
        ['credential-compromise/drill-unexpected.yaml', /5xx error on attaching AWSDenyAll/, 'IAM.AttachUserPolicy'],
        ['rds-compromise/drill-unexpected.yaml', /throttled CreateDBSnapshot/, 'RDS.CreateDBSnapshot'],
        ['rds-compromise/drill-unexpected.yaml', /5xx error on ModifyDBInstance/, 'RDS.ModifyDBInstance'],
        ['ecs-task-compromise/drill-unexpected.yaml', /throttled StopTask/, 'ECS.StopTask'],
      ] as const) {
        const i = injection(file, name);
        const x = i.report.executions[0];
        expect({ name: i.name, status: x.status, outcome: x.outcome }).toEqual({ name: i.name, status: 'SUCCEEDED', outcome: 'CONTAINED' });
        const fault = i.faults!.find((f) => f.operation === operation)!;
        expect(fault.injected).toBeGreaterThan(0);
        // The failed calls are in the report: more calls of the operation than faults injected (the retries got through).
        expect(i.report.apiCalls.byOperation[operation]).toBeGreaterThan(fault.injected);
        // The step that saw the fault failed at least once and ended SUCCEEDED.
        const steps = x.steps.filter((st) => Object.keys(fault.bySteps).includes(st.name));
        expect(steps.length).toBeGreaterThan(0);
        for (const st of steps)
          expect({ step: st.name, status: st.status, error: st.error }).toEqual({
            step: st.name,
            status: 'SUCCEEDED',
            error: expect.stringMatching(/Throttled|TransientAwsError/),
          });
        expect(i.verdicts.find((v) => v.name === 'behaviour recover')).toMatchObject({
          passed: true,
          details: expect.stringMatching(/succeeded in a later invocation/),
        });
      }
    });

    it("an injected throttle is not retried by the SDK: sustained throttling makes exactly one call per state invocation, 1 + the Retry's MaxAttempts in all, then fails loudly", () => {
      const i = injection('credential-compromise/drill-unexpected.yaml', /never stops/);
      const fault = i.faults![0];
      const attempts = 1 + (LAMBDA_TASK_RETRY.maxAttempts ?? 3);
      expect(fault).toMatchObject({ kind: 'throttle', injected: attempts, matchingCalls: attempts });
      expect(i.report.executions[0]).toMatchObject({ status: 'FAILED', error: { message: expect.stringMatching(/Throttled/) } });
    });

    it('unrecoverable faults end FAILED, never SUCCEEDED, with a notification and a timeline entry', () => {
      for (const [file, name] of [
        ['ec2-compromise/drill-unexpected.yaml', /denied ENI isolation/],
        ['credential-compromise/drill-unexpected.yaml', /denied AttachUserPolicy/],
        ['credential-compromise/drill-unexpected.yaml', /never stops/],
        ['cloudtrail-tamper/drill-unexpected.yaml', /denied deactivation/],
        ['rds-compromise/drill-unexpected.yaml', /denied ModifyDBInstance/],
        ['ecs-task-compromise/drill-unexpected.yaml', /denied StopTask/],
        ['ec2-compromise/drill-containers-unexpected.yaml', /denied isolation, once approved/],
      ] as const) {
        const i = injection(file, name);
        expect(i.expectedBehaviour).toBe('fail-loudly');
        expect(i.report.executions.map((x) => x.status)).toEqual(['FAILED']);
        for (const check of ['case-status-failed', 'timeline-failed-entry', 'failure-notified']) {
          expect({ name: i.name, check, passed: i.report.checks.find((c) => c.name === check)?.passed }).toEqual({
            name: i.name,
            check,
            passed: true,
          });
        }
      }
    });

    it('a terminated instance, before the finding or right after Contain, ends RESOURCE_GONE, recorded and notified', () => {
      for (const name of [/terminated before it arrived/, /terminated right after Contain/]) {
        const i = injection('ec2-compromise/drill-unexpected.yaml', name);
        expect(i.faults![0]).toMatchObject({
          kind: 'delete-resource',
          injected: 1,
          deleted: expect.stringMatching(/^instance i-\w+ \(terminated\)$/),
        });
        expect(i.report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'RESOURCE_GONE' });
        for (const check of ['case-status-resource-gone', 'instance-really-gone', 'resource-gone-notified']) {
          expect(i.report.checks.find((c) => c.name === check)?.passed).toBe(true);
        }
      }
      // Half way: Contain ran on the live instance, then the next step found it gone.
      const halfWay = injection('ec2-compromise/drill-unexpected.yaml', /right after Contain/).report.executions[0];
      expect(halfWay.steps.find((s) => s.name === 'Contain')?.status).toBe('SUCCEEDED');
      expect(halfWay.steps.find((s) => s.name === 'SnapshotVolumes')).toMatchObject({
        status: 'FAILED',
        error: expect.stringMatching(/ResourceGone/),
      });
    });

    it('a leaked key deleted before the event still denies the user (CONTAINED); a deleted user ends RESOURCE_GONE', () => {
      const key = injection('credential-compromise/drill-unexpected.yaml', /leaked key deleted before the event/);
      expect(key.faults![0]).toMatchObject({
        kind: 'delete-resource',
        injected: 1,
        deleted: expect.stringMatching(/^access key AKIA\w+ of \S+ \(deleted\)$/),
      });
      expect(key.report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
      for (const check of ['finding-key-deleted', 'other-key-still-active', 'deny-all-policy-on-user', 'revocation-lists-user-keys']) {
        expect({ check, passed: key.report.checks.find((c) => c.name === check)?.passed }).toEqual({ check, passed: true });
      }
      const user = injection('credential-compromise/drill-unexpected.yaml', /IAM user deleted before the event/);
      expect(user.report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'RESOURCE_GONE' });
      for (const check of ['case-status-resource-gone', 'user-really-gone', 'resource-gone-notified']) {
        expect({ check, passed: user.report.checks.find((c) => c.name === check)?.passed }).toEqual({ check, passed: true });
      }
    });

    it('a DB instance deleted before the RDS finding ends RESOURCE_GONE, recorded and notified', () => {
      const i = injection('rds-compromise/drill-unexpected.yaml', /DB instance deleted before the event/);
      expect(i.faults![0]).toMatchObject({
        kind: 'delete-resource',
        injected: 1,
        deleted: expect.stringMatching(/^DB instance \S+ \(deleted\)$/),
      });
      expect(i.report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'RESOURCE_GONE' });
      expect(i.report.executions[0].steps.find((st) => st.name === 'PreserveDatabase')).toMatchObject({
        status: 'FAILED',
        error: expect.stringMatching(/ResourceGone/),
      });
      for (const check of ['case-status-resource-gone', 'resource-gone-notified']) {
        expect({ check, passed: i.report.checks.find((c) => c.name === check)?.passed }).toEqual({ check, passed: true });
      }
    });

    it('a crash right after each mutating RDS call and the manifest write is recovered: one evidence copy, its manifest, the database no longer public', () => {
      for (const name of [
        /after CreateDBSnapshot/,
        /after the copy under the transit key/,
        /after ModifyDBSnapshotAttribute/,
        /after the security account's copy/,
        /after the manifest's write/,
        /after ModifyDBInstance/,
      ]) {
        const i = injection('rds-compromise/drill-unexpected.yaml', name);
        expect(i.faults![0]).toMatchObject({ kind: 'crash', injected: 1 });
        expect(i.report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
        for (const check of ['database-evidence-in-security-account', 'database-evidence-manifest', 'database-not-public']) {
          expect({ name: i.name, check, passed: i.report.checks.find((c) => c.name === check)?.passed }).toEqual({
            name: i.name,
            check,
            passed: true,
          });
        }
      }
    });

    it('a sample finding is a dry run with zero mutating calls', () => {
      for (const file of [
        'ec2-compromise/drill-unexpected.yaml',
        'credential-compromise/drill-unexpected.yaml',
        'rds-compromise/drill-unexpected.yaml',
      ]) {
        const i = injection(file, /sample (RDS )?finding/);
        expect(i.report.executions[0].status).toBe('DRY_RUN');
        expect(i.report.apiCalls.mutating).toBe(0);
      }
    });
  });
});
