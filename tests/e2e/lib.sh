# Shared helpers for the end-to-end suites (tests/e2e/test_*.sh). Source it first:
#   . "$(dirname "$0")/lib.sh"; e2e_init sbom_transports
#
# Environment (set by tests/e2e/CMakeLists.txt; defaults let a suite run by hand from the repo):
#   BULWARK               the binary under test
#   BULWARK_SOURCE_DIR    the repository
#   E2E_WORK              a work folder in the build dir; each suite gets E2E_WORK/<suite>
#   BULWARK_E2E_REQUIRED  1 = a missing component (docker, registry, skopeo, ...) FAILS the suite
#                         instead of skipping it (exit 77). CI sets it.
#   BULWARK_E2E_CACHE     where setup-images.sh keeps the images (default /var/cache/bulwark-e2e)
#   BULWARK_E2E_STATE     where start-services.sh keeps the registry creds (default /tmp/bulwark-e2e-services)
#
# Assertions never stop the suite: each failure is printed with expected vs actual and counted;
# e2e_finish exits 1 if any failed. Use e2e_fatal for a failure after which nothing makes sense.
set -euo pipefail

E2E_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
: "${BULWARK_SOURCE_DIR:=$(cd "$E2E_LIB_DIR/../.." && pwd)}"
: "${BULWARK:=$BULWARK_SOURCE_DIR/build/bulwark}"
: "${E2E_WORK:=$BULWARK_SOURCE_DIR/build/e2e}"
: "${BULWARK_E2E_CACHE:=/var/cache/bulwark-e2e}"
: "${BULWARK_E2E_STATE:=/tmp/bulwark-e2e-services}"
export BULWARK BULWARK_SOURCE_DIR E2E_WORK BULWARK_E2E_CACHE BULWARK_E2E_STATE

E2E_FAILED=0
E2E_PASSED=0
E2E_SUITE=""
W=""  # this suite's work folder

e2e_init() {
  E2E_SUITE="$1"
  W="$E2E_WORK/$E2E_SUITE"
  rm -rf "$W" && mkdir -p "$W"
  echo "== e2e $E2E_SUITE (work: $W)"
  [ -x "$BULWARK" ] || e2e_fatal "the bulwark binary is missing: $BULWARK"
}

# A component the machine lacks: skip (77) unless BULWARK_E2E_REQUIRED=1, then fail.
e2e_missing() {
  if [ "${BULWARK_E2E_REQUIRED:-}" = 1 ]; then
    echo "FAIL: required component missing: $*" >&2
    exit 1
  fi
  echo "SKIP: $* (set BULWARK_E2E_REQUIRED=1 to make this a failure)"
  exit 77
}

e2e_require_cmd() {
  local c
  for c in "$@"; do command -v "$c" >/dev/null 2>&1 || e2e_missing "command '$c' not found"; done
}

e2e_require_root() { [ "$(id -u)" -eq 0 ] || e2e_missing "needs root (dockerd, debootstrap)"; }

e2e_require_docker() {
  e2e_require_cmd docker
  docker version --format '{{.Server.Version}}' >/dev/null 2>&1 \
    || e2e_missing "dockerd is not reachable (scripts/start-services.sh starts it)"
}

REGISTRY="127.0.0.1:5000"
e2e_require_registry() {
  e2e_require_cmd curl
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$REGISTRY/v2/" 2>/dev/null)" = 401 ] \
    || e2e_missing "no registry with auth on $REGISTRY (scripts/start-services.sh starts it)"
  [ -s "$BULWARK_E2E_STATE/registry/creds" ] || e2e_missing "no registry creds in $BULWARK_E2E_STATE/registry/creds"
  REG_CREDS="$(cat "$BULWARK_E2E_STATE/registry/creds")"
  REG_USER="${REG_CREDS%%:*}"
  REG_PASS="${REG_CREDS#*:}"
}

