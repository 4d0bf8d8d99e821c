#!/usr/bin/env bash
# The dashboard's NetworkPolicy reachability page in a real browser against a real `bulwark server`
# (loopback 18615-18619, its own data folder). Real manifests: two np-guard/netpol-analyzer
# scenarios (../shared/fixtures/netpol/netpol-analyzer.tar.zst, commit e54a334, Apache-2.0):
# netpol-analysis-example-minimal (namespace default: default-deny, frontend open to any address
# on TCP 8080) and anp_banp_blog_demo (foo, bar, baz, monitoring: NetworkPolicy, AdminNetworkPolicies
# and a BaselineAdminNetworkPolicy), scanned together by `bulwark config --format json` and uploaded
# with `bulwark push --server --token`; plus a scan of manifests whose names are markup. Then
# tests/browser/netpol.test.mjs (Debian's chromium, playwright-core) compares the drawn graph and
# its tables with GET /api/v1/netpol/{id}. Screenshots: build/screenshots/dashboard-netpol*.png.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
e2e_init dashboard_netpol
e2e_require_cmd node npm jq curl tar zstd
CHROMIUM="${BULWARK_CHROMIUM:-/usr/bin/chromium}"
[ -x "$CHROMIUM" ] || e2e_missing "chromium is not installed ($CHROMIUM)"
: "${BULWARK_SHARED_DIR:=$BULWARK_SOURCE_DIR/../shared}"
[ -f "$BULWARK_SHARED_DIR/fixtures/netpol/netpol-analyzer.tar.zst" ] || [ ! -d "$BULWARK_SOURCE_DIR/../../shared" ] \
  || BULWARK_SHARED_DIR="$BULWARK_SOURCE_DIR/../../shared"
FIX="$BULWARK_SHARED_DIR/fixtures/netpol/netpol-analyzer.tar.zst"
[ -f "$FIX" ] || e2e_fatal "fixture missing: $FIX"
BUILD_DIR="$(cd "$(dirname "$BULWARK")" && pwd)"
export BULWARK_BROWSER_NODE="${BULWARK_BROWSER_NODE:-$BUILD_DIR/browser-node}"
export BULWARK_SCREENSHOTS="${BULWARK_SCREENSHOTS:-$BUILD_DIR/screenshots}"
set +e
bash "$BULWARK_SOURCE_DIR/tests/browser/setup.sh" "$BULWARK_BROWSER_NODE"
rc=$?
set -e
[ "$rc" -eq 77 ] && e2e_missing "playwright-core could not be installed from npm"
[ "$rc" -eq 0 ] || e2e_fatal "tests/browser/setup.sh failed ($rc)"

# ---- the manifests and their scans ----
tar --zstd -xf "$FIX" -C "$W"
NA="$W/netpol-analyzer/tests"
mkdir -p "$W/k8s"
cp -r "$NA/netpol-analysis-example-minimal" "$W/k8s/minimal"
rm -f "$W/k8s/minimal/"*.svg "$W/k8s/minimal/"*.dot "$W/k8s/minimal/"*.md "$W/k8s/minimal/"*.txt
cp -r "$NA/anp_banp_blog_demo" "$W/k8s/blog"
set +e
"$BULWARK" config "$W/k8s" --no-secrets -q --format json -o "$W/netpol.json" 2>"$W/config.err"
rc=$?
set -e
assert_true "bulwark config ran (exit $rc: $(head -c 300 "$W/config.err"))" test "$rc" -le 1
assert_json "the scan carries a reachability graph" "$W/netpol.json" '.reachability.nodes | length > 0'
# The graph's edges are the connections `bulwark netpol matrix` lists for the same files.
"$BULWARK" netpol matrix "$W/k8s" --format json -q -o "$W/matrix.json"
jq -S '[.[] | {src, dst, conn}]' "$W/matrix.json" >"$W/matrix.edges"
jq -S '[.reachability.edges[] | {src, dst, conn: .connections}]' "$W/netpol.json" >"$W/graph.edges"
assert_files_equal "reachability edges = netpol matrix" "$W/matrix.edges" "$W/graph.edges"
assert_json "frontend is reachable from any address on TCP 8080" "$W/netpol.json" \
  '[.reachability.nodes[] | select(.id == "default/frontend[Deployment]") | .exposed_connections] == ["TCP 8080"]'

