#!/usr/bin/env bash
# `bulwark db import|update|status` end to end: real advisory files from ../shared,
# a local HTTP mirror (python3 http.server on 127.0.0.1, which answers
# If-Modified-Since with 304), damaged databases and failing feeds.
set -uo pipefail
bulwark="${1:?usage: test_db.sh path/to/bulwark SHARED_DIR WORK_DIR}"
shared="${2:?}"
work="${3:?}"
adv="$shared/data/advisories"
rm -rf "$work" && mkdir -p "$work"
failures=0
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; }
trap cleanup EXIT

ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; failures=$((failures + 1)); }
expect_rc() {  # NAME WANT GOT
  if [ "$3" -eq "$2" ]; then ok "$1"; else bad "$1: exit $3, want $2"; fi
}
expect_grep() {  # NAME PATTERN FILE
  if grep -q -- "$2" "$3"; then ok "$1"; else bad "$1: no '$2' in $3:"; sed 's/^/    /' "$3" | head -20; fi
}
hash() { if [ -f "$1" ]; then sha256sum "$1" | cut -d' ' -f1; else echo "missing:$1"; fi; }

# ---------------------------------------------------------------- import
db="$work/import.db"
mkdir -p "$work/mixed/DSA"
cp "$adv/debian-security-tracker/DSA.list" "$work/mixed/DSA/list"
cp "$adv"/ghsa-samples/trivy-db/*.json "$work/mixed/"
printf '{"id": "GHSA-broken", "modified": "yesterday", "affected": "not a list"}' >"$work/mixed/broken.json"
"$bulwark" db import "$work/mixed" "$adv/alpine-secdb-yaml-2020.tar.zst" --db "$db" --format json -q \
  >"$work/import1.json" 2>"$work/import1.err"
expect_rc "import: exit 0" 0 $?
python3 - "$work/import1.json" <<'PY' && ok "import: counts per source" || bad "import: counts per source"
import json, sys
d = json.load(open(sys.argv[1]))
src = d["import"]["records_by_source"]
assert src["debian-dsa"] == 5406, src
assert src["osv:GHSA"] >= 10, src
assert any(k.startswith("alpine-yaml:") for k in src), src
assert d["import"]["inserted"] == d["import"]["records"] - d["import"]["duplicates"], d["import"]
assert d["import"]["failed_documents"] + d["import"]["rejected"] >= 1, d["import"]
assert any("broken.json" in x["file"] for x in d["diagnostics"]), d["diagnostics"]
PY
h1="$(hash "$db")"
"$bulwark" db import "$work/mixed" "$adv/alpine-secdb-yaml-2020.tar.zst" --db "$db" -q >"$work/import2.txt" 2>"$work/import2.err"
expect_rc "re-import: exit 0" 0 $?
expect_grep "re-import: nothing new" " 0 new, 0 updated" "$work/import2.txt"
expect_grep "re-import: the bad record is named on stderr" "broken.json" "$work/import2.err"
if [ "$(hash "$db")" = "$h1" ]; then ok "re-import: database byte-identical"; else bad "re-import changed the file"; fi

"$bulwark" db import "$work/nope" --db "$db" -q 2>"$work/nope.err"
expect_rc "import of a missing path: exit 3" 3 $?
expect_grep "import of a missing path: named" "nope" "$work/nope.err"

# ---------------------------------------------------------------- status
"$bulwark" db status --db "$db" >"$work/status.txt" 2>"$work/status.err"
expect_rc "status: exit 0" 0 $?
expect_grep "status: table lists sources" "debian-dsa *5406" "$work/status.txt"
expect_grep "status: size and age" "on disk" "$work/status.txt"
"$bulwark" db status --db "$db" --format json >"$work/status.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["advisories"] > 7000 and not d["stale"] and d["size_bytes"] > 0, d' \
  "$work/status.json" && ok "status: json" || bad "status: json"
sleep 1.1  # the import's time stamp has one-second resolution: let the database be older than 0 days
"$bulwark" db status --db "$db" --max-age 0 >/dev/null 2>"$work/stale.err"
expect_rc "status --max-age 0: exit 1" 1 $?
expect_grep "status --max-age 0: warning" "run \`bulwark db update\`" "$work/stale.err"
"$bulwark" db status --db "$work/absent.db" 2>"$work/absent.err"
expect_rc "status without a database: exit 3" 3 $?
expect_grep "status without a database: says what to do" "bulwark db update" "$work/absent.err"
[ ! -e "$work/absent.db" ] && ok "status creates no database" || bad "status created a database"

# ---------------------------------------------------------------- damaged databases
head -c 20000 /dev/urandom >"$work/garbage.db"
hg="$(hash "$work/garbage.db")"
"$bulwark" db status --db "$work/garbage.db" 2>"$work/garbage.err"
expect_rc "status of a garbage file: exit 3" 3 $?
expect_grep "status of a garbage file: clear error" "cannot use this advisory database" "$work/garbage.err"
"$bulwark" db import "$adv/debian-security-tracker/DTSA.list" --db "$work/garbage.db" -q 2>"$work/garbage2.err"
expect_rc "import into a garbage file: exit 3" 3 $?
[ "$(hash "$work/garbage.db")" = "$hg" ] && ok "import into a garbage file: file untouched" || bad "garbage file changed"
cp "$db" "$work/half.db" && truncate -s $(($(stat -c %s "$db") / 2)) "$work/half.db"
"$bulwark" db status --db "$work/half.db" 2>"$work/half.err"
expect_rc "status of a truncated database: exit 3" 3 $?

# ---------------------------------------------------------------- update from a local mirror
mirror="$work/mirror"
mkdir -p "$mirror/osv/Go" "$mirror/alpine/v3.20" "$mirror/debian/DSA" "$mirror/debian/DLA" "$work/go"
zstd -dc "$adv/go-vulndb-osv.tar.zst" | tar -x -C "$work/go"
python3 - "$work/go" "$mirror/osv/Go/all.zip" <<'PY'
import os, sys, zipfile
root, out = sys.argv[1], sys.argv[2]
files = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f.endswith(".json") and "/osv/" in os.path.join(d, f))[:500]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for f in files:
        z.write(f, os.path.basename(f))
PY
zstd -dc "$adv/alpine-secdb-json.tar.zst" | tar -x -C "$work" --wildcards '*v3.20/main.json'
zstd -dc "$adv/alpine-secdb-json.tar.zst" | tar -x -C "$work" --wildcards '*v3.20/community.json'
for repo in main community; do
  cp "$(find "$work" -path "*v3.20/$repo.json" -not -path "$mirror/*" | head -1)" "$mirror/alpine/v3.20/$repo.json"
done
cp "$adv/debian-security-tracker/DSA.list" "$mirror/debian/DSA/list"
cp "$adv/debian-security-tracker/DLA.list" "$mirror/debian/DLA/list"
python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$mirror" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 50); do grep -q "port" "$work/server.log" && break; sleep 0.1; done
port="$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$work/server.log" | head -1)"
url="http://127.0.0.1:$port"
udb="$work/update.db"
upd=(db update --db "$udb" --mirror "$url" --ecosystems Go,alpine,debian --alpine-releases v3.20 -q)
"$bulwark" "${upd[@]}" >"$work/update1.txt" 2>"$work/update1.err"
expect_rc "update: first run exit 0" 0 $?
expect_grep "update: Go downloaded" "osv:Go .*downloaded" "$work/update1.txt"
expect_grep "update: database written" "database updated" "$work/update1.txt"
"$bulwark" db status --db "$udb" --format json >"$work/ustatus.json"
python3 -c '
import json, sys
d = {s["name"]: s["advisories"] for s in json.load(open(sys.argv[1]))["sources"]}
assert d["osv:GO"] == 500 and d["debian-dsa"] == 5406 and d["alpine:v3.20/main"] > 2000, d' "$work/ustatus.json" \
  && ok "update: sources imported" || bad "update: sources imported"
hu="$(hash "$udb")"
"$bulwark" "${upd[@]}" >"$work/update2.txt" 2>"$work/update2.err"
expect_rc "update: second run exit 0" 0 $?
expect_grep "update: second run all 304" "unchanged (every feed up to date)" "$work/update2.txt"
[ "$(hash "$udb")" = "$hu" ] && ok "update: 304s leave the file as it was" || bad "update: file changed on 304s"
# A feed that fails (404 here) after another changed: nothing is replaced.
sleep 1 && touch "$mirror/osv/Go/all.zip"
mv "$mirror/debian/DSA/list" "$mirror/debian/DSA/list.gone"
"$bulwark" "${upd[@]}" >"$work/update3.txt" 2>"$work/update3.err"
expect_rc "update: failing feed exit 4" 4 $?
expect_grep "update: failing feed named" "feed debian:DSA" "$work/update3.err"
expect_grep "update: says the database was not changed" "not changed" "$work/update3.err"
[ "$(hash "$udb")" = "$hu" ] && ok "update: failure leaves the old database" || bad "update: failure changed the database"
mv "$mirror/debian/DSA/list.gone" "$mirror/debian/DSA/list"
# A corrupt zip: exit 3, old database kept.
python3 -c '
import sys; p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[len(b)//3] ^= 0x5a; open(p, "wb").write(b)' \
  "$mirror/osv/Go/all.zip"
"$bulwark" "${upd[@]}" >"$work/update4.txt" 2>"$work/update4.err"
expect_rc "update: corrupt zip exit 3" 3 $?
expect_grep "update: corrupt zip named" "osv:Go.*zip" "$work/update4.err"
[ "$(hash "$udb")" = "$hu" ] && ok "update: corrupt zip leaves the old database" || bad "update: corrupt zip changed it"
leftovers="$(find "$work" -maxdepth 1 -name 'update.db.update-*' -o -maxdepth 1 -name '.bulwark-feeds*')"
[ -z "$leftovers" ] && ok "update: no temporary files left" || bad "update: left $leftovers"
"$bulwark" db update --db "$udb" --ecosystems cobol -q 2>"$work/eco.err"
expect_rc "update: unknown ecosystem exit 2" 2 $?

echo "db cli: $failures failures"
[ "$failures" -eq 0 ]
