import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../lib/core/project-root';

/** What one run of `./firebreak` did, and every module its Node process had loaded when it exited. */
export interface SpawnedCli {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** `Object.keys(require.cache)` at the process's exit: absolute paths of the CommonJS modules loaded (lib/ included: its compiled .js, or its .ts with FIREBREAK_TSX=1). */
  readonly modules: string[];
  /** Wall time of the run, in milliseconds. */
  readonly ms: number;
}

/** What `firebreak --help` and the operator commands must never load: the CDK, cdk-nag, the local runner and lib/harness. */
export const HEAVY_MODULE = /[\\/]node_modules[\\/](aws-cdk-lib|cdk-nag|constructs|aws-local-stepfunctions)[\\/]|[\\/]lib[\\/]harness[\\/]/;

/**
 * Runs `./firebreak` (the README's entry: scripts/ensure-deps.sh, then `node bin/firebreak.js`) as a child process,
 * with a `--require` preload (through NODE_OPTIONS, so it reaches the CLI's node) that writes `require.cache`'s keys
 * when the process exits. Asynchronous: a local stack served by the test's own process keeps answering meanwhile.
 */
export async function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<SpawnedCli> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'firebreak-modules-'));
  const preload = path.join(dir, 'record-modules.js');
  const out = path.join(dir, 'modules.json');
  fs.writeFileSync(
    preload,
    `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(Object.keys(require.cache))));\n`,
  );
  const started = Date.now();
  try {
    const child = spawn(path.join(PROJECT_ROOT, 'firebreak'), args, {
      cwd: PROJECT_ROOT,
      env: { ...process.env, NO_COLOR: '1', ...env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${preload}`.trim() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    });
    const ms = Date.now() - started;
    return { code, stdout, stderr, ms, modules: JSON.parse(fs.readFileSync(out, 'utf8')) as string[] };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
