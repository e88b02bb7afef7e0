import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ResponderFunction } from '../../lib/infra/responder-function';
import { PROJECT_ROOT } from '../../lib/core/project-root';
import { STEP_NAMES } from '../../lib/infra/steps';
import { bundleStep } from './tools/bundle-step';

/**
 * Calls the handler of the bundle `file` in a fresh Node process (the SDK, external, from the project's node_modules)
 * with `event`, and returns the `name` and `code` of the error it throws: what the Lambda runtime reports as the
 * `errorType` that a Step Functions Retry or Catch matches.
 */
function errorOfBundle(file: string, event: unknown): { name?: string; code?: string; resolved?: boolean } {
  const context = {
    functionName: 'f',
    functionVersion: '1',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:111111111111:function:f',
    memoryLimitInMB: '256',
    awsRequestId: 'r',
  };
  const code = `require(${JSON.stringify(file)}).handler(${JSON.stringify(event)}, { ...${JSON.stringify(context)}, getRemainingTimeInMillis: () => 1000 })
    .then(() => process.stdout.write('{"resolved":true}'), (e) => process.stdout.write(JSON.stringify({ name: e.name, code: e.code })));`;
  const env = {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    NODE_PATH: path.join(PROJECT_ROOT, 'node_modules'),
  };
  const out = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', env });
  if (out.status !== 0) throw new Error(`the bundle did not run: ${out.stderr}`);
  return JSON.parse(out.stdout) as { name?: string; code?: string };
}

describe('ResponderFunction bundling', () => {
  let outdir: string;
  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'firebreak-bundle-'));
  });
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  it('finds an entry file lambdas/<step>/index.ts for every step', () => {
    const missing = STEP_NAMES.filter((step) => !fs.existsSync(path.join(PROJECT_ROOT, 'lambdas', step, 'index.ts')));
    expect(missing).toEqual([]);
  });

  it('bundles a step locally with esbuild (no Docker): minified, no source map, the bytes bundleStep makes, error names kept', async () => {
    const app = new App({ outdir });
    const stack = new Stack(app, 'Bundling');
    new ResponderFunction(stack, 'Normalize', { step: 'normalize-finding' });
    const assembly = app.synth();

    const [fn] = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
    const assetHash = (fn.Properties.Code.S3Key as string).replace(/\.zip$/, '');
    const assetDir = path.join(assembly.directory, `asset.${assetHash}`);
    // No source map in the deployed asset, and Node is not asked for one (STEP_BUNDLING, lib/infra/responder-function.ts).
    expect(fs.readdirSync(assetDir).sort()).toEqual(['index.js']);
    const file = path.join(assetDir, 'index.js');
    const code = fs.readFileSync(file, 'utf8');
    expect(code.length / code.split('\n').length).toBeGreaterThan(1000); // minified: long lines
    expect(code).not.toContain('sourceMappingURL');
    expect(fn.Properties.Environment.Variables.NODE_OPTIONS).toBeUndefined();
    // What the lean-bundles test and the bench measure, and what maps a stack trace back, is the deployed index.js.
    const bundled = await bundleStep('normalize-finding', path.join(outdir, 'bundle-step', 'index.js'));
    expect(Buffer.from(bundled.js.contents).equals(fs.readFileSync(file))).toBe(true);
    // An error keeps its class's name through minification: the errorType Step Functions matches (InvalidInput here).
    expect(errorOfBundle(file, { executionName: '' })).toEqual({ name: 'InvalidInput', code: 'INVALID_INPUT' });
  });
});
