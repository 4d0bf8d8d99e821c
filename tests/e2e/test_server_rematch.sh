#!/usr/bin/env bash
# The server's continuous re-matching end to end: a real `bulwark server` on 127.0.0.1:18400 (own data
# folder), the real scan of the e2e image bulwark-e2e/app:1 uploaded with `bulwark push` while the
# server's advisory database is empty (no findings), a real container of that image on dockerd reported
# by an inventory document (agent token), then advisories for Debian 12's curl carrying the real
# DSA-5365-1 ids (from the shared Debian tracker list):
#   - POST /api/v1/db/import (admin; a reader is refused): event "new" for curl's packages only, and
#     /api/v1/vulnerabilities/{CVE,DSA}/affected answers with the image, the host and the container;
#   - `bulwark server db import` (the CLI, server stopped) with a fix version: "fixed-upstream";
#   - withdrawn, over HTTP: "withdrawn", nothing affected; counters in /metrics and GET /api/v1/db.
# Needs dockerd, bulwark-e2e/app:1 and its docker-archive (tests/e2e/setup-images.sh), curl, jq.
. "$(dirname "$0")/lib.sh"
e2e_init server_rematch
e2e_require_cmd curl jq
e2e_require_docker
APP_TAR="$BULWARK_E2E_CACHE/images/app.tar"
[ -f "$APP_TAR" ] || e2e_missing "$APP_TAR (tests/e2e/setup-images.sh)"
docker image inspect bulwark-e2e/app:1 >/dev/null 2>&1 || e2e_missing "bulwark-e2e/app:1 (tests/e2e/setup-images.sh)"
DSA_LIST="$BULWARK_SHARED_DIR/data/advisories/debian-security-tracker/DSA.list"
[ -f "$DSA_LIST" ] || e2e_missing "the shared Debian tracker list $DSA_LIST"

PORT=18400
URL="http://127.0.0.1:$PORT"
DATA="$W/server-data"
rm -rf "$DATA"; mkdir -p "$DATA"
SERVER_PID="" CID=""
cleanup() {
  [ -z "$SERVER_PID" ] || { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; }
  [ -z "$CID" ] || docker rm -f "$CID" >/dev/null 2>&1 || true
}
trap cleanup EXIT

run_bulwark badinterval server --data "$DATA" --db-update-interval soon
assert_rc "a malformed --db-update-interval is refused" 2
assert_grep "naming the flag" "$ERR" "db-update-interval"

start_server() {
  "$BULWARK" server --listen "127.0.0.1:$PORT" --data "$DATA" --db-update-interval 6h >>"$W/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do curl -fsS "$URL/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
}
stop_server() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; }
start_server
token() { "$BULWARK" server token create --data "$DATA" "$@" 2>/dev/null | tail -1; }
ADMIN="$(token --role admin)"; READER="$(token --role reader)"; AGENT="$(token --role agent --host e2e-node)"
api() { curl -sS -H "Authorization: Bearer $READER" "$URL$1"; }

# The SBOM of the image (`bulwark sbom`: packages, no advisory database anywhere).
run_bulwark scan sbom "docker-archive:$APP_TAR" --format json -o "$W/app.json"
assert_rc "scan of bulwark-e2e/app:1" 0
IMAGE_ID="$(jq -r '.targets[0].id' "$W/app.json")"
CURL_ROWS="$(jq '[.targets[0].packages[] | select((.source // .name) == "curl")] | length' "$W/app.json")"
assert_true "the SBOM has curl's packages (curl, libcurl4)" test "$CURL_ROWS" -ge 2
BULWARK_TOKEN="$ADMIN" run_bulwark push push "$W/app.json" --server "$URL"  # token from the environment: never in the log
assert_rc "bulwark push" 0
api "/api/v1/images/$IMAGE_ID" >"$W/img0.json"
assert_json "no findings while the database is empty" "$W/img0.json" '.vulnerabilities == 0 and .packages > 50'

CID="$(docker run -d --network none --label bulwark-e2e-server-rematch=$$ bulwark-e2e/app:1 sleep 600)"
jq -n --arg cid "$CID" --arg img "$IMAGE_ID" '{schema: "bulwark/v1", report: "inventory",
  host: {name: "e2e-node", engine: "docker"}, images: [{id: $img, repo_tags: ["bulwark-e2e/app:1"]}],
  containers: [{id: $cid, name: "rematch-web", image: "bulwark-e2e/app:1", image_id: $img, state: "running"}]}' \
  >"$W/inventory.json"
