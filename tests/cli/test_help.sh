#!/usr/bin/env bash
# Help that teaches (issue 12): grouped `bulwark --help`, examples at the end of every command's
# help, the nearest option for a misspelt one, options only where they act, negative numbers
# refused, limits that name their flag, `--version` with commit, build type and database age,
# fix commands for a missing daemon or permission, and package tables that fit the terminal.
# Usage: test_help.sh BULWARK SHARED_DIR
set -uo pipefail
B="$1"
SHARED="${2:-}"
W="$(mktemp -d)"
trap 'rm -rf "$W"' EXIT
fails=0
ok() { echo "  ok: $*"; }
bad() { echo "  FAIL: $*" >&2; fails=$((fails + 1)); }
check() { # WHAT COMMAND...
  local what="$1"; shift
  if "$@"; then ok "$what"; else bad "$what"; fi
}

echo "-- bulwark --help groups the commands by practice"
"$B" --help >"$W/help.txt"
for h in "Start here:" "vulnerability-scan: " "up-to-date: " "host-hardening: " "access-control: " "network-policy: " \
  "monitoring: "; do
  check "heading '$h'" grep -q "^$h" "$W/help.txt"
done
check "audit is under 'Start here'" grep -A1 -q "^Start here:" "$W/help.txt"
check "image is under vulnerability-scan" sh -c "sed -n '/^vulnerability-scan/,/^$/p' '$W/help.txt' | grep -q '^  image '"
check "host is under host-hardening" sh -c "sed -n '/^host-hardening/,/^$/p' '$W/help.txt' | grep -q '^  host '"

echo "-- every command's help ends with two or more real examples"
commands=$(awk '/^Examples:/ {exit} /^[A-Za-z].*:$/ {g=1; next} g && /^  [a-z]/ {print $1}' "$W/help.txt" | sort -u)
[ -n "$commands" ] || bad "no commands listed"
for c in $commands; do
  "$B" $c --help >"$W/c.txt" 2>&1
  n=$(awk '/^Examples:/ {f=1; next} f && /bulwark / {n++} END {print n+0}' "$W/c.txt")
  if [ "$n" -ge 2 ]; then ok "$c: $n examples"; else bad "$c --help has $n examples"; fi
  subs=$(awk '/^Subcommands:/ {f=1; next} f && /^  [a-z]/ {print $1} f && /^$/ {f=0}' "$W/c.txt")
  for s in $subs; do
    n=$("$B" $c $s --help 2>&1 | awk '/Examples:/ {f=1; next} f && /bulwark / {n++} END {print n+0}')
    if [ "$n" -ge 2 ]; then ok "$c $s: $n examples"; else bad "$c $s --help has $n examples"; fi
  done
done

echo "-- a misspelt option or command names the nearest real one"
"$B" sbom / --fromat json >"$W/o" 2>"$W/e"; rc=$?
check "exit 2" test "$rc" = 2
check "suggests --format" grep -qF "unknown option '--fromat' for 'bulwark sbom'; did you mean '--format'?" "$W/e"
check "does not blame the valid target" sh -c "! grep -q \"'/'\" '$W/e'"
"$B" image x --ignore-unfxed 2>"$W/e"
check "suggests --ignore-unfixed" grep -qF "did you mean '--ignore-unfixed'?" "$W/e"
"$B" db improt x 2>"$W/e"; rc=$?
check "db improt: exit 2 and suggests import" sh -c "[ $rc = 2 ] && grep -qF \"did you mean 'import'?\" '$W/e'"
"$B" imgae x 2>"$W/e"
check "imgae suggests image" grep -qF "did you mean 'image'?" "$W/e"
"$B" sbom / --zzzzzzzz 2>"$W/e"
check "a far-off option gets no suggestion" sh -c "grep -qF \"unknown option '--zzzzzzzz'\" '$W/e' && ! grep -q 'did you mean' '$W/e'"
"$B" sbom --format=table --quiet dir:/nonexistent-dir 2>"$W/e"; rc=$?
check "valid --opt=value and flags pass through (exit 3: missing folder)" test "$rc" = 3

echo "-- each command lists only the options that act on it"
"$B" config --help >"$W/c.txt"
check "config offers no --ignore-unfixed" sh -c "! grep -q -- '--ignore-unfixed' '$W/c.txt'"
check "config offers no --vex" sh -c "! grep -q -- '--vex' '$W/c.txt'"
check "config keeps --severity" grep -q -- '--severity' "$W/c.txt"
"$B" host --help >"$W/c.txt"
check "host offers no --ignore-unfixed" sh -c "! grep -q -- '--ignore-unfixed' '$W/c.txt'"
"$B" image --help >"$W/c.txt"
check "image keeps --ignore-unfixed and --vex" sh -c "grep -q -- '--ignore-unfixed' '$W/c.txt' && grep -q -- '--vex' '$W/c.txt'"

