#!/usr/bin/env bash
# Benchmark (not a test): the server's re-matching at fleet size. N stored SBOMs (default 10,000)
# built from real package lists: the scan of the e2e image bulwark-e2e/app:1
# (tests/data/server-rematch/app-1.scan.json, Debian 12) and Alpine root filesystems made from the
# shared apk database fixtures (read here with `bulwark sbom`), Alpine ones cycling through
# releases 3.12-3.20. Against the whole shared advisory data (../shared/data/advisories) it times:
#   - the first full match of every stored SBOM (builds the index), and a full re-match;
#   - an import that changes 100 advisories (100 OSV records naming 100 stored packages), first
#     with no fix (new findings), then with a fix (fixed upstream);
# and reports memory (peak RSS of the process). Pinned to one core (taskset -c 0).
#   usage: N=10000 bench/server-rematch.sh     (prints the JSON; the figures go in bench/results/)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
BUILD="${BUILD:-$ROOT/build}"
BULWARK="$BUILD/bulwark"
BENCH="$BUILD/bench_server_rematch"
SHARED="${BULWARK_SHARED_DIR:-$ROOT/../shared}"
N="${N:-10000}"
# ADVISORIES: another advisory folder (for a quick run, e.g. a folder linking only some sources).
ADVISORIES="${ADVISORIES:-$SHARED/data/advisories}"
for x in "$BULWARK" "$BENCH"; do
  [ -x "$x" ] || { echo "bench: build it first: cmake --build build --target bulwark bench_server_rematch ($x)" >&2; exit 1; }
done
[ -d "$ADVISORIES" ] || { echo "bench: no advisory data under $ADVISORIES" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

pools=("$ROOT/tests/data/server-rematch/app-1.scan.json")
for f in apk-tools_query-installed syft_multiple-2_installed scalibr_installed; do
  r="$work/rootfs-$f"
  mkdir -p "$r/etc" "$r/lib/apk/db"
  printf 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.16.0\nPRETTY_NAME="Alpine Linux v3.16"\n' >"$r/etc/os-release"
  cp "$SHARED/data/pkgdb/alpine/$f" "$r/lib/apk/db/installed"
  "$BULWARK" sbom "$r" --format json -o "$work/pool-$f.json" 2>/dev/null
  pools+=("$work/pool-$f.json")
done
# Three Debian SBOMs for every Alpine one: the pool list repeats the Debian scan.
pools=("${pools[0]}" "${pools[1]}" "${pools[0]}" "${pools[2]}" "${pools[0]}" "${pools[3]}" "${pools[0]}")
echo "bench: $N SBOMs from ${#pools[@]} pool entries; nproc $(nproc); $(date -u +%FT%TZ)" >&2
/usr/bin/time -v -o "$work/time" taskset -c 0 ${PERF:-} "$BENCH" "$work/data" "$N" "$ADVISORIES" "${pools[@]}" \
  >"$work/out.json"
cat "$work/out.json"
grep -E "Maximum resident|Elapsed|User time|System time" "$work/time" >&2
