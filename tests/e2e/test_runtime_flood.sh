#!/usr/bin/env bash
# Drop accounting under a deliberate flood: a container runs two tight open/read/close loops
# (bench/monitor/openloop.c) against a monitor given the smallest ring buffer. The monitor
# must survive, count and report the drops (per CPU, every interval and at exit), keep its
# memory bounded, and still detect a scenario after the flood.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime_lib.sh"
e2e_init runtime_flood
rt_require
e2e_require_cmd gcc
[ -r "$FALCO_RULES" ] || e2e_missing "Falco rules fixture not found: $FALCO_RULES"
rt_image
gcc -O2 -o "$W/openloop" "$BULWARK_SOURCE_DIR/bench/monitor/openloop.c" || e2e_fatal "cannot build openloop.c"

ALERTS="$W/alerts.jsonl"
rt_monitor_start monitor --rules "$FALCO_RULES" --format json -o "$ALERTS" --buffer-size 1 --stats-interval 1 \
  --duration 10m
# Make the consumer lose the race on purpose: a Release build keeps up with this flood even pinned
# to a busy CPU at nice 19 (measured: about 250k events/s, no drops), so nothing would be left to
# account. The reader is stopped (SIGSTOP) for 2 s in the middle of the flood: its 512 KiB rings
# fill in milliseconds, and every open after that must be counted as dropped, per CPU.
docker run --rm --name bw-rt-flood -v "$W/openloop:/openloop:ro" "$RT_IMAGE" /openloop /etc/hostname 6 2 \
  >"$W/flood.out" 2>&1 &
FLOOD_PID=$!
sleep 2
kill -STOP "$RT_MON_PID"
sleep 2
kill -CONT "$RT_MON_PID"
wait "$FLOOD_PID" || true
echo "   flood: $(cat "$W/flood.out") (loops, loops/s)"
kill -0 "$RT_MON_PID" 2>/dev/null && _pass "monitor alive after the flood" || _fail "the monitor died during the flood"
rss_kib="$(awk '/VmHWM/ {print $2}' "/proc/$RT_MON_PID/status" 2>/dev/null || echo 0)"
echo "   monitor peak RSS: ${rss_kib} KiB"
assert_true "monitor peak RSS under 256 MiB (bounded)" test "$rss_kib" -gt 0 -a "$rss_kib" -lt 262144

# Detection still works once the flood is over.
sleep 1
rt_run after "$RT_IMAGE" python3 -c "open('/etc/shadow').read()  # bwm-after-flood"
sleep 2
rt_monitor_stop monitor
assert_eq "monitor exits 0 on SIGINT" 0 "$RC"

# Periodic and final statistics, with per-CPU lines.
n_periodic="$(grep -cE 'stats: ebpf: [0-9]+ events' "$RT_MON_ERR" || true)"
assert_true "statistics printed every interval (saw $n_periodic)" test "$n_periodic" -ge 3
assert_grep "per-CPU counters reported" "$RT_MON_ERR" 'stats:   cpu [0-9]+: [0-9]+ events, [0-9]+ dropped'
final="$(grep -E 'stats: ebpf: [0-9]+ events' "$RT_MON_ERR" | tail -1)"
echo "   final: $final"
events="$(sed -E 's/.*ebpf: ([0-9]+) events.*/\1/' <<<"$final")"
drops="$(sed -E 's/.* ([0-9]+) dropped.*/\1/' <<<"$final")"
loops="$(awk '{print $1}' "$W/flood.out")"
assert_true "the flood produced events ($loops loops)" test "${loops:-0}" -gt 100000
# Every open of the flood is either delivered or counted as dropped: nothing vanishes silently.
assert_true "delivered + dropped ($events + $drops) covers the flood's opens ($loops)" \
  test $((events + drops)) -ge "${loops:-0}"
assert_true "drops were counted under the flood with a 1 MiB buffer ($drops)" test "${drops:-0}" -gt 0
# The final block (after the last summary line) lists every CPU that dropped.
sum_cpu_drops="$(awk '/stats: ebpf: [0-9]+ events/ {s = 0} /stats:   cpu [0-9]+:/ {s += $(NF - 1)} END {print s + 0}' \
  "$RT_MON_ERR")"
assert_eq "per-CPU drops add up to the total" "$drops" "$sum_cpu_drops"
expect_alert "detection after the flood" "Read sensitive file untrusted" \
  '(.output_fields["proc.cmdline"] | contains("bwm-after-flood"))'
e2e_finish
