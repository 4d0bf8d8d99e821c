#!/usr/bin/env bash
# Webhooks and the live alert stream of `bulwark server`, over real loopback HTTP (ports in
# 18500-18549): two Python webhook receivers (tests/e2e/webhook_receiver.py; one answers 500
# twice before 200) and a closed port; uploads through POST /api/v1/reports; the test recomputes
# every X-Bulwark-Signature with Python's hmac, reads the delivery log, and reads
# GET /api/v1/alerts/stream with curl -N under different filters. The webhook secret must appear
# in no log, no response and no file of the data folder.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
e2e_init server_notifications
e2e_require_cmd curl jq python3
# The help text is read whole first: `grep -q` in a pipe under pipefail can close the pipe before
# bulwark has written all of it, and the SIGPIPE made this suite skip itself.
SERVER_HELP="$("$BULWARK" server --help 2>/dev/null || true)"
if ! grep -q -- --webhook <<<"$SERVER_HELP"; then
  echo "SKIP: this bulwark has no 'server --webhook'" >&2
  exit 77
fi

free_port() { # FROM TO: the first port nobody listens on
  local p
  for p in $(seq "$1" "$2"); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}
PORT_A="$(free_port 18500 18504)" || e2e_fatal "no free port in 18500-18504"
PORT_B="$(free_port 18505 18509)" || e2e_fatal "no free port in 18505-18509"
PORT_DEAD="$(free_port 18510 18514)" || e2e_fatal "no free port in 18510-18514"
PORT="$(free_port 18515 18519)" || e2e_fatal "no free port in 18515-18519"
BASE="http://127.0.0.1:$PORT"

PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

python3 "$BULWARK_SOURCE_DIR/tests/e2e/webhook_receiver.py" --port "$PORT_A" --out "$W/recv-a" &
PIDS+=($!)
python3 "$BULWARK_SOURCE_DIR/tests/e2e/webhook_receiver.py" --port "$PORT_B" --out "$W/recv-b" --fail-first 2 &
PIDS+=($!)
for _ in $(seq 1 50); do [ -f "$W/recv-a/ready" ] && [ -f "$W/recv-b/ready" ] && break; sleep 0.1; done
assert_true "receivers listening" test -f "$W/recv-a/ready" -a -f "$W/recv-b/ready"

SECRET="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
umask 077
printf '%s\n' "$SECRET" >"$W/webhook.key"
DATA="$W/data"
mkdir -p "$DATA"
ADMIN="$("$BULWARK" server token create --data "$DATA" --role admin 2>/dev/null)"
READER="$("$BULWARK" server token create --data "$DATA" --role reader 2>/dev/null)"
READER2="$("$BULWARK" server token create --data "$DATA" --role reader 2>/dev/null)"
CI="$("$BULWARK" server token create --data "$DATA" --role ci 2>/dev/null)"
AGENT="$("$BULWARK" server token create --data "$DATA" --role agent --host node-a 2>/dev/null)"

# Bad configurations are refused before anything is served.
set +e
"$BULWARK" server --listen "127.0.0.1:$PORT" --data "$DATA" --webhook "http://127.0.0.1:$PORT_A/x" >"$W/nosecret.log" 2>&1
rc=$?
set -e
assert_true "a webhook without a secret file is refused (rc $rc)" test "$rc" -ne 0
assert_grep "the refusal names --webhook-secret-file" "$W/nosecret.log" "webhook-secret-file"
set +e
"$BULWARK" server --listen "127.0.0.1:$PORT" --data "$DATA" --webhook "ftp://127.0.0.1/x" \
  --webhook-secret-file "$W/webhook.key" >"$W/badurl.log" 2>&1
rc=$?
set -e
assert_true "an ftp:// webhook is refused (rc $rc)" test "$rc" -ne 0
assert_grep "the refusal says what a webhook must be" "$W/badurl.log" "http:// or https://"

