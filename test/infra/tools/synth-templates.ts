/**
 * Synthesizes the repository's CDK app (the default configuration, no bundling, no cdk-nag) and writes each
 * stack's template with asset hashes masked to `<outdir>/<stack>.template.json`, keys sorted, for comparing two
 * revisions: `npx tsx test/infra/tools/synth-templates.ts [--cli-metadata] <outdir> [<firebreak config JSON>]`, once per
 * revision, then `diff -r`. `--cli-metadata` adds what `npx cdk synth` adds (`aws:cdk:path` metadata, CDKMetadata).
 * Asset hashes (64 hex characters, in S3 keys and `aws:asset:path` metadata) are replaced with `<asset-hash>`;
 * nothing else is changed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildApp } from '../../../lib/infra/app';

/** Replaces every 64-hex asset hash in a JSON text. */
export function maskAssetHashes(text: string): string {
  return text.replace(/\b[0-9a-f]{64}\b/g, '<asset-hash>');
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sorted((value as Record<string, unknown>)[k])]),
  );
}

function main(): void {
  const args = process.argv.slice(2);
  const cliMetadata = args[0] === '--cli-metadata';
  const [outdir, config] = cliMetadata ? args.slice(1) : args;
  if (!outdir) {
    process.stderr.write('usage: synth-templates.ts [--cli-metadata] <outdir> [<firebreak config JSON>]\n');
    process.exitCode = 2;
    return;
  }
  fs.mkdirSync(outdir, { recursive: true });
  const firebreak = config === undefined ? {} : { firebreak: JSON.parse(config) as unknown };
  const metadata = cliMetadata ? { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:version-reporting': true } : {};
  const { app } = buildApp({ context: { 'aws:cdk:bundling-stacks': [], ...metadata, ...firebreak }, nag: false });
  const assembly = app.synth();
  for (const stack of assembly.stacks) {
    const text = maskAssetHashes(JSON.stringify(sorted(stack.template), null, 1));
    fs.writeFileSync(path.join(outdir, `${stack.stackName}.template.json`), `${text}\n`);
  }
}

main();
