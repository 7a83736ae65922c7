#!/usr/bin/env bash
# Start a private, throw-away PostgreSQL cluster for the e2e tests and print its DSN on stdout (last line).
# Idempotent: installs postgresql if missing, reuses a running cluster, (re)creates role + database.
#   usage:  export PARLEY_TEST_PG_DSN="$(scripts/start_postgres.sh | tail -n1)"
# Env: PARLEY_PG_DIR (default /tmp/parley-pg), PARLEY_PG_PORT (default 5432). Listens on 127.0.0.1 only.
set -euo pipefail

PGDIR="${PARLEY_PG_DIR:-/tmp/parley-pg}"
PORT="${PARLEY_PG_PORT:-5432}"
ROLE=parley_test
DB=parley_test
PASS=parley_test

log() { echo "start_postgres: $*" >&2; }

find_bin() {
  local b
  for b in /usr/lib/postgresql/*/bin; do
    [ -x "$b/pg_ctl" ] && { echo "$b"; return 0; }
  done
  return 1
}

if ! BIN="$(find_bin)"; then
  log "installing postgresql"
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq >&2
  $SUDO apt-get install -y -qq postgresql >&2
  BIN="$(find_bin)"
fi

# PostgreSQL refuses to run as root: run the cluster as the `postgres` user when we are root.
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
  AS=(runuser -u postgres --)
else
  AS=()
fi

mkdir -p "$PGDIR"
[ "$(id -u)" -eq 0 ] && chown postgres: "$PGDIR"
chmod 700 "$PGDIR"
SOCK="$PGDIR/sock"
if [ ! -f "$PGDIR/data/PG_VERSION" ]; then
  log "initdb in $PGDIR/data"
  "${AS[@]}" "$BIN/initdb" -D "$PGDIR/data" -U postgres -A trust --no-sync -E UTF8 >&2
  mkdir -p "$SOCK"; [ "$(id -u)" -eq 0 ] && chown postgres: "$SOCK"
  cat >> "$PGDIR/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$SOCK'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
CONF
  # loopback password auth for the test role, trust on the private socket for setup
  cat > "$PGDIR/data/pg_hba.conf" <<HBA
local all all trust
host  all all 127.0.0.1/32 scram-sha-256
HBA
fi

if ! "${AS[@]}" "$BIN/pg_ctl" -D "$PGDIR/data" status >/dev/null 2>&1; then
  log "starting cluster on 127.0.0.1:$PORT"
  "${AS[@]}" "$BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w -t 60 start >&2
fi

PSQL=("${AS[@]}" "$BIN/psql" -h "$SOCK" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt)
if [ "$("${PSQL[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname='$ROLE'")" != "1" ]; then
  "${PSQL[@]}" -c "CREATE ROLE $ROLE LOGIN PASSWORD '$PASS'" >&2
fi
if [ "$("${PSQL[@]}" -c "SELECT 1 FROM pg_database WHERE datname='$DB'")" != "1" ]; then
  "${PSQL[@]}" -c "CREATE DATABASE $DB OWNER $ROLE" >&2
fi

echo "postgresql+psycopg://$ROLE:$PASS@127.0.0.1:$PORT/$DB"
