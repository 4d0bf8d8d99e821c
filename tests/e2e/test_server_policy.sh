#!/usr/bin/env bash
# Server-side policies and the per-token rate limit on a real `bulwark server` (127.0.0.1:18520, own
# data folder): a real `bulwark config` scan of a Dockerfile (its check findings), named policies stored
# over HTTP by an admin, and `bulwark push --policy NAME` with a ci token exiting non-zero when the
# server's verdict is fail, 0 when it passes, and refusing an unknown policy (nothing stored); the
# verdicts read back by the uploading ci token. The scanning commands upload their own result
# (`bulwark config ... --server URL --token T --server-policy NAME`, `bulwark sbom DIR --server`):
# the verdict sets their exit code, the report on stdout stays as --format asked, the SBOM's
# packages are on the server. Then a reader token past --rate-limit/--rate-burst gets
# 429 with Retry-After, counted in /metrics, while /healthz is served. Needs curl and jq only.
. "$(dirname "$0")/lib.sh"
e2e_init server_policy
e2e_require_cmd curl jq

PORT=18520
URL="http://127.0.0.1:$PORT"
DATA="$W/server-data"
mkdir -p "$DATA"
SERVER_PID=""
cleanup() { [ -z "$SERVER_PID" ] || { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; }; }
trap cleanup EXIT
"$BULWARK" server --listen "127.0.0.1:$PORT" --data "$DATA" --rate-limit 0.2 --rate-burst 20 >>"$W/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -fsS "$URL/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
token() { "$BULWARK" server token create --data "$DATA" "$@" 2>/dev/null | tail -1; }
ADMIN="$(token --role admin)"; CI="$(token --role ci)"; READER="$(token --role reader)"
put_policy() {  # NAME FILE -> HTTP status
  curl -sS -o "$W/put-$1.json" -w '%{http_code}' -X PUT -H "Authorization: Bearer $ADMIN" \
    -H 'Content-Type: application/json' --data-binary "@$2" "$URL/api/v1/policies/$1"
}

# A real scan: bulwark's Dockerfile checks on a Dockerfile that runs as root from a moving tag.
printf 'FROM debian:latest\nUSER root\nRUN apt-get update && apt-get install -y curl\nADD https://example.com/x.tgz /opt/\n' \
  >"$W/Dockerfile"
run_bulwark scan config "$W/Dockerfile" --format json -o "$W/config.json"
assert_rc "bulwark config scan" 0
IDS="$(jq -c '[.findings[] | select(.status == "fail" or .status == "warn") | .id] | unique' "$W/config.json")"
assert_true "the scan has failing check findings" test "$(jq length <<<"$IDS")" -ge 1

# Two policies: config findings fail "gate"; "waived" ignores every one of them by id.
echo '{"description": "config checks fail", "exit_scanners": ["config"]}' >"$W/gate.json"
jq -n --argjson ids "$IDS" '{exit_scanners: ["config"], ignore: [$ids[] | {id: ., reason: "accepted in e2e"}]}' \
  >"$W/waived.json"
echo '{"fail_on": "hihg"}' >"$W/bad.json"
assert_eq "a ci token cannot store a policy" 403 "$(curl -sS -o /dev/null -w '%{http_code}' -X PUT \
  -H "Authorization: Bearer $CI" --data-binary "@$W/gate.json" "$URL/api/v1/policies/gate")"
assert_eq "a misspelt severity is refused" 400 "$(put_policy bad "$W/bad.json")"
assert_grep "naming it" "$W/put-bad.json" "hihg"
assert_eq "admin stores gate" 201 "$(put_policy gate "$W/gate.json")"
assert_eq "admin stores waived" 201 "$(put_policy waived "$W/waived.json")"

