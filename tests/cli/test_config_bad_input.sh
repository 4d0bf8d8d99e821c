#!/usr/bin/env bash
# bulwark config with a malformed file beside good ones: the good ones are still checked and
# reported, the bad one is named with its line, and the run exits 3.
set -uo pipefail
BULWARK="$1"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fails=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fails=$((fails + 1)); fi; }
mkdir -p "$W/in"
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: nginx\n    securityContext: {privileged: true}\n' >"$W/in/good.yaml"
printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n' >"$W/in/bad.yaml"
printf 'FROM debian:12\nRUN curl -k https://example.org/x.sh | sh\n' >"$W/in/Dockerfile"
"$BULWARK" config "$W/in" --format json -o "$W/out.json" 2>"$W/err"
rc=$?
check "exit 3 when a file does not parse" '[ "$rc" = 3 ]'
check "the bad file is named with a line" 'grep -Eq "bad.yaml:[0-9]+" "$W/err"'
check "the good manifest is still checked" 'jq -e "[.findings[] | select(.location.path | endswith(\"good.yaml\"))] | length > 0" "$W/out.json" >/dev/null'
check "the Dockerfile is still checked" 'jq -e "[.findings[] | select(.location.path | endswith(\"Dockerfile\"))] | length > 0" "$W/out.json" >/dev/null'
rm "$W/in/bad.yaml"
"$BULWARK" config "$W/in" -q >/dev/null 2>&1
rc=$?
check "exit 0 without --exit-code when only checks fail" '[ "$rc" = 0 ]'
"$BULWARK" config "$W/in" -q --exit-code 1 >/dev/null 2>&1
rc=$?
check "exit 1 with --exit-code 1" '[ "$rc" = 1 ]'
"$BULWARK" config "$W/nope" >/dev/null 2>"$W/err2"
rc=$?
check "a missing path exits 3 and is named" '[ "$rc" = 3 ] && grep -q "nope" "$W/err2"'
[ "$fails" -eq 0 ]
