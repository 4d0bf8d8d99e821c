#!/usr/bin/env bash
# Installs the browser tests' npm packages (package.json + package-lock.json beside this
# script: playwright-core, which drives Debian's /usr/bin/chromium; no browser is downloaded)
# into PREFIX (default: build/browser-node) with `npm ci`. Idempotent: does nothing when the
# installed lock matches. Exit 77 when node/npm is missing or the registry cannot be reached
# (a failure instead when BULWARK_E2E_REQUIRED is set).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
prefix="${1:-$here/../../build/browser-node}"

skip() {
  echo "browser setup: $*" >&2
  if [ -n "${BULWARK_E2E_REQUIRED:-}" ]; then exit 1; fi
  exit 77
}
command -v node >/dev/null || skip "node is not installed"
command -v npm >/dev/null || skip "npm is not installed"

mkdir -p "$prefix"
exec 9>"$prefix/.setup.lock"
flock 9
if cmp -s "$here/package-lock.json" "$prefix/package-lock.json" && [ -f "$prefix/node_modules/playwright-core/package.json" ]; then
  exit 0
fi
cp "$here/package.json" "$here/package-lock.json" "$prefix/"
# PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: playwright-core downloads nothing itself; belt and braces.
if ! (cd "$prefix" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2); then
  rm -f "$prefix/package-lock.json"
  skip "npm ci in $prefix failed (is the npm registry reachable?)"
fi
