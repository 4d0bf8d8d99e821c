#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, -DBULWARK_FUZZ=ON) in their own build folder and runs them.
#
#   bash fuzz/run.sh --smoke [TARGET...]            every target a few seconds on its seed corpus (CI)
#   bash fuzz/run.sh --campaign SECONDS [TARGET...] every target SECONDS, corpus kept in the build folder
#   bash fuzz/run.sh --build [TARGET...]            build and make the seed corpora only
#   bash fuzz/run.sh --replay DIR_OR_FILE TARGET    run one target over inputs (no fuzzing)
#
# Environment: BULWARK_FUZZ_BUILD_DIR (build-fuzz), BULWARK_FUZZ_SMOKE_SECONDS (4),
# BULWARK_FUZZ_JOBS (targets run at once; --smoke: the number of cores, --campaign: 1), BULWARK_SHARED_DIR (the shared fixtures folder),
# BULWARK_FUZZ_ARGS (more libFuzzer flags), BULWARK_FUZZ_NO_BUILD (use the targets as built). Exit status: 0 when no target found a crash, leak or
# hang; 1 otherwise (the inputs are in $BUILD/artifacts/<target>/). Summary: $BUILD/fuzz-summary.tsv.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
BUILD=${BULWARK_FUZZ_BUILD_DIR:-build-fuzz}
mode=${1:---smoke}
shift || true
seconds=${BULWARK_FUZZ_SMOKE_SECONDS:-4}
replay=""
case "$mode" in
  --smoke) ;;
  --campaign) seconds=${1:?--campaign needs SECONDS}; shift ;;
  --build) ;;
  --replay) replay=${1:?--replay needs a file or folder}; shift ;;
  *) echo "usage: fuzz/run.sh --smoke|--campaign SECONDS|--build|--replay PATH [TARGET...]" >&2; exit 2 ;;
esac

# The shared fixtures: BULWARK_SHARED_DIR, else ../shared beside the repository (or beside the
# main worktree when this is a git worktree).
shared=${BULWARK_SHARED_DIR:-}
if [ -z "$shared" ]; then
  shared="$REPO/../shared"
  if [ ! -d "$shared" ]; then
    common=$(git rev-parse --path-format=absolute --git-common-dir 2>/dev/null || true)
    [ -n "$common" ] && shared="$(dirname "$common")/../shared"
  fi
fi
[ -d "$shared" ] || echo "fuzz: no shared fixtures folder ($shared): seeds from the repository only" >&2

mapfile -t all_targets < <(sed -n 's/^bulwark_fuzz_target(\(fuzz_[a-z0-9_]*\).*/\1/p' fuzz/CMakeLists.txt)
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=("${all_targets[@]}")

# ---- build ----------------------------------------------------------------
start=$(date +%s)
if [ ! -f "$BUILD/build.ninja" ]; then
  # -O1 as libFuzzer recommends (and a quicker build than -O3); assertions stay on.
  CC=clang CXX=clang++ cmake -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    "-DCMAKE_C_FLAGS_RELEASE=-O1" "-DCMAKE_CXX_FLAGS_RELEASE=-O1" \
    -DBULWARK_FUZZ=ON -DBULWARK_TESTS=OFF -DBULWARK_WERROR=ON \
    -DBULWARK_SHARED_DIR="$shared" >/dev/null
fi
if [ -z "${BULWARK_FUZZ_NO_BUILD:-}" ]; then
  cmake --build "$BUILD" -j"$(nproc)" --target "${targets[@]}"
  echo "== fuzz: built ${#targets[@]} targets in $(( $(date +%s) - start )) s"
fi

if [ -n "$replay" ]; then
  [ "${#targets[@]}" -eq 1 ] || { echo "fuzz: --replay needs exactly one target" >&2; exit 2; }
  if [ -d "$replay" ]; then
    "$BUILD/fuzz/${targets[0]}" -runs=0 -timeout=25 "$replay"
  else
    "$BUILD/fuzz/${targets[0]}" -timeout=25 "$replay"
  fi
  exit $?
fi

# ---- seed corpora -----------------------------------------------------------
rm -rf "$BUILD/seeds.new"
python3 fuzz/make-corpus.py "$REPO" "$shared" "$BUILD/seeds.new" >"$BUILD/seeds.log"
rm -rf "$BUILD/seeds" && mv "$BUILD/seeds.new" "$BUILD/seeds"
[ "$mode" = --build ] && { cat "$BUILD/seeds.log"; exit 0; }

