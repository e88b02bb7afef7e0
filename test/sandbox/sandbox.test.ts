import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { connectLocal } from '../../lib/operator/connection';
import {
  cleanupGameDay,
  countLeftovers,
  createCanaries,
  sandboxClients,
  SandboxClients,
  unfinishedGameDays,
} from '../../lib/harness/sandbox/gameday';
import { runSandboxGameDay } from '../../lib/harness/sandbox/run';
import { useLocalSession } from '../support/local';
import { cli } from '../support/cli';

/**
 * Sandbox mode against the emulator "as if it were the account": the local stack stands in for the
 * deployed automation (its Step Functions endpoint routes PutEvents through the synthesized rules), and
 * the harness reaches it only through the AWS APIs it would use in AWS (EC2, IAM, EventBridge, the
 * DynamoDB ledger), as the stack's operator user.
 */
describe('game day in a sandbox account (gameday --target aws), against the local stack', () => {
  const local = useLocalSession();
  let c: SandboxClients;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fb-cleanup-'));

  beforeAll(async () => {
    c = sandboxClients(await connectLocal(local.session.sfn.endpoint));
  });

  it('creates tagged canaries, has the automation contain them, verifies, and cleans up with zero leftovers', async () => {
    const lines: string[] = [];
    const result = await runSandboxGameDay(c, { cleanupDir: dir, timeoutSeconds: 120, pollMs: 200, log: (l) => lines.push(l) });
    expect(result.checks.filter((x) => !x.passed)).toEqual([]);
    expect(result.passed).toBe(true);
    expect(result.cases.map((x) => [x.kind, x.status])).toEqual([
      ['instance', 'CONTAINED'],
      ['access-key', 'CONTAINED'],
    ]);
    expect(result.checks.map((x) => x.name)).toEqual(
      expect.arrayContaining([
        'canary-isolated',
        'canary-termination-protected',
        'canary-key-inactive',
        'canary-user-denied',
        'zero-leftovers',
      ]),
    );
    expect(result.leftovers).toEqual({ instances: 0, volumes: 0, snapshots: 0, securityGroups: 0, subnets: 0, vpcs: 0, users: 0 });
    // Counted again, independently: nothing of the game day is left in the account.
    const caseIds = result.cases.map((x) => x.caseId!);
    expect(await countLeftovers(c, result.runId, caseIds)).toEqual(result.leftovers);
    const instance = (await c.ec2.send(new DescribeInstancesCommand({ InstanceIds: [result.canaries!.instanceId] }))).Reservations?.[0]
      ?.Instances?.[0];
    expect(instance?.State?.Name ?? 'terminated').toBe('terminated');
    // The executions were started by the rules, not by the harness.
    expect(local.session.sfn.list().filter((x) => JSON.parse(x.input).source === 'firebreak.gameday').length).toBe(2);
    expect(unfinishedGameDays(dir).map((l) => l.runId)).not.toContain(result.runId);
  }, 300_000);

  it('finishes an interrupted game day from its cleanup ledger (gameday cleanup)', async () => {
    const runId = `gd-interrupted-${Date.now().toString(36)}`;
    // Interrupted right after the canaries were created: the cleanup ledger is all that is left.
    const { canaries } = await createCanaries(c, runId, dir);
    expect(unfinishedGameDays(dir).map((l) => l.runId)).toContain(runId);
    const before = await countLeftovers(c, runId);
    expect(before).toMatchObject({ instances: 1, vpcs: 1, subnets: 1, users: 1 });
    const left = await cleanupGameDay(c, runId, [], dir, 100);
    expect(left).toEqual({ instances: 0, volumes: 0, snapshots: 0, securityGroups: 0, subnets: 0, vpcs: 0, users: 0 });
    expect(unfinishedGameDays(dir).map((l) => l.runId)).not.toContain(runId);
    // Running it again changes nothing and still counts zero.
    expect(await cleanupGameDay(c, runId, [], dir, 100)).toEqual(left);
    expect(canaries.instanceId).toMatch(/^i-/);
  }, 300_000);

  describe('through the CLI', () => {
    it('runs gameday --target aws for an ec2-compromise drill: one canary instance, contained, cleaned up', async () => {
      const r = await cli([
        'gameday',
        'runbooks/ec2-compromise/drill.yaml',
        '--target',
        'aws',
        '--endpoint',
        local.session.sfn.endpoint,
        '--timeout',
        '120',
        '--json',
      ]);
      const result = JSON.parse(r.stdout.join('\n'));
      expect(result.checks.filter((x: { passed: boolean }) => !x.passed)).toEqual([]);
      expect(r.code).toBe(0);
      expect(result.cases).toEqual([expect.objectContaining({ kind: 'instance', status: 'CONTAINED' })]);
      expect(result.leftovers).toEqual({ instances: 0, volumes: 0, snapshots: 0, securityGroups: 0, subnets: 0, vpcs: 0, users: 0 });
    }, 300_000);

    it('finishes an interrupted game day with gameday cleanup, and refuses when there is none', async () => {
      const runId = `gd-cli-${Date.now().toString(36)}`;
      await createCanaries(c, runId); // interrupted: the default cleanup ledger (.firebreak/gameday) remains
      const r = await cli(['gameday', 'cleanup', '--run-id', runId, '--endpoint', local.session.sfn.endpoint]);
      expect(r.stdout).toEqual([`${runId}: cleaned up, nothing left`]);
      expect(r.code).toBe(0);
      expect(await countLeftovers(c, runId)).toEqual({
        instances: 0,
        volumes: 0,
        snapshots: 0,
        securityGroups: 0,
        subnets: 0,
        vpcs: 0,
        users: 0,
      });
      const again = await cli(['gameday', 'cleanup', '--run-id', runId, '--endpoint', local.session.sfn.endpoint]);
      expect(again.code).toBe(2);
      expect(again.stderr).toEqual([expect.stringMatching(/no unfinished game day/)]);
    }, 300_000);

    it('refuses a drill without canaries and a bad target before any AWS call', async () => {
      const r = await cli(['gameday', 'runbooks/root-activity/drill.yaml', '--target', 'aws', '--endpoint', 'http://127.0.0.1:9']);
      expect(r.code).toBe(2);
      expect(r.stderr).toEqual([expect.stringMatching(/root-activity has none/)]);
      const t = await cli(['gameday', '--target', 'azure']);
      expect(t.code).toBe(2);
      expect(t.stderr).toEqual([expect.stringMatching(/--target azure: expected local or aws/)]);
    });
  });
});