"$BULWARK" server --listen "127.0.0.1:$PORT" --data "$DATA" \
  --webhook "http://127.0.0.1:$PORT_A/hook-a" --webhook "http://127.0.0.1:$PORT_B/hook-b" \
  --webhook "http://127.0.0.1:$PORT_DEAD/nobody" \
  --webhook-secret-file "$W/webhook.key" --webhook-min-priority error \
  --webhook-backoff 1s --webhook-max-attempts 3 --webhook-timeout 5s \
  --stream-heartbeat 1s --max-streams 3 >"$W/server.log" 2>&1 &
SERVER_PID=$!
PIDS+=("$SERVER_PID")
for _ in $(seq 1 100); do
  curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$W/server.log" >&2; e2e_fatal "bulwark server exited"; }
  sleep 0.1
done
assert_true "server answers /healthz" curl -fsS -o /dev/null "$BASE/healthz"

# ---- live streams, opened before anything is uploaded ----
stream() { # NAME TOKEN QUERY: curl -N in the background into $W/NAME.sse
  curl -sN -H "Authorization: Bearer $2" "$BASE/api/v1/alerts/stream$3" >"$W/$1.sse" 2>"$W/$1.err" &
  PIDS+=($!)
  eval "STREAM_$1=$!"
}
stream all "$READER" ""
stream nodecrit "$READER2" "?host=node-a&priority=critical"
stream rule "$ADMIN" "?rule=Write%20below%20etc"
for _ in $(seq 1 50); do
  n=0
  for s in all nodecrit rule; do grep -q "bulwark alert stream" "$W/$s.sse" 2>/dev/null && n=$((n + 1)); done
  [ "$n" = 3 ] && break
  sleep 0.1
done
assert_eq "three streams open" 3 "$n"
assert_eq "unfiltered stream: no alert yet" 0 "$(grep -c '^event: alert' "$W/all.sse" || true)"
code="$(curl -s -o "$W/fourth.out" -w '%{http_code}' -m 5 -H "Authorization: Bearer $READER" "$BASE/api/v1/alerts/stream")"
assert_eq "a fourth stream beyond --max-streams 3 is refused" 503 "$code"
code="$(curl -s -o /dev/null -w '%{http_code}' -m 5 -H "Authorization: Bearer $AGENT" "$BASE/api/v1/alerts/stream")"
assert_eq "an agent token cannot read the stream" 403 "$code"
code="$(curl -s -o /dev/null -w '%{http_code}' -m 5 "$BASE/api/v1/alerts/stream")"
assert_eq "no token, no stream" 401 "$code"
code="$(curl -s -o "$W/badprio.out" -w '%{http_code}' -m 5 -H "Authorization: Bearer $ADMIN" \
  "$BASE/api/v1/alerts/stream?min_priority=loud")"
# The limit is checked after the filter: a bad filter is a 400 even with every stream in use.
assert_eq "an unknown min_priority is a 400" 400 "$code"

upload() { # TOKEN FILE
  curl -sS -o "$W/upload.out" -w '%{http_code}' -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
    --data-binary "@$2" "$BASE/api/v1/reports"
}

# ---- a scan with new critical, high and low findings ----
finding() { # ID SEVERITY PACKAGE
  jq -n --arg id "$1" --arg sev "$2" --arg pkg "$3" '{id:$id, severity:$sev, status:"fail", practice:"vulnerability-scan",
    target:{kind:"image", name:"registry.example/shop/web:1"}, package:{name:$pkg, version:"1.0", ecosystem:"deb"},
    vulnerability:{id:$id, aliases:[], fixed_version:"1.1"}}'
}
jq -n --argjson f1 "$(finding CVE-2026-0001 critical openssl)" --argjson f2 "$(finding CVE-2026-0002 high zlib)" \
  --argjson f3 "$(finding CVE-2026-0003 low bash)" '{schema:"bulwark/v1", tool:{name:"bulwark", version:"0.1.0"},
  targets:[{kind:"image", name:"registry.example/shop/web:1", id:"sha256:'"$(printf 'a%.0s' $(seq 64))"'",
    os:{id:"debian", version_id:"12"}, image:{repo_tags:["registry.example/shop/web:1"], layers:[]},
    packages:[{name:"openssl", version:"1.0", ecosystem:"deb"}, {name:"zlib", version:"1.0", ecosystem:"deb"},
              {name:"bash", version:"1.0", ecosystem:"deb"}]}],
  findings:[$f1, $f2, $f3]}' >"$W/scan.json"
