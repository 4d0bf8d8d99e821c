#!/usr/bin/env bash
# bench/agent.sh: the agent's figures against the targets of issue 15 (no peer agent is installed on
# this machine: Falco, Prisma Defender and the Trivy Operator are not Debian packages, so the figures are
# absolute, against the targets).
#   1. First inventory of a host with N images (default 50: distinct config digests built here with
#      `docker build`, one label each on bulwark-e2e/debian:12): `bulwark agent --once` with an empty
#      state and cache, SBOMs of every image sent to a sink on loopback. Target <= 30 s.
#   2. Idle: 20 running containers, the agent without --monitor, after its first round; CPU (utime +
#      stime from /proc over IDLE_S seconds, default 60) and RSS (VmRSS, VmHWM). Targets <= 1% of one
#      core, <= 64 MiB.
#   3. Change seen: the time from `docker run` to the inventory with that container at the sink.
#      Target <= 2 s.
# Needs root, dockerd and bulwark-e2e/debian:12 (tests/e2e/setup-images.sh). Writes
# bench/results/<date>-agent.md. Ports: 18550 (sink).
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "$0")" && pwd)"
. "$BENCH_DIR/lib.sh"
SRC="$(cd "$BENCH_DIR/.." && pwd)"
BULWARK="${BULWARK:-$SRC/build/bulwark}"
N="${N:-50}"
IDLE_S="${IDLE_S:-60}"
PORT=18550
RUN_DIR="$(mktemp -d /tmp/bulwark-bench-agent.XXXXXX)"
OUT="$BENCH_DIR/results/$(date -u +%Y-%m-%d)-agent.md"
[ -x "$BULWARK" ] || die "no bulwark binary at $BULWARK"
docker image inspect bulwark-e2e/debian:12 >/dev/null 2>&1 || die "bulwark-e2e/debian:12 is missing"

SINK_PID="" AGENT_PID=""
cleanup() {
  [ -z "$AGENT_PID" ] || kill "$AGENT_PID" 2>/dev/null || true
  [ -z "$SINK_PID" ] || kill "$SINK_PID" 2>/dev/null || true
  docker ps -aq --filter label=bulwark-bench-agent=1 | xargs -r docker rm -f >/dev/null 2>&1 || true
  docker images -q --filter label=bulwark-bench-agent=1 | sort -u | xargs -r docker rmi -f >/dev/null 2>&1 || true
  rm -rf "$RUN_DIR"
}
trap cleanup EXIT

# The sink: answers 201 to every POST and appends each body (one line) to sink.jsonl.
cat >"$RUN_DIR/sink.py" <<'PY'
import http.server, sys
out = open(sys.argv[2], "ab", buffering=0)
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        out.write(body.replace(b"\n", b" ") + b"\n")
        self.send_response(201); self.send_header("Content-Type", "application/json"); self.end_headers()
        self.wfile.write(b'{"id":"1","duplicate":false}')
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
python3 "$RUN_DIR/sink.py" $PORT "$RUN_DIR/sink.jsonl" & SINK_PID=$!
sleep 0.5

log "building $N distinct images"
for i in $(seq 1 "$N"); do
  printf 'FROM bulwark-e2e/debian:12\nLABEL bulwark-bench-agent=1 n=%s\n' "$i" |
    docker build -q -t "bulwark-bench-agent/img:$i" - >/dev/null 2>&1
done
images_on_host="$(docker images -q | sort -u | wc -l)"

log "first inventory (--once, empty state and cache) of $images_on_host images"
read -r wall rss rc cpu < <(measure first "$BULWARK" agent --server "http://127.0.0.1:$PORT" --token bench \
  --host-name bench --spool "$RUN_DIR/spool1" --state "$RUN_DIR/state1" --cache-dir "$RUN_DIR/cache1" \
  --no-host-audit --once)
[ "$rc" = 0 ] || { sed -n 1,20p "$RUN_DIR/first.stderr" >&2; die "the first inventory failed"; }
sboms="$(grep -c '"targets"' "$RUN_DIR/sink.jsonl" || true)"
first_wall=$wall first_rss=$rss first_cpu=$cpu

