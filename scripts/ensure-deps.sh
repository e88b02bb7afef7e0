#!/usr/bin/env bash
# Installs the npm dependencies when they are missing or older than package-lock.json, including the
# project's own Node 22 (scripts/pinned-node.js), which every other script then runs on: after this,
# `node_modules/.bin/node` is the pinned Node 22 binary.
# (The Python emulator installs itself into .firebreak/venv on first use: lib/harness/local/emulator.ts.)
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "firebreak: Node.js with npm is required to install the project's own Node 22: install it from your OS packages or nodejs.org" >&2
  exit 2
fi
pinned=node_modules/.bin/node
if [ -x "$pinned" ] && [ -f node_modules/.package-lock.json ] && [ ! package-lock.json -nt node_modules/.package-lock.json ]; then
  exit 0
fi
echo "firebreak: installing npm dependencies (npm ci)..." >&2
if [ -x "$pinned" ]; then
  # npm itself runs on the pinned Node, so the dependencies' engines are checked against Node 22.
  PATH="$PWD/node_modules/.bin:$PATH" npm ci --no-audit --no-fund >&2
else
  # First install: the same pinned platform package, run from npm's cache, carries npm through
  # `npm ci` (which then installs it under node_modules from the lockfile, integrity-checked).
  spec="$(node scripts/pinned-node.js spec)"
  npm exec --yes --package="$spec" -- npm ci --no-audit --no-fund >&2
fi
if [ ! -x "$pinned" ]; then
  echo "firebreak: npm ci did not install the pinned Node.js ($pinned)" >&2
  exit 1
fi
