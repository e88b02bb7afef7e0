import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildTestApp, templateOf } from './support';

// The toolchain runs on the Lambda runtime's major version (issue 12): the tests, the CLI and every
// child process on the project's own Node (scripts/pinned-node.js), whose major is the one the
// synthesized functions declare as `Runtime` (nodejs<major>.x, "Lambda runtimes",
// https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pinned = require('../../scripts/pinned-node') as {
  ROOT: string;
  requiredMajor: () => number;
  platformPackage: () => { name: string; version: string };
  pinnedNodePath: () => string;
};

const majorOf = (version: string): number => Number(version.replace(/^v/, '').split('.')[0]);

/** The majors of the `Runtime` of every Lambda function in both synthesized stacks. */
function runtimeMajors(): number[] {
  const { security, member } = buildTestApp();
  const runtimes = [security, member].flatMap((stack) =>
    Object.values(templateOf(stack).findResources('AWS::Lambda::Function')).map((fn) => fn.Properties.Runtime as string),
  );
  expect(runtimes.length).toBeGreaterThan(0);
  return runtimes.map((runtime) => {
    const match = /^nodejs(\d+)\.x$/.exec(runtime);
    if (!match) throw new Error(`not a Node.js runtime: ${runtime}`);
    return Number(match[1]);
  });
}

describe('toolchain', () => {
  it('runs the tests on the Lambda runtime major, which is the one package.json requires and pins', () => {
    const majors = [...new Set(runtimeMajors())];
    expect(majors).toHaveLength(1);
    const [lambdaMajor] = majors;
    expect(majorOf(process.versions.node)).toBe(lambdaMajor);
    expect(pinned.requiredMajor()).toBe(lambdaMajor);
    expect(majorOf(pinned.platformPackage().version)).toBe(lambdaMajor);
    // and on the pinned binary itself, not a Node 22 that happens to be on PATH
    expect(fs.realpathSync(process.execPath)).toBe(fs.realpathSync(pinned.pinnedNodePath()));
    expect(process.version).toBe(`v${pinned.platformPackage().version}`);
  });

  it('runs a child process started by name (`node`, as scripts and tools do) on the same binary', () => {
    const execPath = execFileSync('node', ['-p', 'process.execPath'], { encoding: 'utf8' }).trim();
    expect(fs.realpathSync(execPath)).toBe(fs.realpathSync(process.execPath));
  });

  it('has no Promise.withResolvers polyfill left: the runtime provides it (ES2024, Node 22)', () => {
    const polyfills = (fs.readdirSync(path.join(pinned.ROOT, 'lib'), { recursive: true }) as string[]).filter(
      (f) => path.basename(f) === 'polyfills.ts',
    );
    expect(polyfills).toEqual([]);
    expect(Object.getOwnPropertyDescriptor(Promise, 'withResolvers')?.value.toString()).toContain('[native code]');
  });

  describe('bin/firebreak.js started by another Node', () => {
    let dir: string;
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'firebreak-toolchain-'));
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    // A Node of another major: the machine's own, which the README lets be anything with npm.
    // Found on PATH without the project's node_modules/.bin folders.
    const otherNode = (): string | undefined => {
      const dirs = (process.env.PATH ?? '').split(path.delimiter).filter((d) => d && !d.includes(`node_modules${path.sep}.bin`));
      for (const d of dirs) {
        const candidate = path.join(d, 'node');
        if (!fs.existsSync(candidate)) continue;
        const version = execFileSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
        if (majorOf(version) !== pinned.requiredMajor()) return candidate;
      }
      return undefined;
    };

    it('runs the CLI again on the pinned Node', () => {
      const node = otherNode();
      // Without a second Node on the machine there is nothing to start it with; CI's machine has Node 20.
      if (node === undefined) return console.warn('no Node of another major on PATH: re-exec not exercised');
      // Every process of the run records the Node it runs on (NODE_OPTIONS reaches the child too).
      const record = path.join(dir, 'record.js');
      const log = path.join(dir, 'versions.log');
      fs.writeFileSync(record, `require('fs').appendFileSync(${JSON.stringify(log)}, process.version + '\\n');\n`);
      const env = { ...process.env, PATH: path.dirname(node), NODE_OPTIONS: `--require ${record}` };
      const out = execFileSync(node, [path.join(pinned.ROOT, 'bin', 'firebreak.js'), '--help'], { encoding: 'utf8', env });
      expect(out).toContain('Usage: firebreak');
      const versions = fs.readFileSync(log, 'utf8').trim().split('\n');
      expect(versions[0]).toBe(execFileSync(node, ['--version'], { encoding: 'utf8', env: { PATH: '' } }).trim());
      // then the CLI itself, and whatever it starts, on the pinned one
      expect(versions.length).toBeGreaterThan(1);
      expect([...new Set(versions.slice(1))]).toEqual([`v${pinned.platformPackage().version}`]);
    });
  });
});
