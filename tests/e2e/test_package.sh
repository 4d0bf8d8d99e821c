#!/usr/bin/env bash
# The Debian package and the container image, end to end:
#   1. `cmake --build BUILD --target package` writes BUILD/bulwark_<version>_amd64.deb with the binary,
#      man pages and completions generated from its --help, the systemd units, rules and checks.
#   2. A fresh container of bulwark-e2e/debian:12 (with the host's Docker socket) installs it with
#      `apt-get install ./bulwark_*.deb` (apt fetches the runtime libraries from the Debian mirror),
#      runs `bulwark --version`, `bulwark audit` (which scans the host's images through the socket)
#      and the bash completion, then `dpkg --purge` removes it and no file of the package is left.
#   3. deploy/docker/Dockerfile builds the image from the .deb; it runs as non-root, and bulwark's own
#      Dockerfile check, image-config checks and vulnerability scan (shared DSA data) pass on it.
# BUILD is the build folder of $BULWARK (CI has built everything there, so packaging is quick).
. "$(dirname "$0")/lib.sh"
e2e_init package
e2e_require_root
e2e_require_docker
e2e_require_cmd dpkg-deb cmake jq
: "${BULWARK_SHARED_DIR:=$BULWARK_SOURCE_DIR/../shared}"
BUILD="$(cd "$(dirname "$BULWARK")" && pwd)"
[ -f "$BUILD/CMakeCache.txt" ] || e2e_fatal "no CMake build folder at $BUILD"

C="bulwark-e2e-package-$$"
IMG="bulwark-e2e-audit/bulwark:$$"
cleanup() {
  docker rm -f "$C" >/dev/null 2>&1 || true
  docker rmi -f "$IMG" >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo "-- cmake --build --target package"
rm -f "$BUILD"/bulwark_*.deb
t0=$SECONDS
timeout 540 cmake --build "$BUILD" --target package >"$W/package.log" 2>&1 || {
  tail -20 "$W/package.log" >&2
  e2e_fatal "cmake --build --target package failed"
}
echo "   packaged in $((SECONDS - t0)) s"
DEB=$(ls "$BUILD"/bulwark_*_amd64.deb 2>/dev/null | head -1)
assert_true "build/bulwark_<version>_amd64.deb written" test -s "$DEB"
dpkg-deb -c "$DEB" | awk '{print $6}' | sed 's|^\./|/|' >"$W/contents"
for f in /usr/bin/bulwark /usr/share/man/man1/bulwark.1.gz /usr/share/man/man1/bulwark-audit.1.gz \
  /usr/share/man/man1/bulwark-db-update.1.gz /usr/share/bash-completion/completions/bulwark \
  /usr/share/zsh/vendor-completions/_bulwark /usr/share/fish/vendor_completions.d/bulwark.fish \
  /usr/lib/systemd/system/bulwark-server.service /usr/lib/systemd/system/bulwark-agent.service \
  /usr/share/bulwark/rules/bulwark_rules.yaml /usr/share/bulwark/checks/dockerfile.yaml /usr/share/doc/bulwark/copyright; do
  assert_true "package holds $f" grep -qxF "$f" "$W/contents"
done
dpkg-deb -f "$DEB" Depends >"$W/depends"
assert_grep "Depends names the runtime libraries (dpkg-shlibdeps)" "$W/depends" "libcurl4.*libfmt9|libfmt9.*libcurl4"

echo "-- the man page is the CLI's own help"
dpkg-deb -x "$DEB" "$W/x"
if command -v man >/dev/null; then
  MANWIDTH=100 man -l "$W/x/usr/share/man/man1/bulwark-audit.1.gz" >"$W/man.txt" 2>/dev/null
  assert_grep "man bulwark-audit: NAME" "$W/man.txt" "bulwark-audit - How secure is this machine"
  assert_grep "man bulwark-audit: the examples of --help" "$W/man.txt" "^ +bulwark audit --format json -o audit.json"
else
  zcat "$W/x/usr/share/man/man1/bulwark-audit.1.gz" >"$W/man.txt"
  assert_grep "bulwark-audit.1: the examples of --help" "$W/man.txt" "bulwark audit \\\\-\\\\-format json|bulwark audit --format json"
fi
if command -v systemd-analyze >/dev/null; then
  # Only the binary's absence may be reported: the units themselves must parse.
  systemd-analyze verify --man=no "$W/x/usr/lib/systemd/system/bulwark-server.service" \
    "$W/x/usr/lib/systemd/system/bulwark-agent.service" 2>&1 | grep -v "/usr/bin/bulwark is not executable" >"$W/units.txt" || true
  assert_eq "systemd-analyze verify: the units parse" "" "$(cat "$W/units.txt")"
fi

echo "-- install into a fresh Debian 12 container"
docker run -d --name "$C" -v /var/run/docker.sock:/var/run/docker.sock bulwark-e2e/debian:12 sleep 600 >/dev/null \
  || e2e_fatal "could not start the container"
docker cp "$DEB" "$C:/tmp/" >/dev/null
set +e
docker exec -e DEBIAN_FRONTEND=noninteractive "$C" sh -c \
  "apt-get update -qq && apt-get install -y -qq --no-install-recommends /tmp/$(basename "$DEB")" >"$W/apt.log" 2>&1
rc=$?
set -e
if [ "$rc" -ne 0 ] && grep -qiE "could not resolve|failed to fetch|temporary failure|unable to connect" "$W/apt.log"; then
  e2e_missing "the Debian mirror is not reachable from containers (apt-get install needs it for the runtime libraries)"
fi
assert_eq "apt-get install ./bulwark_*.deb" 0 "$rc"
[ "$rc" -eq 0 ] || { tail -20 "$W/apt.log" >&2; e2e_finish; exit 1; }
echo "   installed with apt-get (runtime libraries from the Debian mirror)"

docker exec "$C" bulwark --version >"$W/version.txt" 2>&1
assert_grep "bulwark --version in the container" "$W/version.txt" "^bulwark [0-9.]+ \\(commit [0-9a-f]+, [A-Za-z]+ build\\)"
assert_grep "names the missing database and its fix" "$W/version.txt" "advisory database: none at .*\\(make one: bulwark db update\\)"

set +e
docker exec -e COLUMNS=160 "$C" timeout 120 bulwark audit --max-images 3 >"$W/audit.txt" 2>"$W/audit.err"
rc=$?
set -e
assert_eq "bulwark audit in the container" 0 "$rc"
assert_grep "audit: the host audit ran" "$W/audit.txt" "^  (ok|part) +host +CIS Docker Benchmark: [0-9]+ passed"
assert_grep "audit: the images were scanned through the socket" "$W/audit.txt" "^  (ok|part) +images +[1-3] of [0-9]+ images? scanned"
assert_grep "audit: this machine's packages (the container's)" "$W/audit.txt" "host-packages +Debian GNU/Linux 12 \\(bookworm\\): [0-9]+ packages"
assert_grep "audit: the summary" "$W/audit.txt" "^Do these first"

# "aud": "au" also completes to authz (the Docker authorization plugin).
docker exec "$C" bash -c 'source /usr/share/bash-completion/completions/bulwark; COMP_WORDS=(bulwark aud); COMP_CWORD=1; _bulwark; echo "${COMPREPLY[*]}"; COMP_WORDS=(bulwark audit --max-im); COMP_CWORD=2; _bulwark; echo "${COMPREPLY[*]}"' >"$W/complete.txt" 2>&1
assert_eq "bash completion: commands and options" "audit
--max-images" "$(cat "$W/complete.txt")"

echo "-- remove cleanly"
docker exec "$C" dpkg --purge bulwark >"$W/purge.log" 2>&1 || { cat "$W/purge.log" >&2; _fail "dpkg --purge bulwark"; }
left=""
while read -r f; do
  [ -n "$f" ] || continue
  case "$f" in */) continue ;; esac  # folders may be shared with other packages
  if docker exec "$C" test -e "$f"; then left+=" $f"; fi
