/**
 * The size and cold init of every Lambda step, for `npm run bench` (issue 13: bundles ≤ 200 KB; cold init ≤ 250 ms of
 * CPU). Each step is bundled as ResponderFunction bundles it (`bundleStep`) into `.firebreak/bench-bundles/<step>/`,
 * inside the project so that the external `@aws-sdk/*` packages resolve from its node_modules as the Lambda runtime's
 * own SDK would. Cold init is the CPU time (user + system, `process.cpuUsage`) of `require`-ing the bundle in a fresh
 * Node process, the minimum of `runs` processes: what the Lambda runtime does at INIT before the first invocation,
 * without Node's own start.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../lib/core/project-root';
import { STEP_NAMES } from '../../lib/infra/steps';
import { bundleStep } from '../infra/tools/bundle-step';

/** One step's figures. */
export interface LambdaFigures {
  readonly step: string;
  /** Bytes of the deployed `index.js`. */
  readonly bytes: number;
  /** Bytes of its source map (`index.js.map`, deployed beside it: `sourceMap: true`). */
  readonly sourceMapBytes: number;
  /** CPU milliseconds of requiring the bundle in a fresh process, the minimum of the runs. */
  readonly coldInitCpuMs: number;
}

/** CPU milliseconds (user + system) that requiring `file` takes in a fresh Node process. */
function requireCpuMs(file: string): number {
  const code = `const t=process.cpuUsage();require(${JSON.stringify(file)});const u=process.cpuUsage(t);process.stdout.write(String((u.user+u.system)/1000));`;
  const out = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1' } });
  if (out.status !== 0) throw new Error(`requiring ${file} failed: ${out.stderr.trim().split('\n')[0]}`);
  return Number(out.stdout);
}

/**
 * Bundles every step and measures it.
 * @param runs - fresh processes per step; the minimum is reported. @default 5
 * @returns one row per step, in STEP_NAMES order.
 * @throws when a step does not bundle or its bundle does not load.
 */
export async function measureLambdas(runs = 5): Promise<LambdaFigures[]> {
  const root = path.join(PROJECT_ROOT, '.firebreak', 'bench-bundles');
  const rows: LambdaFigures[] = [];
  for (const step of STEP_NAMES) {
    const file = path.join(root, step, 'index.js');
    const bundle = await bundleStep(step, file);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, bundle.js.contents);
    fs.writeFileSync(`${file}.map`, bundle.map.contents);
    const cpu = Array.from({ length: runs }, () => requireCpuMs(file));
    rows.push({
      step,
      bytes: bundle.js.contents.length,
      sourceMapBytes: bundle.map.contents.length,
      coldInitCpuMs: Math.round(Math.min(...cpu)),
    });
  }
  return rows;
}
