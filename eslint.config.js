// ESLint flat config: typescript-eslint's recommended rules, plus the project's own conventions
// (DESIGN.md §7): no console output from lib/ (results go through the injected Output).
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

/**
 * The layers of lib/ and what each may import (docs/ARCHITECTURE.md, "Layers"): dependencies point one way,
 * `cli → harness → (operator | lambdas → runtime) → core` and `infra → core`. Each layer is a directory right
 * under lib/, so an import that crosses layers climbs to lib/ and names the layer: `../../harness/…` from
 * lib/runtime/ec2/, `../../lib/runtime/…` from lambdas/<step>/. The rule matches that specifier (ESLint's own
 * no-restricted-imports, `regex` patterns); test/infra/layers.test.ts proves it fires and that no directory inside
 * a layer takes a layer's name.
 */
const LAYERS = ['core', 'runtime', 'infra', 'operator', 'harness', 'cli'];
const CDK = ['aws-cdk-lib', 'constructs', 'cdk-nag'];
/** What a layer must not import: other layers, and packages that belong elsewhere. */
const FORBIDDEN = {
  core: { layers: ['runtime', 'infra', 'operator', 'harness', 'cli'], packages: [...CDK, '@aws-sdk', 'aws-local-stepfunctions'] },
  runtime: { layers: ['infra', 'operator', 'harness', 'cli'], packages: [...CDK, 'aws-local-stepfunctions'] },
  infra: { layers: ['runtime', 'operator', 'harness', 'cli'], packages: ['aws-local-stepfunctions'] },
  operator: { layers: ['infra', 'harness', 'cli'], packages: [...CDK, 'aws-local-stepfunctions'] },
  harness: { layers: ['cli'], packages: [] },
  // cli loads harness, CDK and local-runner code only with `await import(...)` in the commands that use it (the rule
  // sees static imports only; type imports stay legal): `firebreak --help` and the operator commands start fast.
  cli: { layers: ['harness'], packages: [...CDK, 'aws-local-stepfunctions'], lazy: true },
  lambdas: { layers: ['infra', 'operator', 'harness', 'cli'], packages: [...CDK, 'aws-local-stepfunctions'] },
};
const layerPattern = (layer, forbidden) => ({
  regex: `^(\\.\\./)+(lib/)?(${forbidden.join('|')})(/|$)`,
  message: `${layer} must not import from ${forbidden.join(', ')} (docs/ARCHITECTURE.md, "Layers").`,
});
const packagePattern = (layer, packages) => ({
  regex: `^(${packages.map((p) => p.replace(/\./g, '\\.')).join('|')})(/|$)`,
  message: `${layer} must not import ${packages.join(', ')} (docs/ARCHITECTURE.md, "Layers").`,
});
// A `lazy` layer's rule is typescript-eslint's no-restricted-imports, whose `allowTypeImports` lets `import type` through.
const layerRules = Object.entries(FORBIDDEN).map(([layer, { layers, packages, lazy }]) => ({
  files: [layer === 'lambdas' ? 'lambdas/**/*.ts' : `lib/${layer}/**/*.ts`],
  rules: {
    [lazy ? '@typescript-eslint/no-restricted-imports' : 'no-restricted-imports']: [
      'error',
      {
        patterns: [layerPattern(layer, layers), ...(packages.length ? [packagePattern(layer, packages)] : [])].map((p) =>
          lazy ? { ...p, allowTypeImports: true } : p,
        ),
      },
    ],
  },
}));

/** A read of the clock: Date.now(), performance.now(), process.hrtime(.bigint)(). */
const CLOCK_READ =
  ":matches(CallExpression[callee.object.name='Date'][callee.property.name='now'], CallExpression[callee.object.name='performance'][callee.property.name='now'], CallExpression[callee.object.name='process'][callee.property.name='hrtime'], CallExpression[callee.object.object.name='process'][callee.object.property.name='hrtime'])";

module.exports = tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', '.firebreak/', 'emulator/', 'coverage/', 'reports/', '.scratch/', 'bin/firebreak.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['lib/**/*.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    // zod as a namespace only (`import * as z from 'zod'`, or from 'zod/mini', the API of the schemas the Lambdas parse): a
    // named or default import is one object holding all of zod, which esbuild cannot tree-shake, so it put all of zod in
    // every Lambda bundle (docs/ARCHITECTURE.md, "Lean Lambda bundles").
    files: ['lib/**/*.ts', 'lambdas/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "ImportDeclaration:matches([source.value='zod'], [source.value='zod/mini'])[importKind!='type'] > :matches(ImportSpecifier, ImportDefaultSpecifier)",
          message:
            'import * as z from \'zod\': a named import keeps all of zod in every Lambda bundle (docs/ARCHITECTURE.md, "Lean Lambda bundles").',
        },
      ],
    },
  },
  {
    // Timing lives in `npm run bench`, never in a test (issue 13): an expectation may not read the clock. A test may
    // still compare recorded timestamps with each other (e.g. a deadline against the step that set it).
    files: ['test/**/*.test.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...['expect', 'expect.*'].map((callee) => ({
          selector: `CallExpression[callee.${callee === 'expect' ? 'name' : 'object.callee.name'}='expect'] ${CLOCK_READ}`,
          message: 'No test asserts a time: timing lives in npm run bench (an expectation may not read the clock).',
        })),
      ],
    },
  },
  ...layerRules,
  {
    files: ['*.js', 'scripts/**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);

module.exports.LAYERS = LAYERS;
module.exports.FORBIDDEN = FORBIDDEN;
