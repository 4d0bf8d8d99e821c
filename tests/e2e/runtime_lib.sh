# Helpers for the runtime-monitor suites (test_runtime_*.sh): the scenario image
# and a live `bulwark monitor` in the background. Source after lib.sh.
#
#   rt_require        root, dockerd, kernel BTF and a bulwark built with eBPF capture
#   rt_image          builds bulwark-e2e/runtime:1 FROM the lab image bulwark-e2e/debian:12
#                     (debootstrap'ed by setup-images.sh), adding Debian packages the
#                     scenarios need; docker's layer cache makes reruns instant
#   rt_monitor_start NAME ARGS...   starts `bulwark monitor ARGS` and waits until capture is live
#   rt_monitor_stop  NAME           SIGINT, waits, records the exit code in $W/NAME.rc

RT_IMAGE="bulwark-e2e/runtime:1"
RT_BASE="bulwark-e2e/debian:12"
: "${BULWARK_SHARED_DIR:=$BULWARK_SOURCE_DIR/../shared}"
FALCO_RULES="$BULWARK_SHARED_DIR/fixtures/falco/falcosecurity-rules/rules/falco_rules.yaml"

rt_require() {
  e2e_require_root
  e2e_require_docker
  e2e_require_cmd jq timeout
  [ -r /sys/kernel/btf/vmlinux ] || e2e_missing "the kernel exposes no BTF (/sys/kernel/btf/vmlinux)"
  if "$BULWARK" monitor --duration 1s --quiet -o /dev/null 2>"$W/probe-check.err"; then :; else
    if grep -q "built without eBPF" "$W/probe-check.err"; then
      e2e_missing "bulwark was built without eBPF capture: $(cat "$W/probe-check.err")"
    fi
    e2e_fatal "the live monitor does not start: $(cat "$W/probe-check.err")"
  fi
}

rt_image() {
  if ! docker image inspect "$RT_BASE" >/dev/null 2>&1; then
    e2e_setup_images  # debootstraps and imports the lab base image (cached in $BULWARK_E2E_CACHE)
  fi
  mkdir -p "$W/image"
  cat >"$W/image/Dockerfile" <<EOF
FROM $RT_BASE
RUN apt-get update -qq \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \\
      netcat-traditional strace kmod python3 procps util-linux findutils openssh-client login \\
 && rm -rf /var/lib/apt/lists/*
EOF
  local t0=$SECONDS
  if ! docker build -q -t "$RT_IMAGE" "$W/image" >"$W/image/build.log" 2>&1; then
    cat "$W/image/build.log" >&2
    e2e_fatal "docker build of $RT_IMAGE failed"
  fi
  echo "   image $RT_IMAGE ready ($((SECONDS - t0)) s)"
}

rt_monitor_start() {
  local name="$1"; shift
  RT_MON_ERR="$W/$name.err"
  "$BULWARK" monitor "$@" 2>"$RT_MON_ERR" &
  RT_MON_PID=$!
  local i
  for i in $(seq 1 150); do
    grep -q "capture ready" "$RT_MON_ERR" 2>/dev/null && { echo "   [$name] monitor ready (pid $RT_MON_PID)"; return 0; }
    kill -0 "$RT_MON_PID" 2>/dev/null || { cat "$RT_MON_ERR" >&2; e2e_fatal "the monitor exited before capture was ready"; }
    sleep 0.2
  done
  cat "$RT_MON_ERR" >&2
  e2e_fatal "the monitor was not ready after 30 s"
}

rt_monitor_stop() {
  local name="$1"
  kill -INT "$RT_MON_PID" 2>/dev/null || true
  set +e
  wait "$RT_MON_PID"
  RC=$?
  set -e
  echo "$RC" >"$W/$name.rc"
  echo "   [$name] monitor stopped -> exit $RC"
}

# rt_run NAME DOCKER-RUN-ARGS...: one scenario container (removed afterwards); never fails the suite.
rt_run() {
  local name="$1"; shift
  set +e
  timeout -k 5 60 docker run --rm --name "bw-rt-$name" "$@" >"$W/scn-$name.out" 2>&1
  local rc=$?
  set -e
  echo "   scenario $name -> exit $rc"
}

# expect_alert WHAT RULE JQ-CONDITION: an alert of RULE whose object satisfies the condition.
expect_alert() {
  local what="$1" rule="$2" cond="$3" alerts="${4:-$W/alerts.jsonl}"
  local n
  n="$(jq -c --arg r "$rule" "select(.rule == \$r) | select($cond)" "$alerts" 2>/dev/null | wc -l)"
  if [ "$n" -gt 0 ]; then
    _pass "$what: \"$rule\""
    RT_RULES_OK+=("$rule")
  else
    _fail "$what: no \"$rule\" alert matching [$cond]; alerts of that rule:"
    jq -c --arg r "$rule" 'select(.rule == $r) | .output_fields' "$alerts" 2>/dev/null | sed -n '1,4p' | sed 's/^/      | /' >&2 || true
  fi
}
RT_RULES_OK=()
