# Sourced by bench/gateway/run.sh and bench/load/run.sh: their throwaway
# PostgreSQL cluster. Needs AS_PG, PGBIN, PSQL (psql with -X -q -v
# ON_ERROR_STOP=1), WORK (owned by postgres), PG_PORT and DB; exports
# PGHOST, PGPORT, PGUSER and PGDATABASE for psql.
#
# bench_cluster_start WHO: initdb, the benchmarks' settings (the library
# preloaded, BENCH_WORKERS pipeline workers, 2 by default, shared_buffers
# BENCH_SHARED_BUFFERS, 512MB by default), start, CREATE DATABASE and
# CREATE EXTENSION pg_leadgen.
bench_cluster_start() {
    export PGHOST=$WORK PGPORT=$PG_PORT PGUSER=postgres PGDATABASE=$DB
    export PGOPTIONS="-c client_min_messages=warning"
    "${AS_PG[@]}" "$PGBIN/initdb" -D "$WORK/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    cat >> "$WORK/data/postgresql.conf" <<CONF

# pg_leadgen benchmark ($1)
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$WORK'
shared_preload_libraries = 'pg_leadgen,pg_stat_statements'
leadgen.database = '$DB'
leadgen.workers = ${BENCH_WORKERS:-2}
max_connections = 200
shared_buffers = ${BENCH_SHARED_BUFFERS:-512MB}
max_wal_size = 4GB
CONF
    "${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/postgres.log" -w start >/dev/null
    "${PSQL[@]}" -d postgres -c "CREATE DATABASE $DB"
    "${PSQL[@]}" -c "CREATE EXTENSION pg_leadgen CASCADE"
}

# bench_cluster_stop: stop it (immediate: its data is thrown away).
bench_cluster_stop() {
    if [ -f "$WORK/data/postmaster.pid" ]; then
        "${AS_PG[@]}" "$PGBIN/pg_ctl" -D "$WORK/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
}
