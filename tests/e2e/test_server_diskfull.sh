#!/usr/bin/env bash
# The server's data folder on a small file system that fills up (issue 14): a real `bulwark server`
# (127.0.0.1:18550) with --data on an 8 MiB tmpfs, a filler file taking most of it, then uploads of
# real-sized reports (600 packages each) until the disk is full. Checked:
#   - a refused upload gets 507 with a JSON error naming the full disk (never a 500, no crash),
#     and nothing of it is stored; every other answer is 201; the server stays up (/healthz 200);
#   - the store passes `PRAGMA integrity_check` while full and after;
#   - once the filler is deleted, the refused upload succeeds and is readable;
#   - `bulwark server retention` (server stopped; on a store with room) lists, then deletes the
#     images the rule lets go, and the file shrinks.
# Needs root (mount), curl, jq, sqlite3. The tmpfs is unmounted on exit.
. "$(dirname "$0")/lib.sh"
e2e_init server_diskfull
e2e_require_root
e2e_require_cmd curl jq sqlite3 mount umount

PORT=18550
URL="http://127.0.0.1:$PORT"
MNT="$W/small"
mkdir -p "$MNT"
SERVER_PID=""
cleanup() {
  [ -z "$SERVER_PID" ] || { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; }
  mountpoint -q "$MNT" && umount "$MNT"
  return 0
}
trap cleanup EXIT
mount -t tmpfs -o size=8m,mode=0700 bulwark-e2e-diskfull "$MNT" || e2e_missing "cannot mount a tmpfs on $MNT"
DATA="$MNT/data"

start_server() {
  "$BULWARK" server --listen "127.0.0.1:$PORT" --data "$DATA" >>"$W/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do curl -fsS "$URL/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
}
stop_server() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; }
start_server
CI="$("$BULWARK" server token create --data "$DATA" --role ci 2>/dev/null | tail -1)"
READER="$("$BULWARK" server token create --data "$DATA" --role reader 2>/dev/null | tail -1)"

doc() {  # N: an image report of reg.example/app:N with 600 packages and as many findings
  jq -n --argjson n "$1" '
    def hex: "sha256:" + ("0" * (64 - ($n | tostring | length))) + ($n | tostring);
    [range(600) | "lib-\(.)-" + ("p" * 48)] as $pk |
    {schema: "bulwark/v1", tool: {name: "bulwark", version: "e2e"},
     targets: [{kind: "image", name: "reg.example/app:\($n)", id: ($n | hex),
                os: {id: "debian", version_id: "12"}, image: {repo_tags: ["reg.example/app:\($n)"]},
                packages: [$pk[] | {name: ., version: "1.0-\($n)", ecosystem: "deb"}]}],
     findings: [$pk[] | {id: "CVE-2026-\(.[4:8])", severity: "high", status: "fail", practice: "vulnerability-scan",
                package: {name: ., version: "1.0-\($n)", ecosystem: "deb"},
                vulnerability: {id: "CVE-2026-\(.[4:8])", fixed_version: "1.1"}}]}'
}
upload() {  # FILE -> prints the HTTP status; the body in $W/last.json
  curl -sS -o "$W/last.json" -w '%{http_code}' -H "Authorization: Bearer $CI" -H 'Content-Type: application/json' \
    --data-binary @"$1" "$URL/api/v1/reports"
}
integrity() { sqlite3 "file:$DATA/bulwark.db?mode=ro" 'PRAGMA integrity_check' 2>&1 | head -3; }

for n in 1 2; do doc "$n" >"$W/doc$n.json"; assert_eq "upload $n with room to spare" 201 "$(upload "$W/doc$n.json")"; done
# A filler takes all but ~1.5 MiB.
FREE_KB="$(df -k --output=avail "$MNT" | tail -1 | tr -d ' ')"
dd if=/dev/zero of="$MNT/filler" bs=1K count=$((FREE_KB - 1536)) status=none 2>/dev/null || true
echo "   tmpfs: $(df -k --output=avail "$MNT" | tail -1 | tr -d ' ') KiB free after the filler"

