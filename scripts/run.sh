#!/usr/bin/env bash
# Start (or stop) the throwaway pg_leadgen cluster of `make run`.
#
# The cluster lives in .run/ under the checkout (git ignores it), runs as
# the postgres user, listens on 127.0.0.1 and a socket in .run/, and has
# pg_leadgen and pg_stat_statements preloaded with the workers serving the
# database "leadgen". A second start reuses what exists.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN=$ROOT/.run
PGDATA=$RUN/data
PORT=${LEADGEN_PORT:-5499}
DB=${LEADGEN_DB:-leadgen}
BINDIR=$(pg_config --bindir)
AS_PG=(runuser -u postgres --)
export PGOPTIONS="-c client_min_messages=warning"
PSQL=("$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$RUN" -p "$PORT" -U postgres)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

running() { [ -f "$PGDATA/postmaster.pid" ] && "${AS_PG[@]}" "$BINDIR/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }

stop() {
    if running; then
        "${AS_PG[@]}" "$BINDIR/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
        say "stopped the cluster in $PGDATA"
    else
        say "no cluster running in $PGDATA"
    fi
}

start() {
    mkdir -p "$RUN"
    chown postgres: "$RUN"
    if ! "${AS_PG[@]}" test -w "$RUN"; then
        echo "pg_leadgen: the postgres user cannot write $RUN (a parent folder is closed to it)." >&2
        echo "Clone the project somewhere the postgres user can reach, e.g. under /srv or /tmp." >&2
        exit 1
    fi

    if [ ! -f "$PGDATA/PG_VERSION" ]; then
        say "creating a cluster in $PGDATA"
        "${AS_PG[@]}" "$BINDIR/initdb" -D "$PGDATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
        cat >> "$PGDATA/postgresql.conf" <<CONF

# pg_leadgen throwaway cluster (scripts/run.sh)
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$RUN'
shared_preload_libraries = 'pg_leadgen,pg_stat_statements'
leadgen.database = '$DB'
pg_stat_statements.track = all
max_connections = 200
shared_buffers = 512MB
log_line_prefix = '%m [%p] %q%a '
CONF
    fi

    if running; then
        say "reusing the running cluster in $PGDATA"
    else
        say "starting PostgreSQL on port $PORT"
        "${AS_PG[@]}" "$BINDIR/pg_ctl" -D "$PGDATA" -l "$RUN/postgres.log" -w start >/dev/null
    fi

    if [ "$("${PSQL[@]}" -d postgres -Atc "SELECT count(*) FROM pg_database WHERE datname = '$DB'")" = 0 ]; then
        "${PSQL[@]}" -d postgres -c "CREATE DATABASE $DB"
    fi
    "${PSQL[@]}" -d "$DB" -c "CREATE EXTENSION IF NOT EXISTS pg_leadgen CASCADE"
    say "loading the demo data set"
    "${PSQL[@]}" -d "$DB" -f "$ROOT/scripts/demo.sql"

    # The launcher connects to $DB; when the database was just created it
    # comes up at its next restart (10 s at most).
    for _ in $(seq 1 60); do
        [ "$("${PSQL[@]}" -d "$DB" -Atc "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_leadgen launcher'")" = 1 ] && break
        sleep 0.5
    done

    "${PSQL[@]}" -d "$DB" <<'SQL'
\echo
\echo pg_leadgen is ready:
SELECT leadgen.version() AS version, leadgen.preloaded() AS workers_loaded,
       (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_leadgen launcher') AS launcher,
       (SELECT count(*) FROM leadgen.brokers) AS brokers,
       (SELECT count(*) FROM leadgen.carriers) AS carriers,
       (SELECT count(*) FROM leadgen.agents) AS agents,
       (SELECT count(*) FROM leadgen.partitions('leadgen.leads')) AS lead_partitions;
SQL
    say "feeding demo leads"
    "${PSQL[@]}" -d "$DB" -f "$ROOT/scripts/demo-leads.sql"

    cat <<MSG

Connect with:
    psql -h $RUN -p $PORT -U postgres $DB
    (or: psql "host=127.0.0.1 port=$PORT user=postgres dbname=$DB")
Server log: $RUN/postgres.log
Stop with:  make stop
MSG
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