log "20 containers, agent idle for ${IDLE_S}s"
for i in $(seq 1 20); do
  docker run -d --rm --label bulwark-bench-agent=1 bulwark-e2e/debian:12 sleep 900 >/dev/null
done
"$BULWARK" agent --server "http://127.0.0.1:$PORT" --token bench --host-name bench --spool "$RUN_DIR/spool2" \
  --state "$RUN_DIR/state1" --cache-dir "$RUN_DIR/cache1" --no-host-audit --interval 1h \
  2>"$RUN_DIR/idle.stderr" & AGENT_PID=$!
sleep 15  # first round (inventory, activity) done
ticks() { awk '{ print $14 + $15 }' "/proc/$AGENT_PID/stat"; }
hz="$(getconf CLK_TCK)"
t0="$(ticks)"; s0=$SECONDS
sleep "$IDLE_S"
t1="$(ticks)"; s1=$SECONDS
cpu_pct="$(awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s="$((s1 - s0))" 'BEGIN { printf "%.2f", 100 * (b - a) / hz / s }')"
rss_kib="$(awk '/VmRSS/ { print $2 }' "/proc/$AGENT_PID/status")"
hwm_kib="$(awk '/VmHWM/ { print $2 }' "/proc/$AGENT_PID/status")"

log "change latency: docker run -> inventory at the sink"
lat=()
for k in 1 2 3 4 5; do
  before="$(wc -l <"$RUN_DIR/sink.jsonl")"
  start_ns="$(date +%s%N)"
  cid="$(docker run -d --rm --label bulwark-bench-agent=1 bulwark-e2e/debian:12 sleep 900)"
  for _ in $(seq 1 100); do
    if tail -n +"$((before + 1))" "$RUN_DIR/sink.jsonl" | grep -q "\"report\":\"inventory\".*$cid\|$cid.*\"report\":\"inventory\""; then break; fi
    sleep 0.05
  done
  end_ns="$(date +%s%N)"
  lat+=("$(awk -v a="$start_ns" -v b="$end_ns" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')")
done
lat_median="$(printf '%s\n' "${lat[@]}" | median)"
lat_max="$(printf '%s\n' "${lat[@]}" | max)"

kill "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null || true; AGENT_PID=""
mkdir -p "$BENCH_DIR/results"
{
  echo "# bulwark agent: first inventory, idle cost, change latency ($(date -u +%Y-%m-%d))"
  echo
  echo "Machine: $(nproc) cores (shared with other builds), $(uname -r), Docker $(docker version -f '{{.Server.Version}}')."
  echo "No peer agent on this machine (Falco, Prisma Defender, Trivy Operator are not Debian packages): figures"
  echo "are against the targets of issue 15. Run: \`bash bench/agent.sh\` (N=$N, IDLE_S=$IDLE_S)."
  echo
  echo "| measure | value | target | ratio to target |"
  echo "|---|---|---|---|"
  echo "| first inventory, $images_on_host images ($sboms SBOMs sent), wall | ${first_wall} s | 30 s | $(awk -v a="$first_wall" 'BEGIN{printf "%.2f", a/30}') |"
  echo "| first inventory, CPU (user+sys) / peak RSS | ${first_cpu} s / $((first_rss / 1024)) MiB | - | - |"
  echo "| idle, 20 containers, CPU of one core over ${IDLE_S} s | ${cpu_pct} % | 1 % | $(awk -v a="$cpu_pct" 'BEGIN{printf "%.2f", a/1}') |"
  echo "| idle RSS (VmRSS / VmHWM) | $((rss_kib / 1024)) / $((hwm_kib / 1024)) MiB | 64 MiB | $(awk -v a="$hwm_kib" 'BEGIN{printf "%.2f", a/1024/64}') |"
  echo "| docker run -> inventory at the sink, median / max of 5 | ${lat_median} / ${lat_max} s | 2 s | $(awk -v a="$lat_max" 'BEGIN{printf "%.2f", a/2}') |"
} >"$OUT"
cat "$OUT"
