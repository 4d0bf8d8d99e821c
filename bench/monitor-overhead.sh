#!/usr/bin/env bash
# Benchmark (not a test): what `bulwark monitor` (live eBPF capture + the Falco stable rules)
# costs a syscall-heavy workload, in one run with the monitor off and on, per hook mode.
#
# Workloads:
#   openloop  bench/monitor/openloop.c: PROCS processes in a tight open/read/close loop on a small
#             file for SECS seconds. Every open is an openat the stable rules need, so every loop is
#             one captured event; read and close are syscalls the rules do not need.
#   redis     Falco's own overhead benchmark (research/runtime.md §4): redis-benchmark against a
#             loopback redis-server. Its syscalls (read, write, epoll_wait) are ones the stable rules
#             do not need, so this measures what hooking costs the syscalls that are not captured.
# Modes, alternating round by round so the machine's load hits all alike (medians compared):
#   off          no monitor
#   tracepoints  --hooks tracepoints (per-syscall tracepoints, args copied at entry): the default
#   tp-exit      --hooks tracepoints --entry-args off (args read at syscall exit, as Falco does)
#   raw          --hooks raw (one BPF dispatcher on every syscall of the machine)
# Measures: throughput (loops/s, requests/s), the workload's CPU time per loop (user + system: the
# hooks run inside its syscalls), the monitor's events/s, drops and peak RSS.
# Results: a table on stdout and in bench/results/<date>-monitor.md.
#   usage: sudo bench/monitor-overhead.sh   (env: SECS=5 ROUNDS=3 PROCS=1 WORKLOADS="openloop redis"
#                                            MODES="off tracepoints tp-exit raw" NICE=-10)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
BULWARK="${BULWARK:-$ROOT/build/bulwark}"
SECS="${SECS:-5}"
ROUNDS="${ROUNDS:-3}"
PROCS="${PROCS:-1}"
WORKLOADS="${WORKLOADS:-openloop redis}"
MODES="${MODES:-off tracepoints tp-exit raw}"
# Priority of the workload and the monitor against other jobs on a shared machine (both alike).
NICE="${NICE:--10}"
RULES="${RULES:-$ROOT/../shared/fixtures/falco/falcosecurity-rules/rules/falco_rules.yaml}"
OUT_MD="$ROOT/bench/results/$(date -u +%Y-%m-%d)-monitor.md"

[ "$(id -u)" -eq 0 ] || { echo "monitor-overhead: needs root (eBPF)" >&2; exit 1; }
[ -x "$BULWARK" ] || { echo "monitor-overhead: build bulwark first ($BULWARK)" >&2; exit 1; }
T="$(mktemp -d /tmp/bulwark-bench-monitor.XXXXXX)"
REDIS_PID=""
cleanup() { [ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
gcc -O2 -Wall -o "$T/openloop" bench/monitor/openloop.c
head -c 4096 /dev/urandom >"$T/data"
# The per-syscall tracepoints live in tracefs.
[ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true

if [[ " $WORKLOADS " == *" redis "* ]]; then
  command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null || {
    echo "monitor-overhead: redis workload needs redis-server and redis-benchmark (apt-get install redis-server redis-tools)" >&2
    exit 1
  }
  redis-server --port 6399 --bind 127.0.0.1 --save '' --appendonly no --daemonize no >"$T/redis.log" 2>&1 &
  REDIS_PID=$!
  for _ in $(seq 1 50); do [ "$(redis-cli -p 6399 ping 2>/dev/null)" = PONG ] && break; sleep 0.1; done
fi

BUILD_TYPE="$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$(dirname "$BULWARK")/CMakeCache.txt" 2>/dev/null || true)"
: "${BUILD_TYPE:=unknown}"

median() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

mode_args() {
  case "$1" in
    tracepoints) echo "--hooks tracepoints" ;;
    tp-exit) echo "--hooks tracepoints --entry-args off" ;;
    raw) echo "--hooks raw" ;;
  esac
}

# run_workload NAME -> "throughput cpu_ns_per_op" on stdout
run_workload() {
  case "$1" in
    openloop)
      read -r _ rate cpu <<<"$(nice -n "$NICE" "$T/openloop" "$T/data" "$SECS" "$PROCS" 0)"
      echo "$rate $cpu"
      ;;
    redis)
      local n=$((SECS * 40000))
      local t0 t1
      t0="$(awk '{print $14 + $15}' "/proc/$REDIS_PID/stat")"
      local rps
      rps="$(nice -n "$NICE" redis-benchmark -p 6399 -q -n "$n" -c 20 -t set,get 2>/dev/null | tr '\r' '\n' |
        sed -nE 's/.*: ([0-9.]+) requests per second.*/\1/p' | awk '{s += $1; n++} END {printf "%.0f", n ? s / n : 0}')"
      t1="$(awk '{print $14 + $15}' "/proc/$REDIS_PID/stat")"
      # redis-server's CPU time (clock ticks) per request, in ns
      awk -v a="$t0" -v b="$t1" -v n="$n" -v hz="$(getconf CLK_TCK)" \
        -v r="$rps" 'BEGIN {printf "%s %.1f\n", r, (b - a) / hz * 1e9 / (2 * n)}'
      ;;
  esac
}

