/**
 * Bundles one Lambda step as ResponderFunction does (lib/infra/responder-function.ts: NodejsFunction with `minify`,
 * `sourceMap`, `target: node22`, platform node, CommonJS, and CDK's default `externalModules` for Node.js 18 and later,
 * `@aws-sdk/*`: the SDK the Lambda runtime provides, "Using the AWS SDK for JavaScript v3 in Lambda", and the
 * aws-lambda-nodejs README, "Externals"), with esbuild's JS API and `metafile: true` (no CDK, no Docker). Used by
 * test/infra/lean-bundles.test.ts (what a bundle holds) and `npm run bench` (its size and cold init).
 */
import * as path from 'node:path';
import { build, Metafile, OutputFile } from 'esbuild';
import { PROJECT_ROOT } from '../../../lib/core/project-root';

/** A step's bundle: `index.js` and its source map as esbuild wrote them in memory, and the metafile. */
export interface StepBundle {
  /** `index.js`. */
  readonly js: OutputFile;
  /** `index.js.map`. */
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
    target: 'node22',
    minify: true,
    sourcemap: true,
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
