#!/usr/bin/env bash
# enforce_authz: `bulwark authz`, the Docker authorization plugin, in front of a REAL dockerd. A second
# dockerd is started just for this suite (own data-root, exec-root, pidfile and socket, no bridge, no
# iptables), with --authorization-plugin=bulwark-e2e-<pid>, found through a .spec file in
# /etc/docker/plugins. The machine's own dockerd (/var/run/docker.sock) is never touched.
# Shown: --privileged, the Docker socket mounted, host network and PID, and a denied registry are
# refused with bulwark's message; a plain run is allowed; the break-glass file lets a refused run
# through; with the plugin killed, dockerd refuses even a plain run (fail closed).
. "$(dirname "$0")/lib.sh"
e2e_init enforce_authz
e2e_require_root
e2e_require_cmd dockerd timeout
e2e_setup_images

NAME="bulwark-e2e-$$"
D="/tmp/bwz-$$"  # short: unix socket paths (containerd's under exec-root) must stay under 108 bytes
SPEC="/etc/docker/plugins/$NAME.spec"
SOCK="$D/plugin.sock"
DOCKER_SOCK="$D/docker.sock"
PLUGIN_PID=""
DOCKERD_PID=""

cleanup() {
  set +e
  [ -n "$PLUGIN_PID" ] && kill "$PLUGIN_PID" 2>/dev/null && wait "$PLUGIN_PID" 2>/dev/null
  if [ -n "$DOCKERD_PID" ] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
    kill "$DOCKERD_PID"
    for _ in $(seq 1 40); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$DOCKERD_PID" 2>/dev/null
    wait "$DOCKERD_PID" 2>/dev/null
  fi
  # dockerd stops the containerd it started; make sure nothing of ours is left.
  if [ -f "$D/exec/containerd/containerd.pid" ]; then
    kill -9 "$(cat "$D/exec/containerd/containerd.pid")" 2>/dev/null
  fi
  rm -f "$SPEC"
  rmdir /etc/docker/plugins 2>/dev/null
  grep -o " $D/[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m"; done
  rm -rf "$D"
}
trap cleanup EXIT

mkdir -p "$D/data" "$D/exec" /etc/docker/plugins
echo '{}' >"$D/daemon.json"
cat >"$W/policy.yaml" <<EOF
images:
  denied_registries: [evil.example.com]
break_glass_file: $D/break-glass
EOF