echo "-- numeric options refuse negative values; a limit that is hit names its flag"
mkdir -p "$W/tree/a/b"
touch "$W/tree/a/1" "$W/tree/a/2" "$W/tree/a/b/3" "$W/tree/4"
"$B" sbom "dir:$W/tree" --max-files -1 -q >"$W/o" 2>"$W/e"; rc=$?
check "--max-files -1: exit 2" test "$rc" = 2
check "says it is negative" grep -q -- "--max-files: -1 is negative" "$W/e"
"$B" sbom "dir:$W/tree" --max-files 2 -q >"$W/o" 2>"$W/e"; rc=$?
check "--max-files 2 on 6 entries: exit 3" test "$rc" = 3
check "the limit names --max-files" grep -q -- "--max-files raises it" "$W/e"
"$B" sbom "dir:$W/tree" --max-files 100 -q >"$W/o" 2>"$W/e"; rc=$?
check "--max-files 100: exit 0" test "$rc" = 0

echo "-- --version: version, commit, build type, database age"
HOME="$W/home" "$B" --version >"$W/v" 2>&1
check "version line" grep -qE '^bulwark [0-9]+\.[0-9]+\.[0-9]+ \(commit [0-9a-f]{7,}|unknown' "$W/v"
check "build type" grep -qE 'commit [^,]+, [A-Za-z]+ build\)' "$W/v"
check "no database: says how to make one" grep -qF "advisory database: none at $W/home/.cache/bulwark/db/bulwark.db (make one: bulwark db update)" "$W/v"
if [ -n "$SHARED" ] && [ -f "$SHARED/data/advisories/debian-security-tracker/DSA.list" ]; then
  "$B" db import --db "$W/db.sqlite" -q "$SHARED/data/advisories/debian-security-tracker/DSA.list" >/dev/null 2>&1
  BULWARK_DB="$W/db.sqlite" "$B" --version >"$W/v" 2>&1
  check "with a database: its path and age" grep -qE "advisory database: $W/db.sqlite, updated 20[0-9-]+T[0-9:]+Z? \(([0-9.]+ (minutes|hours|days)) old" "$W/v"
else
  bad "shared advisory data missing (BULWARK_SHARED_DIR)"
fi

echo "-- a missing daemon or permission names the fix"
"$B" host --docker-host "unix://$W/dead.sock" -q >/dev/null 2>"$W/e"
check "dead socket: names how to start the engine" grep -qF "systemctl start docker" "$W/e"
if [ "$(id -u)" = 0 ] && [ -S /var/run/docker.sock ] && command -v setpriv >/dev/null; then
  setpriv --reuid=65534 --regid=65534 --clear-groups "$B" sbom docker-daemon:bulwark-e2e/app:1 --cache-dir "$W" -q \
    >/dev/null 2>"$W/e"
  check "socket without access: names sudo and the docker group" grep -qF "usermod -aG docker" "$W/e"
fi

echo "-- package tables fit the terminal"
mkdir -p "$W/root/etc" "$W/root/var/lib/dpkg" "$W/root/usr/lib/python3/dist-packages/PyYAML-6.0.dist-info" \
  "$W/root/opt/venv/lib/python3.11/site-packages/PyYAML-6.0.1.dist-info"
printf 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' >"$W/root/etc/os-release"
long="averyveryverylongpackagenamethatgoesonandonforeverandeverbeyondanyreasonablewidthofaterminal"
printf 'Package: %s\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: amd64\n\nPackage: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13.dfsg-1\nArchitecture: amd64\nSource: zlib\n' \
  "$long" >"$W/root/var/lib/dpkg/status"
printf 'Metadata-Version: 2.1\nName: PyYAML\nVersion: 6.0\n' >"$W/root/usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA"
printf 'Metadata-Version: 2.1\nName: PyYAML\nVersion: 6.0.1\n' \
  >"$W/root/opt/venv/lib/python3.11/site-packages/PyYAML-6.0.1.dist-info/METADATA"
COLUMNS=80 "$B" sbom "$W/root" -q >"$W/t" 2>"$W/e"
check "no line wider than 80" sh -c "[ \$(tail -n +3 '$W/t' | awk 'length > 80' | wc -l) = 0 ]"
check "the long name is shortened in the middle" grep -qE '^averyvery.*\.\.\..*terminal ' "$W/t"
check "deb packages before pypi" sh -c "[ \$(grep -n ' deb ' '$W/t' | tail -1 | cut -d: -f1) -lt \$(grep -n ' pypi ' '$W/t' | head -1 | cut -d: -f1) ]"
check "LOCATION tells the two PyYAMLs apart" sh -c "grep -q 'LOCATION' '$W/t' && [ \$(grep '^PyYAML' '$W/t' | awk '{print \$NF}' | sort -u | wc -l) = 2 ]"
COLUMNS=400 "$B" sbom "$W/root" -q >"$W/t"
check "wide terminal: the full name" grep -q "^$long " "$W/t"
"$B" sbom "$W/root" -q | cat >"$W/t"
check "a pipe without COLUMNS: nothing cut" grep -q "^$long " "$W/t"

echo "== help: $fails failed"
[ "$fails" = 0 ]
