#!/usr/bin/env bash
# Benchmark (not a test): the SBOM of an image that only containerd holds, bulwark against Trivy, side
# by side in one run, on one containerd of the benchmark's own (Debian's containerd, its own root,
# state and socket under $RUN_DIR, the CRI plugin off), the images imported with `ctr` into the
# k8s.io namespace (where Kubernetes' images live):
#   bulwark  bulwark sbom containerd:NAME --containerd-root ROOT --format cyclonedx (reads containerd's
#            content store in place; what `bulwark agent --engine cri` does for each image)
#   trivy    trivy image --image-src containerd NAME --format cyclonedx --offline-scan (CONTAINERD_ADDRESS
#            and CONTAINERD_NAMESPACE set; Trivy asks containerd to export the image, then reads it)
# Both with cold tool caches (a fresh --cache-dir each run). Images: the e2e Debian 12 image and the
# lab's big image (bench/lib.sh). Median of RUNS runs (default 3) for time, max for peak RSS; the table
# also goes to bench/results/<date>-containerd-sbom.md.
#
# Needs root, dockerd (the images come from it), containerd and ctr (scripts/install-deps.sh), npm.
#   usage: bench/containerd-sbom-vs-trivy.sh [--only debian|big]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
BULWARK="${BULWARK:-$ROOT/build/bulwark}"
BENCH_DIR="${BULWARK_BENCH_DIR:-/var/cache/bulwark-bench}"
RUNS="${RUNS:-3}"
. bench/lib.sh
ONLY="${2:-}"; [ "${1:-}" = --only ] || ONLY=""

[ "$(id -u)" -eq 0 ] || die "run as root (containerd)"
for t in containerd ctr jq /usr/bin/time; do command -v "$t" >/dev/null || die "$t is missing (scripts/install-deps.sh)"; done
[ -x "$BULWARK" ] || die "no bulwark binary at $BULWARK (bash scripts/build.sh)"
mkdir -p "$BENCH_DIR" "$ROOT/bench/results"

bash scripts/start-services.sh >/dev/null
BULWARK_E2E_CACHE="${BULWARK_E2E_CACHE:-/var/cache/bulwark-e2e}"
mkdir -p "$BULWARK_E2E_CACHE"
flock -w 1800 "$BULWARK_E2E_CACHE/setup.lock" bash tests/e2e/setup-images.sh || die "tests/e2e/setup-images.sh failed"
images=()
[ "$ONLY" != big ] && images+=("debian|docker.io/bulwark-e2e/debian:12|$BULWARK_E2E_CACHE/images/debian.tar")
if [ "$ONLY" != debian ]; then
  bench_big_image  # BIG_TAR
  images+=("big|docker.io/bulwark-bench/big:1|$BIG_TAR")
fi
bench_trivy
bench_trivy_java_db  # JAVA_DB_TEMPLATE

RUN_DIR="$(mktemp -d "$BENCH_DIR/containerd.XXXXXX")"
CD="$RUN_DIR/containerd"
mkdir -p "$CD"
cat >"$CD/config.toml" <<EOF
version = 2
root = "$CD/root"
state = "$CD/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$CD/containerd.sock"
[ttrpc]
  address = "$CD/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$CD/opt"
EOF
setsid containerd --config "$CD/config.toml" >"$CD/containerd.log" 2>&1 </dev/null &
CD_PID=$!
cleanup() {
  kill "$CD_PID" 2>/dev/null || true
  wait "$CD_PID" 2>/dev/null || true
  grep -o " $CD[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$RUN_DIR"
}
trap cleanup EXIT
CTR=(ctr --address "$CD/containerd.sock" --namespace k8s.io)
for _ in $(seq 1 100); do "${CTR[@]}" version >/dev/null 2>&1 && break; sleep 0.1; done
"${CTR[@]}" version >/dev/null 2>&1 || die "containerd did not start: $(tail -5 "$CD/containerd.log")"

