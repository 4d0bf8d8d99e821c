#!/usr/bin/env bash
# The live monitor's userspace state against a real dockerd and the real eBPF probe:
#  (a) a container started BEFORE the monitor: its process is known only from the /proc
#      snapshot at start, so the alert's command line, executable, parent and ancestors
#      come from there (events alone would give the bare comm and no parent);
#  (b) a container renamed while the monitor runs: the Docker event stream refreshes the
#      name, and a later alert carries the new one;
#  (c) a container started AFTER the monitor: it is pre-resolved on its create event, so its
#      first exec alert has the container name and image (and the exit stats say the lookup
#      was answered by the pre-resolved entry).
# Needs root, dockerd and kernel BTF.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime_lib.sh"
e2e_init runtime_state
rt_require
rt_image
I="$RT_IMAGE"
EARLY=bw-state-early
REN=bw-state-ren
REN2=bw-state-renamed
LATE=bw-state-late
cleanup() { docker rm -f "$EARLY" "$REN" "$REN2" "$LATE" >/dev/null 2>&1 || true; }
cleanup
trap cleanup EXIT

TRIG="$W/trig"
rm -rf "$TRIG"
mkdir -p "$TRIG"
chmod 777 "$TRIG"

# A test rule with every field the assertions need, beside the bundled rules (whose
# "Credential file read by an unexpected program" fires on the same reads).
RULES="$W/state_rules.yaml"
cat >"$RULES" <<'EOF'
- rule: bwm state shadow read
  desc: e2e test rule (test_runtime_state.sh)
  condition: evt.type in (open, openat, openat2) and fd.name = /etc/shadow and proc.name = python3
  output: >
    shadow read (proc.name=%proc.name proc.exepath=%proc.exepath proc.cmdline=%proc.cmdline proc.pname=%proc.pname
    proc.pcmdline=%proc.pcmdline proc.aname[2]=%proc.aname[2] container.id=%container.id
    container.name=%container.name container.image.repository=%container.image.repository)
  priority: WARNING
- rule: bwm state exec
  desc: e2e test rule (test_runtime_state.sh)
  condition: evt.type in (execve, execveat) and container.id != host and proc.cmdline contains "bwm-state-"
  output: >
    exec (proc.name=%proc.name proc.cmdline=%proc.cmdline container.id=%container.id container.name=%container.name
    container.image.repository=%container.image.repository)
  priority: NOTICE
EOF

# A python3 under sh that says it is ready, waits for a trigger file, then reads /etc/shadow.
waiter() {  # MARKER TRIGGER...
  local marker="$1"; shift
  local py="import os, time  # $marker
open('/trig/$marker.ready', 'w').close()
for t in '$*'.split():
    while not os.path.exists('/trig/' + t):
        time.sleep(0.1)
    open('/etc/shadow').read()
time.sleep(30)"
  printf '%s' "python3 -c \"$py\"; true"
}
wait_file() {  # FILE SECONDS
  local i
  for i in $(seq 1 $(($2 * 10))); do [ -e "$1" ] && return 0; sleep 0.1; done
  return 1
}
# wait_alert RULE JQ-CONDITION SECONDS: polls the alerts file.
wait_alert() {
  local i
  for i in $(seq 1 $(($3 * 5))); do
    [ "$(jq -c --arg r "$1" "select(.rule == \$r) | select($2)" "$ALERTS" 2>/dev/null | wc -l)" -gt 0 ] && return 0
    sleep 0.2
  done
  return 1
}

# --- (a) started before the monitor --------------------------------------------
docker run -d --name "$EARLY" -v "$TRIG:/trig" "$I" sh -c "$(waiter bwm-state-early early-go)" >/dev/null
wait_file "$TRIG/bwm-state-early.ready" 30 || e2e_fatal "the early container did not start"
EARLY_ID="$(docker inspect -f '{{.Id}}' "$EARLY")"
EARLY_SH="$(docker inspect -f '{{.State.Pid}}' "$EARLY")"
EARLY_SHIM="$(ps -o ppid= -p "$EARLY_SH" | tr -d ' ')"
EARLY_SHIM_COMM="$(ps -o comm= -p "$EARLY_SHIM")"
PY_EXE="$(docker exec "$EARLY" readlink -f /usr/bin/python3)"
echo "   early container ${EARLY_ID:0:12}: sh pid $EARLY_SH under $EARLY_SHIM_COMM ($EARLY_SHIM), python $PY_EXE"