declare -A tput cpu evs drops rss
for w in $WORKLOADS; do
  for r in $(seq 1 "$ROUNDS"); do
    for m in $MODES; do
      pid=""
      if [ "$m" != off ]; then
        # shellcheck disable=SC2046
        nice -n "$NICE" "$BULWARK" monitor --rules "$RULES" $(mode_args "$m") --format json -o /dev/null \
          --duration 10m 2>"$T/mon.err" &
        pid=$!
        for _ in $(seq 1 150); do grep -q "capture ready" "$T/mon.err" && break; sleep 0.2; done
        grep -q "capture ready" "$T/mon.err" || { cat "$T/mon.err" >&2; exit 1; }
      fi
      before_ns=$(date +%s%N)
      read -r tp c <<<"$(run_workload "$w")"
      after_ns=$(date +%s%N)
      tput[$w,$m]+="$tp "
      cpu[$w,$m]+="$c "
      line=""
      if [ -n "$pid" ]; then
        rss[$w,$m]+="$(awk '/VmHWM/ {print $2}' "/proc/$pid/status") "
        kill -INT "$pid"
        wait "$pid" || true
        # "bulwark: stats: ebpf: N events (R/s), D dropped, ..." at exit
        line="$(grep -E 'stats: ebpf: [0-9]+ events' "$T/mon.err" | tail -1)"
        ev="$(sed -E 's/.*ebpf: ([0-9]+) events.*/\1/' <<<"$line")"
        dr="$(sed -E 's/.* ([0-9]+) dropped.*/\1/' <<<"$line")"
        evs[$w,$m]+="$(awk -v e="$ev" -v a="$before_ns" -v b="$after_ns" 'BEGIN {printf "%.0f", e / ((b - a) / 1e9)}') "
        drops[$w,$m]+="$dr "
      fi
      echo "$w round $r $m: throughput $tp/s, cpu ${c} ns/op${line:+, ${line#*stats: }}" >&2
    done
  done
done

med() { tr ' ' '\n' <<<"$1" | grep -v '^$' | median; }
sum() { tr ' ' '\n' <<<"$1" | awk '{s += $1} END {print s + 0}'; }

{
  echo "# bulwark monitor overhead ($(date -u +%Y-%m-%d))"
  echo
  echo "Machine: $(nproc) CPUs, kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg) at the end;"
  echo "medians of $ROUNDS rounds, modes alternating within each round; workload and monitor at nice $NICE."
  echo "bulwark build type: $BUILD_TYPE. Rules: Falco's stable falco_rules.yaml; JSON alerts to /dev/null."
  echo
  for w in $WORKLOADS; do
    off_t="$(med "${tput[$w,off]:-}")"
    off_c="$(med "${cpu[$w,off]:-}")"
    case "$w" in
      openloop) echo "## openloop: $PROCS process(es), open/read/close of a 4 KiB file for ${SECS}s (one captured event per loop)" ;;
      redis) echo "## redis: redis-benchmark -c 20 -t set,get against a loopback redis-server (Falco's benchmark workload)" ;;
    esac
    echo
    echo "| monitor | throughput/s | slowdown | CPU ns per op | CPU overhead | events/s | drops | monitor peak RSS |"
    echo "|---|---|---|---|---|---|---|---|"
    for m in $MODES; do
      t="$(med "${tput[$w,$m]:-}")"
      c="$(med "${cpu[$w,$m]:-}")"
      if [ "$m" = off ]; then
        echo "| off | $t | - | $c | - | - | - | - |"
      else
        slow="$(awk -v a="$off_t" -v b="$t" 'BEGIN {printf "%.1f%%", (1 - b / a) * 100}')"
        over="$(awk -v a="$off_c" -v b="$c" 'BEGIN {printf "%+.1f%%", (b / a - 1) * 100}')"
        echo "| $m | $t | $slow | $c | $over | $(med "${evs[$w,$m]:-}") | $(sum "${drops[$w,$m]:-}") | $(med "${rss[$w,$m]:-}") KiB |"
      fi
    done
    echo
    echo "Per round (throughput/s): $(for m in $MODES; do printf '%s: %s; ' "$m" "${tput[$w,$m]% }"; done)"
    echo
  done
  echo "Slowdown is the throughput lost against \`off\`; CPU overhead is the workload's extra CPU time per"
  echo "operation (for redis, redis-server's). events/s is the monitor's own count over the workload's"
  echo "window (it includes the rest of the machine's activity)."
  echo
  echo "Command: \`sudo SECS=$SECS ROUNDS=$ROUNDS PROCS=$PROCS WORKLOADS=\"$WORKLOADS\" MODES=\"$MODES\" NICE=$NICE bench/monitor-overhead.sh\`"
} | tee "$OUT_MD.tmp"
mv "$OUT_MD.tmp" "$OUT_MD"
