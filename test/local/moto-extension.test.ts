import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

describe('the moto extension (emulator/firebreak_moto)', () => {
  it('passes its pytest suite (scripts/test-emulator.sh)', () => {
    const root = path.resolve(__dirname, '..', '..');
    const result = spawnSync('bash', [path.join(root, 'scripts', 'test-emulator.sh')], {
      cwd: root,
      encoding: 'utf8',
      timeout: 300_000,
    });
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
    // Show pytest's report when it fails.
    expect({ status: result.status, output: result.status === 0 ? '' : output }).toEqual({
      status: 0,
      output: '',
    });
    expect(output).toMatch(/\d+ passed/);
  }, 300_000);
});