# Builds (once, under a lock: parallel ctest suites wait for the first) and exports the images.
# Sets IMG (the cache folder; see setup-images.sh for what is in it), APP_TRUTH, BASE_TRUTH.
e2e_setup_images() {
  e2e_require_root
  e2e_require_cmd debootstrap skopeo jq flock dpkg-query
  e2e_require_docker
  e2e_require_registry
  mkdir -p "$BULWARK_E2E_CACHE"
  local t0=$SECONDS
  if ! flock -w 1800 "$BULWARK_E2E_CACHE/setup.lock" bash "$E2E_LIB_DIR/setup-images.sh"; then
    e2e_fatal "tests/e2e/setup-images.sh failed (see its messages above); the images could not be built"
  fi
  echo "   images ready ($((SECONDS - t0)) s)"
  IMG="$BULWARK_E2E_CACHE"
  APP_TRUTH="$IMG/truth/app.tsv"
  BASE_TRUTH="$IMG/truth/debian.tsv"
}

e2e_fatal() {
  echo "FAIL [$E2E_SUITE]: $*" >&2
  exit 1
}

_fail() { E2E_FAILED=$((E2E_FAILED + 1)); echo "  FAIL: $*" >&2; }
_pass() { E2E_PASSED=$((E2E_PASSED + 1)); echo "  ok: $*"; }

# run_bulwark NAME [--timeout S] ARGS...: runs the binary; stdout, stderr and the exit code
# land in $W/NAME.out, $W/NAME.err, $W/NAME.rc, and RC/OUT/ERR are set.
run_bulwark() {
  local name="$1"; shift
  local limit=600
  if [ "${1:-}" = --timeout ]; then limit="$2"; shift 2; fi
  OUT="$W/$name.out"; ERR="$W/$name.err"
  local t0=$SECONDS
  set +e
  timeout -k 5 "$limit" "$BULWARK" "$@" >"$OUT" 2>"$ERR"
  RC=$?
  set -e
  echo "$RC" >"$W/$name.rc"
  local shown="$*"
  [ -z "${REG_PASS:-}" ] || shown="${shown//"$REG_PASS"/***}"
  echo "   [$name] bulwark $shown -> exit $RC ($((SECONDS - t0)) s)"
  [ "$RC" -ne 124 ] || echo "   [$name] TIMED OUT after ${limit}s" >&2
}

_show() {  # first lines of a file, indented
  sed -n '1,15p' "$1" 2>/dev/null | sed 's/^/      | /' >&2 || true
}

# assert_rc NAME EXPECTED: the last run_bulwark exit code.
assert_rc() {
  local what="$1" want="$2"
  if [ "$RC" = "$want" ]; then _pass "$what: exit $RC"; else
    _fail "$what: expected exit $want, got $RC; stderr:"; _show "$ERR"
  fi
}

assert_eq() {  # WHAT EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then _pass "$1"; else _fail "$1: expected [$2], got [$3]"; fi
}

assert_true() {  # WHAT COMMAND...
  local what="$1"; shift
  if "$@"; then _pass "$what"; else _fail "$what (command failed: $*)"; fi
}

assert_grep() {  # WHAT FILE ERE  (case-insensitive)
  if grep -qiE -- "$3" "$2"; then _pass "$1"; else
    _fail "$1: /$3/ not found in $(basename "$2"):"; _show "$2"
  fi
}

assert_no_grep() {  # WHAT FILE FIXED-STRING
  if grep -qF -- "$3" "$2"; then _fail "$1: found [$3] in $(basename "$2")"; else _pass "$1"; fi
}

assert_files_equal() {  # WHAT EXPECTED_FILE ACTUAL_FILE: shows a diff (expected -> actual)
  if diff -q "$2" "$3" >/dev/null 2>&1; then _pass "$1"; else
    _fail "$1: differs from the expected (- expected $(basename "$2"), + actual $(basename "$3")):"
    diff -u "$2" "$3" | sed -n '3,43p' | sed 's/^/      /' >&2 || true
  fi
}

assert_json() {  # WHAT FILE JQ-FILTER (must yield exactly one `true`; jq 1.6 -e passes empty input)
  if [ -s "$2" ] && [ "$(jq "$3" "$2" 2>/dev/null)" = true ]; then _pass "$1"; else
    _fail "$1: jq '$3' is not true for $(basename "$2")"; _show "$2"
  fi
}

e2e_finish() {
  echo "== e2e $E2E_SUITE: $E2E_PASSED passed, $E2E_FAILED failed"
  [ "$E2E_FAILED" -eq 0 ]
}
