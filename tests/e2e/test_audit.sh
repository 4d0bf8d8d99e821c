#!/usr/bin/env bash
# `bulwark audit` against the real dockerd: a crafted Debian 11 image with packages that DSA.list
# (../shared) names as fixed later (imported into the daemon with `docker import`), a container
# with risky settings running from the e2e Debian image, and a database built from the shared advisories.
# The expected vulnerabilities were written by hand from DSA.list's [bullseye] lines:
#   openssl/libssl1.1 1.1.1n-0+deb11u3 -> DSA-5343-1 (fixed in 1.1.1n-0+deb11u4)
#   zlib1g 1:1.2.11.dfsg-2+deb11u1     -> CVE-2022-37434 (DSA-5218-1, fixed in 1:1.2.11.dfsg-2+deb11u2)
# Then: the second run reuses the cached inventories; no database, a dead DOCKER_HOST and a user
# without access to the socket each degrade to a report that names the command that fixes it.
. "$(dirname "$0")/lib.sh"
e2e_init audit
e2e_require_root
e2e_require_docker
e2e_require_cmd jq tar setpriv
: "${BULWARK_SHARED_DIR:=$BULWARK_SOURCE_DIR/../shared}"
ADV="$BULWARK_SHARED_DIR/data/advisories"
[ -d "$ADV" ] || e2e_fatal "advisory data missing: $ADV"

