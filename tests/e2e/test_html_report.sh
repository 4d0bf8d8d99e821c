#!/usr/bin/env bash
# The self-contained HTML report (--format html, bulwark report html) in a real browser:
# Debian's chromium, headless, driven by playwright-core (tests/browser), pages opened from
# file:// with every other request blocked. Scans the test images (setup-images.sh), the CIS
# audit of this host's dockerd, a config folder, an SBOM, and a crafted hostile image whose
# package names, file paths, history and environment carry <script>/<img onerror> payloads.
# Screenshots: build/screenshots/report-*.png.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
e2e_init html_report
e2e_require_cmd node npm jq tar sha256sum
CHROMIUM="${BULWARK_CHROMIUM:-/usr/bin/chromium}"
[ -x "$CHROMIUM" ] || e2e_missing "chromium is not installed ($CHROMIUM)"
: "${BULWARK_SHARED_DIR:=$BULWARK_SOURCE_DIR/../shared}"
# A git worktree (/work/wt/<team>) sits one level deeper than the checkout the default assumes.
[ -d "$BULWARK_SHARED_DIR/data" ] || [ ! -d "$BULWARK_SOURCE_DIR/../../shared/data" ] \
  || BULWARK_SHARED_DIR="$BULWARK_SOURCE_DIR/../../shared"
BUILD_DIR="$(cd "$(dirname "$BULWARK")" && pwd)"
export BULWARK_BROWSER_NODE="${BULWARK_BROWSER_NODE:-$BUILD_DIR/browser-node}"
export BULWARK_SCREENSHOTS="${BULWARK_SCREENSHOTS:-$BUILD_DIR/screenshots}"
set +e
bash "$BULWARK_SOURCE_DIR/tests/browser/setup.sh" "$BULWARK_BROWSER_NODE"
rc=$?
set -e
[ "$rc" -eq 77 ] && e2e_missing "playwright-core could not be installed from npm"
[ "$rc" -eq 0 ] || e2e_fatal "tests/browser/setup.sh failed ($rc)"

APP_TAR="$BULWARK_E2E_CACHE/images/app.tar"
APP_ROOTFS="$BULWARK_E2E_CACHE/rootfs/app"
[ -f "$APP_TAR" ] && [ -d "$APP_ROOTFS" ] || e2e_missing "test images missing (run tests/e2e/setup-images.sh)"

# ---- the advisory database from the shared Debian tracker lists ----
ADV="$BULWARK_SHARED_DIR/data/advisories"
[ -d "$ADV" ] || e2e_fatal "advisory data missing: $ADV"
DB="$W/advisories.db"
"$BULWARK" db import --db "$DB" "$ADV/debian-security-tracker/DSA.list" "$ADV/debian-security-tracker/DLA.list" \
  "$ADV/pypa-advisory-db.tar.zst" >/dev/null 2>&1
assert_true "database built" test -s "$DB"

# ---- a hostile image: payloads in package names, versions, paths, licences, history, env ----
H="$W/hostile"
bash "$BULWARK_SOURCE_DIR/tests/browser/make-hostile-image.sh" "$H"

# A config folder whose file names carry markup.
CFGDIR="$W/config<img src=x onerror=alert(13)>"
mkdir -p "$CFGDIR"
printf 'FROM debian:11\nUSER root\nRUN curl http://example.invalid/<script>alert(14)</script> | sh\n' \
  >"$CFGDIR/Dockerfile"
cat >"$CFGDIR/pod<svg onload=alert(15)>.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: "x-script-alert"
  labels: {app: "<script>alert(16)</script>"}
spec:
  hostNetwork: true
  containers:
  - name: c
    image: "nginx:<img src=x onerror=alert(17)>"
    securityContext: {privileged: true}
YAML

