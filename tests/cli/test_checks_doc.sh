#!/usr/bin/env bash
# docs/checks.md is generated from checks/*.yaml; this fails when it is stale.
# Regenerate: ./build/bulwark config --list-checks --format markdown > docs/checks.md
set -euo pipefail
BULWARK="$1"
SRC="$2"
if ! diff -u "$SRC/docs/checks.md" <("$BULWARK" config --list-checks --format markdown); then
  echo "docs/checks.md is stale: regenerate it with: $BULWARK config --list-checks --format markdown > docs/checks.md" >&2
  exit 1
fi
echo "docs/checks.md matches the check catalogue"
