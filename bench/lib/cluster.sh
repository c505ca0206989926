# Sourced by bench/gateway/run.sh and bench/load/run.sh: their throwaway
# PostgreSQL cluster, made by scripts/cluster.sh. Needs AS_PG, PGBIN, PSQL (psql with -X -q -v
# ON_ERROR_STOP=1), WORK (owned by postgres), PG_PORT and DB; exports
# PGHOST, PGPORT, PGUSER and PGDATABASE for psql.
#
# bench_cluster_start WHO: initdb, the benchmarks' settings (the library
# preloaded, BENCH_WORKERS pipeline workers, 2 by default, shared_buffers
# BENCH_SHARED_BUFFERS, 512MB by default), start, CREATE DATABASE and
# CREATE EXTENSION pg_leadgen.
BENCH_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

bench_cluster_start() {
    export PGHOST=$WORK PGPORT=$PG_PORT PGUSER=postgres PGDATABASE=$DB
    export PGOPTIONS="-c client_min_messages=warning"
    PG_CONFIG="$PGBIN/pg_config" "$BENCH_LIB/../../scripts/cluster.sh" init "$WORK/data" "$PG_PORT" "$DB" "$WORK" <<CONF
# pg_leadgen benchmark ($1); top-level statements only, pg_stat_statements' default
pg_stat_statements.track = top
leadgen.workers = ${BENCH_WORKERS:-2}
max_connections = 200
shared_buffers = ${BENCH_SHARED_BUFFERS:-512MB}
max_wal_size = 4GB
CONF
    PG_CONFIG="$PGBIN/pg_config" "$BENCH_LIB/../../scripts/cluster.sh" start "$WORK/data" "$WORK/postgres.log"
    "${PSQL[@]}" -d postgres -c "CREATE DATABASE $DB"
    "${PSQL[@]}" -c "CREATE EXTENSION pg_leadgen CASCADE"
}

# bench_cluster_stop: stop it (immediate: its data is thrown away).
bench_cluster_stop() {
    PG_CONFIG="$PGBIN/pg_config" "$BENCH_LIB/../../scripts/cluster.sh" stop "$WORK/data" immediate
}
