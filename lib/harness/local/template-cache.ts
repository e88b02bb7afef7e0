import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CfnTemplate, synthesizeSecurityTemplate } from './template';
import { PROJECT_ROOT } from '../../core/project-root';

const ROOT = PROJECT_ROOT;
/** What the security stack's template depends on: the infra, everything it imports from lib/core (config defaults, contracts, the catalog, brakes), the runtime config. */
const INPUTS = ['lib/infra', 'lib/core', 'lib/runtime/config.ts', 'cdk.json', 'package-lock.json'];

function* files(p: string): Generator<string> {
  const full = path.join(ROOT, p);
  if (!fs.existsSync(full)) return;
  if (fs.statSync(full).isDirectory()) {
    for (const name of fs.readdirSync(full).sort()) yield* files(path.join(p, name));
  } else {
    yield p;
  }
}

/**
 * The security stack's synthesized template, cached in `.firebreak/cache/` under a hash of every
 * source file it depends on (synthesis takes seconds; the cache is rebuilt when any input changes).
 * @returns the template, identical to {@link synthesizeSecurityTemplate}'s.
 */
export function loadSecurityTemplate(): CfnTemplate {
  const hash = createHash('sha256');
  for (const f of [...INPUTS].flatMap((i) => [...files(i)])) hash.update(f).update(fs.readFileSync(path.join(ROOT, f)));
  const digest = hash.digest('hex').slice(0, 16);
  const file = path.join(ROOT, '.firebreak', 'cache', `security-template-${digest}.json`);
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as CfnTemplate;
  const template = synthesizeSecurityTemplate();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(template));
  fs.renameSync(tmp, file);
  return template;
}
