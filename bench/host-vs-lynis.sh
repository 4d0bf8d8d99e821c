#!/usr/bin/env bash
# Benchmark (not a test): the whole `bulwark host` audit with 10 running containers, side by side
# with the peer in one run. Measures wall time (median of RUNS, default 5; Lynis's full audit takes
# minutes, so it runs FULL_RUNS times, default 1) and, for bulwark, the Engine API requests it made
# (--stats). Writes bench/results/host-<date>.md.
#
# The peer: docker-bench-security (the shell reference implementation of the CIS Docker Benchmark)
# is not packaged for Debian 12 (`apt-cache search docker-bench` finds nothing) and there is no
# general internet here, so it cannot be run. Lynis (Debian package `lynis`) is run instead, twice:
#   lynis-containers  lynis audit system --tests-from-group containers   (its Docker/container tests)
#   lynis-full        lynis audit system                                 (everything it checks)
# Lynis's container tests are far fewer than the CIS benchmark (it lists containers, counts
# unused images and checks the socket's mode); the comparison is of wall time, not of coverage.
#
# Needs root and dockerd (scripts/start-services.sh) and the lab image bulwark-e2e/debian:12
# (tests/e2e/setup-images.sh). usage: bench/host-vs-lynis.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
BULWARK="${BULWARK:-$ROOT/build/bulwark}"
RUNS="${RUNS:-5}"
FULL_RUNS="${FULL_RUNS:-1}"
N="${CONTAINERS:-10}"
die() { echo "bench: ERROR: $*" >&2; exit 1; }
log() { echo "bench: [$(date -u +%H:%M:%S)] $*" >&2; }
[ "$(id -u)" -eq 0 ] || die "run as root (docker, /proc)"
[ -x "$BULWARK" ] || die "build bulwark first: $BULWARK"
command -v lynis >/dev/null || die "lynis is missing (apt-get install lynis)"
bash scripts/start-services.sh >/dev/null
docker image inspect bulwark-e2e/debian:12 >/dev/null 2>&1 || die "the lab image is missing (tests/e2e/setup-images.sh)"
mkdir -p "$ROOT/bench/results"
WORK="$(mktemp -d /tmp/bulwark-bench-host.XXXXXX)"
LABEL="bulwark-bench-host=$$"
cleanup() {
  docker ps -aq --filter "label=$LABEL" | xargs -r docker rm -f >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

log "starting $N containers"
for i in $(seq 1 "$N"); do
  docker run -d --label "$LABEL" --name "bench-host-$$-$i" bulwark-e2e/debian:12 sleep 3600 >/dev/null
done
running="$(docker ps -q | wc -l)"

now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2))}'; }

# time_runs NAME CMD...: RUNS wall times in ms, one per line, in $WORK/NAME.times
time_runs() {
  local name="$1" runs="$2"; shift 2
  : >"$WORK/$name.times"
  for _ in $(seq 1 "$runs"); do
    local t0; t0="$(now_ms)"
    "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || true
    echo $(( $(now_ms) - t0 )) >>"$WORK/$name.times"
  done
}

log "bulwark host ($RUNS runs)"
time_runs bulwark "$RUNS" "$BULWARK" host --format json --include-passed --stats --quiet
b_ms="$(median <"$WORK/bulwark.times")"
b_req="$(grep -oE '[0-9]+ Engine API requests' "$WORK/bulwark.err" | grep -oE '^[0-9]+' || echo '?')"
b_findings="$(jq '.findings | length' "$WORK/bulwark.out")"
b_containers="$(jq '[.targets[] | select(.kind == "container")] | length' "$WORK/bulwark.out")"
b_score="$(jq '.score.percent' "$WORK/bulwark.out")"

LY=(--no-colors --quiet --no-log --skip-plugins)
log "lynis containers group ($RUNS runs)"
time_runs lynis-containers "$RUNS" lynis audit system --tests-from-group containers "${LY[@]}"
lc_ms="$(median <"$WORK/lynis-containers.times")"
log "lynis full audit ($FULL_RUNS runs)"
time_runs lynis-full "$FULL_RUNS" lynis audit system "${LY[@]}"
lf_ms="$(median <"$WORK/lynis-full.times")"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "n/a" }'; }
OUT="$ROOT/bench/results/host-$(date -u +%Y-%m-%d).md"
{
  echo "# bulwark host vs Lynis ($(date -u +%Y-%m-%d), $N containers of ours, $running running in all)"
  echo
  echo "Machine: $(nproc) CPUs, $(uname -r), Docker $(docker version --format '{{.Server.Version}}'), lynis $(lynis show version 2>/dev/null)."
  echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared by 8 builds)."
  echo "Median of $RUNS runs (Lynis full audit: $FULL_RUNS), wall time. docker-bench-security could not be run: Debian does not"
  echo "package it and there is no internet here (its reference time on this machine: ~40 s for 7 containers)."
  echo
  echo "| tool | what it does | wall time | ratio to bulwark | Engine API requests |"
  echo "|---|---|---:|---:|---:|"
  echo "| bulwark host | CIS Docker 1.6.0 §1-§7 + /proc posture: $b_findings results over $b_containers containers (score $b_score%) | ${b_ms} ms | 1.0x | $b_req |"
  echo "| lynis (containers group) | Lynis's container tests only | ${lc_ms} ms | $(ratio "$lc_ms" "$b_ms") | n/a (docker CLI) |"
  echo "| lynis (full audit) | every Lynis test | ${lf_ms} ms | $(ratio "$lf_ms" "$b_ms") | n/a (docker CLI) |"
  echo
  echo "bulwark runs: $(paste -sd' ' "$WORK/bulwark.times") ms; lynis containers: $(paste -sd' ' "$WORK/lynis-containers.times") ms;"
  echo "lynis full: $(paste -sd' ' "$WORK/lynis-full.times") ms."
} >"$OUT"
cat "$OUT"
log "written $OUT"
