#!/usr/bin/env bash
# Starts PostgreSQL and Redis on loopback with their own data directories and ports,
# for the database tier of the tests. Idempotent: a running instance is reused.
# Usage: source .ci/services.sh   (exports TEST_DATABASE_URL and TEST_REDIS_URL)
set -euo pipefail

CI_STATE_DIR=${CI_STATE_DIR:-/tmp/payrixa-ci}
PG_PORT=${PG_PORT:-55432}
REDIS_PORT=${REDIS_PORT:-56379}
mkdir -p "$CI_STATE_DIR"

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$pg_bin" ]; then
  echo "PostgreSQL is not installed (apt-get install postgresql)" >&2
  return 1 2>/dev/null || exit 1
fi

# PostgreSQL refuses to run as root: use the postgres system user when we are root.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pgdata="$CI_STATE_DIR/pgdata"
if ! as_pg "$pg_bin/pg_isready" -h 127.0.0.1 -p "$PG_PORT" -q 2>/dev/null; then
  if [ ! -f "$pgdata/PG_VERSION" ]; then
    mkdir -p "$pgdata"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$CI_STATE_DIR" "$pgdata"
    as_pg "$pg_bin/initdb" -D "$pgdata" -U payrixa --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  as_pg "$pg_bin/pg_ctl" -D "$pgdata" -l "$CI_STATE_DIR/postgres.log" -w \
    -o "-p $PG_PORT -k $CI_STATE_DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
fi

if ! redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --save '' --appendonly no \
    --dir "$CI_STATE_DIR" --logfile "$CI_STATE_DIR/redis.log" --pidfile "$CI_STATE_DIR/redis.pid"
  for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
fi

export TEST_DATABASE_URL="postgres://payrixa@127.0.0.1:$PG_PORT/postgres"
export TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT; $(redis-server --version | awk '{print $1, $3}') on 127.0.0.1:$REDIS_PORT"
