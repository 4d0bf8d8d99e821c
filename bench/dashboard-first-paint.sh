#!/usr/bin/env bash
# First paint of the dashboard with 10,000 images (issue 16: <= 1 s): a real `bulwark server`
# on 127.0.0.1:18620 with its own data folder, filled with N copies (default 10000) of a real
# scan of the test images' hostile image (11 findings each, so ~100,000 findings), then Debian's
# chromium measures the overview and images pages (bench/dashboard/first-paint.mjs).
#   bash bench/dashboard-first-paint.sh [BUILD_DIR]    (N=... to change the count)
# Results: bench/results/<date>-dashboard-first-paint.md
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="$(cd "$here/.." && pwd)"
build="$(cd "${1:-$src/build}" && pwd)"
BULWARK="$build/bulwark"
N="${N:-10000}"
W="$build/bench-dashboard"
rm -rf "$W"
mkdir -p "$W/data"
export BULWARK_BROWSER_NODE="${BULWARK_BROWSER_NODE:-$build/browser-node}"
bash "$src/tests/browser/setup.sh" "$BULWARK_BROWSER_NODE"
shared="${BULWARK_SHARED_DIR:-$src/../shared}"
[ -d "$shared/data" ] || shared="$src/../../shared"
ADV="$shared/data/advisories"
"$BULWARK" db import --db "$W/adv.db" "$ADV/debian-security-tracker/DSA.list" "$ADV/debian-security-tracker/DLA.list" >/dev/null 2>&1
bash "$src/tests/browser/make-hostile-image.sh" "$W/hostile"
"$BULWARK" image "docker-archive:$W/hostile/hostile.tar" --db "$W/adv.db" -q --format json -o "$W/template.json" 2>/dev/null || true
[ -s "$W/template.json" ] || { echo "no template scan" >&2; exit 1; }
ADMIN="$("$BULWARK" server token create --data "$W/data" --role admin 2>/dev/null)"
CI="$("$BULWARK" server token create --data "$W/data" --role ci 2>/dev/null)"
PORT=18620
"$BULWARK" server --listen "127.0.0.1:$PORT" --data "$W/data" --rate-limit 0 >"$W/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && break; sleep 0.2; done
out="$src/bench/results/$(date -u +%Y-%m-%d)-dashboard-first-paint.md"
{
  echo "# Dashboard first paint with $N images ($(date -u +%Y-%m-%dT%H:%MZ))"
  echo
  echo "bench/dashboard-first-paint.sh on this machine (2 cores shared), bulwark $("$BULWARK" --version 2>/dev/null | head -1),"
  echo "store SQLite, chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'), viewport 1360x900. Target: <= 1 s."
  echo
  BASE="http://127.0.0.1:$PORT" CI_TOKEN="$CI" ADMIN_TOKEN="$ADMIN" TEMPLATE="$W/template.json" N="$N" \
    timeout 580 node "$here/dashboard/first-paint.mjs"
} | tee "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out" >&2
