#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: Debian's postgresql (initdb + pg_ctl), run as the
# `postgres` user when we are root, in a temporary folder, listening on 127.0.0.1 only.
#
#   pg.sh start DIR PORT   make and start a cluster in DIR (must not exist); prints the store URL
#   pg.sh stop DIR         stop it (fast shutdown)
#   pg.sh restart DIR      start it again after a stop (same port, same data)
#   pg.sh remove DIR       stop it and delete DIR
#   pg.sh run PORT -- CMD  start a cluster, run CMD with BULWARK_TEST_PG_URL set, then remove it;
#                          exits with CMD's status
#   pg.sh psql DIR SQL     run SQL as the superuser, unaligned output without headers
#
# The store's role `bulwark` logs in with a random password over TCP (scram-sha-256), so the tests
# also see that bulwark never prints it. When PostgreSQL is not installed the script exits 77
# (skip) unless BULWARK_E2E_REQUIRED=1 (CI), then 1.
set -euo pipefail

PG_BIN="${BULWARK_PG_BIN:-}"
if [ -z "$PG_BIN" ]; then
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && PG_BIN="$d"; done
fi
pg_missing() {
  if [ "${BULWARK_E2E_REQUIRED:-}" = 1 ]; then
    echo "FAIL: required component missing: PostgreSQL ($*); scripts/install-deps.sh installs it" >&2
    exit 1
  fi
  echo "SKIP: PostgreSQL is not available ($*); set BULWARK_E2E_REQUIRED=1 to make this a failure" >&2
  exit 77
}

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_check() {
  [ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] || pg_missing "no initdb under /usr/lib/postgresql/*/bin"
  if [ "$(id -u)" -eq 0 ]; then id postgres >/dev/null 2>&1 || pg_missing "no postgres user"; fi
}

pg_start() {
  local dir="$1" port="$2"
  pg_check
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
  chmod 700 "$dir"
  local pw
  pw="$(head -c 18 /dev/urandom | base64 | tr -d '/+=' | head -c 20)"
  printf '%s' "$port" >"$dir/port"
  # --no-locale: byte order for text, as SQLite compares.
  as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    --no-locale -E UTF8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
  as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgresql.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=on -c max_connections=60" start >/dev/null \
    || { cat "$dir/postgresql.log" >&2; return 1; }
  as_pg "$PG_BIN/psql" -h "$dir" -p "$port" -U postgres -d postgres -qAt -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE bulwark LOGIN PASSWORD '$pw'" -c "CREATE DATABASE bulwark OWNER bulwark" >/dev/null
  printf 'postgresql://bulwark:%s@127.0.0.1:%s/bulwark\n' "$pw" "$port" >"$dir/url"
  cat "$dir/url"
}

pg_stop() {
  local dir="$1"
  [ -d "$dir/data" ] || return 0
  as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
}

pg_restart() {
  local dir="$1"
  as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgresql.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $(cat "$dir/port") -k $dir -c max_connections=60" start >/dev/null
}

pg_psql() {
  local dir="$1"
  shift
  as_pg "$PG_BIN/psql" -h "$dir" -p "$(cat "$dir/port")" -U postgres -d bulwark -qAt -v ON_ERROR_STOP=1 -c "$*"
}

cmd="${1:-}"
shift || true
case "$cmd" in
  start) pg_start "$1" "$2" ;;
  stop) pg_stop "$1" ;;
  restart) pg_restart "$1" ;;
  remove)
    pg_stop "$1"
    rm -rf "$1"
    ;;
  psql) pg_psql "$@" ;;
  run)
    port="$1"
    shift
    [ "${1:-}" = "--" ] && shift
    pg_check
    dir="$(mktemp -d /tmp/bulwark-pg-XXXXXX)"
    trap 'pg_stop "$dir"; rm -rf "$dir"' EXIT
    url="$(pg_start "$dir" "$port")" || exit 1
    rc=0
    BULWARK_TEST_PG_URL="$url" "$@" || rc=$?
    exit "$rc"
    ;;
  *)
    sed -n '2,16p' "$0" >&2
    exit 2
    ;;
esac