declare -A R
for entry in "${images[@]}"; do
  IFS='|' read -r name ref tar <<<"$entry"
  log "$name: ctr images import $(basename "$tar")"
  "${CTR[@]}" images import --snapshotter native "$tar" >/dev/null 2>&1 || die "ctr import of $tar failed"
  : >"$RUN_DIR/$name.bulwark"; : >"$RUN_DIR/$name.trivy"
  for _ in $(seq 1 "$RUNS"); do
    rm -rf "$RUN_DIR/bcache" && mkdir -p "$RUN_DIR/bcache"
    read -r w m rc _ < <(measure bulwark "$BULWARK" sbom "containerd:$ref" --containerd-root "$CD/root" \
      --format cyclonedx --quiet -o "$RUN_DIR/$name.bulwark.cdx.json" --cache-dir "$RUN_DIR/bcache")
    if [ "$rc" -eq 0 ]; then echo "$w $m" >>"$RUN_DIR/$name.bulwark"
    else log "$name: bulwark failed (exit $rc): $(tail -3 "$RUN_DIR/bulwark.stderr" | tr '\n' ' ')"; fi

    rm -rf "$RUN_DIR/tcache" && mkdir -p "$RUN_DIR/tcache/java-db"
    cp "$JAVA_DB_TEMPLATE"/* "$RUN_DIR/tcache/java-db/"
    read -r w m rc _ < <(CONTAINERD_ADDRESS="$CD/containerd.sock" CONTAINERD_NAMESPACE=k8s.io \
      measure trivy "$TRIVY" image --image-src containerd --format cyclonedx --skip-db-update --skip-java-db-update \
      --offline-scan --cache-dir "$RUN_DIR/tcache" --quiet -o "$RUN_DIR/$name.trivy.cdx.json" "$ref")
    if [ "$rc" -eq 0 ]; then echo "$w $m" >>"$RUN_DIR/$name.trivy"
    else log "$name: trivy failed (exit $rc): $(tail -5 "$RUN_DIR/trivy.stderr" | tr '\n' ' ')"; fi
  done
  for tool in bulwark trivy; do
    R[$name.$tool.time]="$(awk '{print $1}' "$RUN_DIR/$name.$tool" | median)"
    R[$name.$tool.rss]="$(awk '{print $2}' "$RUN_DIR/$name.$tool" | max)"
    R[$name.$tool.all]="$(count_all "$RUN_DIR/$name.$tool.cdx.json")"
  done
done

OUTFILE="$ROOT/bench/results/$(date -u +%F)-containerd-sbom.md"
{
  echo "# SBOM of a containerd image: bulwark vs Trivy, $(date -u '+%F %H:%M UTC')"
  echo
  echo "- machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB RAM, shared; containerd $(containerd --version | awk '{print $3}')"
  echo "- bulwark: git $(git rev-parse --short HEAD 2>/dev/null || echo '?'); trivy: $("$TRIVY" --version 2>/dev/null | head -1) from npm $TRIVY_PKG@$TRIVY_PKG_VERSION"
  echo "- median of $RUNS run(s) for time, max for peak RSS; cold tool caches, warm page cache"
  echo
  echo "| image | bulwark | trivy | trivy/bulwark time | bulwark RSS | trivy RSS | purls bulwark / trivy |"
  echo "|---|---|---|---|---|---|---|"
  for entry in "${images[@]}"; do
    n="${entry%%|*}"
    echo "| $n | $(fmt_s "${R[$n.bulwark.time]}") | $(fmt_s "${R[$n.trivy.time]}") | $(ratio "${R[$n.trivy.time]}" "${R[$n.bulwark.time]}") | $(fmt_m "${R[$n.bulwark.rss]}") | $(fmt_m "${R[$n.trivy.rss]}") | ${R[$n.bulwark.all]} / ${R[$n.trivy.all]} |"
  done
} >"$RUN_DIR/report.md"
cat "$RUN_DIR/report.md"
cp "$RUN_DIR/report.md" "$OUTFILE"
log "written to ${OUTFILE#"$ROOT"/}"
