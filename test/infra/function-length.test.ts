import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ts from 'typescript';
import { PROJECT_ROOT } from '../../lib/core/project-root';

/**
 * Issue 12: no function in lib/ is longer than 80 lines (its body, first line to last), so that each reads on one
 * screen. Tables of data are not functions and do not count; a template literal inside a function does.
 */
const MAX_LINES = 80;

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? sources(p) : d.name.endsWith('.ts') ? [p] : [];
  });
}

/** Every function, method, constructor, accessor and arrow function of a file whose body spans more than `max` lines. */
function longFunctions(file: string, max: number): string[] {
  const sf = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionLike(n) && 'body' in n && n.body) {
      const body = n.body as ts.Node;
      const lines = sf.getLineAndCharacterOfPosition(body.getEnd()).line - sf.getLineAndCharacterOfPosition(body.getStart()).line + 1;
      if (lines > max)
        found.push(`${path.relative(PROJECT_ROOT, file)}:${sf.getLineAndCharacterOfPosition(body.getStart()).line + 1} (${lines} lines)`);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

describe('function length in lib/', () => {
  it(`has no function over ${MAX_LINES} lines`, () => {
    expect(sources(path.join(PROJECT_ROOT, 'lib')).flatMap((f) => longFunctions(f, MAX_LINES))).toEqual([]);
  });

  it('finds a long function (the check can fail)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fb-len-'));
    const file = path.join(dir, 'long.ts');
    fs.writeFileSync(
      file,
      `export function long(): number {\n${'  let x = 1;\n'.repeat(MAX_LINES)}  return 1;\n}\nexport const short = () => 1;\n`,
    );
    expect(longFunctions(file, MAX_LINES)).toEqual([expect.stringMatching(/long\.ts:1 \(\d+ lines\)/)]);
  });
});
