#!/usr/bin/env node
// package.json `bin` entry: runs the CLI (bin/firebreak.ts) on the project's own Node 22
// (scripts/pinned-node.js). Started by another Node (the one on PATH), it runs itself again on the pinned
// binary, with that binary's folder first on PATH so that child processes use it too.
//
// The TypeScript runs compiled: on first use, and again whenever a source file changes, every .ts file of
// bin/, lib/ and lambdas/ is compiled to CommonJS by esbuild (file by file, no bundling, inline source maps)
// into .firebreak/build/<hash of the sources>/, and the CLI runs from there. Loading compiled JavaScript
// saves about half a second of CPU per run over compiling at load time (tsx), most of it in `gameday`,
// which loads the harness and every Lambda handler. The build is a cache, never committed (.firebreak/ is
// ignored); FIREBREAK_TSX=1, or a build that fails (reported on stderr), runs the sources through tsx as
// before. lib/core/project-root.ts finds the repository from its own place in the tree; in the build it is
// replaced by the repository's path, the one thing that differs. Builds of other sources older than a day
// are removed after a new build.
// Through tsx, the CLI loads each command's module with `await import(...)` (lib/cli/command-table.ts),
// which Node resolves through its ESM loader: tsx's ESM hooks let it find and compile the TypeScript
// there, as tsx's CommonJS hooks do for `require`.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ROOT, requiredMajor, pinnedNodePath } = require('../scripts/pinned-node');

const major = Number(process.versions.node.split('.')[0]);
if (major !== requiredMajor()) {
  const pinned = pinnedNodePath();
  if (!fs.existsSync(pinned)) {
    process.stderr.write(
      `firebreak: runs on Node ${requiredMajor()} (this is ${process.version}); run ./firebreak, which installs it (${path.relative(process.cwd(), ROOT) || '.'}/scripts/ensure-deps.sh)\n`,
    );
    process.exit(2);
  }
  const { spawn } = require('node:child_process');
  const env = { ...process.env, PATH: `${path.dirname(pinned)}${path.delimiter}${process.env.PATH ?? ''}` };
  const child = spawn(pinned, [__filename, ...process.argv.slice(2)], { stdio: 'inherit', env });
  // Ctrl-C reaches the child from the terminal itself (same process group); the parent waits for it
  // to clean up. Signals sent to this process alone are passed on.
  process.on('SIGINT', () => {});
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('error', (err) => {
    process.stderr.write(`firebreak: cannot start ${pinned}: ${err.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (os.constants.signals[signal] ?? 0)));
} else {
  const compiled = process.env.FIREBREAK_TSX === '1' ? undefined : compiledCli();
  if (compiled) {
    process.setSourceMapsEnabled(true);
    require(compiled);
  } else {
    import('tsx/esm/api').then(({ register }) => {
      register();
      require('tsx/cjs');
      require('./firebreak.ts');
    });
  }
}

/**
 * The compiled CLI (`.firebreak/build/<hash>/bin/firebreak.js`), built first if the sources changed.
 * @returns its path, or undefined when the build failed (the reason on stderr).
 */
function compiledCli() {
  try {
    const sources = ['bin', 'lib', 'lambdas'].flatMap((dir) => tsFiles(dir));
    const esbuild = require('esbuild');
    const hash = require('node:crypto').createHash('sha256').update(`${esbuild.version}\n`).update(fs.readFileSync(__filename));
    for (const f of sources) hash.update(`\n${f}\n`).update(fs.readFileSync(path.join(ROOT, f)));
    const buildDir = path.join(ROOT, '.firebreak', 'build');
    const dir = path.join(buildDir, hash.digest('hex').slice(0, 16));
    const entry = path.join(dir, 'bin', 'firebreak.js');
    if (fs.existsSync(entry)) return entry;
    const tmp = `${dir}.${process.pid}.tmp`;
    esbuild.buildSync({
      entryPoints: sources.map((f) => path.join(ROOT, f)),
      outdir: tmp,
      outbase: ROOT,
      format: 'cjs',
      platform: 'node',
      target: 'node22',
      sourcemap: 'inline',
      // `await import('./commands/x')` (lib/cli/command-table.ts) as `require`: extensionless paths, as tsx resolves them.
      supported: { 'dynamic-import': false },
      logLevel: 'error',
    });
    fs.writeFileSync(
      path.join(tmp, 'lib', 'core', 'project-root.js'),
      `"use strict";\n// Written by bin/firebreak.js: the repository this build was compiled from.\nexports.PROJECT_ROOT = ${JSON.stringify(ROOT)};\n`,
    );
    try {
      fs.renameSync(tmp, dir);
    } catch (err) {
      // Another process built the same sources meanwhile: use its build.
      fs.rmSync(tmp, { recursive: true, force: true });
      if (!fs.existsSync(entry)) throw err;
    }
    pruneBuilds(buildDir, dir);
    return entry;
  } catch (err) {
    process.stderr.write(`firebreak: could not compile the CLI (${err.message.split('\n')[0]}); running it through tsx\n`);
    return undefined;
  }
}

/**
 * Removes the builds of other sources last written more than a day ago (best effort): each source change makes a new
 * build, and a process started a day ago from an older one has long loaded its modules.
 */
function pruneBuilds(buildDir, keep) {
  const dayAgo = Date.now() - 24 * 3600 * 1000;
  for (const name of fs.readdirSync(buildDir)) {
    const p = path.join(buildDir, name);
    try {
      if (p !== keep && fs.statSync(p).mtimeMs < dayAgo) fs.rmSync(p, { recursive: true, force: true });
    } catch {
      // gone meanwhile, or not ours to remove: leave it
    }
  }
}

/** Every .ts file under a folder of the repository (not .d.ts), as paths relative to the root, sorted. */
function tsFiles(dir) {
  const out = [];
  const walk = (rel) => {
    for (const e of fs.readdirSync(path.join(ROOT, rel), { withFileTypes: true })) {
      const p = path.join(rel, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}