STATUSES="" REFUSED=""
for n in $(seq 3 40); do
  doc "$n" >"$W/doc.json"
  s="$(upload "$W/doc.json")"
  STATUSES="$STATUSES $s"
  if [ "$s" != 201 ]; then REFUSED="$n"; cp "$W/last.json" "$W/refused.json"; cp "$W/doc.json" "$W/refused-doc.json"; break; fi
done
echo "   statuses:$STATUSES"
assert_true "the disk filled up and an upload was refused" test -n "$REFUSED"
assert_eq "the refused upload's status" 507 "$(echo "$STATUSES" | awk '{print $NF}')"
assert_json "a JSON error naming the full disk" "$W/refused.json" \
  '.error.code == "insufficient_storage" and (.error.message | test("disk is full"))'
assert_no_grep "no 500 among the answers" <(echo "$STATUSES") "500"
assert_eq "the server is up (/healthz)" 200 "$(curl -sS -o /dev/null -w '%{http_code}' "$URL/healthz")"
assert_true "the server process is alive" kill -0 "$SERVER_PID"
REFUSED_ID="sha256:$(printf '%064d' "$REFUSED")"
assert_eq "nothing of the refused upload is stored" 404 \
  "$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $READER" "$URL/api/v1/images/$REFUSED_ID")"
assert_eq "integrity_check while full" ok "$(integrity)"
assert_eq "a second try while full is refused the same way" 507 "$(upload "$W/refused-doc.json")"

rm -f "$MNT/filler"
echo "   filler deleted: $(df -k --output=avail "$MNT" | tail -1 | tr -d ' ') KiB free; $(ls -s "$DATA" | tr '\n' ' ')"
assert_eq "after freeing space the refused upload succeeds" 201 "$(upload "$W/refused-doc.json")"
curl -sS -H "Authorization: Bearer $READER" "$URL/api/v1/images/$REFUSED_ID" >"$W/img.json"
assert_json "and is readable with its packages" "$W/img.json" '.packages == 600'
echo "   after the upload: $(df -k --output=avail "$MNT" | tail -1 | tr -d ' ') KiB free; $(ls -s "$DATA" | tr '\n' ' ')"
STORED="$(curl -sS -H "Authorization: Bearer $READER" "$URL/api/v1/store" | jq .rows.targets)"
stop_server
assert_eq "integrity_check after" ok "$(integrity)"

# Retention from the command line on a store with room (on the full tmpfs the write-ahead log holds
# the space a checkpoint needs; see docs/server.md): the server stopped, a dry run, then the run.
DATA="$W/plain"
start_server
CI="$("$BULWARK" server token create --data "$DATA" --role ci 2>/dev/null | tail -1)"
for n in 1 2 3 4 5; do doc "$n" >"$W/doc.json"; upload "$W/doc.json" >/dev/null; done
stop_server
BEFORE="$(stat -c %s "$DATA/bulwark.db")"
run_bulwark retention-dry server retention --data "$DATA" --retain-digests 2 --dry-run
assert_rc "bulwark server retention --dry-run" 0
assert_json "the dry run names the three oldest" "$OUT" \
  '.dry_run and .deleted == 3 and ([.images[].id] == ["sha256:\("0" * 63)1", "sha256:\("0" * 63)2", "sha256:\("0" * 63)3"])'
assert_eq "... and deletes nothing" "$BEFORE" "$(stat -c %s "$DATA/bulwark.db")"
run_bulwark retention server retention --data "$DATA" --retain-digests 2
assert_rc "bulwark server retention" 0
assert_json "it deleted all but the newest two images" "$OUT" '.deleted == 3 and .kept == 2 and .rows.packages == 1800'
AFTER="$(stat -c %s "$DATA/bulwark.db")"
echo "   store file: $BEFORE -> $AFTER bytes"
assert_true "the store file shrank" test "$AFTER" -lt "$BEFORE"
assert_eq "integrity_check after retention" ok "$(integrity)"
e2e_finish
