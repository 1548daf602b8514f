#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for the SQL source tests and print the variables
# the tests read:
#
#   eval "$(bash .ci/postgres.sh)"        # start (or reuse) it; exports the URL + password
#   bash .ci/postgres.sh stop              # stop it and delete its data
#
# On a fresh Debian machine (as root) it installs postgresql with apt-get when missing.
# The cluster lives in a temporary folder, listens on 127.0.0.1:${COMMUNITYROI_PG_PORT:-55432}
# only, and has a login role with a password (so the password-from-environment path is
# really exercised). Everything but the two export lines goes to stderr.
set -euo pipefail

PORT="${COMMUNITYROI_PG_PORT:-55432}"
STATE="/tmp/communityroi-pg-${PORT}.dir"
DB=communityroi_test
ROLE=communityroi
PASSWORD="${COMMUNITYROI_PG_PASSWORD:-communityroi-ci}"

log() { echo "postgres.sh: $*" >&2; }
bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
exports() {
  echo "export COMMUNITYROI_TEST_POSTGRES_URL=postgresql://${ROLE}@127.0.0.1:${PORT}/${DB}"
  echo "export COMMUNITYROI_TEST_POSTGRES_PASSWORD=${PASSWORD}"
}

if [ "${1:-start}" = stop ]; then
  if [ -f "$STATE" ]; then
    DIR="$(cat "$STATE")"
    as_pg "$(bindir)/pg_ctl" -D "$DIR/data" -m fast -w stop >&2 || true
    rm -rf "$DIR" "$STATE"
    log "stopped"
  fi
  exit 0
fi

if [ -z "$(bindir)" ] || [ ! -x "$(bindir)/initdb" ]; then
  log "installing postgresql with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
BIN="$(bindir)"

if [ -f "$STATE" ] && "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
  log "reusing the server on port $PORT"
  exports
  exit 0
fi

DIR="$(mktemp -d /tmp/communityroi-pg.XXXXXX)"
chmod 755 "$DIR"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$DIR"
as_pg "$BIN/initdb" -D "$DIR/data" -U postgres -E UTF8 --locale=C --no-sync \
  --auth-local=trust --auth-host=scram-sha-256 >&2
as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
  -o "-h 127.0.0.1 -p $PORT -k $DIR -c fsync=off -c full_page_writes=off" start >&2
echo "$DIR" > "$STATE"
as_pg "$BIN/psql" -q -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT" -U postgres -d postgres >&2 <<SQL
CREATE ROLE ${ROLE} LOGIN PASSWORD '${PASSWORD}';
CREATE DATABASE ${DB} OWNER ${ROLE};
SQL
log "PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT, data in $DIR"
exports