# The CLI gates on the server's verdict.
BULWARK_TOKEN="$CI" run_bulwark pushfail push "$W/config.json" --server "$URL" --policy gate
assert_rc "push --policy gate exits 1 on a failing verdict" 1
assert_grep "the verdict is printed" "$OUT" "policy gate: FAIL"
REPORT="$(awk '/config.json: r_/ {print $2; exit}' "$OUT")"
BULWARK_TOKEN="$CI" run_bulwark pushpass push "$W/config.json" --server "$URL" --policy waived
assert_rc "push --policy waived exits 0 (every finding ignored by the server's list)" 0
assert_grep "a pass" "$OUT" "policy waived: pass"
BULWARK_TOKEN="$CI" run_bulwark pushcode push "$W/config.json" --server "$URL" --policy gate --policy-exit-code 9
assert_rc "--policy-exit-code" 9
REPORTS0="$(curl -sS -H "Authorization: Bearer $ADMIN" "$URL/metrics" | awk '/^bulwark_server_reports / {print $2}')"
printf 'FROM debian:12\n' >"$W/Dockerfile2"
run_bulwark scan2 config "$W/Dockerfile2" --format json -o "$W/config2.json"
BULWARK_TOKEN="$CI" run_bulwark pushunknown push "$W/config2.json" --server "$URL" --policy nope
assert_rc "an unknown policy fails the push (a 4xx: exit 2)" 2
assert_grep "the server names it" "$ERR" "no policy named 'nope'"
REPORTS1="$(curl -sS -H "Authorization: Bearer $ADMIN" "$URL/metrics" | awk '/^bulwark_server_reports / {print $2}')"
assert_eq "nothing stored for the unknown policy" "$REPORTS0" "$REPORTS1"
curl -sS -H "Authorization: Bearer $CI" "$URL/api/v1/reports/$REPORT/policy" >"$W/verdicts.json"
assert_json "the ci token reads both verdicts of its report" "$W/verdicts.json" \
  '(.items | length) == 2 and ([.items[] | select(.name == "gate") | .pass] == [false]) and ([.items[] | select(.name == "waived") | .pass] == [true])'

# The scanning commands upload their own result: config gates on the verdict, its table on stdout.
run_bulwark cfgfail config "$W/Dockerfile" --server "$URL" --token "$CI" --server-policy gate
assert_rc "config --server-policy gate exits 1 on the server's fail verdict" 1
assert_grep "the verdict goes to stderr" "$ERR" "policy gate: FAIL"
assert_grep "the table stays on stdout" "$OUT" "BW-DF-001"
assert_true "no upload lines on stdout" bash -c "! grep -q 'policy gate' '$OUT'"
BULWARK_SERVER="$URL" BULWARK_TOKEN="$CI" run_bulwark cfgpass config "$W/Dockerfile" --format json \
  --server-policy waived -o "$W/config-again.json"
assert_rc "config with BULWARK_SERVER/BULWARK_TOKEN and a passing verdict exits 0" 0
assert_grep "the same document: already stored" "$ERR" "already stored"
run_bulwark cfgnotoken config "$W/Dockerfile" --server "$URL" --token "not-a-token"
assert_rc "a wrong token fails the run (a 4xx: exit 2)" 2
assert_true "and the token is not printed" bash -c "! grep -q 'not-a-token' '$ERR'"
# An SBOM of a root filesystem (two dpkg packages): the server holds its package list.
mkdir -p "$W/rootfs/etc" "$W/rootfs/var/lib/dpkg"
printf 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' >"$W/rootfs/etc/os-release"
printf 'Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\n\nPackage: libc6\nStatus: install ok installed\nArchitecture: amd64\nSource: glibc\nVersion: 2.36-9+deb12u4\n\n' \
  >"$W/rootfs/var/lib/dpkg/status"
run_bulwark sbomup sbom "$W/rootfs" --format json -o "$W/rootfs-sbom.json" --server "$URL" --token "$CI"
assert_rc "sbom --server uploads" 0
curl -sS -H "Authorization: Bearer $READER" "$URL/api/v1/images?kind=rootfs" >"$W/rootfs-list.json"
assert_json "the server lists the root filesystem with its 2 packages" "$W/rootfs-list.json" \
  '[.items[] | select(.packages == 2 and .sbom == true)] | length == 1'

# The rate limit: 60 quick requests from one reader token (burst 20, 1/s) meet 429s.
: >"$W/codes"
for _ in $(seq 1 60); do
  curl -sS -o /dev/null -D "$W/last-headers" -w '%{http_code}\n' -H "Authorization: Bearer $READER" \
    "$URL/api/v1/summary" >>"$W/codes"
  grep -qi '^retry-after:' "$W/last-headers" && cp "$W/last-headers" "$W/refused-headers"
done
LIMITED="$(grep -c '^429$' "$W/codes" || true)"
assert_true "requests past the burst are refused (429: $LIMITED of 60)" test "$LIMITED" -ge 20
assert_grep "with Retry-After" "$W/refused-headers" '^retry-after: [0-9]+'
assert_eq "/healthz is not limited" 200 "$(curl -sS -o /dev/null -w '%{http_code}' "$URL/healthz")"
curl -sS -H "Authorization: Bearer $ADMIN" "$URL/metrics" >"$W/metrics.txt"
assert_grep "counted in /metrics" "$W/metrics.txt" "^bulwark_server_rate_limited_total $LIMITED\$"
e2e_finish
