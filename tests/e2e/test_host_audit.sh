#!/usr/bin/env bash
# `bulwark host` against a real dockerd and real containers, each configured to fail specific CIS
# Docker Benchmark checks, and one hardened container that passes them. The expected verdict per
# check per container is written below. Also: offline roots (--root), an unreachable daemon, a
# socket the user may not open, and a malformed daemon.json.
# Privileged containers cannot start on this machine (a capability is missing from the host's
# bounding set); the unit tests cover them with an inspect document recorded from a real daemon.
. "$(dirname "$0")/lib.sh"
e2e_init host_audit
e2e_require_root
e2e_require_cmd jq setpriv
e2e_require_docker

BASE=bulwark-e2e/debian:12
if ! docker image inspect "$BASE" >/dev/null 2>&1; then
  e2e_setup_images
fi
docker image inspect "$BASE" >/dev/null 2>&1 || e2e_fatal "the lab image $BASE is missing"

P="bwh-$$"
HARD_IMG="bulwark-e2e/host-hardened:$$"
cleanup() {
  docker ps -aq --filter "label=bulwark-e2e-host=$$" | xargs -r docker rm -f >/dev/null 2>&1 || true
  docker network rm "$P-net" >/dev/null 2>&1 || true
  docker image rm -f "$HARD_IMG" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# The hardened image: a non-root user and a HEALTHCHECK (built offline from the lab image).
mkdir -p "$W/hardened"
cat >"$W/hardened/Dockerfile" <<DOCKERFILE
FROM $BASE
USER 1000:1000
HEALTHCHECK --interval=5s CMD ["/bin/true"]
DOCKERFILE
DOCKER_BUILDKIT=0 docker build -q -t "$HARD_IMG" "$W/hardened" >/dev/null || e2e_fatal "docker build of the hardened image failed"
docker network create "$P-net" >/dev/null

L=(--label "bulwark-e2e-host=$$")
run() {  # NAME ARGS... : a container running sleep
  local name="$1"; shift
  docker run -d --name "$P-$name" "${L[@]}" "$@" >/dev/null || e2e_fatal "docker run $name failed: $*"
}
run sock -v /var/run/docker.sock:/var/run/docker.sock "$BASE" sleep 600
run hostns --network host --pid host "$BASE" sleep 600
run sysadmin --cap-add SYS_ADMIN "$BASE" sleep 600
run unconfined --security-opt seccomp=unconfined "$BASE" sleep 600
run default --restart always "$BASE" sleep 600
run ports -p 127.0.0.1:1023:80 -p 38443:443 "$BASE" sleep 600
run sshd "$BASE" sh -c 'cp /bin/sleep /tmp/sshd && exec /tmp/sshd 600'
run etc -v /etc:/host-etc "$BASE" sleep 600
run hardened --read-only --memory 64m --cpu-shares 512 --pids-limit 64 --cap-drop ALL \
  --security-opt no-new-privileges --restart on-failure:3 --network "$P-net" "$HARD_IMG" sleep 600
# Shared propagation needs a shared mount on the host; the Docker root is one here.
PROPAGATION=0
if docker run -d --name "$P-rshared" "${L[@]}" \
  --mount type=bind,source=/var/lib/docker/tmp,target=/shared,bind-propagation=rshared,readonly \
  "$BASE" sleep 600 >/dev/null 2>&1; then
  PROPAGATION=1
else
  echo "   note: no shared host mount for bind-propagation=rshared; 5.20 is covered by unit tests only"
fi
sleep 1

run_bulwark live host --format json --include-passed --stats
assert_rc "live audit" 0
J="$OUT"
assert_json "JSON: schema and score" "$J" '.schema == "bulwark/v1" and (.score.percent | type == "number")'
assert_json "JSON: host and daemon targets" "$J" \
  '([.targets[].kind] | index("host") != null and index("daemon") != null)'

# verdict CONTAINER CHECK STATUS: the status of a check for one of our containers.
verdict() {
  local c="$P-$1" id="$2" want="$3" got
  got="$(jq -r --arg c "$c" --arg id "$id" \
    '[.findings[] | select(.target.kind == "container" and .target.name == $c and .id == $id) | .status] | first // "absent"' "$J")"
  assert_eq "$1 $id" "$want" "$got"
}
C=BLWK-CIS
# The expected verdicts, container by container.
verdict sock "$C-5.32" fail
verdict sock "$C-5.6" pass
verdict hostns "$C-5.10" fail
verdict hostns "$C-5.16" fail
verdict hostns "$C-5.17" pass
verdict hostns BLWK-PROC-004 fail
verdict sysadmin "$C-5.4" fail
verdict sysadmin BLWK-PROC-001 fail
verdict unconfined "$C-5.22" fail
verdict unconfined BLWK-PROC-003 fail
verdict default "$C-5.11" fail
verdict default "$C-5.12" fail
verdict default "$C-5.13" fail
verdict default "$C-5.15" fail
verdict default "$C-5.26" fail
verdict default "$C-5.29" fail
verdict default "$C-5.30" fail
verdict default "$C-5.4" warn
verdict default "$C-5.22" pass
verdict default "$C-5.10" pass
verdict default BLWK-PROC-002 fail
verdict default BLWK-PROC-003 pass
verdict default BLWK-PROC-004 pass
verdict default BLWK-PROC-005 fail
verdict ports "$C-5.8" fail
verdict ports "$C-5.14" fail
verdict sshd "$C-5.7" fail
verdict default "$C-5.7" pass
verdict etc "$C-5.6" fail
[ "$PROPAGATION" = 1 ] && verdict rshared "$C-5.20" fail
verdict default "$C-5.20" pass
for id in 5.4 5.5 5.6 5.7 5.8 5.10 5.11 5.12 5.13 5.14 5.15 5.16 5.17 5.18 5.20 5.21 5.22 5.25 5.26 5.27 5.29 5.30 5.31 5.32; do
  verdict hardened "$C-$id" pass
done
for id in BLWK-PROC-001 BLWK-PROC-002 BLWK-PROC-003 BLWK-PROC-004 BLWK-PROC-005; do
  verdict hardened "$id" pass
done

# Images: the lab image runs as root without a HEALTHCHECK; the hardened one passes both.
img() {
  local name="$1" id="$2" want="$3" got
  got="$(jq -r --arg n "$name" --arg id "$id" \
    '[.findings[] | select(.target.kind == "image" and .target.name == $n and .id == $id) | .status] | first // "absent"' "$J")"
  assert_eq "image $name $id" "$want" "$got"
}
img "$BASE" "$C-4.1" fail
img "$BASE" "$C-4.6" fail
img "$HARD_IMG" "$C-4.1" pass
img "$HARD_IMG" "$C-4.6" pass

# Every finding carries its CIS id and the target with a container id.
assert_json "every CIS finding has a cis-docker standard" "$J" \
  '[.findings[] | select(.id | startswith("BLWK-CIS-")) | (.standards // []) | map(.name) | index("cis-docker") != null] | all'
assert_json "container targets carry the 64-hex id" "$J" \
  '[.findings[] | select(.target.kind == "container") | .target.id | test("^[0-9a-f]{64}$")] | all'
assert_grep "stats on stderr" "$ERR" 'Engine API requests'
SCHEMA_NODE="${BULWARK_SCHEMA_NODE:-$BULWARK_SOURCE_DIR/build/schema-node}"
if command -v node >/dev/null && [ -d "$SCHEMA_NODE/node_modules" ]; then
  assert_true "JSON validates against bulwark-v1.schema.json" \
    env BULWARK_SCHEMA_NODE="$SCHEMA_NODE" node "$BULWARK_SOURCE_DIR/tests/schema/validate.mjs" bulwark "$J"
else
  echo "   note: schema packages not installed ($SCHEMA_NODE; tests/schema/setup.sh); schema check not run"
fi

# The table: grouped by section, with a score line.
run_bulwark table host
assert_rc "table" 0
assert_grep "table: section 5" "$OUT" '^5 Container runtime'
assert_grep "table: score" "$OUT" '^Score: [0-9.]+%'
assert_grep "table names a failing container" "$OUT" "container $P-sock"

run_bulwark sarif host --format sarif
assert_rc "sarif" 0
assert_json "sarif: a run with host rules and a failing 5.32 result for the socket container" "$OUT" \
  '.version == "2.1.0" and ([.runs[0].results[] | select(.ruleId == "BLWK-CIS-5.32")] | length >= 1)'

run_bulwark level1 host --level 1 --format json --include-passed
assert_json "--level 1 drops level-2 checks" "$OUT" '[.findings[] | select(.id == "BLWK-CIS-5.30" or .id == "BLWK-CIS-2.9")] | length == 0'

run_bulwark exitcode host --exit-code 7
assert_rc "--exit-code 7 with failures" 7

# Daemon unreachable: a clear message, exit 4, the host checks still reported.
run_bulwark unreachable host --docker-host unix:///nonexistent/docker.sock --format json --include-passed
assert_rc "unreachable daemon" 4
assert_grep "unreachable: message" "$ERR" 'cannot reach the Docker engine: /nonexistent/docker.sock does not exist'
assert_json "unreachable: host checks still ran" "$OUT" '[.findings[] | select(.id == "BLWK-CIS-1.1.1")] | length == 1'
# /proc still shows every containerised process, daemon or not (named by container id).
SOCK_ID="$(docker inspect -f '{{.Id}}' "$P-sock")"
assert_json "unreachable: /proc posture of the running containers still reported" "$OUT" \
  "[.findings[] | select(.target.id == \"$SOCK_ID\" and .id == \"BLWK-PROC-005\") | .status] == [\"fail\"]"

# Permission denied on the socket (an unprivileged user): the same, with the reason.
cp "$BULWARK" "$W/bulwark-copy" && chmod 755 "$W/bulwark-copy"
set +e
(cd / && setpriv --reuid=65534 --regid=65534 --clear-groups "$W/bulwark-copy" host --format json \
  >"$W/denied.out" 2>"$W/denied.err")
RC=$?
set -e
ERR="$W/denied.err"
assert_rc "permission denied on the socket" 4
assert_grep "denied: message says permission denied" "$W/denied.err" 'permission denied on /var/run/docker.sock'
assert_json "denied: host checks still ran" "$W/denied.out" '[.findings[] | .id] | length > 10'

# Offline roots: a malformed daemon.json is named, exit 3, the other checks still run.
R="$W/root-bad"
mkdir -p "$R/etc/docker" "$R/lib/systemd/system"
printf '{"icc": false,\n "log-level": }\n' >"$R/etc/docker/daemon.json"
printf '[Service]\n' >"$R/lib/systemd/system/docker.service"
chmod 0570 "$R/lib/systemd/system/docker.service"
run_bulwark malformed host --root "$R" --format json --include-passed
assert_rc "malformed daemon.json" 3
assert_grep "malformed: names the file and the problem" "$ERR" 'daemon.json.*invalid JSON'
assert_json "malformed: 3.2 still ran (0570 fails: bits, not decimals)" "$OUT" \
  '[.findings[] | select(.id == "BLWK-CIS-3.2") | .status] == ["fail"]'
assert_json "malformed: 2.2 skipped with the reason" "$OUT" \
  '[.findings[] | select(.id == "BLWK-CIS-2.2") | .evidence | test("could not be read")] == [true]'

# An offline root that passes: daemon.json and unit files as the benchmark wants.
R="$W/root-good"
mkdir -p "$R/etc/docker" "$R/lib/systemd/system" "$R/etc/audit/rules.d"
cat >"$R/etc/docker/daemon.json" <<'JSON'
{"icc": false, "userns-remap": "default", "live-restore": true, "userland-proxy": false,
 "no-new-privileges": true, "log-driver": "syslog", "authorization-plugins": ["authz"]}
JSON
chmod 0644 "$R/etc/docker/daemon.json"; chmod 0755 "$R/etc/docker"
printf '[Service]\n' >"$R/lib/systemd/system/docker.service"; chmod 0644 "$R/lib/systemd/system/docker.service"
printf -- '-w /etc/docker -k docker\n' >"$R/etc/audit/rules.d/docker.rules"
printf 'UUID=1 / ext4 defaults 0 1\nUUID=2 /var/lib/docker xfs defaults 0 2\n' >"$R/etc/fstab"
run_bulwark offline-good host --root "$R" --format json --include-passed
assert_rc "offline good root" 0
for id in 1.1.1 1.1.6 2.2 2.9 2.12 2.13 2.14 2.15 2.16 3.1 3.2 3.5 3.6 3.17 3.18; do
  got="$(jq -r --arg id "BLWK-CIS-$id" '[.findings[] | select(.id == $id) | .status] | first // "absent"' "$OUT")"
  assert_eq "offline good root $id" pass "$got"
done
assert_json "offline: no container or image targets" "$OUT" '[.targets[].kind] | (index("container") == null and index("image") == null)'

# Nothing from the scanned daemon.json's secrets leaks.
R="$W/root-secret"
mkdir -p "$R/etc/docker"
printf '{"insecure-registries": ["http://admin:TopSecret99@reg.example:5000"], "log-opts": {"splunk-token": "TopSecret98"}}\n' \
  >"$R/etc/docker/daemon.json"
run_bulwark secret host --root "$R" --format json --include-passed
assert_no_grep "credentials are redacted" "$OUT" "TopSecret99"
assert_no_grep "tokens are redacted" "$OUT" "TopSecret98"

e2e_finish
