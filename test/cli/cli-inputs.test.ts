import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../../lib/cli/program';
import { useEmulator } from '../support/emulator';

const FIXTURES = path.resolve(__dirname, '..', '..', 'fixtures', 'events');

async function run(argv: string[]) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runCli(argv, { out: (l) => stdout.push(l), err: (l) => stderr.push(l) });
  return { code, stdout, stderr: stderr.flatMap((l) => l.split('\n')).filter(Boolean) };
}

/** A loosely typed event, for mutating fixtures in tests. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type LooseEvent = Record<string, any>;

function writeEvent(name: string, mutate: (e: LooseEvent) => void): string {
  const e = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'guardduty-ec2-bitcoin-dns.json'), 'utf8'));
  mutate(e);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fb-in-')), name);
  fs.writeFileSync(file, JSON.stringify(e));
  return file;
}

describe('firebreak CLI input handling', () => {
  it('rejects a missing command with one line and exit 2', async () => {
    const r = await run([]);
    expect(r).toMatchObject({ code: 2, stdout: [] });
    expect(r.stderr).toHaveLength(1);
  });

  it.each([
    [
      'an Instance finding without instanceDetails',
      (e: LooseEvent) => {
        delete e.detail.resource.instanceDetails;
      },
      /instanceDetails is required/,
    ],
    [
      'an instance without network interfaces',
      (e: LooseEvent) => {
        e.detail.resource.instanceDetails.networkInterfaces = [];
      },
      /networkInterfaces is empty/,
    ],
    [
      'an event larger than EventBridge allows',
      (e: LooseEvent) => {
        e.detail.padding = 'x'.repeat(300 * 1024);
      },
      /at most 262144 bytes/,
    ],
  ])('rejects %s before any AWS call (exit 2, one line)', async (_, mutate, message) => {
    const r = await run(['replay', writeEvent('bad.json', mutate), '--endpoint', 'http://127.0.0.1:9']);
    expect(r.code).toBe(2);
    expect(r.stderr).toHaveLength(1);
    expect(r.stderr[0]).toMatch(/^firebreak: error: /);
    expect(r.stderr[0]).toMatch(message);
  });

  it.each([
    ['not-a-url', /is not a URL/],
    ['http://127.0.0.1:9', /no emulator answers at/],
  ])('rejects --endpoint %s with one line and exit 2', async (endpoint, message) => {
    const r = await run(['replay', path.join(FIXTURES, 'guardduty-ec2-bitcoin-dns.json'), '--endpoint', endpoint]);
    expect(r.code).toBe(2);
    expect(r.stderr).toEqual([expect.stringMatching(message)]);
  });

  describe('against a running emulator', () => {
    const emulator = useEmulator();

    it('replays twice against the same --endpoint, each time containing a new twin', async () => {
      for (let i = 0; i < 2; i++) {
        const r = await run(['replay', path.join(FIXTURES, 'guardduty-ec2-bitcoin-dns.json'), '--endpoint', emulator.endpoint, '--json']);
        expect(r.code).toBe(0);
        const report = JSON.parse(r.stdout.join('\n'));
        expect(report.executions[0].outcome).toBe('CONTAINED');
        expect(report.checks.every((c: { passed: boolean }) => c.passed)).toBe(true);
      }
    });

    it('remaps a finding from another account and a region the local world lacks onto the twin and contains it', async () => {
      // ap-southeast-2: not one of the local world's regions (lib/harness/local/accounts.ts, LOCAL_REGIONS), so remapped.
      const file = writeEvent('other.json', (e) => {
        e.detail.accountId = '123456789012';
        e.detail.region = 'ap-southeast-2';
        e.region = 'ap-southeast-2';
        e.detail.resource.instanceDetails.availabilityZone = 'ap-southeast-2b';
      });
      const r = await run(['replay', file, '--endpoint', emulator.endpoint, '--json']);
      const report = JSON.parse(r.stdout.join('\n'));
      expect(report.idMap).toMatchObject({ '123456789012': '111111111111', 'ap-southeast-2': 'us-east-1' });
      expect(report.executions[0].outcome).toBe('CONTAINED');
      expect(report.checks.filter((c: { passed: boolean }) => !c.passed)).toEqual([]);
      expect(r.code).toBe(0);
    });
  });
});
