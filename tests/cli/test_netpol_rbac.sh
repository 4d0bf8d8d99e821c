#!/usr/bin/env bash
# `bulwark netpol matrix` and `bulwark rbac who-can|subjects` on real inputs, bad inputs and a large one.
set -euo pipefail
BULWARK="$1"
SHARED="$2"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# 1. netpol-analyzer scenario, txt format identical to its expected connlist output.
tar --zstd -xf "$SHARED/fixtures/netpol/netpol-analyzer.tar.zst" -C "$TMP"
NA="$TMP/netpol-analyzer"
"$BULWARK" netpol matrix "$NA/tests/onlineboutique_workloads" --format txt -q > "$TMP/got.txt"
diff <(sed -e 's/[[:space:]]*$//' "$NA/test_outputs/connlist/onlineboutique_workloads_connlist_output.txt") \
     <(sed -e 's/[[:space:]]*$//' "$TMP/got.txt") || fail "txt matrix differs from netpol-analyzer"
"$BULWARK" netpol matrix "$NA/tests/onlineboutique_workloads" --format json -q | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d and {"src","dst","conn"} <= set(d[0])' \
  || fail "json matrix"
"$BULWARK" netpol matrix "$NA/tests/onlineboutique_workloads" --format dot -q | grep -q '^digraph' || fail "dot matrix"
"$BULWARK" netpol matrix "$NA/tests/onlineboutique_workloads" --focus-workload emailservice -f csv -q > "$TMP/focus.csv"
[ "$(sed -n 2p "$TMP/focus.csv")" = "default/checkoutservice[Deployment],default/emailservice[Deployment],TCP 8080" ] || fail "focus csv"

# 2. An invalid NetworkPolicy: exit 3, the message names file:line.
set +e
"$BULWARK" netpol matrix "$NA/tests/bad_netpols/subdir1" -q > /dev/null 2> "$TMP/err"
rc=$?
set -e
[ $rc -eq 3 ] || fail "invalid policy exit $rc"
grep -q 'netpols.yaml:[0-9]*:[0-9]*: CIDR error' "$TMP/err" || fail "invalid policy message: $(cat "$TMP/err")"

# 3. A malformed manifest next to a good one: diagnostic with file and line, the good file still analysed, exit 3.
mkdir "$TMP/mixed"
cp "$NA/tests/onlineboutique_workloads/"*.yaml "$TMP/mixed/"
printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: [broken\n' > "$TMP/mixed/zz-broken.yaml"
set +e
"$BULWARK" netpol matrix "$TMP/mixed" -f txt -q > "$TMP/mixed.txt" 2> "$TMP/err"
rc=$?
set -e
[ $rc -eq 3 ] || fail "malformed file exit $rc"
grep -q 'zz-broken.yaml:[0-9]' "$TMP/err" || fail "malformed file message: $(cat "$TMP/err")"
cmp -s "$TMP/mixed.txt" "$TMP/got.txt" || fail "the good files were not analysed"

# 4. An alias bomb is refused within bounds.
{
  echo 'apiVersion: v1'; echo 'kind: Pod'; echo 'metadata: {name: bomb}'
  echo 'a: &a ["x","x","x","x","x","x","x","x","x","x"]'
  prev=a; for l in b c d e f g h i; do echo "$l: &$l [*$prev,*$prev,*$prev,*$prev,*$prev,*$prev,*$prev,*$prev,*$prev,*$prev]"; prev=$l; done
} > "$TMP/bomb.yaml"
set +e
timeout 20 "$BULWARK" netpol matrix "$TMP/bomb.yaml" -q > /dev/null 2> "$TMP/err"
rc=$?
set -e
[ $rc -eq 3 ] || fail "alias bomb exit $rc: $(cat "$TMP/err")"

# 5. Thousands of pods stay fast (pods with identical labels are evaluated once).
python3 - "$TMP/big.yaml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: db, namespace: big}\n"
            "spec:\n  podSelector: {matchLabels: {tier: db}}\n  ingress:\n  - from: [{podSelector: {matchLabels: {tier: web}}}]\n"
            "    ports: [{port: 5432}]\n")
    for i in range(3000):
        tier = ["web", "db", "cache"][i % 3]
        f.write(f"---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}, namespace: big, labels: {{tier: {tier}}}}}\n"
                f"spec: {{containers: [{{name: c, image: x}}]}}\n")
PY
start=$(date +%s)
timeout 120 "$BULWARK" netpol matrix "$TMP/big.yaml" --focus-workload big/p1 -f csv -q > "$TMP/big.csv" || fail "large input"
end=$(date +%s)
grep -q '^big/p0\[Pod\],big/p1\[Pod\],TCP 5432$' "$TMP/big.csv" || fail "large input result"
! grep -q '^big/p2\[Pod\],big/p1\[Pod\]' "$TMP/big.csv" || fail "cache pod must not reach db"
echo "3000 pods: $((end - start)) s"

# 6. rbac who-can and subjects on KubiScan's test cluster.
KS="$SHARED/fixtures/rbac/kubiscan/unit-test-cluster"
"$BULWARK" rbac who-can list secrets "$KS" -q > "$TMP/who.txt"
grep -q '^ServiceAccount:default/kubiscan-sa ' "$TMP/who.txt" || fail "who-can: $(cat "$TMP/who.txt")"
! grep -q 'kubiscan-sa2' "$TMP/who.txt" || fail "who-can lists kubiscan-sa2"
"$BULWARK" rbac subjects "$KS" -f json | python3 -c '
import json,sys
d = {s["subject"]["name"]: s for s in json.load(sys.stdin)}
assert d["kubiscan-sa"]["admin_equivalent"], d
assert "kubiscan-sa2" not in d, d' || fail "subjects json"
echo "netpol and rbac CLI: ok"
