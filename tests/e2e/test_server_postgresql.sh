#!/usr/bin/env bash
# `bulwark server` on a real PostgreSQL (a throwaway cluster from tests/e2e/pg.sh on 127.0.0.1:18461),
# two server processes (127.0.0.1:18470 and :18471) sharing it:
#   - tokens made with `bulwark server token create --store URL` work on both replicas; the
#     password in the URL is printed nowhere (stdout, stderr, logs);
#   - an upload to one replica is read from the other; the same document sent to both is stored once;
#   - 3000 jobs put in the queue are split between the two replicas, each run exactly once;
#   - an advisory import on one replica: its re-match chunks are claimed by both, each target
#     matched once (events not duplicated), and the other replica applies the stored import;
#   - PostgreSQL stopped for 30 s during uploads: 503 with a JSON error (never a 500, never a crash),
#     /healthz says degraded, and both replicas recover by themselves when it is back;
#   - kill -9 of a replica during 16 concurrent uploaders, restart: every upload answered 2xx is
#     in the store; the same on SQLite (--data, port 18472);
#   - a store newer than the binary is refused with a clear error.
. "$(dirname "$0")/lib.sh"
e2e_init server_postgresql
e2e_require_cmd curl jq
PGSH="$BULWARK_SOURCE_DIR/tests/e2e/pg.sh"
PGDIR="$(mktemp -d /tmp/bulwark-e2e-pg-XXXXXX)"
rmdir "$PGDIR"
A_PID="" B_PID="" S_PID="" LOAD_PIDS=""
cleanup() {
  for p in $LOAD_PIDS $A_PID $B_PID $S_PID; do kill -9 "$p" 2>/dev/null || true; done
  for p in $LOAD_PIDS $A_PID $B_PID $S_PID; do wait "$p" 2>/dev/null || true; done
  bash "$PGSH" remove "$PGDIR" >/dev/null 2>&1 || true
}
trap cleanup EXIT

rc=0
STORE="$(bash "$PGSH" start "$PGDIR" 18461 2>"$W/pg-start.err")" || rc=$?
if [ "$rc" -eq 77 ]; then e2e_missing "PostgreSQL ($(cat "$W/pg-start.err"))"; fi
[ "$rc" -eq 0 ] || { cat "$W/pg-start.err" >&2; e2e_fatal "the PostgreSQL cluster did not start"; }
PW="${STORE#postgresql://bulwark:}"
PW="${PW%%@*}"
psql_() { bash "$PGSH" psql "$PGDIR" "$@"; }

A="http://127.0.0.1:18470"
B="http://127.0.0.1:18471"
start_a() {
  "$BULWARK" server --listen 127.0.0.1:18470 --store "$STORE" --data "$W/a" --rate-limit 0 --job-poll-ms 100 >>"$W/a.log" 2>&1 &
  A_PID=$!
}
start_b() {
  BULWARK_STORE="$STORE" "$BULWARK" server --listen 127.0.0.1:18471 --data "$W/b" --rate-limit 0 --job-poll-ms 100 >>"$W/b.log" 2>&1 &
  B_PID=$!
}
wait_health() {  # URL SECONDS
  local end=$((SECONDS + $2))
  while [ $SECONDS -lt $end ]; do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$1/healthz")" = 200 ] && return 0
    sleep 0.2
  done
  return 1
}

# ---- tokens on the PostgreSQL store ----
ADMIN="$("$BULWARK" server token create --store "$STORE" --role admin 2>"$W/token.err")"
CI="$("$BULWARK" server token create --store "$STORE" --role ci 2>>"$W/token.err")"
READER="$(BULWARK_STORE="$STORE" "$BULWARK" server token create --role reader 2>>"$W/token.err")"
assert_eq "token create --store prints a token" 85 "${#CI}"
"$BULWARK" server token list --store "$STORE" >"$W/tokens.txt" 2>>"$W/token.err"
assert_eq "token list --store lists three tokens" 3 "$(grep -c active "$W/tokens.txt")"
"$BULWARK" server token create --store "postgresql://bulwark:$PW@127.0.0.1:1/bulwark" --role admin \
  >"$W/bad.out" 2>"$W/bad.err" && _fail "an unreachable store is refused" || _pass "an unreachable store is refused"
