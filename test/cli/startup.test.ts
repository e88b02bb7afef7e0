import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../lib/core/project-root';
import { HEAVY_MODULE, spawnCli } from '../support/spawn-cli';

/**
 * The CLI starts fast (issue 12): `firebreak --help`, `--version` and the operator commands load no CDK, cdk-nag,
 * local-runner or harness module; the command table loads a command's module only when it runs. Each test runs the
 * real `./firebreak` and reads the modules its process had loaded (test/support/spawn-cli.ts). `status` reaching a
 * local stack and reading a case is in test/cli/operator.test.ts.
 */
describe('firebreak starts without loading what the command does not use', () => {
  // No AWS here: the default (AWS) connection finds no credentials and fails at once, without the instance metadata service.
  const noAws = {
    AWS_ACCESS_KEY_ID: '',
    AWS_SECRET_ACCESS_KEY: '',
    AWS_SESSION_TOKEN: '',
    AWS_PROFILE: '',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
    AWS_CONFIG_FILE: '/nonexistent',
    AWS_EC2_METADATA_DISABLED: 'true',
  };

  it('--help: the usage, and no CDK, cdk-nag, local-runner or harness module', async () => {
    const r = await spawnCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: firebreak /);
    expect(r.stdout).toMatch(/\n {2}gameday\b/);
    expect(r.modules.filter((m) => HEAVY_MODULE.test(m))).toEqual([]);
  });

  it('--version prints the version in package.json and loads nothing heavy', async () => {
    const r = await spawnCli(['--version']);
    const { version } = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect([r.code, r.stdout]).toEqual([0, `${version}\n`]);
    expect(r.modules.filter((m) => HEAVY_MODULE.test(m))).toEqual([]);
  });

  it.each([
    ['against AWS, with no credentials', ['status', 'fb-20261129-6c330bdc7c'], 1, /^firebreak: .*credentials/],
    [
      'against a local stack that does not answer',
      ['status', 'fb-20261129-6c330bdc7c', '--endpoint', 'http://127.0.0.1:9'],
      2,
      /^firebreak: error: no local stack answers at http:\/\/127\.0\.0\.1:9/,
    ],
  ])('status %s: fails in one line, having loaded the operator code and nothing heavy', async (_, args, code, message) => {
    const r = await spawnCli(args, noAws);
    expect([r.code, r.stderr.trim().split('\n')]).toEqual([code, [expect.stringMatching(message)]]);
    // It did load the command and the operator layer (the count sees modules loaded lazily)...
    expect(r.modules).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/[\\/]lib[\\/]cli[\\/]commands[\\/]cases\.[jt]s$/),
        expect.stringMatching(/[\\/]lib[\\/]operator[\\/]connection\.[jt]s$/),
      ]),
    );
    // ...and nothing of the CDK, cdk-nag, the local runner or the harness.
    expect(r.modules.filter((m) => HEAVY_MODULE.test(m))).toEqual([]);
  });

  it('runs compiled: the modules of lib/ it loads are the build of bin/firebreak.js (.firebreak/build/), and FIREBREAK_TSX=1 runs the sources through tsx', async () => {
    const built = path.join(PROJECT_ROOT, '.firebreak', 'build');
    const ours = (modules: string[]) => modules.filter((m) => /[\\/]lib[\\/]cli[\\/]program\.[jt]s$/.test(m));
    const compiled = await spawnCli(['--version']);
    expect(compiled.code).toBe(0);
    expect(ours(compiled.modules)).toEqual([expect.stringMatching(/\.js$/)]);
    expect(ours(compiled.modules)[0].startsWith(built + path.sep)).toBe(true);
    const sources = await spawnCli(['--version'], { FIREBREAK_TSX: '1' });
    expect([sources.code, sources.stdout]).toEqual([0, compiled.stdout]);
    expect(ours(sources.modules)).toEqual([path.join(PROJECT_ROOT, 'lib', 'cli', 'program.ts')]);
  });

  it('replay, which needs the harness, loads it only when it runs (the count sees what a command loads lazily)', async () => {
    const r = await spawnCli(['replay', path.join(PROJECT_ROOT, 'no-such-event.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^firebreak: error: cannot read event file/);
    expect(r.modules).toEqual(expect.arrayContaining([expect.stringMatching(/[\\/]lib[\\/]harness[\\/]local[\\/]replay\.[jt]s$/)]));
  });
});
