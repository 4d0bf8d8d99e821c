#!/usr/bin/env bash
# Installs the npm packages the schema validator (validate.mjs) needs into PREFIX
# (default: build/schema-node). Idempotent: does nothing when they are present.
# Exit 77 when node or npm is missing or the registry cannot be reached, so
# CTest reports the schema test as skipped with the reason, unless
# BULWARK_E2E_REQUIRED is set, which turns that into a failure.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
prefix="${1:-$here/../../build/schema-node}"
packages=(@cyclonedx/cyclonedx-library ajv ajv-formats spdx-expression-parse
  ajv-draft-04 @microsoft/jest-sarif)  # the last two: the official SARIF 2.1.0 schema (draft-04)

skip() {
  echo "schema setup: $*" >&2
  if [ -n "${BULWARK_E2E_REQUIRED:-}" ]; then exit 1; fi
  exit 77
}

command -v node >/dev/null || skip "node is not installed"
command -v npm >/dev/null || skip "npm is not installed"

missing=0
for p in "${packages[@]}"; do
  [ -f "$prefix/node_modules/$p/package.json" ] || missing=1
done
[ "$missing" -eq 0 ] && exit 0

mkdir -p "$prefix"
# A lock so that parallel CTest runs do not install into the same folder at once.
exec 9>"$prefix/.setup.lock"
flock 9
if ! npm install --no-audit --no-fund --loglevel=error --prefix "$prefix" "${packages[@]}" >&2; then
  skip "npm install of ${packages[*]} failed (is the npm registry reachable?)"
fi