assert_grep "the refusal names the server" "$W/bad.err" "127\.0\.0\.1:1"
assert_no_grep "... but not the password" "$W/bad.err" "$PW"
"$BULWARK" server --store "mysql://x@127.0.0.1/y" --listen 127.0.0.1:18479 >"$W/bad2.out" 2>"$W/bad2.err" \
  && _fail "a non-PostgreSQL URL is refused" || _pass "a non-PostgreSQL URL is refused"
assert_grep "the refusal says what --store takes" "$W/bad2.err" "postgresql://"

# ---- two replicas ----
start_a
start_b
wait_health "$A" 30 || e2e_fatal "replica A did not start (see $W/a.log)"
wait_health "$B" 30 || e2e_fatal "replica B did not start (see $W/b.log)"
assert_grep "the log names the store without its password" "$W/a.log" "postgresql://bulwark:\*\*\*@127\.0\.0\.1:18461"
curl -s "$A/healthz" >"$W/health.json"
# Migrations 1-4: the store, jobs (pg), re-matching, webhooks (src/server/store.cpp).
assert_json "healthz reports the schema" "$W/health.json" '.status == "ok" and .schema == 9'

doc() {  # HEX TAG -> an image scan document
  printf '{"schema":"bulwark/v1","tool":{"name":"bulwark","version":"0.1.0"},"targets":[{"kind":"image","name":"docker-archive:/x/%s.tar","id":"sha256:%s","os":{"id":"debian","version_id":"12"},"image":{"repo_tags":["%s"],"layers":[]},"packages":[{"name":"openssl","version":"1.0","ecosystem":"deb"}]}],"findings":[{"id":"CVE-2024-0001","severity":"high","status":"fail","practice":"vulnerability-scan","target":{"kind":"image","name":"docker-archive:/x/%s.tar"},"package":{"name":"openssl","version":"1.0","ecosystem":"deb"},"vulnerability":{"id":"CVE-2024-0001","fixed_version":"1.1"}}]}' \
    "$2" "$1" "$2" "$2"
}
post() {  # URL BODY -> "STATUS BODY"
  curl -s -m 20 -H "Authorization: Bearer $CI" -H 'Content-Type: application/json' --data-binary "$2" \
    -w '\n%{http_code}' "$1/api/v1/reports"
}
hex() { printf '%064x' "$1"; }

out="$(post "$A" "$(doc "$(hex 1)" app:1)")"
assert_eq "an upload to replica A is stored (201)" 201 "$(tail -1 <<<"$out")"
id="$(head -1 <<<"$out" | jq -r .id)"
assert_eq "replica B serves the report A stored" 200 \
  "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $READER" "$B/api/v1/reports/$id")"
curl -s -H "Authorization: Bearer $READER" "$B/api/v1/images" >"$W/images-b.json"
assert_json "replica B lists the image" "$W/images-b.json" "[.items[].id] == [\"sha256:$(hex 1)\"]"
out="$(post "$B" "$(doc "$(hex 1)" app:1)")"
assert_eq "the same document sent to replica B is a duplicate (200)" 200 "$(tail -1 <<<"$out")"
assert_eq "it has the id A gave it" "$id" "$(head -1 <<<"$out" | jq -r .id)"

# The same new document to both replicas at once, ten times: stored once each time.
for i in $(seq 2 11); do
  d="$(doc "$(hex "$i")" race:1)"
  post "$A" "$d" >"$W/race-a-$i" &
  post "$B" "$d" >"$W/race-b-$i"
  wait $!
done
codes="$(for i in $(seq 2 11); do echo "$(tail -1 "$W/race-a-$i")"; echo "$(tail -1 "$W/race-b-$i")"; done | sort | uniq -c | tr -s ' ' | tr '\n' ,)"
assert_eq "each raced document: one 201 and one 200 duplicate" " 10 200, 10 201," "$codes"
assert_eq "the store has 11 reports" 11 "$(psql_ "SELECT COUNT(*) FROM reports")"