IMG="bulwark-e2e-audit/vuln:$$"
CTR="bulwark-e2e-audit-risky-$$"
cleanup() {
  docker rm -f "$CTR" >/dev/null 2>&1 || true
  docker rmi -f "$IMG" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# ---- the image: a Debian 11 root with an old openssl and zlib ----
R="$W/rootfs"
mkdir -p "$R/etc" "$R/var/lib/dpkg"
cat >"$R/etc/os-release" <<'OS'
PRETTY_NAME="Debian GNU/Linux 11 (bullseye)"
NAME="Debian GNU/Linux"
VERSION_ID="11"
VERSION_CODENAME=bullseye
ID=debian
OS
cat >"$R/var/lib/dpkg/status" <<'ST'
Package: libssl1.1
Status: install ok installed
Architecture: amd64
Source: openssl
Version: 1.1.1n-0+deb11u3

Package: openssl
Status: install ok installed
Architecture: amd64
Version: 1.1.1n-0+deb11u3

Package: zlib1g
Status: install ok installed
Architecture: amd64
Source: zlib
Version: 1:1.2.11.dfsg-2+deb11u1
ST
# A credential left in the image (a third-party example: tests/data/secrets, Nosey Parker's rules).
NP="$BULWARK_SOURCE_DIR/tests/data/secrets/noseyparker-examples.json"
mkdir -p "$R/srv/app"
jq -er '.rules[] | select(.id == "np.stripe.1") | .examples[0]' "$NP" >"$R/srv/app/payments.rb" ||
  e2e_fatal "no np.stripe.1 example in $NP"
tar -C "$R" -c . | docker import - "$IMG" >/dev/null || e2e_fatal "docker import failed"
IMG_ID=$(docker image inspect -f '{{.Id}}' "$IMG")
# Privileged containers cannot start in this sandbox (runc may not apply every capability), so the
# risky settings are the host's PID namespace, no seccomp profile and a host folder mounted.
docker run -d --name "$CTR" --pid=host --security-opt seccomp=unconfined -v /etc:/host-etc:ro \
  bulwark-e2e/debian:12 sleep 300 >/dev/null || e2e_fatal "could not start the risky container"

DB="$W/advisories.db"
"$BULWARK" db import --db "$DB" -q "$ADV/debian-security-tracker/DSA.list" >/dev/null || e2e_fatal "db import failed"
CACHE="$W/cache"

echo "-- first run: table"
# Other suites build and remove images while this one runs: only the images present at both runs
# must come from the cache the second time.
docker image ls -q --no-trunc | sort -u >"$W/ids1"
COLUMNS=120 run_bulwark table --timeout 120 audit --db "$DB" --cache-dir "$CACHE" --max-images 100
assert_rc "audit (table)" 0
for h in "What was checked" "Score per practice" "Worst findings" "Do these first"; do
  assert_grep "table has '$h'" "$OUT" "^$h"
done
for p in trusted-base-image up-to-date access-control limit-privileges isolation network-policy monitoring \
  vulnerability-scan least-privilege host-hardening; do
  assert_grep "practice $p is scored or marked" "$OUT" "^  $p +([0-9]+|-) "
done
assert_eq "five actions, each with a command" "5 5" \
  "$(grep -cE '^  [1-5]\. ' "$OUT") $(grep -cE '^     bulwark ' "$OUT")"
assert_grep "the running containers were checked" "$OUT" "ok +containers +[1-9][0-9]* containers? running"
assert_grep "the risky container is among the worst findings" "$OUT" "^  (CRITICAL|HIGH) .* - $CTR$"
assert_grep "and among the actions" "$OUT" "^  [1-5]\. CIS 5\.(6|16|22|4): .*\(container $CTR\)$"
assert_true "no line is wider than COLUMNS" test "$(awk 'length > 120' "$OUT" | wc -l)" -eq 0

echo "-- second run: json, from the cache"
docker image ls -q --no-trunc | sort -u >"$W/ids2"
COMMON=$(comm -12 "$W/ids1" "$W/ids2" | wc -l)
t0=$(date +%s%N)
run_bulwark json --timeout 60 audit --db "$DB" --cache-dir "$CACHE" --max-images 100 -f json -o "$W/audit.json"
t_ms=$((($(date +%s%N) - t0) / 1000000))
assert_rc "audit (json)" 0
J="$W/audit.json"
assert_json "schema" "$J" '.schema == "bulwark/v1"'
assert_json "every image seen by both runs came from the cache" "$J" ".audit.images.cached >= $COMMON and .audit.images.cached >= 3"
assert_json "steps ran: host, containers, images, host-packages" "$J" \
  '[.audit.steps[] | select(.state != "skipped") | .name] | contains(["host", "containers", "images", "host-packages"])'
assert_json "DSA-5343-1 on libssl1.1 in the image, fixed in u4" "$J" \
  "[.findings[] | select(.id == \"DSA-5343-1\" and .package.name == \"libssl1.1\" and .target.id == \"$IMG_ID\")][0].vulnerability.fixed_version == \"1.1.1n-0+deb11u4\""
assert_json "CVE-2022-37434 on zlib1g" "$J" \
  "[.findings[] | select(.id == \"CVE-2022-37434\" and .target.id == \"$IMG_ID\")] | length == 1"
assert_json "the secrets step searched the images' files" "$J" \
  '[.audit.steps[] | select(.name == "secrets")][0].state == "done"'
assert_json "the planted Stripe key is found in the image, at its path" "$J" \
  "[.findings[] | select(.id == \"stripe-secret-key\" and .target.id == \"$IMG_ID\" and .location.path == \"/srv/app/payments.rb\")] | length == 1"
assert_true "the key itself is never printed in full" \
  test "$(grep -c -F "$(jq -er '.rules[] | select(.id == "np.stripe.1") | .examples[0]' "$NP" | grep -oE '[sr]k_live_[A-Za-z0-9]+' | head -1)" "$J")" = 0
assert_json "the image's packages are in the report" "$J" \
  "[.targets[] | select(.id == \"$IMG_ID\")] | length == 1"
assert_json "CIS 5.16 (host PID namespace) and 5.22 (seccomp) fail for the container" "$J" \
  "[.findings[] | select((.id == \"BLWK-CIS-5.16\" or .id == \"BLWK-CIS-5.22\") and .status == \"fail\" and (.target.name | contains(\"$CTR\")))] | length == 2"
assert_json "this machine's packages were matched (host-packages done)" "$J" \
  '[.audit.steps[] | select(.name == "host-packages")][0].state == "done"'
assert_json "the vulnerability-scan practice has a score below 100" "$J" \
  '[.audit.practices[] | select(.practice == "vulnerability-scan")][0].score < 100'
assert_json "an action rebuilds the image: 3 fixable vulnerabilities, with its details command" "$J" \
  "[.audit.actions[] | select(.command == \"bulwark image docker-daemon:$IMG --ignore-unfixed\" and .findings == 3 and (.title | startswith(\"Rebuild $IMG on updated packages\")))] | length == 1"

echo "-- the details command of that action shows what it promised"
cmd=$(jq -r "[.audit.actions[] | select(.title | startswith(\"Rebuild $IMG\"))][0].command" "$J" | sed 's/^bulwark //')
# shellcheck disable=SC2086
run_bulwark details $cmd --db "$DB" --cache-dir "$CACHE" -f json -q
assert_rc "details command runs" 0
assert_json "it lists DSA-5343-1 and CVE-2022-37434" "$OUT" \
  '[.findings[].id] | (index("DSA-5343-1") != null) and (index("CVE-2022-37434") != null)'
if python3 -c 'import jsonschema' 2>/dev/null; then
  assert_true "the report validates against docs/formats/bulwark-v1.schema.json" python3 -c '
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
errors = list(jsonschema.Draft7Validator(schema).iter_errors(json.load(open(sys.argv[2]))))
for e in errors[:5]: print("   ", list(e.path)[:6], e.message[:200], file=sys.stderr)
sys.exit(1 if errors else 0)' "$BULWARK_SOURCE_DIR/docs/formats/bulwark-v1.schema.json" "$J"
else
  echo "   note: python3 jsonschema missing; the schema check of the report did not run"
fi
echo "   cached run took ${t_ms} ms"
assert_true "the cached run takes under 3 s" test "$t_ms" -lt 3000

echo "-- sarif"
run_bulwark sarif --timeout 60 audit --db "$DB" --cache-dir "$CACHE" --max-images 100 -f sarif
assert_rc "audit (sarif)" 0
assert_json "sarif has results, among them DSA-5343-1" "$OUT" \
  '.version == "2.1.0" and ([.runs[0].results[].ruleId] | index("DSA-5343-1") != null)'

echo "-- html: one self-contained page"
run_bulwark html --timeout 60 audit --db "$DB" --cache-dir "$CACHE" --max-images 100 -f html -o "$W/audit.html"
assert_rc "audit (html)" 0
assert_true "the page is HTML with a strict CSP" \
  grep -q "default-src 'none'" "$W/audit.html"
assert_grep "the page carries the image's vulnerability" "$W/audit.html" 'DSA-5343-1'
assert_grep "and the planted secret's rule" "$W/audit.html" 'stripe-secret-key'
assert_grep "and the audit's scores" "$W/audit.html" '"practices"'
assert_true "it loads nothing from the network" \
  test "$(grep -cE '(src|href)="https?:' "$W/audit.html")" = 0

echo "-- a limit that is hit names the flag"
run_bulwark limited --timeout 60 audit --db "$DB" --cache-dir "$CACHE" --max-images 1
assert_rc "audit --max-images 1" 0
assert_grep "says only the newest was scanned" "$OUT" "1 of [0-9]+ images scanned"
assert_grep "and how to scan them all" "$OUT" "fix: bulwark audit --max-images [0-9]+"

echo "-- no database"
run_bulwark nodb --timeout 60 audit --db "$W/none.db" --cache-dir "$CACHE" --max-images 100
assert_rc "audit without a database" 0
assert_grep "says the database is missing" "$OUT" "SKIP database +no advisory database"
assert_grep "names the command" "$OUT" "fix: bulwark db update"
assert_no_grep "no vulnerability action" "$OUT" "Rebuild $IMG"

echo "-- no daemon (DOCKER_HOST at a dead socket)"
DOCKER_HOST="unix://$W/dead.sock" run_bulwark nodaemon --timeout 60 audit --db "$DB" --cache-dir "$CACHE"
assert_rc "audit without a daemon" 0
assert_grep "says no engine answered" "$OUT" "SKIP engine +no container engine answered at unix://$W/dead.sock"
assert_grep "names the fix" "$OUT" "fix: unset DOCKER_HOST"
assert_grep "the host checks still ran" "$OUT" "ok +host +CIS Docker Benchmark: [1-9][0-9]* passed"
assert_no_grep "no image was scanned" "$OUT" "$IMG"

echo "-- not root (no access to the Docker socket)"
mkdir -p "$W/nobody-cache" && chown 65534:65534 "$W/nobody-cache"
OUT="$W/nobody.out"
set +e
setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$W/nobody-cache" \
  "$BULWARK" audit --db "$DB" --cache-dir "$W/nobody-cache" >"$OUT" 2>"$W/nobody.err"
RC=$?
set -e
ERR="$W/nobody.err"
assert_rc "audit as nobody" 0
assert_grep "says the host audit is partial and how to fix it" "$OUT" "fix: sudo bulwark audit"
assert_grep "the engine step names the permission fix" "$OUT" "usermod -aG docker"

e2e_finish
