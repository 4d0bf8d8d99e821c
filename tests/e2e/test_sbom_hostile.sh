#!/usr/bin/env bash
# Hostile image archives (written by make_hostile_archives.py with Python's tarfile, never by
# bulwark): path traversal, absolute paths, writes through an escaping symlink, hard-link loop and
# escape, a gzip bomb under --max-total-size 100, a truncated layer, a manifest naming a missing
# layer, a config/manifest whose digest or size lies. Each must: exit 3, name the archive and the
# problem on stderr, finish within its time limit, and write nothing outside bulwark's cache dir
# (no /etc/bulwark-evil-*, the canary folder untouched, the working folder untouched).
# The benign control archive, made by the same code, must scan fine (exit 0).
. "$(dirname "$0")/lib.sh"
e2e_init sbom_hostile
e2e_require_cmd python3 jq timeout

CANARY="$W/canary"
mkdir -p "$CANARY/sub" "$W/cwd"
echo "canary" >"$CANARY/keep"
echo "canary sub" >"$CANARY/sub/keep"
chmod 644 "$CANARY/keep" "$CANARY/sub/keep"
canary_state() { (cd "$CANARY" && find . -printf '%p %y %s %m %T@\n' | sort && find . -type f -exec sha256sum {} + | sort); }
canary_state >"$W/canary.before"

EVIL_PATHS=(/etc/bulwark-evil-dotdot /etc/bulwark-evil-abs /etc/bulwark-evil-link /etc/bulwark-evil-rlink)
for p in "${EVIL_PATHS[@]}"; do
  [ ! -e "$p" ] || e2e_fatal "$p exists before the test (left by an earlier, broken run?); remove it and rerun"
done
passwd_sum="$(sha256sum /etc/passwd)"

t0=$SECONDS
python3 "$E2E_LIB_DIR/make_hostile_archives.py" "$W/archives" "$CANARY" || e2e_fatal "make_hostile_archives.py failed"
echo "   hostile archives written ($((SECONDS - t0)) s)"
A="$W/archives"
CACHE_DIR="$W/bulwark-cache"

# Runs bulwark from an empty working folder with its own cache dir.
scan() {  # NAME TIMEOUT TARGET [ARGS...]
  local name="$1" limit="$2" target="$3"; shift 3
  touch "$W/marker"
  local t0=$SECONDS
  OUT="$W/$name.out"; ERR="$W/$name.err"
  set +e
  (cd "$W/cwd" && timeout -k 5 "$limit" "$BULWARK" sbom "$target" --format json --quiet --cache-dir "$CACHE_DIR" "$@") \
    >"$OUT" 2>"$ERR"
  RC=$?
  set -e
  ELAPSED=$((SECONDS - t0))
  echo "   [$name] bulwark sbom $target $* -> exit $RC (${ELAPSED} s)"
}

