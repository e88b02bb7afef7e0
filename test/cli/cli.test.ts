import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import {
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotsCommand,
} from '@aws-sdk/client-ec2';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';

import { runCli } from '../../lib/cli/program';
import type { Output } from '../../lib/cli/output';
import { TAG } from '../../lib/core/tags';
import { LOCAL_MEMBER_ACCOUNT, LOCAL_SECURITY_ACCOUNT } from '../../lib/harness/local/accounts';
import { harnessClients } from '../../lib/harness/local/harness-clients';
import { useEmulator } from '../support/emulator';

const ROOT = path.resolve(__dirname, '..', '..');
const FIXTURES = path.join(ROOT, 'fixtures', 'events');
/** Nothing listens here: any AWS call made with this endpoint fails with a connection error. */
const DEAD_ENDPOINT = 'http://127.0.0.1:9';

/** An Output that records every line. */
function capture(): Output & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (line) => stdout.push(line), err: (line) => stderr.push(line) };
}

async function run(argv: string[]): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
  const output = capture();
  const code = await runCli(argv, output);
  return { code, stdout: output.stdout, stderr: output.stderr };
}

/** The lines written, with multi-line writes split. */
function lines(written: string[]): string[] {
  return written.flatMap((w) => w.split('\n'));
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'firebreak-cli-test-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function tempFile(name: string, content: string): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, content);
  return file;
}

