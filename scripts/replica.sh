#!/usr/bin/env bash
# A streaming replica (hot standby) of the local PostgreSQL server, for the tests and for trying
# DATABASE_REPLICA_URL locally (docs/read-replica.md).
#
#   scripts/replica.sh start    make it (pg_basebackup -R) or reuse it, start it, wait until it streams
#   scripts/replica.sh stop     stop it (its data directory is kept for the next start)
#   scripts/replica.sh status   exit 0 when it runs and streams from the primary, 3 otherwise
#
# Idempotent: a replica of this primary already answering on the port is reused; a data directory
# that can no longer follow the primary (its WAL recycled, or another primary) is made again.
# Settings: REPLICA_PORT (5433), REPLICA_DIR, PRIMARY_HOST (127.0.0.1), PRIMARY_PORT (5432),
# PRIMARY_USER (postgres: a superuser, which may replicate). PostgreSQL refuses to run as root: as
# root, the server and its files belong to the postgres OS user.
set -euo pipefail

PRIMARY_HOST=${PRIMARY_HOST:-127.0.0.1}
PRIMARY_PORT=${PRIMARY_PORT:-5432}
PRIMARY_USER=${PRIMARY_USER:-postgres}
PORT=${REPLICA_PORT:-5433}
if [ "$(id -u)" -eq 0 ]; then
  DIR=${REPLICA_DIR:-/var/lib/postgresql/sciatrack-replica}
else
  DIR=${REPLICA_DIR:-${TMPDIR:-/tmp}/sciatrack-replica-$(id -u)}
fi
LOCK=${TMPDIR:-/tmp}/sciatrack-replica-$PORT.lock