"$BULWARK" authz --socket "$SOCK" --policy "$W/policy.yaml" 2>"$W/authz.log" &
PLUGIN_PID=$!
for _ in $(seq 1 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || { cat "$W/authz.log" >&2; e2e_fatal "bulwark authz did not create $SOCK"; }
assert_eq "the plugin socket is root's only" 600 "$(stat -c %a "$SOCK")"
ACT="$(curl -s --max-time 5 --unix-socket "$SOCK" -X POST http://plugin/Plugin.Activate)"
assert_eq "Plugin.Activate answers the handshake" '{"Implements":["authz"]}' "$ACT"
echo "unix://$SOCK" >"$SPEC"

# In a network namespace of its own: a dockerd started with --bridge=none deletes the host's docker0
# bridge, which the main dockerd (and every later suite) needs. Unix sockets work across namespaces.
unshare --net dockerd --data-root "$D/data" --exec-root "$D/exec" --pidfile "$D/docker.pid" -H "unix://$DOCKER_SOCK" \
  --config-file "$D/daemon.json" --bridge=none --iptables=false --ip6tables=false --ip-masq=false \
  --authorization-plugin="$NAME" >"$W/dockerd.log" 2>&1 &
DOCKERD_PID=$!
dk() { timeout 90 docker -H "unix://$DOCKER_SOCK" "$@"; }
up=0
for _ in $(seq 1 120); do
  if docker -H "unix://$DOCKER_SOCK" version --format '{{.Server.Version}}' >/dev/null 2>&1; then up=1; break; fi
  kill -0 "$DOCKERD_PID" 2>/dev/null || break
  sleep 0.5
done
[ "$up" = 1 ] || { tail -20 "$W/dockerd.log" >&2; e2e_fatal "the test dockerd did not come up"; }
echo "   test dockerd up on $DOCKER_SOCK (authorization plugin $NAME)"

dk load -i "$IMG/images/debian.tar" >"$W/load.out" 2>&1 || { cat "$W/load.out" >&2; e2e_fatal "docker load into the test daemon"; }
dk tag bulwark-e2e/debian:12 evil.example.com/x:1 || e2e_fatal "docker tag"
IMAGE=bulwark-e2e/debian:12

run_docker() {  # NAME ARGS...: runs `docker run` against the test daemon; sets RC, OUT, ERR
  local name="$1"
  shift
  OUT="$W/$name.out"
  ERR="$W/$name.err"
  set +e
  dk run --rm --network none "$@" >"$OUT" 2>"$ERR"
  RC=$?
  set -e
}

run_docker plain "$IMAGE" cat /etc/debian_version
assert_rc "a plain docker run is allowed" 0
assert_grep "and really runs in the container" "$OUT" "^12\."

run_docker privileged --privileged "$IMAGE" true
assert_true "--privileged is refused" test "$RC" -ne 0
assert_grep "dockerd names bulwark's plugin and reason" "$ERR" "authorization denied by plugin $NAME: bulwark: privileged containers are refused"

run_docker sock -v /var/run/docker.sock:/var/run/docker.sock "$IMAGE" true
assert_true "mounting the Docker socket is refused" test "$RC" -ne 0
assert_grep "the reason names the socket" "$ERR" "bind mount /var/run/docker.sock:/var/run/docker.sock exposes the engine socket"

run_docker runfolder -v /run:/hostrun:ro "$IMAGE" true
assert_true "mounting the folder holding the socket is refused" test "$RC" -ne 0
assert_grep "the folder's reason" "$ERR" "exposes the engine socket"

set +e
dk run --rm --network host "$IMAGE" true >"$W/hostnet.out" 2>"$W/hostnet.err"
RC=$?
set -e
assert_true "--network host is refused" test "$RC" -ne 0
assert_grep "host network reason" "$W/hostnet.err" "NetworkMode=host"

run_docker hostpid --pid host "$IMAGE" true
assert_true "--pid host is refused" test "$RC" -ne 0
assert_grep "host PID reason" "$ERR" "PidMode=host"

run_docker evil evil.example.com/x:1 true
assert_true "an image from a denied registry is refused" test "$RC" -ne 0
assert_grep "registry reason" "$ERR" "registry evil.example.com is denied"

assert_grep "the plugin logs each denial with the request" "$W/authz.log" "denied POST /v[0-9.]+/containers/create"

# Break-glass: while the operator's file exists, a refused run goes through (and is logged). A bind
# of /run is used: a privileged container cannot start on every test machine (nested containers).
touch "$D/break-glass"
chmod 600 "$D/break-glass"
run_docker glass -v /run:/hostrun:ro "$IMAGE" true
assert_rc "with the break-glass file, the refused bind of /run runs" 0
assert_grep "the plugin logs the break-glass allow" "$W/authz.log" "allowed by break-glass"
run_docker glass_priv --privileged "$IMAGE" true
assert_no_grep "and --privileged is no longer refused by bulwark" "$ERR" "authorization denied"
chmod 666 "$D/break-glass"
run_docker glass_unsafe -v /run:/hostrun:ro "$IMAGE" true
assert_true "a world-writable break-glass file is ignored: refused" test "$RC" -ne 0
rm -f "$D/break-glass"
run_docker glass_gone -v /run:/hostrun:ro "$IMAGE" true
assert_true "without it, refused again" test "$RC" -ne 0
assert_grep "with bulwark's reason" "$ERR" "authorization denied by plugin $NAME" 

# Fail closed: the plugin is gone, dockerd refuses everything (dockerd's own behaviour; it retries
# the plugin for a while first).
kill "$PLUGIN_PID"
wait "$PLUGIN_PID" 2>/dev/null || true
PLUGIN_PID=""
t0=$SECONDS
run_docker dead "$IMAGE" true
echo "   with the plugin dead, dockerd answered after $((SECONDS - t0)) s"
assert_true "with the plugin killed, a plain run is refused" test "$RC" -ne 0
assert_grep "the client gets an error from dockerd" "$ERR" "Internal Server Error|plugin $NAME failed"
assert_grep "dockerd refused because the authorization plugin failed" "$W/dockerd.log" "AuthZRequest for .* returned error: plugin $NAME failed"
assert_no_grep "the container did not run" "$OUT" "12."
e2e_finish