describe('runCli', () => {
  describe('help', () => {
    it.each([[['--help']], [['replay', '--help']], [['gameday', '--help']]])(
      'exits 0 for %j and documents the exit codes',
      async (argv) => {
        const { code, stdout } = await run(argv);

        expect(code).toBe(0);
        const text = lines(stdout).join('\n');
        expect(text).toContain('Exit codes:');
        expect(text).toMatch(/^\s*0\s+\S/m);
        expect(text).toMatch(/^\s*1\s+\S/m);
        expect(text).toMatch(/^\s*2\s+invalid input/m);
      },
    );

    it('names both commands in the top-level help', async () => {
      const text = lines((await run(['--help'])).stdout).join('\n');

      expect(text).toContain('replay');
      expect(text).toContain('gameday');
    });
  });

  describe('invalid input', () => {
    /** Asserts the documented contract: exit 2, one `firebreak: error:` line on stderr, nothing on stdout. */
    function expectInvalidInput(result: { code: number; stdout: string[]; stderr: string[] }, mention: string): void {
      expect(result.code).toBe(2);
      expect(result.stdout).toEqual([]);
      expect(lines(result.stderr)).toHaveLength(1);
      expect(result.stderr[0]).toMatch(/^firebreak: error: /);
      expect(result.stderr[0]).toContain(mention);
    }

    it('rejects a replay of a file that does not exist without any AWS call', async () => {
      const missing = path.join(tmp, 'does-not-exist.json');

      expectInvalidInput(await run(['replay', missing, '--endpoint', DEAD_ENDPOINT]), missing);
    });

    it('rejects a replay of a file that is not JSON without any AWS call', async () => {
      const file = tempFile('not-json.json', '{ "id": "abc", this is not JSON');

      expectInvalidInput(await run(['replay', file, '--endpoint', DEAD_ENDPOINT]), file);
    });

    it('rejects a replay of an empty file without any AWS call', async () => {
      const file = tempFile('empty.json', '');

      expectInvalidInput(await run(['replay', file, '--endpoint', DEAD_ENDPOINT, '--json']), file);
    });

    it.each([
      ['an array', '[]', '(root)'],
      [
        'an object without detail',
        JSON.stringify({
          id: 'x',
          source: 'aws.guardduty',
          'detail-type': 'GuardDuty Finding',
          account: '111111111111',
          region: 'us-east-1',
          time: '2026-11-20T10:10:31Z',
        }),
        'detail',
      ],
      [
        'a GuardDuty finding without detail.accountId',
        (() => {
          const e = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'guardduty-ec2-bitcoin-dns.json'), 'utf8'));
          delete e.detail.accountId;
          return JSON.stringify(e);
        })(),
        'detail.accountId',
      ],
      [
        'a GuardDuty finding with severity 42',
        (() => {
          const e = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'guardduty-ec2-bitcoin-dns.json'), 'utf8'));
          e.detail.severity = 42;
          return JSON.stringify(e);
        })(),
        'detail.severity',
      ],
    ])('rejects a replay of JSON that is %s without any AWS call', async (label, content, field) => {
      const file = tempFile(`${label.replace(/\W+/g, '-')}.json`, content);

      expectInvalidInput(await run(['replay', file, '--endpoint', DEAD_ENDPOINT, '--json']), field);
    });

    it('rejects a game-day drill that is not YAML', async () => {
      const file = tempFile('broken.yaml', 'name: [unclosed\n  - : :\n');

      expectInvalidInput(await run(['gameday', file, '--endpoint', DEAD_ENDPOINT]), file);
    });

    it('rejects a game-day drill that does not follow the drill format', async () => {
      const file = tempFile('no-injections.yaml', 'name: x\ndescription: y\nrunbook: ec2-compromise\nbudget:\n  containSeconds: 60\n');

      expectInvalidInput(await run(['gameday', file, '--endpoint', DEAD_ENDPOINT]), 'injections');
    });

    it('rejects a game-day drill that names an event file that does not exist', async () => {
      const file = tempFile(
        'missing-event.yaml',
        [
          'name: x',
          'description: y',
          'runbook: ec2-compromise',
          'budget:',
          '  containSeconds: 60',
          'injections:',
          '  - name: ghost',
          '    event: ./no-such-event.json',
          '    expect:',
          '      status: NO_MATCH',
          '',
        ].join('\n'),
      );

      expectInvalidInput(await run(['gameday', file, '--endpoint', DEAD_ENDPOINT, '--json']), 'no-such-event.json');
    });

    it.each([
      [['replay', 'fixtures/events/guardduty-sample-ec2.json', '--bogus', '--endpoint', DEAD_ENDPOINT]],
      [['gameday', '--no-such-option', '--endpoint', DEAD_ENDPOINT]],
      [['--bogus']],
    ])('exits 2 for an unknown option: %j', async (argv) => {
      const { code, stdout, stderr } = await run(argv);

      expect(code).toBe(2);
      expect(stdout).toEqual([]);
      expect(stderr.join('\n')).toMatch(/unknown option/);
    });

    it('exits 2 when replay is given no event file', async () => {
      const { code, stdout } = await run(['replay', '--endpoint', DEAD_ENDPOINT]);

      expect(code).toBe(2);
      expect(stdout).toEqual([]);
    });

    it('exits 2 for an unknown command', async () => {
      const { code, stdout } = await run(['frobnicate']);

      expect(code).toBe(2);
      expect(stdout).toEqual([]);
    });
  });

  describe('replay on the emulator', () => {
    const emulator = useEmulator();

    async function ledgerItems(): Promise<Record<string, unknown>[]> {
      const security = harnessClients(emulator.endpoint, LOCAL_SECURITY_ACCOUNT);
      return (await security.ddb.send(new ScanCommand({ TableName: 'firebreak-ledger' }))).Items ?? [];
    }

    async function snapshotCount(account: string): Promise<number> {
      const c = harnessClients(emulator.endpoint, account);
      return ((await c.ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))).Snapshots ?? []).length;
    }

    /** Security groups Firebreak created (isolation or untrack) in the member account. */
    async function firebreakGroupCount(): Promise<number> {
      const member = harnessClients(emulator.endpoint, LOCAL_MEMBER_ACCOUNT);
      return (
        (await member.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'tag-key', Values: [TAG.role] }] }))).SecurityGroups ??
        []
      ).length;
    }

    it('replays a finding where the instance is the victim (Low): one JSON report, only counted below the floor, nothing touched', async () => {
      const fixture = path.join(FIXTURES, 'guardduty-ec2-ssh-bruteforce-victim.json');
      const event = JSON.parse(fs.readFileSync(fixture, 'utf8'));
      const originalInstanceId: string = event.detail.resource.instanceDetails.instanceId;
      const originalGroups: string[] = event.detail.resource.instanceDetails.networkInterfaces.flatMap(
        (n: { securityGroups: { groupId: string }[] }) => n.securityGroups.map((g) => g.groupId),
      );

      const snapshotsBefore = await snapshotCount(LOCAL_MEMBER_ACCOUNT);

      const { code, stdout, stderr } = await run(['replay', fixture, '--json', '--endpoint', emulator.endpoint]);

      expect(stderr).toEqual([]);
      expect(code).toBe(0);
      const report = JSON.parse(stdout.join('\n'));
      expect(report.routing.matched).toEqual(['firebreak-below-floor']);
      expect(report.executions).toEqual([]);
      expect(report.response).toMatch(/^NO_MATCH: below the severity floor/);

      // Read the emulator back: the twin exists in the member account and was left as it was.
      const twinId: string = report.idMap[originalInstanceId];
      expect(twinId).toMatch(/^i-/);
      const member = harnessClients(emulator.endpoint, LOCAL_MEMBER_ACCOUNT);
      const instance = (await member.ec2.send(new DescribeInstancesCommand({ InstanceIds: [twinId] }))).Reservations?.[0]?.Instances?.[0];
      const groups = (instance?.NetworkInterfaces ?? []).flatMap((n) => (n.Groups ?? []).map((g) => g.GroupId));
      expect(groups.sort()).toEqual(originalGroups.map((g) => report.idMap[g] ?? g).sort());
      const termination = await member.ec2.send(
        new DescribeInstanceAttributeCommand({ InstanceId: twinId, Attribute: 'disableApiTermination' }),
      );
      expect(termination.DisableApiTermination?.Value).toBe(false);
      expect(await snapshotCount(LOCAL_MEMBER_ACCOUNT)).toBe(snapshotsBefore);
      expect(await firebreakGroupCount()).toBe(0);
      expect(await ledgerItems()).toEqual([]);
    });

    it('replays a GuardDuty sample finding as a dry run that makes no mutating call', async () => {
      const fixture = path.join(FIXTURES, 'guardduty-sample-ec2.json');
      const before = [await snapshotCount(LOCAL_MEMBER_ACCOUNT), await snapshotCount(LOCAL_SECURITY_ACCOUNT)];

      const { code, stdout, stderr } = await run(['replay', fixture, '--json', '--endpoint', emulator.endpoint]);

      expect(stderr).toEqual([]);
      expect(code).toBe(0);
      const report = JSON.parse(stdout.join('\n'));
      expect(report.event.sample).toBe(true);
      expect(report.routing.matched).toEqual(['firebreak-ec2-compromise-high']);
      expect(report.executions).toHaveLength(1);
      expect(report.executions[0].status).toBe('DRY_RUN');
      expect(report.apiCalls.mutating).toBe(0);

      // Read the emulator back: no case, no claim, no new snapshot, no isolation group.
      expect(await ledgerItems()).toEqual([]);
      expect([await snapshotCount(LOCAL_MEMBER_ACCOUNT), await snapshotCount(LOCAL_SECURITY_ACCOUNT)]).toEqual(before);
      expect(await firebreakGroupCount()).toBe(0);
    });

    it('prints a human report, not JSON, without --json', async () => {
      const { code, stdout } = await run(['replay', path.join(FIXTURES, 'guardduty-sample-ec2.json'), '--endpoint', emulator.endpoint]);

      expect(code).toBe(0);
      expect(stdout[0]).toBe('Firebreak replay');
      expect(stdout.join('\n')).toContain('[SAMPLE]');
      expect(() => JSON.parse(stdout.join('\n'))).toThrow();
    });
  });
});