# Manifests whose names are markup (valid YAML, kept as written by the scanner).
mkdir -p "$W/hostile"
cat >"$W/hostile/pods.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: "<img src=x onerror=window.__pwned=1>"
  namespace: "<script>window.__pwned=2</script>"
  labels: {app: web}
spec:
  containers: [{name: c, image: nginx, ports: [{containerPort: 80}]}]
---
apiVersion: v1
kind: Pod
metadata:
  name: "db</text><script>window.__pwned=3</script>"
  namespace: "<script>window.__pwned=2</script>"
  labels: {app: db}
spec:
  containers: [{name: c, image: postgres}]
YAML
set +e
"$BULWARK" config "$W/hostile" --no-secrets -q --format json -o "$W/hostile.json" 2>"$W/hostile.err"
set -e
assert_json "the hostile scan carries its names" "$W/hostile.json" \
  '[.reachability.nodes[] | select(.type == "workload") | .name] | index("<img src=x onerror=window.__pwned=1>") != null'

# ---- the server ----
DATA="$W/data"
mkdir -p "$DATA"
ADMIN="$("$BULWARK" server token create --data "$DATA" --role admin 2>/dev/null)"
CI="$("$BULWARK" server token create --data "$DATA" --role ci 2>/dev/null)"
assert_true "tokens created" test -n "$ADMIN" -a -n "$CI"
PORT=""
for p in ${BULWARK_DASHBOARD_NETPOL_PORTS:-18615 18616 18617 18618 18619}; do
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then PORT=$p; break; fi
done
[ -n "$PORT" ] || e2e_fatal "no free port in ${BULWARK_DASHBOARD_NETPOL_PORTS:-18615-18619}"
BASE="http://127.0.0.1:$PORT"
"$BULWARK" server --listen "127.0.0.1:$PORT" --data "$DATA" >"$W/server.log" 2>&1 &
SERVER_PID=$!
stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
}
trap stop_server EXIT
for _ in $(seq 1 100); do
  curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$W/server.log" >&2; e2e_fatal "bulwark server exited"; }
  sleep 0.2
done
assert_true "server answers /healthz" curl -fsS -o /dev/null "$BASE/healthz"

# Uploaded the way CI would: bulwark push --server URL --token T (hostile first: the real scan is the newest).
"$BULWARK" push "$W/hostile.json" --server "$BASE" --token "$CI" >"$W/push-hostile.out"
"$BULWARK" push "$W/netpol.json" --server "$BASE" --token "$CI" >"$W/push.out"
HOSTILE_ID="$(awk '{print $2}' "$W/push-hostile.out")"
REPORT_ID="$(awk '{print $2}' "$W/push.out")"
assert_true "pushed ($REPORT_ID, $HOSTILE_ID)" test -n "$REPORT_ID" -a -n "$HOSTILE_ID"
curl -fsS -H "Authorization: Bearer $ADMIN" "$BASE/api/v1/netpol/$REPORT_ID" >"$W/api.json"
assert_json "the server serves the graph as scanned" "$W/api.json" \
  "$(printf '.edges == %s and .namespaces == %s' "$(jq -c .reachability.edges "$W/netpol.json")" "$(jq -c .reachability.namespaces "$W/netpol.json")")"

# ---- the browser ----
if BASE="$BASE" ADMIN_TOKEN="$ADMIN" REPORT_ID="$REPORT_ID" HOSTILE_ID="$HOSTILE_ID" \
  node "$BULWARK_SOURCE_DIR/tests/browser/netpol.test.mjs"; then
  E2E_PASSED=$((E2E_PASSED + 1))
else
  echo "FAIL: browser test of the network policies page"
  E2E_FAILED=$((E2E_FAILED + 1))
  tail -20 "$W/server.log"
fi
stop_server
trap - EXIT
e2e_finish