assert_eq "scan uploaded" 201 "$(upload "$CI" "$W/scan.json")"

wait_for() { # SECONDS COMMAND...: until the command succeeds
  local t="$1"; shift
  local i
  for i in $(seq 1 $((t * 10))); do "$@" && return 0; sleep 0.1; done
  return 1
}
lines() { [ -f "$1" ] && wc -l <"$1" || echo 0; }
deliveries() { curl -fsS -H "Authorization: Bearer $READER" "$BASE/api/v1/webhooks/deliveries$1"; }
b_delivered() { deliveries "?type=finding.new&state=delivered" | jq -e '[.items[] | select(.webhook | endswith("/hook-b"))] | length == 1' >/dev/null; }
a_got() { test "$(lines "$W/recv-a/requests.jsonl")" -ge "$1"; }
assert_true "receiver A got the finding event" wait_for 10 a_got 1
assert_true "receiver B's delivery is delivered after its retries" wait_for 20 b_delivered

# Every received body is checked against its signature with Python's hmac (not bulwark's code).
verify() { # DIR: every N.body's X-Bulwark-Signature recomputed
  python3 - "$1" "$W/webhook.key" <<'EOF'
import hashlib, hmac, json, sys
d, keyfile = sys.argv[1], sys.argv[2]
key = open(keyfile, "rb").read().rstrip(b"\n")
bad = 0
for line in open(d + "/requests.jsonl"):
    r = json.loads(line)
    body = open(f"{d}/{r['n']}.body", "rb").read()
    want = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
    got = {k.lower(): v for k, v in r["headers"].items()}.get("x-bulwark-signature", "")
    if not hmac.compare_digest(want, got):
        print(f"request {r['n']}: signature {got!r}, expected {want!r}")
        bad += 1
    json.loads(body)
sys.exit(1 if bad else 0)
EOF
}
assert_true "receiver A: every signature matches the HMAC-SHA256 of the body" verify "$W/recv-a"
assert_true "receiver B: every signature matches" verify "$W/recv-b"
jq -s '.[0]' "$W/recv-a/requests.jsonl" >"$W/a1.json"
assert_json "the event header names the type" "$W/a1.json" '.headers["X-Bulwark-Event"] == "finding.new"'
assert_json "the body is JSON" "$W/recv-a/1.body" '.schema == "bulwark/v1" and .type == "finding.new"'
assert_json "the finding event lists the critical and the high finding, not the low" "$W/recv-a/1.body" \
  '[.data.findings[].vulnerability] | sort == ["CVE-2026-0001", "CVE-2026-0002"]'
assert_json "the finding event names the target" "$W/recv-a/1.body" \
  '.data.findings[0].target.name == "registry.example/shop/web:1" and .data.count == 2'
assert_eq "receiver B was asked three times (500, 500, 200)" "500 500 200" \
  "$(jq -r .answered "$W/recv-b/requests.jsonl" | tr '\n' ' ' | sed 's/ $//')"
assert_eq "receiver B got the same event id each time" 1 \
  "$(for f in "$W"/recv-b/*.body; do jq -r .id "$f"; done | sort -u | wc -l)"
assert_eq "the attempt header counts" "1 2 3" \
  "$(jq -r '.headers["X-Bulwark-Attempt"]' "$W/recv-b/requests.jsonl" | tr '\n' ' ' | sed 's/ $//')"

deliveries "?type=finding.new" >"$W/deliveries.json"
assert_json "the log has one finding.new delivery per webhook" "$W/deliveries.json" '.items | length == 3'
assert_json "hook-b: delivered on the third attempt, 500 twice before" "$W/deliveries.json" \
  '[.items[] | select(.webhook | endswith("/hook-b"))][0] | .state == "delivered" and .attempts == 3 and .status == 200
   and ([.history[].status] == [500, 500, 200]) and .history[0].error == "HTTP 500: {\"error\":\"receiver told to fail\"}"'
