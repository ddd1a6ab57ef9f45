#!/bin/bash
# Entrypoint of the offline PostgreSQL image (build-postgres-image.sh). Behaves like the official image
# where the harness relies on it:
#   POSTGRES_USER (default postgres), POSTGRES_PASSWORD (required), POSTGRES_DB (default POSTGRES_USER),
#   PGPORT (default 5432); "database system is ready to accept connections" is logged twice on a fresh
#   data directory (temporary init server, then the real one), once when the directory already exists.
# Unlike it: listens on 127.0.0.1 only (containers run with host networking), scram-sha-256 for local
# and 127.0.0.1 connections and nothing else, log_connections=on, fsync=off (throwaway data).
# Extra arguments after "postgres" are passed to the server (e.g. -c log_line_prefix=...).
set -Eeuo pipefail

: "${PGDATA:=/var/lib/postgresql/data}"
: "${PGPORT:=5432}"
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
export PGDATA PGPORT
SOCKET_DIR=/var/run/postgresql

if [ "${1:-postgres}" != postgres ]; then
  exec "$@"
fi
[ $# -gt 0 ] && shift

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" "$SOCKET_DIR"
  chown postgres:postgres "$PGDATA" "$SOCKET_DIR"
  chmod 700 "$PGDATA"
  chmod 2775 "$SOCKET_DIR"
  # Everything from here on runs as postgres: initdb refuses root.
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" postgres "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "docker-entrypoint: POSTGRES_PASSWORD is empty; this image allows password (scram-sha-256) authentication only. Set POSTGRES_PASSWORD." >&2
    exit 1
  fi
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --auth-local=scram-sha-256 --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 --no-sync >/dev/null
  rm -f "$pwfile"

  cat > "$PGDATA/pg_hba.conf" <<'HBA'
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 scram-sha-256
host    all       all   127.0.0.1/32  scram-sha-256
HBA
  cat >> "$PGDATA/postgresql.conf" <<CONF

# docker-entrypoint: a throwaway server on loopback, durability traded for speed.
listen_addresses = '127.0.0.1'
unix_socket_directories = '$SOCKET_DIR'
log_connections = on
fsync = off
synchronous_commit = off
full_page_writes = off
CONF

  # Temporary server on the socket only, as the official image does, to create POSTGRES_DB.
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p $PGPORT" -w -t 60 start
  if [ "$POSTGRES_DB" != postgres ]; then
    PGPASSWORD="$POSTGRES_PASSWORD" psql --no-psqlrc -v ON_ERROR_STOP=1 --username="$POSTGRES_USER" --dbname=postgres \
      --host="$SOCKET_DIR" -v db="$POSTGRES_DB" --quiet <<'SQL'
SELECT format('CREATE DATABASE %I', :'db') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
SQL
  fi
  pg_ctl -D "$PGDATA" -m fast -w -t 60 stop
  echo
  echo "PostgreSQL init process complete; ready for start up."
  echo
fi

unset POSTGRES_PASSWORD
exec postgres -p "$PGPORT" "$@"