# ---- jobs: split between the replicas, each run once ----
psql_ "INSERT INTO jobs(kind, payload, created_at) SELECT 'sweep', 'e2e', 0 FROM generate_series(1, 3000)"
end=$((SECONDS + 90))
while [ $SECONDS -lt $end ]; do
  left="$(psql_ "SELECT COUNT(*) FROM jobs WHERE payload = 'e2e' AND state <> 'done'")"
  [ "$left" = 0 ] && break
  sleep 0.5
done
assert_eq "all 3000 jobs done" 0 "$left"
psql_ "SELECT claimed_by, COUNT(*) FROM jobs WHERE payload = 'e2e' GROUP BY claimed_by" >"$W/jobs.txt"
echo "  jobs per replica: $(tr '\n' ' ' <"$W/jobs.txt")"
assert_eq "two replicas took part" 2 "$(wc -l <"$W/jobs.txt")"
assert_true "both claimers are this test's server processes" \
  grep -q ":$A_PID:" "$W/jobs.txt"
assert_true "... replica B too" grep -q ":$B_PID:" "$W/jobs.txt"
assert_eq "no job was claimed twice" 1 "$(psql_ "SELECT MAX(attempts) FROM jobs WHERE payload = 'e2e'")"
curl -s -H "Authorization: Bearer $READER" "$B/metrics" >"$W/metrics.txt"
assert_grep "/metrics shows the job queue" "$W/metrics.txt" '^bulwark_server_jobs\{state="done"\} [0-9]+'

# ---- re-match work split between the replicas ----
# 96 SBOMs (Debian 12 with curl) uploaded to A, then an advisory for Debian 12's curl imported on A:
# the re-match is 12 chunks of 8 targets that A's request and both replicas' workers claim; every
# target is matched once (one "new" event each), and B applied the import stored for it.
jq -n '{schema: "bulwark/v1", tool: {name: "bulwark", version: "e2e-rematch"},
  targets: [range(96) | {kind: "sbom", name: "e2e-rematch-\(.)", os: {id: "debian", version_id: "12"},
    packages: [{name: "curl", version: "7.88.1-10+deb12u5", source: "curl", ecosystem: "deb"}]}], findings: []}' \
  >"$W/sboms.json"
assert_eq "96 SBOMs uploaded to A" 201 "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $CI" \
  -H 'Content-Type: application/json' --data-binary @"$W/sboms.json" "$A/api/v1/reports")"
jq -n '{schema_version: "1.6.0", id: "DSA-9999-1", aliases: ["CVE-2099-0001"], modified: "2026-12-01T00:00:00Z",
  affected: [{package: {ecosystem: "Debian:12", name: "curl"}, ranges: [{type: "ECOSYSTEM", events: [{introduced: "0"}]}]}]}' \
  >"$W/dsa.json"
curl -s -H "Authorization: Bearer $ADMIN" --data-binary @"$W/dsa.json" "$A/api/v1/db/import?name=DSA-9999-1.json" >"$W/imp.json"
assert_json "the import re-matched 96 targets in 12 chunks, 96 new findings" "$W/imp.json" \
  '.rematch.targets == 96 and .rematch.new == 96 and .rematch.chunks == 12 and .rematch.failed_chunks == 0'
psql_ "SELECT claimed_by, COUNT(*) FROM jobs WHERE kind = 'rematch' GROUP BY claimed_by" >"$W/chunks.txt"
echo "  re-match chunks per worker: $(tr '\n' ' ' <"$W/chunks.txt")"
assert_true "replica A matched chunks" grep -q ":$A_PID:" "$W/chunks.txt"
assert_true "replica B matched chunks" grep -q ":$B_PID:" "$W/chunks.txt"
assert_eq "no chunk was claimed twice" 1 "$(psql_ "SELECT MAX(attempts) FROM jobs WHERE kind = 'rematch'")"
assert_eq "one new event per target, none twice" "96|96" \
  "$(psql_ "SELECT COUNT(*), COUNT(DISTINCT target_key) FROM events WHERE kind = 'new' AND target_key LIKE 'sbom:e2e-rematch-%'")"
curl -s -H "Authorization: Bearer $READER" "$B/api/v1/db" >"$W/b-db.json"
assert_json "replica B applied the stored import to its own advisory database" "$W/b-db.json" '.advisories == 1'