nothing_escaped() {  # NAME
  local name="$1" p leaked before=$E2E_FAILED
  for p in "${EVIL_PATHS[@]}"; do
    if [ -e "$p" ] || [ -L "$p" ]; then _fail "$name: wrote $p outside its cache dir"; rm -f "$p"; fi
  done
  canary_state >"$W/canary.after"
  if ! diff -q "$W/canary.before" "$W/canary.after" >/dev/null; then
    _fail "$name: the canary folder changed:"; { diff -u "$W/canary.before" "$W/canary.after" | sed 's/^/      /' >&2 || true; }
  fi
  [ "$(sha256sum /etc/passwd)" = "$passwd_sum" ] || _fail "$name: /etc/passwd changed!"
  [ -z "$(ls -A "$W/cwd")" ] || _fail "$name: wrote into its working folder: $(ls -A "$W/cwd" | head -5 | tr '\n' ' ')"
  leaked="$(find /etc /tmp /var/tmp /root "$W" -xdev -maxdepth 4 -newer "$W/marker" \
    \( -name 'bulwark-evil-*' -o -name 'pwned-*' -o -name 'canary-link' \) -not -path "$CACHE_DIR/*" 2>/dev/null | head -5 || true)"
  [ -z "$leaked" ] || _fail "$name: files written outside the cache dir: $leaked"
  if [ "$E2E_FAILED" -gt "$before" ]; then  # reset, so that the next case is judged on its own
    rm -rf "$CANARY" "$W/cwd" "${EVIL_PATHS[@]}" && mkdir -p "$CANARY/sub" "$W/cwd"
    echo "canary" >"$CANARY/keep" && echo "canary sub" >"$CANARY/sub/keep"
    canary_state >"$W/canary.before"
  fi
  [ "$E2E_FAILED" -gt "$before" ] || _pass "$name: nothing written outside the cache dir"
}

# Control: the generator's archives are valid when not hostile.
scan benign 60 "docker-archive:$A/benign.tar"
assert_rc "benign control archive" 0
assert_json "benign: its one package is reported" "$OUT" \
  '[.targets[0].packages[].name] == ["bulwark-e2e-pkg"] and .targets[0].os.id == "debian"'

# name | archive (target) | time limit | problem regex | extra args
cases=(
  "dotdot|docker-archive:$A/dotdot.tar|60|\.\.|travers|escape|outside|unsafe|invalid path"
  "absolute|docker-archive:$A/absolute.tar|60|absolute|escape|outside|unsafe|invalid path"
  "symlink-escape|docker-archive:$A/symlink-escape.tar|60|symlink|link|escape|outside"
  "hardlink-loop|docker-archive:$A/hardlink-loop.tar|60|hard ?link|link|loop|cycle"
  "hardlink-escape|docker-archive:$A/hardlink-escape.tar|60|hard ?link|link|escape|outside|travers"
  "gzip-bomb|docker-archive:$A/gzip-bomb.tar|90|size|limit|exceed|too (large|big)|bomb|ratio"
  "truncated-layer|docker-archive:$A/truncated-layer.tar|60|truncat|unexpected end|eof|short|incomplete|premature|damaged|corrupt"
  "missing-layer|docker-archive:$A/missing-layer.tar|60|missing|not found|no such|absent"
  "lying-diffid|docker-archive:$A/lying-diffid.tar|60|digest|diff_?id|mismatch|does not match|verif"
  "oci-lying-size|oci:$A/oci-lying-size:1|60|size|length|mismatch|does not match"
  "oci-lying-digest|oci:$A/oci-lying-digest:1|60|digest|mismatch|does not match|verif"
)
for c in "${cases[@]}"; do
  IFS='|' read -r name target limit _ <<<"$c"
  problem="${c#"$name|$target|$limit|"}"
  archive="$(basename "${target#*:}")"; archive="${archive%:1}"
  extra=()
  [ "$name" = gzip-bomb ] && extra=(--max-total-size 100)
  scan "$name" "$limit" "$target" "${extra[@]}"
  assert_rc "$name: rejected as bad input" 3
  assert_true "$name: finished within ${limit}s" test "$RC" -ne 124 -a "$ELAPSED" -lt "$limit"
  assert_grep "$name: stderr names the archive ($archive)" "$ERR" "$(printf '%s' "$archive" | sed 's/[.]/\\./g')"
  assert_grep "$name: stderr names the problem (/$problem/)" "$ERR" "$problem"
  assert_eq "$name: no report on stdout" "" "$(head -c 200 "$OUT")"
  nothing_escaped "$name"
done

# The gzip bomb again without --max-total-size: the default limits (compression ratio) still stop it.
scan gzip-bomb-default 120 "docker-archive:$A/gzip-bomb.tar"
if [ "$RC" -eq 0 ]; then
  echo "   note: the 1 GiB bomb is within the default limits; scanned fine in ${ELAPSED}s"
  assert_true "gzip-bomb (default limits): finished within 120s" test "$ELAPSED" -lt 120
else
  assert_rc "gzip-bomb (default limits)" 3
fi
nothing_escaped gzip-bomb-default

e2e_finish