assert_eq "the inventory is accepted (agent token)" 201 \
  "$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $AGENT" -H 'Content-Type: application/json' \
    --data-binary @"$W/inventory.json" "$URL/api/v1/reports")"

CVE="$(grep -A1 ' DSA-5365-1 ' "$DSA_LIST" | tail -1 | tr -d '\t{}')"
assert_eq "DSA-5365-1's CVE from the tracker list" "CVE-2023-23916" "$CVE"
VER="$(jq -r '[.targets[0].packages[] | select(.name == "curl")][0] | (.source_version // .version)' "$W/app.json")"
osv() {  # MODIFIED EVENTS-JSON [WITHDRAWN]
  jq -n --arg cve "$CVE" --arg m "$1" --argjson ev "$2" --arg w "${3:-}" '{schema_version: "1.6.0", id: "DSA-5365-1",
    aliases: [$cve], modified: $m, summary: "curl - security update",
    affected: [{package: {ecosystem: "Debian:12", name: "curl"}, ranges: [{type: "ECOSYSTEM", events: $ev}]}]}
    + (if $w == "" then {} else {withdrawn: $w} end)'
}
osv 2023-02-27T00:00:00Z '[{"introduced":"0"}]' >"$W/adv1.json"
assert_eq "a reader cannot import" 403 \
  "$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $READER" --data-binary @"$W/adv1.json" "$URL/api/v1/db/import")"
curl -sS -H "Authorization: Bearer $ADMIN" --data-binary @"$W/adv1.json" "$URL/api/v1/db/import?name=DSA-5365-1.json" >"$W/imp1.json"
assert_json "import: only curl's rows re-matched, each a new finding" "$W/imp1.json" \
  ".rematch.packages == $CURL_ROWS and .rematch.new == $CURL_ROWS"
for id in "$CVE" DSA-5365-1; do
  api "/api/v1/vulnerabilities/$id/affected" >"$W/aff-$id.json"
  assert_json "affected by $id: the image, e2e-node and the running container" "$W/aff-$id.json" \
    "(.images | map(.id) == [\"$IMAGE_ID\"]) and .hosts == [\"e2e-node\"] and (.containers | map(.id) == [\"$CID\"])"
done
api "/api/v1/events?kind=new" >"$W/ev-new.json"
assert_json "events: new" "$W/ev-new.json" "[.items[] | select(.vulnerability == \"$CVE\")] | length == $CURL_ROWS"

osv 2023-03-01T00:00:00Z "[{\"introduced\":\"0\"},{\"fixed\":\"$VER+fix1\"}]" >"$W/adv2.json"
# The CLI works on the data folder directly: with the server stopped (docs/server.md).
stop_server
run_bulwark dbimport server db import --data "$DATA" "$W/adv2.json"
assert_rc "bulwark server db import" 0
start_server
assert_json "the CLI's answer: fixed upstream" "$OUT" ".rematch.fixed == $CURL_ROWS"
api "/api/v1/events?kind=fixed-upstream" >"$W/ev-fixed.json"
assert_json "events: fixed-upstream, through the API" "$W/ev-fixed.json" ".items | length == $CURL_ROWS"
api "/api/v1/images/$IMAGE_ID" >"$W/img2.json"
assert_json "the findings keep first_seen and carry the fix" "$W/img2.json" \
  "[.findings[] | select(.origin == \"server\") | .fixed_version == \"$VER+fix1\" and .first_seen <= .last_seen] | length == $CURL_ROWS and all"

osv 2023-03-02T00:00:00Z "[{\"introduced\":\"0\"},{\"fixed\":\"$VER+fix1\"}]" 2023-03-02T00:00:00Z >"$W/adv3.json"
curl -sS -H "Authorization: Bearer $ADMIN" --data-binary @"$W/adv3.json" "$URL/api/v1/db/import" >"$W/imp3.json"
assert_json "withdrawn" "$W/imp3.json" ".rematch.withdrawn == $CURL_ROWS"
api "/api/v1/vulnerabilities/$CVE/affected" >"$W/aff-after.json"
assert_json "nothing affected after the withdrawal" "$W/aff-after.json" '.images == [] and .containers == []'
api /api/v1/db >"$W/db.json"
assert_json "GET /api/v1/db: the database and the last re-match" "$W/db.json" \
  '.advisories == 1 and .rematch.running == false and .rematch.last.trigger == "import"'
curl -sS -H "Authorization: Bearer $READER" "$URL/metrics" >"$W/metrics.txt"
assert_grep "/metrics: re-match counters" "$W/metrics.txt" '^bulwark_rematch_events_total\{kind="withdrawn"\} [1-9]'
e2e_finish