# ---- PostgreSQL stopped during uploads ----
uploader() {  # NAME URL FIRST COUNT: one upload every 50 ms until $W/stop-load exists (COUNT at most);
  local i out  # its status per line, the ids of 201s
  for i in $(seq "$3" $(($3 + $4 - 1))); do
    [ -f "$W/stop-load" ] && break
    out="$(post "$2" "$(doc "$(hex "$i")" "load:$1")")"
    tail -1 <<<"$out" >>"$W/fault-$1.codes"
    [ "$(tail -1 <<<"$out")" = 201 ] && head -1 <<<"$out" | jq -r .id >>"$W/fault-$1.ids"
    sleep 0.05
  done
}
OUTAGE="${PG_OUTAGE_SECONDS:-30}"  # issue 14: PostgreSQL stopped for 30 s during uploads
rm -f "$W/stop-load"
uploader a "$A" 1000 900 &
LOAD_PIDS="$!"
uploader b "$B" 2000 900 &
LOAD_PIDS="$LOAD_PIDS $!"
sleep 2
bash "$PGSH" stop "$PGDIR"
sleep 1
curl -s -w '\n%{http_code}' "$A/healthz" >"$W/health-down.txt"
assert_eq "healthz answers 503 while PostgreSQL is down" 503 "$(tail -1 "$W/health-down.txt")"
head -1 "$W/health-down.txt" >"$W/health-down.json"
assert_json "healthz says degraded" "$W/health-down.json" '.status == "degraded"'
assert_no_grep "healthz does not show the password" "$W/health-down.json" "$PW"
down_body="$(post "$B" "$(doc "$(hex 5000)" down:1)")"
assert_eq "an upload while PostgreSQL is down gets 503" 503 "$(tail -1 <<<"$down_body")"
head -1 <<<"$down_body" >"$W/upload-down.json"
assert_json "... with a JSON error" "$W/upload-down.json" '.error.code == "unavailable" and (.error.message | test("store"))'
assert_no_grep "... that does not show the password" "$W/upload-down.json" "$PW"
sleep $((OUTAGE - 1))
assert_true "replica A is still up after ${OUTAGE} s without PostgreSQL" kill -0 "$A_PID"
bash "$PGSH" restart "$PGDIR"
t0=$SECONDS
wait_health "$A" 30 && wait_health "$B" 30 && _pass "both replicas healthy again, by themselves ($((SECONDS - t0)) s after PostgreSQL came back)" \
  || _fail "the replicas did not recover"
sleep 2  # uploads go on a little after the recovery
touch "$W/stop-load"
for p in $LOAD_PIDS; do wait "$p" || true; done
LOAD_PIDS=""
cat "$W"/fault-*.codes | sort | uniq -c >"$W/fault-codes.txt"
echo "  answers during the fault: $(tr -s ' \n' ' ' <"$W/fault-codes.txt")"
assert_true "uploads got 503 during the outage" grep -qw 503 "$W/fault-codes.txt"
assert_true "uploads got 201 after it" test "$(tail -3 "$W/fault-a.codes" | sort -u)" = 201
assert_eq "only 201 and 503, never a 500 (or a dropped connection)" "201 503" \
  "$(cat "$W"/fault-*.codes | sort -u | tr '\n' ' ' | sed 's/ $//')"
assert_true "replica A is still the same process" kill -0 "$A_PID"
assert_true "replica B is still the same process" kill -0 "$B_PID"
n201="$(cat "$W"/fault-*.ids | wc -l)"
ids_sql="$(sed "s/.*/'&'/" "$W"/fault-*.ids | paste -sd, -)"
assert_eq "every 201 during the fault is in the store ($n201)" "$n201" \
  "$(psql_ "SELECT COUNT(*) FROM reports WHERE id IN ($ids_sql)")"
assert_no_grep "the password is in no log" "$W/a.log" "$PW"
assert_no_grep "... of either replica" "$W/b.log" "$PW"

