#!/usr/bin/env bash
# Installs the npm dependencies when they are missing or older than package-lock.json.
# (The Python emulator installs itself into .firebreak/venv on first use: lib/harness/local/emulator.ts.)
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null 2>&1; then
  echo "firebreak: Node.js 20.19+ with npm is required: install it from your OS packages or nodejs.org" >&2
  exit 2
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "firebreak: installing npm dependencies (npm ci)..." >&2
  npm ci --no-audit --no-fund >&2
fi
