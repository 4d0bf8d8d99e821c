#!/usr/bin/env bash
# Server-side policies and the per-token rate limit on a real `bulwark server` (127.0.0.1:18520, own
# data folder): a real `bulwark config` scan of a Dockerfile (its check findings), named policies stored
# over HTTP by an admin, and `bulwark push --policy NAME` with a ci token exiting non-zero when the
# server's verdict is fail, 0 when it passes, and refusing an unknown policy (nothing stored); the
# verdicts read back by the uploading ci token. Then a reader token past --rate-limit/--rate-burst gets
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
"$BULWARK" server --listen "127.0.0.1:$PORT" --data "$DATA" --rate-limit 1 --rate-burst 20 >>"$W/server.log" 2>&1 &
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