# ---- the reports ----
scan() { # name, then the bulwark arguments without --format
  local name="$1"
  shift
  set +e
  "$BULWARK" "$@" -q --format json -o "$W/$name.json" 2>>"$W/stderr.log"
  local a=$?
  "$BULWARK" "$@" -q --format html -o "$W/$name.html" 2>>"$W/stderr.log"
  local b=$?
  set -e
  assert_true "$name: json written (exit $a)" test -s "$W/$name.json"
  assert_true "$name: html written (exit $b)" test -s "$W/$name.html"
}
scan app-image image "docker-archive:$APP_TAR" --db "$DB"
scan app-rootfs rootfs "$APP_ROOTFS" --db "$DB"
scan hostile-image image "docker-archive:$H/hostile.tar" --db "$DB"
scan hostile-config config "$CFGDIR"
"$BULWARK" sbom "docker-archive:$H/hostile.tar" -q --format cyclonedx -o "$W/hostile.cdx.json"
scan hostile-sbom sbom-scan "$W/hostile.cdx.json" --db "$DB"
HOST_CASE=""
if docker version >/dev/null 2>&1; then
  scan host host --include-passed
  # The live audit sees the containers other suites run meanwhile, so two runs can differ: the
  # page compared in the browser is the JSON run's document rendered by `report html`, and the
  # live page must show the same CIS sections.
  mv "$W/host.html" "$W/host-live.html"
  "$BULWARK" report html "$W/host.json" -o "$W/host.html"
  assert_grep "the live host page has the CIS sections" "$W/host-live.html" 'Docker daemon configuration'
  # `bulwark audit --format html`: the page of the JSON run's document again (the live state moves).
  "$BULWARK" audit --db "$DB" --max-images 2 --cache-dir "$W/audit-cache" -q -f json -o "$W/audit.json" 2>>"$W/stderr.log" || true
  "$BULWARK" audit --db "$DB" --max-images 2 --cache-dir "$W/audit-cache" -q -f html -o "$W/audit-live.html" 2>>"$W/stderr.log" || true
  assert_grep "audit --format html writes the audit section" "$W/audit-live.html" 'audit-scores'
  "$BULWARK" report html "$W/audit.json" -o "$W/audit.html"
  HOST_CASE=',{"name":"host","html":"'"$W/host.html"'","json":"'"$W/host.json"'"},{"name":"audit","html":"'"$W/audit.html"'","json":"'"$W/audit.json"'"}'
else
  echo "note: dockerd not reachable; the host audit report is not tested"
fi
# A saved document turned into a page: the app image's JSON with packages (from sbom).
"$BULWARK" report html "$W/app-image.json" -o "$W/saved.html"
assert_true "report html wrote the page" test -s "$W/saved.html"
set +e
"$BULWARK" report html "$CFGDIR/Dockerfile" -o "$W/bad.html" 2>"$W/bad.err"
rc=$?
set -e
assert_eq "report html refuses a non-JSON file" 3 "$rc"
echo '{"schema":"other"}' >"$W/other.json"
set +e
"$BULWARK" report html "$W/other.json" >/dev/null 2>&1
rc=$?
set -e
assert_eq "report html refuses a non-bulwark document" 3 "$rc"

assert_true "hostile scan found a vulnerability" \
  test "$(jq '[.findings[] | select(.vulnerability)] | length' "$W/hostile-image.json")" -gt 0
assert_true "the hostile SBOM lists the script package" \
  grep -q 'window.__pwned' <(jq -r '.components[].name' "$W/hostile.cdx.json")
assert_true "app image has layers" test "$(jq '.targets[0].image.layers | length' "$W/app-image.json")" -gt 1

HOSTILE='["<script>window.__pwned=1;console.log('"'"'BULWARK-XSS'"'"')</script>","x<img src=x onerror=\"console.log('"'"'BULWARK-XSS'"'"');alert(1)\">","1.0</script><!--","<svg onload=alert(12)>","<img src=x onerror=alert(9)> </script><!--"]'
HOSTILE_CFG='["<img src=x onerror=alert(13)>"]'
cat >"$W/cases.json" <<JSON
[{"name":"app-image","html":"$W/app-image.html","json":"$W/app-image.json"},
 {"name":"app-rootfs","html":"$W/app-rootfs.html","json":"$W/app-rootfs.json"},
 {"name":"saved","html":"$W/saved.html","json":"$W/app-image.json"},
 {"name":"hostile-image","html":"$W/hostile-image.html","json":"$W/hostile-image.json","hostile":$HOSTILE},
 {"name":"hostile-sbom","html":"$W/hostile-sbom.html","json":"$W/hostile-sbom.json","hostile":["<svg onload=alert(12)>"]},
 {"name":"hostile-config","html":"$W/hostile-config.html","json":"$W/hostile-config.json","hostile":$HOSTILE_CFG}
 $HOST_CASE]
JSON
if node "$BULWARK_SOURCE_DIR/tests/browser/report.test.mjs" "$W/cases.json"; then
  E2E_PASSED=$((E2E_PASSED + 1))
else
  echo "FAIL: browser test of the HTML reports"
  E2E_FAILED=$((E2E_FAILED + 1))
fi
e2e_finish
