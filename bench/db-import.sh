#!/usr/bin/env bash
# Benchmark (not a test): `bulwark db import` of every advisory file in ../shared/data/advisories
# into a fresh database (records/s, wall time, peak RSS), the same import again (idempotent: nothing
# written), and the time to open the database (Store::open, what a scan pays first; target <= 50 ms)
# and to open + quick_check it (`db status`), as the median of RUNS runs.
#
# Trivy is not compared: it has no import of local advisory files; it downloads a prebuilt database
# (trivy-db, a BoltDB file from an OCI registry), which this machine cannot reach, so there is no
# like-for-like step to time.
#   usage: bench/db-import.sh            (RUNS=3 by default; writes bench/results/db-import-<date>.md)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
BULWARK="${BULWARK:-$ROOT/build/bulwark}"
SHARED="${BULWARK_SHARED_DIR:-$ROOT/../shared}"
RUNS="${RUNS:-3}"
[ -x "$BULWARK" ] || { echo "bench: build bulwark first ($BULWARK)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$ROOT/bench/results"

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

fresh_rate=() fresh_wall=() fresh_rss=() again_wall=()
for run in $(seq "$RUNS"); do
  db="$work/run$run.db"
  /usr/bin/time -f "%e %M" -o "$work/time" "$BULWARK" db import "$SHARED/data/advisories" --db "$db" --format json -q \
    >"$work/import.json" 2>/dev/null
  read -r wall rss <"$work/time"
  records="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["import"]["records"])' "$work/import.json")"
  fresh_rate+=("$(python3 -c "print(round($records / $wall))")")
  fresh_wall+=("$wall") fresh_rss+=("$rss")
  /usr/bin/time -f "%e" -o "$work/time2" "$BULWARK" db import "$SHARED/data/advisories" --db "$db" -q >/dev/null 2>&1
  again_wall+=("$(cat "$work/time2")")
  echo "bench: run $run: $records records in $wall s (peak RSS $rss KiB); again: ${again_wall[-1]} s" >&2
done
db="$work/run1.db"
size="$(stat -c %s "$db")"
opens=() checks=()
for _ in 1 2 3 4 5; do
  "$BULWARK" db status --db "$db" --format json >"$work/status.json"
  opens+=("$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["open_ms"])' "$work/status.json")")
  checks+=("$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["open_and_check_ms"])' "$work/status.json")")
done

out="$ROOT/bench/results/db-import-$(date -u +%Y-%m-%d).md"
{
  echo "# bulwark db import ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores shared, median of $RUNS runs)"
  echo
  echo "Input: every file under ../shared/data/advisories ($records records: OSV, Alpine secdb, Wolfi,"
  echo "Debian DSA/DLA/DTSA, RustSec, Node security-wg). Database: $((size / 1048576)) MiB."
  echo
  echo "| measure | value |"
  echo "|---|---|"
  echo "| import into a fresh database | $(printf '%s\n' "${fresh_wall[@]}" | median) s |"
  echo "| records/s | $(printf '%s\n' "${fresh_rate[@]}" | median) |"
  echo "| peak RSS | $(( $(printf '%s\n' "${fresh_rss[@]}" | median | cut -d. -f1) / 1024 )) MiB |"
  echo "| the same import again (nothing written) | $(printf '%s\n' "${again_wall[@]}" | median) s |"
  echo "| Store::open (what a scan pays; target <= 50 ms) | $(printf '%s\n' "${opens[@]}" | median) ms |"
  echo "| open + PRAGMA quick_check (db status) | $(printf '%s\n' "${checks[@]}" | median) ms |"
  echo
  echo "Trivy: not compared. It has no import of local advisory files; it downloads a prebuilt"
  echo "database from a registry this machine cannot reach."
} | tee "$out"
