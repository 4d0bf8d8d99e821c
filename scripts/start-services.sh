#!/usr/bin/env bash
# Starts what the end-to-end tests need, if not already running:
#   - dockerd (the Docker engine) on /var/run/docker.sock, with the OCI runtime
#     `bulwark-capfit` (tests/e2e/capfit-runc: runc that drops the capabilities this
#     host cannot grant, so `docker run --privileged` works where the bounding set is short)
#   - tracefs on /sys/kernel/tracing (the monitor's per-syscall tracepoints)
#   - a docker-registry on 127.0.0.1:5000 with htpasswd auth (user/password in
#     $BULWARK_E2E_STATE/registry/creds, made up here for tests only)
# Needs root. Idempotent.
set -euo pipefail
STATE="${BULWARK_E2E_STATE:-/tmp/bulwark-e2e-services}"
mkdir -p "$STATE"

CAPFIT="$(cd "$(dirname "$0")/.." && pwd)/tests/e2e/capfit-runc"
if ! curl -sf --unix-socket /var/run/docker.sock http://localhost/_ping >/dev/null 2>&1; then
  echo "start-services: starting dockerd"
  nohup dockerd --add-runtime "bulwark-capfit=$CAPFIT" >"$STATE/dockerd.log" 2>&1 &
  for _ in $(seq 1 60); do
    curl -sf --unix-socket /var/run/docker.sock http://localhost/_ping >/dev/null 2>&1 && break
    sleep 1
  done
fi
curl -sf --unix-socket /var/run/docker.sock http://localhost/_ping >/dev/null || {
  echo "start-services: dockerd did not come up; log:"; tail -20 "$STATE/dockerd.log"; exit 1; }
echo "start-services: dockerd is up"
if ! docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q '"bulwark-capfit"'; then
  echo "start-services: note: this dockerd was started elsewhere without the bulwark-capfit runtime;"
  echo "  the privileged e2e scenario needs it (dockerd --add-runtime bulwark-capfit=$CAPFIT)"
fi

# tracefs: `bulwark monitor` hooks per-syscall tracepoints by default, and they live there.
# systemd hosts mount it at boot; a bare VM or container may not.
if [ ! -d /sys/kernel/tracing/events ]; then
  mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null &&
    echo "start-services: mounted tracefs on /sys/kernel/tracing" ||
    echo "start-services: note: tracefs could not be mounted; the monitor will use its raw syscall hooks"
fi

REG="$STATE/registry"
mkdir -p "$REG/data"
if [ ! -f "$REG/creds" ]; then
  user="bulwark-e2e"
  pass="$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20)"
  htpasswd -Bbn "$user" "$pass" >"$REG/htpasswd"
  printf '%s:%s\n' "$user" "$pass" >"$REG/creds"
  chmod 600 "$REG/creds"
fi
cat >"$REG/config.yml" <<CFG
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $REG/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:5000
auth:
  htpasswd:
    realm: bulwark-e2e
    path: $REG/htpasswd
CFG
if ! curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:5000/v2/ 2>/dev/null | grep -q 401; then
  echo "start-services: starting docker-registry on 127.0.0.1:5000"
  nohup docker-registry serve "$REG/config.yml" >"$REG/registry.log" 2>&1 &
  for _ in $(seq 1 30); do
    curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:5000/v2/ 2>/dev/null | grep -q 401 && break
    sleep 1
  done
fi
curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:5000/v2/ | grep -q 401 || {
  echo "start-services: registry did not come up; log:"; tail -20 "$REG/registry.log"; exit 1; }
echo "start-services: registry is up on 127.0.0.1:5000 (htpasswd auth)"