assert_json "hook-a: delivered at once" "$W/deliveries.json" \
  '[.items[] | select(.webhook | endswith("/hook-a"))][0] | .state == "delivered" and .attempts == 1'
dead_failed() { deliveries "?type=finding.new&state=failed" | jq -e '.items | length == 1' >/dev/null; }
assert_true "the closed port's delivery fails after 3 attempts" wait_for 20 dead_failed
deliveries "?state=failed" >"$W/failed.json"
assert_json "the failed delivery: 3 attempts, each a connection error" "$W/failed.json" \
  '.items[0] | .attempts == 3 and (.webhook | endswith("/nobody")) and ([.history[] | select(.status == null and (.error | length) > 0)] | length == 3)'
assert_json "the log says which webhooks are configured" "$W/failed.json" \
  '.configured.webhooks | length == 3'
deliveries "?limit=1" >"$W/page1.json"
assert_json "page 1 of 1: a next_cursor" "$W/page1.json" '(.items | length == 1) and (.next_cursor | length > 0)'
deliveries "?limit=1&cursor=$(jq -r .next_cursor "$W/page1.json")" >"$W/page2.json"
assert_true "page 2 is an older delivery" test "$(jq '.items[0].id' "$W/page2.json")" -lt "$(jq '.items[0].id' "$W/page1.json")"
code="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $READER" "$BASE/api/v1/webhooks/deliveries?state=nope")"
assert_eq "an unknown state filter is a 400" 400 "$code"
code="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $CI" "$BASE/api/v1/webhooks/deliveries")"
assert_eq "a ci token cannot read the delivery log" 403 "$code"

# ---- runtime alerts: to the streams (filtered) and, at or above error, to the webhooks ----
NOW="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
jq -n --arg now "$NOW" '{schema:"bulwark/v1", report:"alerts", host:{name:"node-a"}, alerts:[
  {time:$now, rule:"Terminal shell in container", priority:"Critical", output:"shell in web", source:"syscall",
   container:{id:"c01", name:"web", image:"shop/web:1"}},
  {time:$now, rule:"Write below etc", priority:"Error", output:"file=/etc/x", source:"syscall",
   container:{id:"c02", name:"db", image:"shop/db:1"}},
  {time:$now, rule:"Unexpected outbound", priority:"Warning", output:"connect 10.0.0.9", source:"syscall",
   container:{id:"c01", name:"web", image:"shop/web:1"}}]}' >"$W/alerts.json"
assert_eq "alerts uploaded" 201 "$(upload "$AGENT" "$W/alerts.json")"
count_events() { grep -c '^event: alert' "$W/$1.sse" || true; }
has_events() { test "$(count_events "$1")" -ge "$2"; }
assert_true "the unfiltered stream got all three alerts" wait_for 5 has_events all 3
assert_true "the host+priority stream got one" wait_for 5 has_events nodecrit 1
assert_true "the rule stream got one" wait_for 5 has_events rule 1
sleep 1.5 # anything that should not arrive would have by now
assert_eq "host=node-a&priority=critical: only the critical alert" "Terminal shell in container" \
  "$(grep '^data: ' "$W/nodecrit.sse" | sed 's/^data: //' | jq -r .rule | tr '\n' '|' | sed 's/|$//')"
assert_eq "rule=Write below etc: only that rule" "Write below etc" \
  "$(grep '^data: ' "$W/rule.sse" | sed 's/^data: //' | jq -r .rule | tr '\n' '|' | sed 's/|$//')"
curl -fsS -H "Authorization: Bearer $READER" "$BASE/api/v1/alerts?limit=10" >"$W/stored.json"
grep '^data: ' "$W/all.sse" | sed 's/^data: //' | jq -s 'sort_by(.seq)' >"$W/streamed.json"
jq '.items | sort_by(.seq)' "$W/stored.json" >"$W/stored.sorted.json"
assert_files_equal "the stream sends the alerts as GET /api/v1/alerts lists them" "$W/stored.sorted.json" "$W/streamed.json"
assert_eq "each SSE id is the alert's seq" "$(jq -r '.[].seq' "$W/streamed.json" | tr '\n' ' ')" \
  "$(grep '^id: ' "$W/all.sse" | sed 's/^id: //' | sort -n | tr '\n' ' ')"
