/**
 * The size and cold init of every Lambda step, for `npm run bench` (issue 13: bundles ≤ 200 KB; cold init ≤ 250 ms of
 * CPU but for the EC2 steps). Each step is bundled as ResponderFunction bundles it (`bundleStep`) into
 * `.firebreak/bench-bundles/<step>/`, inside the project so that the external `@aws-sdk/*` packages resolve from its
 * node_modules as the Lambda runtime's own SDK would. Cold init is the CPU time (user + system, `process.cpuUsage`) of
 * `require`-ing the bundle in a fresh Node process, the minimum of `runs` processes: what the Lambda runtime does at INIT
 * before the first invocation, without Node's own start. Node runs without `--enable-source-maps`, as deployed.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Metafile } from 'esbuild';
import { PROJECT_ROOT } from '../../lib/core/project-root';
import { STEP_NAMES } from '../../lib/infra/steps';
import { bundleStep, MAX_BUNDLE_BYTES } from '../infra/tools/bundle-step';

/** The cold-init limit of issue 13 (CPU ms), for every step but the EC2 ones. */
export const MAX_COLD_INIT_CPU_MS = 250;

/** One step's figures. */
export interface LambdaFigures {
  readonly step: string;
  /** Bytes of the deployed `index.js`. */
  readonly bytes: number;
  /** Bytes of its source map (`index.js.map`: not deployed, made again from the commit to read a stack trace). */
  readonly sourceMapBytes: number;
  /** CPU milliseconds of requiring the bundle in a fresh process, the minimum of the runs. */
  readonly coldInitCpuMs: number;
  /** Whether requiring the bundle loads `@aws-sdk/client-ec2` (an EC2 step); a step that imports it on first use does not. */
  readonly loadsEc2AtInit: boolean;
}

/**
 * Whether requiring the bundle requires `@aws-sdk/client-ec2`: whether it is reached from the entry through static
 * imports only (a module loaded with `import()` runs, with what it imports, on that first `import()`).
 */
function loadsEc2AtInit(meta: Metafile, entry: string): boolean {
  const seen = new Set<string>();
  const todo = [entry];
  for (let f = todo.pop(); f !== undefined; f = todo.pop()) {
    if (seen.has(f)) continue;
    seen.add(f);
    for (const i of meta.inputs[f]?.imports ?? []) if (i.kind !== 'dynamic-import') todo.push(i.path);
  }
  return seen.has('@aws-sdk/client-ec2');
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
      loadsEc2AtInit: loadsEc2AtInit(bundle.metafile, `lambdas/${step}/index.ts`),
    });
  }
  return rows;
}

/**
 * What `npm run bench` prints of the Lambdas: the maxima, the steps over issue 13's limits (bundle bytes; cold init of
 * the steps that do not load the EC2 client at init) and the EC2 steps' cold inits, then every row.
 * @param rows - {@link measureLambdas}'s rows.
 */
export function summarizeLambdas(rows: readonly LambdaFigures[]) {
  const nonEc2 = rows.filter((r) => !r.loadsEc2AtInit);
  const ec2 = rows.filter((r) => r.loadsEc2AtInit);
  return {
    maxBytes: Math.max(...rows.map((r) => r.bytes)),
    stepsOverMaxBytes: rows.filter((r) => r.bytes > MAX_BUNDLE_BYTES).map((r) => r.step),
    maxColdInitCpuMsNonEc2: Math.max(...nonEc2.map((r) => r.coldInitCpuMs)),
    nonEc2StepsOverMaxColdInit: nonEc2.filter((r) => r.coldInitCpuMs > MAX_COLD_INIT_CPU_MS).map((r) => r.step),
    ec2ColdInitCpuMs: Object.fromEntries(ec2.map((r) => [r.step, r.coldInitCpuMs])),
    limits: { bytes: MAX_BUNDLE_BYTES, coldInitCpuMsNonEc2: MAX_COLD_INIT_CPU_MS },
    steps: rows,
  };
}