# ---- run --------------------------------------------------------------------
# Which dictionary each target gets (fuzz/dict/).
dict_of() {
  case "$1" in
    fuzz_tar_layer) echo fza ;;
    fuzz_oci_layout | fuzz_docker_archive | fuzz_image_config) echo oci ;;
    fuzz_dockerfile | fuzz_dockerfile_words) echo dockerfile ;;
    fuzz_yaml) echo yaml ;;
    fuzz_k8s | fuzz_compose) echo k8s ;;
    fuzz_dpkg_status) echo dpkg ;;
    fuzz_apk_installed) echo apk ;;
    fuzz_osv | fuzz_alpine_secdb | fuzz_debian_tracker | fuzz_rustsec) echo advisory ;;
    fuzz_version) echo version ;;
    fuzz_sbom | fuzz_purl | fuzz_lang_metadata) echo json ;;
    fuzz_vex | fuzz_ignore) echo policy ;;
    fuzz_falco_rules | fuzz_falco_condition) echo falco ;;
    fuzz_ingest) echo ingest ;;
    fuzz_bundle) echo bundle ;;
    fuzz_secret_rules | fuzz_secret_scan) echo secret ;;
    fuzz_alas) echo xml ;;
    fuzz_redhat_csaf) echo csaf ;;
    fuzz_httpd) echo http ;;
    fuzz_api_answers) echo answers ;;
    fuzz_enforce) echo enforce ;;
    fuzz_cosign) echo cosign ;;
    fuzz_cosign_key) echo cosign_key ;;
    fuzz_trust_policy) echo trust ;;
    *) echo "" ;;
  esac
}

mkdir -p "$BUILD/logs" "$BUILD/corpus" "$BUILD/artifacts"
run_one() {
  local t=$1 d log
  d=$(dict_of "$t")
  log="$BUILD/logs/$t.log"
  mkdir -p "$BUILD/corpus/$t" "$BUILD/seeds/$t" "$BUILD/artifacts/$t"
  local args=(-max_total_time="$seconds" -timeout=60 -rss_limit_mb=2560 -max_len=262144
              -print_final_stats=1 -artifact_prefix="$BUILD/artifacts/$t/")
  [ -n "$d" ] && args+=(-dict="fuzz/dict/$d.dict")
  # shellcheck disable=SC2086
  set +e
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
    nice -n 19 "$BUILD/fuzz/$t" "${args[@]}" ${BULWARK_FUZZ_ARGS:-} "$BUILD/corpus/$t" "$BUILD/seeds/$t" \
    >"$log" 2>&1
  local rc=$?
  set -e
  local execs cov ft corpus
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -Eo 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  corpus=$(find "$BUILD/corpus/$t" -type f | wc -l)
  local found
  found=$(find "$BUILD/artifacts/$t" -type f | wc -l)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$rc" "${execs:-0}" "${cov:-0}" "${ft:-0}" "$corpus" "$found" \
    "$seconds" >"$BUILD/logs/$t.tsv"
  if [ "$rc" -ne 0 ]; then
    echo "!! $t: exit $rc (log $log)"
    grep -E '^==[0-9]+==ERROR|^SUMMARY|ERROR: libFuzzer|runtime error|ALARM|Test unit written' "$log" | head -5 | sed 's/^/   /'
  else
    printf '   %-24s execs %-9s cov %-6s ft %-6s corpus %s\n' "$t" "${execs:-0}" "${cov:-0}" "${ft:-0}" "$corpus"
  fi
}

echo "== fuzz: ${mode#--}, $seconds s a target, ${#targets[@]} targets"
# The smoke run uses every core (CI's machine is its own); a campaign one, unless told.
if [ "$mode" = --smoke ]; then jobs_max=${BULWARK_FUZZ_JOBS:-$(nproc)}; else jobs_max=${BULWARK_FUZZ_JOBS:-1}; fi
for t in "${targets[@]}"; do
  rm -f "$BUILD/logs/$t.tsv"
  if [ "$jobs_max" -gt 1 ]; then
    while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n || true; done
    run_one "$t" &
  else
    run_one "$t"
  fi
done
wait
{
  printf 'target\texit\texecutions\tcov\tft\tcorpus\tartifacts\tseconds\n'
  for t in "${targets[@]}"; do cat "$BUILD/logs/$t.tsv" 2>/dev/null || printf '%s\tmissing\n' "$t"; done
} >"$BUILD/fuzz-summary.tsv"
awk -F'\t' 'NR == 1 { print "| target | exit | executions | exec/s | cov | ft | corpus | artifacts | seconds |"; print "|---|---|---|---|---|---|---|---|---|"; next }
  { printf "| %s | %s | %s | %.0f | %s | %s | %s | %s | %s |\n", $1, $2, $3, ($8 > 0 ? $3 / $8 : 0), $4, $5, $6, $7, $8 }' \
  "$BUILD/fuzz-summary.tsv" >"$BUILD/fuzz-summary.md"
failed=$(awk -F'\t' 'NR > 1 && $2 != "0"' "$BUILD/fuzz-summary.tsv" | wc -l)
echo "== fuzz: done in $(( $(date +%s) - start )) s; $failed of ${#targets[@]} targets failed; summary $BUILD/fuzz-summary.tsv"
[ "$failed" -eq 0 ]
