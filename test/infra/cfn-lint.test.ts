import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildApp } from '../../lib/infra/app';
import { PROJECT_ROOT } from '../../lib/core/project-root';
import { SKIP_BUNDLING } from './support';

/** cfn-lint's exit code is a bit mask: 2 = errors, 4 = warnings, 8 = informational (cfn-lint README). */
const ERRORS = 2;
const WARNINGS = 4;
const CFN_LINT = path.join(PROJECT_ROOT, '.firebreak', 'venv', 'bin', 'cfn-lint');

describe('cfn-lint', () => {
  let outdir: string;
  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'firebreak-cdk-out-'));
  });
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  it('finds no error in any synthesized template', () => {
    if (!fs.existsSync(CFN_LINT)) {
      throw new Error(
        `cfn-lint is not installed at ${CFN_LINT}; create the project venv (.firebreak/venv) with cfn-lint before running the infra tests`,
      );
    }
    // Synthesis as `cdk synth` does it (cdk-nag included), without esbuild.
    buildApp({ context: SKIP_BUNDLING, outdir }).app.synth();
    const templates = fs
      .readdirSync(outdir)
      .filter((f) => f.endsWith('.template.json'))
      .map((f) => path.join(outdir, f));
    expect(templates.map((t) => path.basename(t)).sort()).toEqual(['FirebreakMember.template.json', 'FirebreakSecurity.template.json']);

    const run = spawnSync(CFN_LINT, ['--format', 'parseable', '--', ...templates], { encoding: 'utf8', timeout: 110_000 });
    if (run.error) throw run.error;
    expect(run.status).not.toBeNull();
    const status = run.status!;
    if (status & WARNINGS) process.stderr.write(`cfn-lint warnings:\n${run.stdout}\n`);
    expect({ errorsBit: status & ERRORS, findings: status & ERRORS ? run.stdout + run.stderr : '' }).toEqual({
      errorsBit: 0,
      findings: '',
    });
    // Any other exit code (1: cfn-lint itself failed) is a failure too.
    expect([0, WARNINGS, 8, WARNINGS | 8]).toContain(status);
  });
});
