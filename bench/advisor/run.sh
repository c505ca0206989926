#!/usr/bin/env bash
# bench/advisor: index advisors side by side on pgbench's own schema.
#
# pgbench -i (scale 10, pgbench_accounts in 4 range partitions or none,
# every table unqualified in public, as an application has them), balances
# spread and 500,000 rows of history, a redundant index (pgbench_accounts
# (aid), the primary key's columns again) and an unused one
# (pgbench_accounts (bid)).
# The workload: pgbench's own tpcb-like transactions, then a query mix that
# needs four indexes the schema lacks (bench/advisor/mix.sql):
#   pgbench_accounts (abalance)      lookups by balance
#   pgbench_history (aid)            an account's history
#   pgbench_history (mtime)          the last minutes (interval '5 minutes')
#   pgbench_history (tid, delta)     a teller's large amounts
# In the same run, on the same statistics:
#   pg_leadgen     leadgen.perf_indexing_strategy()
#   pg_qualstats   pg_qualstats_index_advisor() (sample_rate 1, max 10000:
#                  every execution sampled, room for every qual)
#   HypoPG         each CREATE INDEX proposed, checked by the benchmark
#                  itself: a hypothetical index (one per partition of a
#                  partitioned table), and the planner's cost of each
#                  statement of the mix on that table before and after;
#                  verified when a plan uses it and costs at least 10% less
# and prints, per tool, the missing indexes found (on the table the
# application queries, same columns), missed, wrong proposals (no index
# the mix needs, or on a partition), HypoPG verdicts, duplicate and unused
# indexes found, and drops of primary key, unique or constraint indexes.
# It counts proposals, not speed: machine load does not change it.
#
#   bench/advisor/run.sh [--scale N] [--partitions N] [--transactions N]
#
# --partitions 0 keeps pgbench_accounts a plain table (default 4).
#
# As root on Debian 12; PG_CONFIG picks the PostgreSQL (default
# pg_config; a private copy made by scripts/private-pg.sh works). Installs
# what is missing (scripts/deps.sh), builds and installs pg_leadgen, and
# runs a throwaway cluster as the postgres user in /tmp, on the first free
# port from BENCH_PORT (default 5548), removed at the end, also on error.
# The report also goes to bench/out/advisor-results.md.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SCALE=10
PARTS=4
XACTS=30
while [ $# -gt 0 ]; do
    case $1 in
        --scale) SCALE=$2; shift 2 ;;
        --partitions) PARTS=$2; shift 2 ;;
        --transactions) XACTS=$2; shift 2 ;;
        *) echo "usage: $0 [--scale N] [--partitions N] [--transactions N]" >&2; exit 2 ;;
    esac
done
PG_CONFIG=${PG_CONFIG:-pg_config}
export PG_CONFIG
BINDIR=$($PG_CONFIG --bindir)
AS_PG=(runuser -u postgres --)
OUTDIR=$ROOT/bench/out
mkdir -p "$OUTDIR"

"$ROOT/scripts/deps.sh"
for lib in pg_qualstats hypopg pg_stat_statements; do
    if [ ! -f "$($PG_CONFIG --pkglibdir)/$lib.so" ]; then
        echo "bench/advisor: $lib is not installed in $($PG_CONFIG --pkglibdir)" >&2
        echo "(a private copy of PostgreSQL: run scripts/private-pg.sh again after installing packages)" >&2
        exit 1
    fi
done
make -s -C "$ROOT" PG_CONFIG="$PG_CONFIG" >/dev/null
make -s -C "$ROOT" PG_CONFIG="$PG_CONFIG" install >/dev/null

# the first port nobody listens on and no socket lock names
PORT=${BENCH_PORT:-5548}
while ss -Hltn "sport = :$PORT" 2>/dev/null | grep -q . || [ -e "/tmp/.s.PGSQL.$PORT.lock" ]; do
    PORT=$((PORT + 1))
done
WORK=$(mktemp -d /tmp/pg_leadgen-bench-advisor.XXXXXX)
chown postgres: "$WORK"
cp "$HERE/mix.sql" "$WORK/mix.sql"
chown postgres: "$WORK/mix.sql"
cleanup() { PG_CONFIG="$BINDIR/pg_config" "$ROOT/scripts/cluster.sh" stop "$WORK/data" immediate; rm -rf "$WORK"; }
trap cleanup EXIT
export PGOPTIONS="-c client_min_messages=warning"
PSQL=("${AS_PG[@]}" "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$WORK" -p "$PORT" -U postgres -d bench)
PGBENCH=("${AS_PG[@]}" "$BINDIR/pgbench" -h "$WORK" -p "$PORT" -U postgres)