assert_grep "heartbeats arrive" "$W/all.sse" '^: heartbeat$'

alert_events() { cat "$W"/recv-a/*.body | jq -s '[.[] | select(.type == "alert")]'; }
a_has_alert() { alert_events | jq -e 'length == 1' >/dev/null; }
assert_true "receiver A got an alert event" wait_for 10 a_has_alert
alert_events >"$W/alert-events.json"
assert_json "--webhook-min-priority error: the critical and the error alert, not the warning" "$W/alert-events.json" \
  '[.[0].data.alerts[].priority] | sort == ["Critical", "Error"]'
assert_eq "the webhook's alert seqs are the stored ones" \
  "$(jq -r '.items[] | select(.priority != "Warning") | .seq' "$W/stored.json" | sort -n | tr '\n' ' ')" \
  "$(jq -r '.[0].data.alerts[].seq' "$W/alert-events.json" | sort -n | tr '\n' ' ')"
assert_true "receiver A: signatures still match" verify "$W/recv-a"

# ---- a revoked token ends its stream; a reconnect replays what was missed ----
REVOKE_ID="$(curl -fsS -H "Authorization: Bearer $ADMIN" "$BASE/api/v1/tokens" | jq -r --arg p "${READER2:4:16}" '.items[] | select(.id == $p) | .id')"
assert_eq "reader token found" "${READER2:4:16}" "$REVOKE_ID"
curl -fsS -X DELETE -H "Authorization: Bearer $ADMIN" "$BASE/api/v1/tokens/$REVOKE_ID" >/dev/null
stream_ended() { ! kill -0 "$STREAM_nodecrit" 2>/dev/null; }
assert_true "the revoked reader's stream ends within a few heartbeats" wait_for 5 stream_ended
assert_grep "and says why" "$W/nodecrit.sse" '^event: end$'
FIRST_SEQ="$(jq '.[0].seq' "$W/streamed.json")"
replay() {
  curl -sN -m 3 -H "Authorization: Bearer $READER" -H "Last-Event-ID: $FIRST_SEQ" \
    "$BASE/api/v1/alerts/stream?host=node-a" >"$W/replay.sse" 2>/dev/null || true
  grep -q '^event: alert' "$W/replay.sse"
}
assert_true "a stream with Last-Event-ID replays the alerts after it" wait_for 10 replay
assert_eq "the replay: the two alerts after the first, oldest first" \
  "$(jq -r '.[1:][].seq' "$W/streamed.json" | tr '\n' ' ')" \
  "$(grep '^id: ' "$W/replay.sse" | sed 's/^id: //' | tr '\n' ' ')"

# ---- metrics and the secret ----
curl -fsS -H "Authorization: Bearer $READER" "$BASE/metrics" >"$W/metrics.txt"
assert_grep "metrics: delivered webhooks" "$W/metrics.txt" '^bulwark_server_webhook_delivered_total [1-9]'
assert_grep "metrics: the queue depth" "$W/metrics.txt" '^bulwark_server_webhook_queue_depth [0-9]+$'
assert_grep "metrics: open streams" "$W/metrics.txt" '^bulwark_server_alert_streams [0-9]+$'
deliveries "?limit=50" >"$W/all-deliveries.json"
kill "$SERVER_PID" 2>/dev/null || true
wait "$SERVER_PID" 2>/dev/null || true
for f in "$W/server.log" "$W/nosecret.log" "$W/badurl.log" "$W/all-deliveries.json" "$W/deliveries.json" \
  "$W/metrics.txt" "$W/all.sse"; do
  assert_no_grep "the secret is not in $(basename "$f")" "$f" "$SECRET"
done
assert_true "the secret is in no file of the data folder (store, audit log)" sh -c "! grep -rqaF '$SECRET' '$DATA'"
assert_true "the secret is in no received body" sh -c "! grep -rqaF '$SECRET' '$W/recv-a' '$W/recv-b'"
cleanup
trap - EXIT
e2e_finish
