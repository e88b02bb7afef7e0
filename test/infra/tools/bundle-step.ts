/**
 * Bundles one Lambda step as ResponderFunction does (lib/infra/responder-function.ts: NodejsFunction with
 * `STEP_BUNDLING`, platform node, CommonJS, and CDK's default `externalModules` for Node.js 18 and later, `@aws-sdk/*`:
 * the SDK the Lambda runtime provides, "Using the AWS SDK for JavaScript v3 in Lambda", and the aws-lambda-nodejs README,
 * "Externals"), with esbuild's JS API and `metafile: true` (no CDK, no Docker). test/infra/bundling.test.ts checks that
 * the `index.js` it makes is the one CDK deploys, byte for byte. Used by test/infra/lean-bundles.test.ts (what a bundle
 * holds, and its size) and `npm run bench` (its size and cold init).
 *
 * The deployed bundle has no source map (`STEP_BUNDLING.sourceMap`); this one comes with its map (esbuild's `external`
 * source map: the same `index.js`, no `sourceMappingURL` comment), which reads a stack trace from AWS: on the deployed
 * commit, `npx tsx test/infra/tools/bundle-step.ts <step> <dir> [<line>:<column> ...]` writes `<dir>/index.js` and
 * `<dir>/index.js.map` and prints the TypeScript position of each `index.js:<line>:<column>` of the trace (Node's
 * `module.SourceMap`).
 */
import * as fs from 'node:fs';
import { SourceMap } from 'node:module';
import * as path from 'node:path';
import { build, Metafile, OutputFile } from 'esbuild';
import { PROJECT_ROOT } from '../../../lib/core/project-root';
import { STEP_BUNDLING } from '../../../lib/infra/responder-function';

/** Issue 13's limit on a Lambda bundle, in bytes of `index.js` (test/infra/lean-bundles.test.ts; `npm run bench`). */
export const MAX_BUNDLE_BYTES = 200_000;

/** A step's bundle: `index.js` and its source map as esbuild wrote them in memory, and the metafile. */
export interface StepBundle {
  /** `index.js`, as deployed. */
  readonly js: OutputFile;
  /** `index.js.map` (not deployed). */
  readonly map: OutputFile;
  /** What went in (esbuild's metafile). */
  readonly metafile: Metafile;
}

/**
 * @param step - a step's folder name under `lambdas/`.
 * @param outfile - where the output would go (nothing is written; the path names the outputs).
 * @returns the bundle, in memory.
 * @throws esbuild's error when the step does not build.
 */
export async function bundleStep(step: string, outfile: string): Promise<StepBundle> {
  const result = await build({
    entryPoints: [path.join(PROJECT_ROOT, 'lambdas', step, 'index.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: STEP_BUNDLING.target,
    minify: STEP_BUNDLING.minify,
    keepNames: STEP_BUNDLING.keepNames,
    mainFields: [...STEP_BUNDLING.mainFields],
    sourcemap: 'external',
    external: ['@aws-sdk/*'],
    metafile: true,
    write: false,
    outfile,
    absWorkingDir: PROJECT_ROOT,
    logLevel: 'silent',
  });
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'))!;
  const map = result.outputFiles.find((f) => f.path.endsWith('.js.map'))!;
  return { js, map, metafile: result.metafile };
}

/**
 * `tsx test/infra/tools/bundle-step.ts <step> <dir> [<line>:<column> ...]`: writes the step's `index.js` and
 * `index.js.map` into `dir`, then maps each 1-based position of `index.js` (as a stack trace gives it) to its source.
 */
async function main(step: string, dir: string, positions: readonly string[]): Promise<void> {
  const bundle = await bundleStep(step, path.resolve(dir, 'index.js'));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(bundle.js.path, bundle.js.contents);
  fs.writeFileSync(bundle.map.path, bundle.map.contents);
  process.stdout.write(`${bundle.js.path}\n${bundle.map.path}\n`);
  const map = new SourceMap(JSON.parse(bundle.map.text) as ConstructorParameters<typeof SourceMap>[0]);
  for (const position of positions) {
    const [line, column] = position.split(':').map(Number);
    const entry = map.findEntry(line - 1, column - 1) as {
      originalSource?: string;
      originalLine?: number;
      originalColumn?: number;
      name?: string;
    };
    const at = entry.originalSource ? `${entry.originalSource}:${entry.originalLine! + 1}:${entry.originalColumn! + 1}` : 'no mapping';
    process.stdout.write(`index.js:${position} -> ${at}${entry.name ? ` (${entry.name})` : ''}\n`);
  }
}

if (require.main === module) {
  const [step, dir, ...positions] = process.argv.slice(2);
  if (!step || !dir) {
    process.stderr.write('usage: tsx test/infra/tools/bundle-step.ts <step> <dir> [<line>:<column> ...]\n');
    process.exitCode = 2;
  } else {
    main(step, dir, positions).catch((err: unknown) => {
      process.stderr.write(`${(err as Error).message}\n`);
      process.exitCode = 1;
    });
  }
}
