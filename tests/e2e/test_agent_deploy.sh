#!/usr/bin/env bash
# The deploy files. The server's Deployment (deploy/kubernetes/bulwark-server.yaml) passes bulwark's own
# checks with no finding and no ignore file, and its flags are the server's. The agent's Kubernetes
# DaemonSet passes bulwark's own checks with nothing but the
# privileges its ignore file explains (a new privilege fails this suite), and the systemd unit parses
# and starts the agent with the documented flags, which the binary accepts.
. "$(dirname "$0")/lib.sh"
e2e_init agent_deploy

D="$BULWARK_SOURCE_DIR/deploy"
run_bulwark config config "$D/kubernetes" --ignorefile "$D/kubernetes/bulwark-agent.ignore.yaml" --exit-code 1 \
  --format json -o "$W/config.json"
assert_rc "DaemonSet: no finding beyond the explained privileges" 0 "$RC"
# Every finding is one the ignore file suppresses with its reason, and each ignore entry is still needed.
assert_json "every finding is suppressed by the ignore file" "$W/config.json" \
  '(.findings | length) > 0 and all(.findings[]; .suppression != null)'
ids_used="$(jq -r '[.findings[].id] | unique | .[]' "$W/config.json" | sort)"
ids_ignored="$(sed -n 's/^  - id: //p' "$D/kubernetes/bulwark-agent.ignore.yaml" | sort -u)"
assert_eq "each ignore entry matches a finding (none stale)" "$ids_ignored" "$ids_used"
# Without the ignore file the same checks do report the privileges (the ignore file is not vacuous).
run_bulwark config_plain config "$D/kubernetes" --exit-code 1 -q
assert_rc "without the ignore file the privileges are reported" 1 "$RC"

# The server: 2 replicas, no finding at all in its file (checked with the folder: the namespace's
# default-deny NetworkPolicy is in bulwark-agent.yaml), every flag one the binary knows.
assert_json "server Deployment: bulwark config finds nothing in bulwark-server.yaml, nothing suppressed" \
  "$W/config.json" '[.findings[] | select(.location.path | test("bulwark-server"))] | length == 0'
run_bulwark config_server config "$D/kubernetes/bulwark-server.yaml" --format json -o "$W/server.json"
assert_json "alone, it is only told the namespace default-deny lives elsewhere" "$W/server.json" \
  '[.findings[].id] | unique == ["BW-NETPOL-002", "BW-NETPOL-003"]'
assert_true "server Deployment has 2 replicas" grep -q '^  replicas: 2$' "$D/kubernetes/bulwark-server.yaml"
assert_true "the store URL comes from a Secret mounted as a file" \
  grep -q 'secretName: bulwark-server-store' "$D/kubernetes/bulwark-server.yaml"
for flag in $(sed -n 's/^            - \(--[a-z-]*\)=.*/\1/p' "$D/kubernetes/bulwark-server.yaml"); do
  assert_true "bulwark server knows $flag" grep -q -- "$flag" <("$BULWARK" server --help 2>&1)
done
assert_true "the NetworkPolicy admits only agents and readers" \
  grep -q 'bulwark.dev/reader: "true"' "$D/kubernetes/bulwark-server.yaml"

# The systemd unit: the flags of its ExecStart are the agent's.
exec_line="$(sed -n 's/^ExecStart=\/usr\/bin\/bulwark //p' "$D/systemd/bulwark-agent.service")"
assert_true "ExecStart runs bulwark agent" grep -q '^agent --server ' <<<"$exec_line"
for flag in --token-file --ca --spool --state; do
  assert_true "ExecStart has $flag" grep -q -- "$flag " <<<"$exec_line"
  assert_true "bulwark agent knows $flag" grep -q -- "$flag" <("$BULWARK" agent --help 2>&1)
done
if command -v systemd-analyze >/dev/null; then
  systemd-analyze verify --man=no "$D/systemd/bulwark-agent.service" 2>&1 |
    grep -v "/usr/bin/bulwark is not executable" >"$W/units.txt" || true
  assert_eq "systemd-analyze verify: the agent unit parses" "" "$(cat "$W/units.txt")"
fi
e2e_finish
