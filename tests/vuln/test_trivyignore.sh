#!/usr/bin/env bash
# Trivy's .trivyignore, end to end: a .trivyignore in the working directory is read
# when no --ignorefile is given (with a note on stderr), its exp: date ends the
# suppression, a malformed line is an error naming file:line (exit 3, as for a bad
# YAML ignore file), and --ignorefile takes either format.
#
# The database holds DSA.list only. zlib 1:1.2.11.dfsg-2+deb11u1 on Debian 11 is
# affected by DSA-5218-1 (CVE-2022-37434, fixed in +deb11u2), read from DSA.list.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../e2e/lib.sh"
e2e_init trivyignore
e2e_require_cmd jq
: "${BULWARK_SHARED_DIR:=$BULWARK_SOURCE_DIR/../shared}"
ADV="$BULWARK_SHARED_DIR/data/advisories"
[ -d "$ADV" ] || e2e_fatal "advisory data missing: $ADV"

DB="$W/dsa.db"
"$BULWARK" db import --db "$DB" -q "$ADV/debian-security-tracker/DSA.list" >/dev/null
ROOT="$W/rootfs"
mkdir -p "$ROOT/etc" "$ROOT/var/lib/dpkg"
printf 'ID=debian\nVERSION_ID="11"\nVERSION_CODENAME=bullseye\nPRETTY_NAME="Debian GNU/Linux 11 (bullseye)"\n' \
  >"$ROOT/etc/os-release"
cat >"$ROOT/var/lib/dpkg/status" <<'ST'
Package: zlib1g
Status: install ok installed
Architecture: amd64
Source: zlib
Version: 1:1.2.11.dfsg-2+deb11u1
ST
CVE=CVE-2022-37434
suppression() { jq -c "[.findings[] | select(.id==\"$CVE\")][0].suppression" "$1"; }