describe('gameday progress', () => {
  const emulator = useEmulator();

  it('prints one line as each drill starts and one as it ends, in order, and writes the scorecard of both', async () => {
    const drills = [path.join('runbooks', 'root-activity', 'drill.yaml'), path.join('runbooks', 'cloudtrail-tamper', 'drill.yaml')];
    const out = path.join(tmp, 'progress-reports');
    const r = await run(['gameday', ...drills, '--endpoint', emulator.endpoint, '--out', out]);

    expect(r.code).toBe(0);
    const progress = lines(r.stderr).filter((l) => l.startsWith('drill '));
    expect(progress).toEqual([
      `drill 1/2 ${drills[0]}: started`,
      expect.stringMatching(new RegExp(`^drill 1/2 ${drills[0].replace(/[.\\/]/g, '\\$&')}: PASSED in \\d+\\.\\d s$`)),
      `drill 2/2 ${drills[1]}: started`,
      expect.stringMatching(new RegExp(`^drill 2/2 ${drills[1].replace(/[.\\/]/g, '\\$&')}: PASSED in \\d+\\.\\d s$`)),
    ]);
    // The scorecard on disk, read back: the same two drills, both passed.
    const [runId] = fs.readdirSync(out).filter((f) => f !== 'history.jsonl');
    const scorecard = JSON.parse(fs.readFileSync(path.join(out, runId, 'scorecard.json'), 'utf8'));
    expect(scorecard.drills.map((d: { file: string; passed: boolean }) => [d.file, d.passed])).toEqual([
      [drills[0], true],
      [drills[1], true],
    ]);
  });
});
