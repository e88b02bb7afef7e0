import * as fs from 'node:fs';
import * as path from 'node:path';
import { ESLint } from 'eslint';
import { PROJECT_ROOT } from '../../lib/core/project-root';

/**
 * The layers of lib/ (docs/ARCHITECTURE.md, "Layers") are enforced by eslint.config.js's no-restricted-imports
 * patterns, which match an import's specifier: these tests prove the rule fires on the imports it must refuse and
 * lets through the ones the direction allows, and that the layout keeps the specifier test sound (every layer is a
 * directory right under lib/, and no directory inside a layer takes a layer's name).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const config = require('../../eslint.config.js') as ESLint.Options['overrideConfig'] & { LAYERS: string[] };
const { LAYERS } = config;

// The project's config, passed in (ESLint would load eslint.config.js with a dynamic import, which jest's VM lacks).
const eslint = new ESLint({ cwd: PROJECT_ROOT, overrideConfigFile: true, overrideConfig: config });

/** The no-restricted-imports messages ESLint gives `code` as if it were the file `file` (relative to the root). */
async function refusals(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(PROJECT_ROOT, file) });
  return result.messages
    .filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === '@typescript-eslint/no-restricted-imports')
    .map((m) => m.message);
}

describe('import boundaries between the layers of lib/', () => {
  it("lib/ holds the six layers and nothing else, and no directory inside a layer takes a layer's name", () => {
    const lib = path.join(PROJECT_ROOT, 'lib');
    expect(fs.readdirSync(lib).sort()).toEqual([...LAYERS].sort());
    const nested = (dir: string): string[] =>
      fs
        .readdirSync(dir, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .flatMap((d) => [d.name, ...nested(path.join(dir, d.name))]);
    for (const layer of LAYERS) expect([layer, nested(path.join(lib, layer)).filter((d) => LAYERS.includes(d))]).toEqual([layer, []]);
  });

  it.each([
    ['lib/runtime/ec2/x.ts', "import { openEmulator } from '../../harness/local/emulator';"],
    ['lib/runtime/ec2/x.ts', "import { ResponderFunction } from '../../infra/responder-function';"],
    ['lib/runtime/x.ts', "import { Stack } from 'aws-cdk-lib';"],
    ['lib/infra/x.ts', "import { CaseLedger } from '../runtime/ledger/ledger';"],
    ['lib/infra/x.ts', "export { CaseLedger } from '../runtime/ledger/ledger';"],
    ['lib/core/incident/x.ts', "import { isolate } from '../../runtime/ec2/isolate';"],
    ['lib/core/x.ts', "import { EC2Client } from '@aws-sdk/client-ec2';"],
    ['lib/operator/x.ts', "import { LocalStepFunctions } from '../harness/local/sfn-service';"],
    ['lib/operator/x.ts', "import { App } from 'aws-cdk-lib';"],
    ['lib/harness/local/x.ts', "import { runCli } from '../../cli/program';"],
    ['lambdas/contain-instance/x.ts', "import { seed } from '../../lib/harness/local/seed';"],
    ['lambdas/contain-instance/x.ts', "import { Construct } from 'constructs';"],
    // The CLI loads harness, CDK and local-runner code lazily: a static import of any of them is refused.
    ['lib/cli/commands/x.ts', "import { openLocalSession } from '../../harness/local/session';"],
    ['lib/cli/x.ts', "export { runDrill } from '../harness/gameday/run-drill';"],
    ['lib/cli/x.ts', "import { App } from 'aws-cdk-lib';"],
    ['lib/cli/x.ts', "import { NagSuppressions } from 'cdk-nag';"],
    ['lib/cli/x.ts', "import { StateMachine } from 'aws-local-stepfunctions';"],
  ])('refuses, in %s: %s', async (file, code) => {
    expect(await refusals(file, code)).toEqual([expect.stringMatching(/must not import/)]);
  });

  it.each([
    ['lib/runtime/ec2/x.ts', "import { TAG } from '../../core/tags';"],
    ['lib/runtime/playbook/x.ts', "import { isolate } from '../ec2/isolate';"],
    ['lib/infra/x.ts', "import { LEDGER_TABLE_NAME } from '../core/names';"],
    ['lib/operator/x.ts', "import { CaseLedger } from '../runtime/ledger/ledger';"],
    [
      'lib/harness/local/x.ts',
      "import { App } from 'aws-cdk-lib';\nimport { SecurityAccountStack } from '../../infra/security-account-stack';",
    ],
    [
      'lib/cli/commands/x.ts',
      "export async function f() {\n  const { openLocalSession } = await import('../../harness/local/session');\n  return openLocalSession;\n}",
    ],
    ['lib/cli/commands/x.ts', "import type { LocalStack } from '../../harness/local/stack';\nexport type S = LocalStack;"],
    ['lib/cli/x.ts', "import { connect } from '../operator/connection';"],
    ['lambdas/contain-instance/x.ts', "import { stepHandler } from '../../lib/runtime/playbook/handler';"],
  ])('allows, in %s: %s', async (file, code) => {
    expect(await refusals(file, code)).toEqual([]);
  });
});