# Without any ignore file the finding is reported.
mkdir -p "$W/plain"
(cd "$W/plain" && "$BULWARK" rootfs "$ROOT" --db "$DB" -f json -q -o "$W/none.json") 2>"$W/none.err"
assert_eq "reported without an ignore file" 1 "$(jq "[.findings[] | select(.id==\"$CVE\")] | length" "$W/none.json")"
assert_eq "no ignore file: no suppression" null "$(suppression "$W/none.json")"
assert_no_grep "no note without a .trivyignore" "$W/none.err" ".trivyignore"

# .trivyignore in the working directory, entry valid until far in the future.
mkdir -p "$W/valid"
printf '# accepted risks\r\n\r\n%s exp:2999-12-31   # zlib inflate not reachable\r\nAVD-DS-0002\r\n' "$CVE" \
  >"$W/valid/.trivyignore"
(cd "$W/valid" && "$BULWARK" rootfs "$ROOT" --db "$DB" -f json -q -o "$W/valid.json") 2>"$W/valid.err"
assert_grep "the default .trivyignore is announced" "$W/valid.err" "note: using \.trivyignore from the working directory"
assert_eq "suppressed by .trivyignore" \
  '{"kind":"ignore-file","reason":"zlib inflate not reachable (ignored by .trivyignore:3) (until 2999-12-31)","source":".trivyignore"}' \
  "$(suppression "$W/valid.json")"
(cd "$W/valid" && "$BULWARK" rootfs "$ROOT" --db "$DB" -q -o "$W/valid.txt") 2>/dev/null
assert_no_grep "suppressed finding leaves the table" "$W/valid.txt" "$CVE"
(cd "$W/valid" && "$BULWARK" rootfs "$ROOT" --db "$DB" -q -f sarif -o "$W/valid.sarif") 2>/dev/null
assert_eq "SARIF keeps it as suppressed" 1 \
  "$(jq "[.runs[0].results[] | select(.ruleId==\"$CVE\") | select(.suppressions | length > 0)] | length" \
    "$W/valid.sarif")"

# The same entry after its exp: date: reported again, with a warning.
mkdir -p "$W/expired"
printf '%s exp:2020-01-31\n' "$CVE" >"$W/expired/.trivyignore"
(cd "$W/expired" && "$BULWARK" rootfs "$ROOT" --db "$DB" -f json -q -o "$W/expired.json") 2>"$W/expired.err"
assert_eq "expired entry no longer suppresses" null "$(suppression "$W/expired.json")"
assert_grep "expired entry warned about" "$W/expired.err" \
  "warning: \.trivyignore:1: the ignore entry for $CVE expired on 2020-01-31"

# A malformed line: exit 3 naming file and line, no report written.
mkdir -p "$W/bad"
printf '%s\nCVE-2023-0001 exp:2024-31-12\n' "$CVE" >"$W/bad/.trivyignore"
rc=0
(cd "$W/bad" && "$BULWARK" rootfs "$ROOT" --db "$DB" -f json -q -o "$W/bad.json") 2>"$W/bad.err" || rc=$?
assert_eq "malformed .trivyignore: exit 3" 3 "$rc"
assert_grep "malformed .trivyignore: file and line" "$W/bad.err" \
  "\.trivyignore:2: expiry \"exp:2024-31-12\" is not a date"
assert_true "malformed .trivyignore: no report" test ! -e "$W/bad.json"
printf 'ignore:\n  - id: %s\n    expires: 2024-31-12\n' "$CVE" >"$W/bad.yaml"
rc=0
"$BULWARK" rootfs "$ROOT" --db "$DB" -q --ignorefile "$W/bad.yaml" >/dev/null 2>&1 || rc=$?
assert_eq "a malformed YAML ignore file exits the same way" 3 "$rc"

# --ignorefile: plain lines under another name (content decides), and a YAML file
# given while a .trivyignore sits in the working directory (which is then not read).
printf '# team list\n%s\n' "$CVE" >"$W/accepted.txt"
"$BULWARK" rootfs "$ROOT" --db "$DB" -f json -q --ignorefile "$W/accepted.txt" -o "$W/named.json" 2>"$W/named.err"
assert_eq "--ignorefile with plain lines" "\"ignored by $W/accepted.txt:2\"" \
  "$(jq "[.findings[] | select(.id==\"$CVE\")][0].suppression.reason" "$W/named.json")"
printf 'ignore:\n  - id: DSA-5218-1\n    reason: by the DSA alias\n' >"$W/team.yaml"
(cd "$W/bad" && "$BULWARK" rootfs "$ROOT" --db "$DB" -f json -q --ignorefile "$W/team.yaml" -o "$W/yaml.json") \
  2>"$W/yaml.err"
assert_eq "--ignorefile YAML wins over ./.trivyignore" '"by the DSA alias"' \
  "$(jq "[.findings[] | select(.id==\"$CVE\")][0].suppression.reason" "$W/yaml.json")"
assert_no_grep "no note when --ignorefile is given" "$W/yaml.err" "note:"
# Trivy's YAML ignore file, by --ignorefile.
printf 'vulnerabilities:\n  - id: %s\n    statement: accepted\n    purls: ["pkg:deb/debian/zlib1g"]\nsecrets:\n' "$CVE" \
  >"$W/.trivyignore.yaml"
"$BULWARK" rootfs "$ROOT" --db "$DB" -f json -q --ignorefile "$W/.trivyignore.yaml" -o "$W/tyaml.json" 2>/dev/null
assert_eq "--ignorefile .trivyignore.yaml" '"accepted"' \
  "$(jq "[.findings[] | select(.id==\"$CVE\")][0].suppression.reason" "$W/tyaml.json")"
rc=0
(cd "$W/bad" && "$BULWARK" rootfs "$ROOT" --db "$DB" -f json -q --ignorefile "" -o "$W/off.json") 2>/dev/null || rc=$?
assert_eq "--ignorefile \"\" turns the default off" "0 null" "$rc $(suppression "$W/off.json")"

e2e_finish
