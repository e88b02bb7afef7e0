import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ResponderFunction } from '../../lib/infra/responder-function';
import { PROJECT_ROOT } from '../../lib/core/project-root';
import { STEP_NAMES } from '../../lib/infra/steps';

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

  it('bundles a step locally with esbuild (no Docker): minified, with a source map', () => {
    const app = new App({ outdir });
    const stack = new Stack(app, 'Bundling');
    new ResponderFunction(stack, 'Normalize', { step: 'normalize-finding' });
    const assembly = app.synth();

    const [fn] = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
    const assetHash = (fn.Properties.Code.S3Key as string).replace(/\.zip$/, '');
    const assetDir = path.join(assembly.directory, `asset.${assetHash}`);
    expect(fs.readdirSync(assetDir).sort()).toEqual(['index.js', 'index.js.map']);
    const code = fs.readFileSync(path.join(assetDir, 'index.js'), 'utf8');
    expect(code.length / code.split('\n').length).toBeGreaterThan(1000); // minified: long lines
    expect(code).toContain('sourceMappingURL=index.js.map');
    expect(fn.Properties.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
  });
});