PG_CONFIG="$BINDIR/pg_config" "$ROOT/scripts/cluster.sh" init "$WORK/data" "$PORT" bench "$WORK" <<CONF
listen_addresses = ''
shared_preload_libraries = 'pg_leadgen,pg_stat_statements,pg_qualstats'
leadgen.workers = 0
pg_stat_statements.track = top
pg_qualstats.sample_rate = 1
pg_qualstats.max = 10000
shared_buffers = 512MB
CONF
PG_CONFIG="$BINDIR/pg_config" "$ROOT/scripts/cluster.sh" start "$WORK/data" "$WORK/log"
"${AS_PG[@]}" "$BINDIR/psql" -X -q -h "$WORK" -p "$PORT" -U postgres -d postgres -c "CREATE DATABASE bench"

echo "== pgbench -i -s $SCALE --partitions $PARTS (port $PORT)"
"${PGBENCH[@]}" -i -q -s "$SCALE" --partitions "$PARTS" -I dtGvp bench 2>&1 | tail -1
"${PSQL[@]}" <<SQL
SET client_min_messages = warning;
CREATE EXTENSION pg_leadgen CASCADE;
CREATE EXTENSION hypopg;
CREATE EXTENSION pg_qualstats;
DO \$\$ BEGIN PERFORM leadgen.pause_job('partition_maintenance'); PERFORM leadgen.pause_job('capacity_snapshot'); END \$\$;
-- balances as after a long run, and a month of history
UPDATE pgbench_accounts SET abalance = ((aid::bigint * 7919) % 200001) - 100000;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime)
SELECT 1 + (g * 31) % (10 * $SCALE), 1 + (g * 17) % $SCALE, 1 + (g::bigint * 7907) % (100000 * $SCALE),
       ((g::bigint * 4447) % 10001) - 5000, now() - (g % 43200) * interval '1 minute'
  FROM generate_series(1, 500000) g;
-- planted: the primary key's columns again, and an index nobody reads
CREATE INDEX pgbench_accounts_aid_idx ON pgbench_accounts (aid);
CREATE INDEX pgbench_accounts_bid_idx ON pgbench_accounts (bid);
VACUUM ANALYZE;
SQL

echo "== workload: tpcb-like, then the query mix ($XACTS transactions x 2 clients each)"
"${PGBENCH[@]}" -n -b tpcb-like -c 2 -j 2 -t 500 bench 2>&1 | grep -E '^tps' | sed 's/^/   tpcb-like: /'
"${PSQL[@]}" -c "SELECT pg_stat_statements_reset(), pg_qualstats_reset()" >/dev/null
"${PGBENCH[@]}" -n -f "$WORK/mix.sql" -c 2 -j 2 -t "$XACTS" bench 2>&1 | grep -E '^tps' | sed 's/^/   mix: /'
"${PGBENCH[@]}" -n -b tpcb-like -c 2 -j 2 -t 200 bench >/dev/null 2>&1
"${PSQL[@]}" -c "SELECT pg_stat_force_next_flush()" >/dev/null

"${PSQL[@]}" -f "$HERE/compare.sql" -v scale="$SCALE" -P footer=off > "$WORK/report.txt"
VERSIONS=$("${PSQL[@]}" -At -c "SELECT string_agg(extname || ' ' || extversion, ', ' ORDER BY extname) FROM pg_extension
                                 WHERE extname IN ('pg_leadgen', 'pg_qualstats', 'hypopg', 'pg_stat_statements')")
{
    echo "bench/advisor, $(date -u '+%Y-%m-%d %H:%M UTC'); $($BINDIR/postgres --version); $VERSIONS"
    echo "pgbench -i -s $SCALE --partitions $PARTS; mix of bench/advisor/mix.sql, $XACTS transactions x 2 clients; tpcb-like around it"
    echo
    cat "$WORK/report.txt"
} | tee "$OUTDIR/advisor-results.md"
