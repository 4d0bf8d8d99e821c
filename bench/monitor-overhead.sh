#!/usr/bin/env bash
# Benchmark (not a test): what `bulwark monitor` (live eBPF capture + the Falco stable rules)
# costs a syscall-heavy workload, in one run with the monitor off and on.
#
# Workload: bench/monitor/openloop.c, PROCS processes each in a tight open/read/close loop on a
# small file for SECS seconds (every open is an openat the rules need, so every loop is a
# captured event; the close feeds the fd table when the rules need it).
# Rounds alternate off/on (ROUNDS, default 3) so the shared machine's load hits both alike; the
# medians are compared. Per "on" run the monitor's own counters give events, drops and events/s.
# Results: a table on stdout and in bench/results/<date>-monitor.md.
#   usage: sudo bench/monitor-overhead.sh            (env: SECS=5 ROUNDS=3 PROCS=1 PAUSE_US=0)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
BULWARK="${BULWARK:-$ROOT/build/bulwark}"
SECS="${SECS:-5}"
ROUNDS="${ROUNDS:-3}"
PROCS="${PROCS:-1}"
PAUSE_US="${PAUSE_US:-0}"  # microseconds of sleep after every 1000 loops (0 = flat out)
RULES="${RULES:-$ROOT/../shared/fixtures/falco/falcosecurity-rules/rules/falco_rules.yaml}"
OUT_MD="$ROOT/bench/results/$(date -u +%Y-%m-%d)-monitor.md"

[ "$(id -u)" -eq 0 ] || { echo "monitor-overhead: needs root (eBPF)" >&2; exit 1; }
[ -x "$BULWARK" ] || { echo "monitor-overhead: build bulwark first ($BULWARK)" >&2; exit 1; }
T="$(mktemp -d /tmp/bulwark-bench-monitor.XXXXXX)"
trap 'rm -rf "$T"' EXIT
gcc -O2 -Wall -o "$T/openloop" bench/monitor/openloop.c
head -c 4096 /dev/urandom >"$T/data"

BUILD_TYPE="$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$(dirname "$BULWARK")/CMakeCache.txt" 2>/dev/null || true)"
: "${BUILD_TYPE:=unknown}"

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

off=() on=() evs=() drops=() rss=()
for r in $(seq 1 "$ROUNDS"); do
  read -r _ rate <<<"$("$T/openloop" "$T/data" "$SECS" "$PROCS" "$PAUSE_US")"
  off+=("$rate")

  "$BULWARK" monitor --rules "$RULES" --format json -o /dev/null --duration 10m 2>"$T/mon.err" &
  pid=$!
  for _ in $(seq 1 150); do grep -q "capture ready" "$T/mon.err" && break; sleep 0.2; done
  grep -q "capture ready" "$T/mon.err" || { cat "$T/mon.err" >&2; exit 1; }
  before_ns=$(date +%s%N)
  read -r _ rate <<<"$("$T/openloop" "$T/data" "$SECS" "$PROCS" "$PAUSE_US")"
  after_ns=$(date +%s%N)
  on+=("$rate")
  rss+=("$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")")
  kill -INT "$pid"
  wait "$pid" || true
  # "bulwark: stats: ebpf: N events (R/s), D dropped, ..." at exit
  line="$(grep -E 'stats: ebpf: [0-9]+ events' "$T/mon.err" | tail -1)"
  ev="$(sed -E 's/.*ebpf: ([0-9]+) events.*/\1/' <<<"$line")"
  dr="$(sed -E 's/.* ([0-9]+) dropped.*/\1/' <<<"$line")"
  evs+=("$(awk -v e="$ev" -v a="$before_ns" -v b="$after_ns" 'BEGIN {printf "%.0f", e / ((b - a) / 1e9)}')")
  drops+=("$dr")
  echo "round $r: off ${off[-1]} loops/s, on ${on[-1]} loops/s, monitor ${ev} events (${dr} dropped), peak RSS ${rss[-1]} KiB" >&2
done

m_off="$(printf '%s\n' "${off[@]}" | median)"
m_on="$(printf '%s\n' "${on[@]}" | median)"
m_ev="$(printf '%s\n' "${evs[@]}" | median)"
total_drops="$(printf '%s\n' "${drops[@]}" | awk '{s+=$1} END {print s+0}')"
m_rss="$(printf '%s\n' "${rss[@]}" | median)"
slow="$(awk -v a="$m_off" -v b="$m_on" 'BEGIN {printf "%.1f", (1 - b / a) * 100}')"
ratio="$(awk -v a="$m_off" -v b="$m_on" 'BEGIN {printf "%.3f", a / b}')"

{
  echo "# bulwark monitor overhead ($(date -u +%Y-%m-%d))"
  echo
  echo "Machine: $(nproc) CPUs, kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg) at the end (shared with"
  echo "other jobs); medians of $ROUNDS alternating rounds. bulwark build type: $BUILD_TYPE."
  echo "Workload: \`bench/monitor/openloop.c\`, $PROCS process(es), open/read/close of a 4 KiB file for ${SECS}s"
  echo "(pause ${PAUSE_US} us per 1000 loops). Monitor: live eBPF capture + Falco stable rules, JSON alerts to /dev/null."
  echo
  echo "| monitor | loops/s (median) | events/s handled | drops | monitor peak RSS |"
  echo "|---|---|---|---|---|"
  echo "| off | $m_off | - | - | - |"
  echo "| on | $m_on | $m_ev | $total_drops | ${m_rss} KiB |"
  echo
  echo "Slowdown: **${slow}%** (off/on throughput ratio ${ratio}); events/s is the monitor's own count over the"
  echo "workload's window (it includes the rest of the machine's activity). Per-round numbers:"
  echo
  for i in "${!off[@]}"; do
    echo "- round $((i + 1)): off ${off[$i]}, on ${on[$i]} loops/s; ${evs[$i]} events/s; ${drops[$i]} drops"
  done
  echo
  echo "Command: \`sudo SECS=$SECS ROUNDS=$ROUNDS PROCS=$PROCS PAUSE_US=$PAUSE_US bench/monitor-overhead.sh\`"
} | tee "$OUT_MD.tmp"
mv "$OUT_MD.tmp" "$OUT_MD"
