#!/usr/bin/env bash
# Runs the pytest suite of Firebreak's moto extension (emulator/tests) with the project venv's
# python. Installs the venv first when needed (lib/harness/local/emulator.ts, ensureEmulatorInstalled).
# Extra arguments go to pytest. Exits non-zero when a test fails.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

npx --no-install tsx -e '
  require("./lib/harness/local/emulator")
    .ensureEmulatorInstalled({ log: (line) => process.stderr.write(`[emulator] ${line}\n`) })
    .catch((err) => { process.stderr.write(`${err.message}\n`); process.exit(1); });
'

cd "$root/emulator"
exec "$root/.firebreak/venv/bin/python" -m pytest -p no:cacheprovider -q tests "$@"