ALERTS="$W/alerts.jsonl"
rm -f "$ALERTS"
START_NS="$(date +%s%N)"
rt_monitor_start monitor --rules "$BULWARK_SOURCE_DIR/rules/bulwark_rules.yaml" --rules "$RULES" \
  --format json -o "$ALERTS" --buffer-size 64 --duration 10m
assert_grep "the monitor reports the /proc snapshot at start" "$RT_MON_ERR" \
  'processes from /proc snapshot: [1-9][0-9]* \('
touch "$TRIG/early-go"
wait_alert "bwm state shadow read" '.output_fields["proc.cmdline"] | contains("bwm-state-early")' 20 || true

f() { printf '.output_fields["%s"]' "$1"; }
early="($(f proc.cmdline) | contains(\"bwm-state-early\"))"
expect_alert "(a) pre-existing python3: cmdline and executable from /proc" "bwm state shadow read" \
  "$early and $(f proc.name) == \"python3\" and ($(f proc.cmdline) | startswith(\"python3 -c import os, time\")) and $(f proc.exepath) == \"$PY_EXE\""
expect_alert "(a) pre-existing python3: parent and grandparent from /proc" "bwm state shadow read" \
  "$early and $(f proc.pname) == \"sh\" and ($(f proc.pcmdline) | startswith(\"sh -c python3 -c\")) and $(f 'proc.aname[2]') == \"$EARLY_SHIM_COMM\""
expect_alert "(a) pre-existing python3: container id and name" "bwm state shadow read" \
  "$early and $(f container.id) == \"${EARLY_ID:0:12}\" and $(f container.name) == \"$EARLY\" and $(f container.image.repository) == \"bulwark-e2e/runtime\""
expect_alert "(a) the bundled rule sees the same process" "Credential file read by an unexpected program" \
  "$early and $(f proc.pname) == \"sh\" and $(f container.id) == \"${EARLY_ID:0:12}\""

# --- (b) renamed while the monitor runs ----------------------------------------
docker run -d --name "$REN" -v "$TRIG:/trig" "$I" sh -c "$(waiter bwm-state-ren ren-1 ren-2)" >/dev/null
wait_file "$TRIG/bwm-state-ren.ready" 30 || e2e_fatal "the rename container did not start"
REN_ID="$(docker inspect -f '{{.Id}}' "$REN")"
ren="($(f proc.cmdline) | contains(\"bwm-state-ren\"))"
touch "$TRIG/ren-1"
wait_alert "bwm state shadow read" "$ren" 20 || true
expect_alert "(b) before the rename: the old name" "bwm state shadow read" \
  "$ren and $(f container.id) == \"${REN_ID:0:12}\" and $(f container.name) == \"$REN\""
docker rename "$REN" "$REN2"
sleep 2  # the follower reads the rename event and inspects the container again
touch "$TRIG/ren-2"
wait_alert "bwm state shadow read" "$ren and $(f container.name) == \"$REN2\"" 20 || true
expect_alert "(b) after the rename: the new name" "bwm state shadow read" \
  "$ren and $(f container.id) == \"${REN_ID:0:12}\" and $(f container.name) == \"$REN2\""

# --- (c) started after the monitor ---------------------------------------------
# --rm and an immediate exit: the container is gone soon after its one exec.
docker run --rm --name "$LATE" "$I" sh -c 'exit 0 # bwm-state-late' >/dev/null
wait_alert "bwm state exec" '.output_fields["proc.cmdline"] | contains("bwm-state-late")' 20 || true
expect_alert "(c) a new container's first exec has name and image" "bwm state exec" \
  "($(f proc.cmdline) | contains(\"bwm-state-late\")) and $(f container.name) == \"$LATE\" and $(f container.image.repository) == \"bulwark-e2e/runtime\""

sleep 1
T0=$SECONDS
rt_monitor_stop monitor
assert_eq "monitor exits 0 on SIGINT" 0 "$RC"
assert_true "the monitor stops within 5 s (event stream follower included)" test $((SECONDS - T0)) -le 5
assert_grep "exit stats: containers pre-resolved from create/start events answered lookups" "$RT_MON_ERR" \
  'docker events: [0-9]+ \(pre-resolved [1-9][0-9]*, lookups answered by them [1-9][0-9]*, renamed [1-9]'
assert_grep "exit stats: processes from the /proc snapshot" "$RT_MON_ERR" 'stats: +processes from /proc snapshot: [1-9]'
assert_no_grep "no malformed /proc entries" "$RT_MON_ERR" "malformed /proc entries"
echo "   $(wc -l <"$ALERTS") alerts; monitor started $(( ($(date +%s%N) - START_NS) / 1000000000 )) s ago"
e2e_finish