done < <(grep -v '/$' "$W/contents")
assert_eq "no file of the package is left after dpkg --purge" "" "$left"
docker exec "$C" sh -c 'test ! -e /usr/share/bulwark && test ! -e /usr/share/doc/bulwark' \
  && _pass "its own folders are gone" || _fail "/usr/share/bulwark or /usr/share/doc/bulwark left behind"

echo "-- the container image (deploy/docker/Dockerfile)"
CTX="$W/docker"
mkdir -p "$CTX"
cp "$BULWARK_SOURCE_DIR/deploy/docker/Dockerfile" "$CTX/"
cp "$DEB" "$CTX/bulwark.deb"
run_bulwark dockerfile config "$CTX/Dockerfile" -f json
assert_rc "bulwark config on its own Dockerfile" 0
assert_json "no failing Dockerfile findings" "$OUT" '[.findings[] | select(.status == "fail")] | length == 0'
rev=$(git -C "$BULWARK_SOURCE_DIR" rev-parse HEAD 2>/dev/null || echo unknown)
timeout 300 docker build -q --build-arg BASE=bulwark-e2e/debian:12 --build-arg REVISION="$rev" \
  --build-arg CREATED="$(date -u +%FT%TZ)" -t "$IMG" "$CTX" >"$W/build.log" 2>&1 \
  || { tail -20 "$W/build.log" >&2; e2e_fatal "docker build of the bulwark image failed"; }
assert_eq "the image runs as a non-root user" "10001:10001" "$(docker image inspect -f '{{.Config.User}}' "$IMG")"
assert_eq "and is not root inside" "10001" "$(docker run --rm --entrypoint id "$IMG" -u)"
docker run --rm "$IMG" --version >"$W/img-version.txt" 2>&1
assert_grep "the image runs bulwark" "$W/img-version.txt" "^bulwark [0-9.]+ \\(commit"

DB="$W/advisories.db"
"$BULWARK" db import --db "$DB" -q "$BULWARK_SHARED_DIR/data/advisories/debian-security-tracker/DSA.list" >/dev/null \
  || e2e_fatal "db import failed"
run_bulwark image-scan image "docker-daemon:$IMG" --db "$DB" -f json --cache-dir "$W/cache"
assert_rc "bulwark image on its own image" 0
assert_json "no vulnerabilities in the shared data match it" "$OUT" '[.findings[] | select(.vulnerability)] | length == 0'
assert_json "no failing image-config check (root, setuid, healthcheck, secrets in ENV)" "$OUT" \
  '[.findings[] | select(.vulnerability | not) | select(.severity != "info")] | length == 0'
jq -r '.findings[] | select(.severity == "info") | "\(.id) \(.title)"' "$OUT" >"$W/remaining.txt"
echo "   what remains (info): $(tr '\n' ';' <"$W/remaining.txt")"
assert_no_grep "the provenance labels are set" "$W/remaining.txt" "BW-IMG-010"

e2e_finish