# ---- kill -9 during 16 concurrent uploaders ----
crash_test() {  # LABEL URL START_CMD COUNT_CMD
  local label="$1" url="$2" i
  rm -f "$W"/crash-"$label"-*.ok
  for i in $(seq 1 16); do
    (
      n=0
      end=$((SECONDS + 30))  # until the kill (then 000) or, at most, 30 s
      while [ $SECONDS -lt $end ]; do
        n=$((n + 1))
        out="$(post "$url" "$(doc "$(printf '%02x%030x%032x' "$i" "$n" 0)" "crash-$label:$i")")"
        code="$(tail -1 <<<"$out")"
        case "$code" in 2*) head -1 <<<"$out" | jq -r .id >>"$W/crash-$label-$i.ok" ;; 000) break ;; esac
      done
    ) &
    LOAD_PIDS="$LOAD_PIDS $!"
  done
  # The kill comes once more than 16 uploads have been answered (a loaded machine answers fewer
  # in a fixed time), at the latest after 20 s, while the uploaders are still sending.
  for _ in $(seq 1 200); do
    [ "$(cat "$W"/crash-"$label"-*.ok 2>/dev/null | wc -l)" -gt 16 ] && break
    sleep 0.1
  done
  sleep 0.5
}
crash_check() {  # LABEL URL
  local label="$1" url="$2" total=0 missing=0 id
  for p in $LOAD_PIDS; do wait "$p" 2>/dev/null || true; done
  LOAD_PIDS=""
  cat "$W"/crash-"$label"-*.ok >"$W/crash-$label.ids" 2>/dev/null || true
  total="$(wc -l <"$W/crash-$label.ids")"
  while read -r id; do
    [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $READER" "$url/api/v1/reports/$id")" = 200 ] \
      || missing=$((missing + 1))
  done <"$W/crash-$label.ids"
  echo "  $label: $total uploads answered 2xx before the kill"
  assert_true "$label: uploads were answered before the kill ($total)" test "$total" -gt 16
  assert_eq "$label: every upload answered 2xx is in the store after kill -9 and restart" 0 "$missing"
}

crash_test pg "$A"
kill -9 "$A_PID"
wait "$A_PID" 2>/dev/null || true
start_a
wait_health "$A" 30 || _fail "replica A restarts after kill -9"
crash_check pg "$A"

# SQLite, the default store.
SQ="http://127.0.0.1:18472"
"$BULWARK" server token create --data "$W/sqlite" --role admin >/dev/null 2>&1
CI_PG="$CI" READER_PG="$READER"
CI="$("$BULWARK" server token create --data "$W/sqlite" --role ci 2>/dev/null)"
READER="$("$BULWARK" server token create --data "$W/sqlite" --role reader 2>/dev/null)"
start_s() {
  "$BULWARK" server --listen 127.0.0.1:18472 --data "$W/sqlite" --rate-limit 0 >>"$W/s.log" 2>&1 &
  S_PID=$!
}
start_s
wait_health "$SQ" 30 || e2e_fatal "the SQLite server did not start"
crash_test sqlite "$SQ"
kill -9 "$S_PID"
wait "$S_PID" 2>/dev/null || true
start_s
wait_health "$SQ" 30 || _fail "the SQLite server restarts after kill -9 (the store opens cleanly)"
crash_check sqlite "$SQ"
assert_eq "the SQLite store passes an integrity check" ok "$(sqlite3 "$W/sqlite/bulwark.db" 'PRAGMA integrity_check' 2>&1)"
CI="$CI_PG" READER="$READER_PG"

# ---- a store newer than the binary ----
kill "$A_PID" "$B_PID"
wait "$A_PID" "$B_PID" 2>/dev/null || true
A_PID="" B_PID=""
psql_ "INSERT INTO schema_version(version, applied_at) VALUES (99, 0)"
"$BULWARK" server --listen 127.0.0.1:18470 --store "$STORE" >"$W/newer.out" 2>"$W/newer.err" &
p=$!
for _ in $(seq 1 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$p" 2>/dev/null; then kill -9 "$p"; _fail "a newer schema is refused (the server kept running)"; fi
rc=0
wait "$p" 2>/dev/null || rc=$?
assert_true "a newer schema is refused (exit $rc)" test "$rc" -ne 0
assert_grep "the refusal says the schema is newer" "$W/newer.err" "schema is version 99, newer than this bulwark knows"
assert_no_grep "... without the password" "$W/newer.err" "$PW"

e2e_finish