primary() { psql -X -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$PRIMARY_USER" -d postgres -Atq "$@"; }
replica() { psql -X -h 127.0.0.1 -p "$PORT" -U "$PRIMARY_USER" -d postgres -Atq "$@"; }
say() { echo "replica: $*" >&2; }

# The server and its files belong to the postgres OS user when this runs as root.
as_server() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

bin_dir() {
  # The replica must run the primary's major version.
  local major
  major=$(primary -c 'SHOW server_version_num')
  major=$((major / 10000))
  local dir=${PG_BIN:-/usr/lib/postgresql/$major/bin}
  [ -x "$dir/pg_ctl" ] || { say "no PostgreSQL $major binaries in $dir (set PG_BIN)"; exit 1; }
  echo "$dir"
}

# "streaming", "paused" (streaming, replay paused), "behind" (a standby of this primary that does
# not stream), "foreign" (a server that is not a standby of this primary), "down".
state() {
  local primary_id replica_row
  pg_isready -q -h 127.0.0.1 -p "$PORT" || { echo down; return; }
  primary_id=$(primary -c 'SELECT system_identifier FROM pg_control_system()')
  replica_row=$(replica -F ' ' -c "SELECT system_identifier, pg_is_in_recovery(),
      coalesce((SELECT status FROM pg_stat_wal_receiver), 'none'),
      CASE WHEN pg_is_in_recovery() THEN pg_get_wal_replay_pause_state() ELSE 'none' END
    FROM pg_control_system()" 2>/dev/null) || { echo down; return; }
  read -r id recovery receiver paused <<<"$replica_row"
  if [ "$id" != "$primary_id" ] || [ "$recovery" != "t" ]; then echo foreign
  elif [ "$receiver" != "streaming" ]; then echo behind
  elif [ "$paused" != "not paused" ]; then echo paused
  else echo streaming
  fi
}

# pg_basebackup needs a replication connection; the stock pg_hba.conf of a development machine
# allows `all` databases from 127.0.0.1, which does not include `replication`.
allow_replication() {
  if psql -X "host=$PRIMARY_HOST port=$PRIMARY_PORT user=$PRIMARY_USER dbname=postgres replication=true" \
    -Atqc 'IDENTIFY_SYSTEM' >/dev/null 2>&1; then
    return
  fi
  local hba method line
  hba=$(primary -c 'SHOW hba_file')
  # The method the file already gives local TCP connections (trust on a development machine).
  method=$(awk '$1 == "host" && $2 == "all" && $3 == "all" && $4 == "127.0.0.1/32" { print $5; exit }' "$hba")
  line="host replication $PRIMARY_USER 127.0.0.1/32 ${method:-trust}"
  if ! grep -qxF "$line" "$hba"; then
    say "allowing replication connections from 127.0.0.1 in $hba"
    printf '\n# Added by sciatrack scripts/replica.sh: a local streaming replica for the tests.\n%s\n' \
      "$line" >>"$hba"
  fi
  primary -c 'SELECT pg_reload_conf()' >/dev/null
  sleep 0.2
  psql -X "host=$PRIMARY_HOST port=$PRIMARY_PORT user=$PRIMARY_USER dbname=postgres replication=true" \
    -Atqc 'IDENTIFY_SYSTEM' >/dev/null || {
    say "the primary still refuses replication connections: an earlier line of $hba must match first"
    exit 1
  }
}

make_replica() {
  local bin=$1
  allow_replication
  if [ -n "$(ls -A "$DIR" 2>/dev/null)" ] && [ ! -f "$DIR/PG_VERSION" ]; then
    say "$DIR holds something other than a PostgreSQL data directory: set REPLICA_DIR"
    exit 1
  fi
  say "base backup of $PRIMARY_HOST:$PRIMARY_PORT into $DIR"
  as_server rm -rf "$DIR"
  mkdir -p "$(dirname "$DIR")"
  # -c fast: no waiting for a spread checkpoint; -X stream: the WAL written meanwhile comes too;
  # -R: standby.signal and primary_conninfo, so that it starts as a streaming standby.
  as_server "$bin/pg_basebackup" -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$PRIMARY_USER" \
    -D "$DIR" -R -X stream -c fast
  # A hot standby needs at least the primary's value of these, or it refuses to start.
  local limits
  limits=$(primary -F ' = ' -c "SELECT name, setting FROM pg_settings WHERE name IN
    ('max_connections', 'max_worker_processes', 'max_wal_senders', 'max_prepared_transactions',
     'max_locks_per_transaction')")
  # Debian keeps postgresql.conf and pg_hba.conf out of the data directory: the copy has none.
  as_server tee "$DIR/postgresql.conf" >/dev/null <<EOF
# Written by sciatrack scripts/replica.sh: a hot standby of $PRIMARY_HOST:$PRIMARY_PORT.
cluster_name = 'sciatrack-replica'
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DIR'
hba_file = '$DIR/pg_hba.conf'
ident_file = '$DIR/pg_ident.conf'
hot_standby = on
# Reads are short; feedback keeps the primary's vacuum from cancelling them.
hot_standby_feedback = on
logging_collector = off
$limits
EOF
  as_server tee "$DIR/pg_hba.conf" >/dev/null <<EOF
local all all trust
host all all 127.0.0.1/32 trust
EOF
  as_server touch "$DIR/pg_ident.conf"
  # Last: a copy without it was cut short and is made again rather than started.
  as_server touch "$DIR/sciatrack-replica.complete"
}

start_server() {
  local bin=$1
  # 9>&-: the server must not inherit (and so hold for its lifetime) this script's lock.
  as_server "$bin/pg_ctl" -D "$DIR" -l "$DIR/replica.log" -w -t 60 start >/dev/null 9>&-
}

stop_server() {
  local bin=$1
  if [ -f "$DIR/postmaster.pid" ]; then
    as_server "$bin/pg_ctl" -D "$DIR" -m fast -w -t 60 stop >/dev/null || true
  fi
}

await_streaming() {
  for _ in $(seq 1 100); do
    case $(state) in streaming | paused) return 0 ;; esac
    sleep 0.2
  done
  return 1
}

start() {
  exec 9>"$LOCK"
  flock -w 600 9
  case $(state) in
    streaming | paused) say "reusing the replica on port $PORT"; return ;;
    foreign)
      say "port $PORT answers, but not as a standby of $PRIMARY_HOST:$PRIMARY_PORT; set REPLICA_PORT"
      exit 1
      ;;
  esac
  local bin
  bin=$(bin_dir)
  if [ -f "$DIR/sciatrack-replica.complete" ]; then
    if [ "$(state)" = down ]; then start_server "$bin" || true; fi
    await_streaming && { say "started the replica in $DIR on port $PORT"; return; }
    say "the replica in $DIR cannot follow the primary (see $DIR/replica.log): making it again"
    stop_server "$bin"
  fi
  make_replica "$bin"
  start_server "$bin"
  await_streaming || { say "the new replica does not stream; see $DIR/replica.log"; exit 1; }
  say "made and started the replica in $DIR on port $PORT"
}

case ${1:-} in
  start) start ;;
  stop)
    exec 9>"$LOCK"
    flock -w 600 9
    stop_server "$(bin_dir)"
    ;;
  status)
    s=$(state)
    echo "$s"
    case $s in streaming | paused) exit 0 ;; *) exit 3 ;; esac
    ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
