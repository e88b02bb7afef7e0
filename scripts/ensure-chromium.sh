#!/usr/bin/env bash
# Installs Debian's Chromium when it is missing: the scorecard test opens the HTML scorecard in it,
# headless. Needs root (or passwordless sudo) and apt-get; otherwise says how to install it.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "firebreak: the scorecard test needs Chromium (Debian package chromium); install it and run again" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" != "0" ]; then
  if sudo -n true 2>/dev/null; then sudo="sudo -n"; else
    echo "firebreak: the scorecard test needs Chromium: sudo apt-get install -y chromium" >&2
    exit 1
  fi
fi
echo "firebreak: installing Chromium (apt-get install chromium)..." >&2
$sudo apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >&2
