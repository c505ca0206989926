#!/usr/bin/env bash
# bench/perf: the performance toolkit on a database with 1,000,000 leads
# over 12 monthly partitions (and as many events), in a throwaway cluster.
#
# Prints, per function, the median of 3 calls (ms), and the archival
# figures: rows/s of the batched path and seconds for whole partitions
# detached through pg_partman's retention and appended to the target.
# Target: every function under a second, except perf_analyze_query with
# analyze => true on a slow query.
#
#   bench/perf/run.sh [--leads N]        (default 1000000)
#
# PG_CONFIG picks the PostgreSQL (a private copy, scripts/private-pg.sh).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LEADS=1000000
[ "${1:-}" = "--leads" ] && LEADS=$2
PORT=${BENCH_PORT:-5544}
PG_CONFIG=${PG_CONFIG:-pg_config}
BINDIR=$("$PG_CONFIG" --bindir)
WORK=$(mktemp -d /tmp/pg_leadgen-bench-perf.XXXXXX)
chown postgres: "$WORK"
AS_PG=(runuser -u postgres --)
export PGOPTIONS="-c client_min_messages=warning"
PSQL=("$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$WORK" -p "$PORT" -U postgres -d bench)

cleanup() { PG_CONFIG="$BINDIR/pg_config" "$ROOT/scripts/cluster.sh" stop "$WORK/data" immediate; rm -rf "$WORK"; }
trap cleanup EXIT

"$ROOT/scripts/deps.sh"
make -s -C "$ROOT" PG_CONFIG="$PG_CONFIG" >/dev/null && make -s -C "$ROOT" PG_CONFIG="$PG_CONFIG" install >/dev/null

PG_CONFIG="$BINDIR/pg_config" "$ROOT/scripts/cluster.sh" init "$WORK/data" "$PORT" bench "$WORK" <<CONF
listen_addresses = ''
pg_stat_statements.track = top
leadgen.workers = 0
shared_buffers = 1GB
max_wal_size = 8GB
checkpoint_timeout = 30min
CONF
PG_CONFIG="$BINDIR/pg_config" "$ROOT/scripts/cluster.sh" start "$WORK/data" "$WORK/log"
"$BINDIR/psql" -X -q -h "$WORK" -p "$PORT" -U postgres -d postgres -c "CREATE DATABASE bench"

echo "== building $LEADS leads over 12 monthly partitions"
start=$(date +%s)
"${PSQL[@]}" <<SQL
SET client_min_messages = warning;
CREATE EXTENSION pg_leadgen CASCADE;
CREATE EXTENSION hypopg;
SELECT leadgen.pause_job('partition_maintenance') IS NOT NULL, leadgen.pause_job('capacity_snapshot') IS NOT NULL;
-- twelve months back
SELECT public.create_partition_time(p_parent_table := t, p_partition_times :=
         ARRAY(SELECT date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - make_interval(months => m)
                 FROM generate_series(5, 12) m))
  FROM unnest(ARRAY['leadgen.leads', 'leadgen.events']) t;
INSERT INTO leadgen.carriers (name, states, insurance_types)
VALUES ('Bench Carrier', '{CA,NY,TX,FL,IL,WA,AZ,GA,OH,PA}', '{auto,home,renters,life,health,commercial}');
-- agents inactive: the launcher's backlog sweep must not assign the
-- synthetic qualified leads while the benchmark runs
INSERT INTO leadgen.agents (name, state, specializations, max_leads, rating, is_active)
SELECT 'Agent ' || g, (ARRAY['CA','NY','TX','FL','IL','WA','AZ','GA','OH','PA'])[1 + g % 10],
       '{auto,home,renters,life,health,commercial}', 100000, (g % 50) / 10.0, false
  FROM generate_series(1, 200) g;
INSERT INTO leadgen.leads (id, source, status, insurance_type, first_name, last_name, email, phone, zip_code, city, state,
                           quality_score, rejection_reasons, email_norm, phone_norm, created_at, processed_at)
SELECT g, (ARRAY['web_form','referral','partner_api','tv_ad'])[1 + g % 4],
       (ARRAY['assigned','assigned','qualified','rejected','duplicate'])[1 + g % 5],
       (ARRAY['auto','home','renters','life','health','commercial'])[1 + g % 6],
       'First' || g % 1000, 'Last' || g % 5000, 'lead' || g || '@example.com', '415555' || lpad((g % 10000)::text, 4, '0'),
       lpad((10000 + g % 89999)::text, 5, '0'), 'City', (ARRAY['CA','NY','TX','FL','IL','WA','AZ','GA','OH','PA'])[1 + g % 10],
       CASE WHEN g % 5 IN (3, 4) THEN 0 ELSE 40 + g % 60 END,
       CASE WHEN g % 5 = 3 THEN '{NO_CONSENT}'::text[] ELSE '{}' END,
       'lead' || g || '@example.com', '415555' || lpad((g % 10000)::text, 4, '0'),
       now() - (g::float8 / $LEADS) * interval '360 days', now() - (g::float8 / $LEADS) * interval '360 days'
  FROM generate_series(1, $LEADS) g;
INSERT INTO leadgen.events (entity_type, entity_id, type, source, payload, "timestamp")
SELECT 'lead', id, 'lead.' || status, 'pipeline', jsonb_build_object('status', status), created_at FROM leadgen.leads;
SELECT setval('leadgen.lead_id_seq', $LEADS + 1);
VACUUM ANALYZE;
SQL
echo "   built in $(( $(date +%s) - start )) s: $("${PSQL[@]}" -Atc "SELECT count(*) FROM leadgen.leads") leads, $("${PSQL[@]}" -Atc "SELECT count(*) FROM leadgen.partitions('leadgen.leads') WHERE NOT is_default") lead partitions"

# A workload for pg_stat_statements and the statistics views.
"${PSQL[@]}" <<'SQL' >/dev/null
SELECT count(*) FROM leadgen.leads WHERE status = 'assigned' AND created_at > now() - interval '7 days';
SELECT count(*) FROM leadgen.leads WHERE email = 'lead42@example.com';
SELECT count(*) FROM leadgen.leads WHERE last_name = 'Last42' AND city = 'City';
SELECT * FROM leadgen.leads WHERE id = 4242;
SELECT state, count(*) FROM leadgen.leads GROUP BY 1;
SELECT leadgen.capacity_snapshot();
SQL
for i in 1 2 3; do
    "${PSQL[@]}" -c "INSERT INTO leadgen.capacity_snapshots (resource, taken_at, value) SELECT r, now() - interval '$i day', v * (1 - $i * 0.01) FROM (SELECT resource AS r, value AS v FROM leadgen.capacity_snapshots WHERE taken_at = (SELECT max(taken_at) FROM leadgen.capacity_snapshots)) s ON CONFLICT DO NOTHING"
done

# median of 3 calls, in ms, measured inside the server
time_ms() {
    "${PSQL[@]}" -Atc "
        DO \$\$
        DECLARE t0 timestamptz; d float8[] := '{}';
        BEGIN
            FOR i IN 1..3 LOOP
                t0 := clock_timestamp();
                PERFORM * FROM ($1) q;
                d := d || extract(epoch FROM clock_timestamp() - t0) * 1000;
            END LOOP;
            RAISE WARNING 'median=%', (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(d) x);
        END \$\$" 2>&1 | sed -n 's/.*median=\([0-9.]*\).*/\1/p'
}

# Archival policies: rows of one month by a predicate (no partition can go
# whole), and leads older than the month that started 8 months ago (whole
# partitions only: the cutoff is a partition boundary).
"${PSQL[@]}" -c "INSERT INTO leadgen.archive_policies (name, table_name, predicate, older_than, strategy, target, batch_size)
                 VALUES ('bench-rows', 'leadgen.events', \$\$\"timestamp\" < now() - interval '300 days' AND \"timestamp\" >= now() - interval '330 days'\$\$,
                         '1 day', 'move', 'archive.events_rows', 10000)"
"${PSQL[@]}" -c "INSERT INTO leadgen.archive_policies (name, table_name, age_column, older_than, strategy, target)
                 SELECT 'bench-parts', 'leadgen.leads', 'created_at',
                        now() - (date_trunc('month', now() AT TIME ZONE 'UTC' - interval '8 months') AT TIME ZONE 'UTC'), 'move', 'archive'"

RESULTS=$WORK/results.txt
: > "$RESULTS"
row() { printf '| %-58s | %10.1f | %s |\n' "$1" "$2" "$3" | tee -a "$RESULTS"; }

echo
echo "| function                                                   |  median ms | under 1 s |"
echo "|------------------------------------------------------------|-----------:|-----------|"
while IFS='|' read -r name sql; do
    ms=$(time_ms "$sql")
    [ -n "$ms" ] || { echo "bench/perf: no timing for $name" >&2; exit 1; }
    ok=$(awk -v m="$ms" 'BEGIN { print (m < 1000) ? "yes" : "NO" }')
    row "$name" "$ms" "$ok"
done <<'LIST'
perf_slow_queries(10)|SELECT * FROM leadgen.perf_slow_queries(10)
perf_analyze_query(q)|SELECT leadgen.perf_analyze_query('SELECT * FROM leadgen.leads WHERE last_name = ''Last42''')
perf_analyze_query(q, analyze => true), indexed query|SELECT leadgen.perf_analyze_query('SELECT * FROM leadgen.leads WHERE id = 4242', true)
perf_indexing_strategy() with HypoPG|SELECT * FROM leadgen.perf_indexing_strategy()
perf_connection_pool()|SELECT leadgen.perf_connection_pool()
perf_table_stats('leadgen.leads'), every partition|SELECT leadgen.perf_table_stats('leadgen.leads')
perf_database_size()|SELECT leadgen.perf_database_size()
perf_cache_hit_rate()|SELECT leadgen.perf_cache_hit_rate()
perf_cache_warm()|SELECT * FROM leadgen.perf_cache_warm()
perf_capacity_forecast('database_size', 6)|SELECT * FROM leadgen.perf_capacity_forecast('database_size', 6)
perf_capacity_dashboard()|SELECT leadgen.perf_capacity_dashboard()
perf_bottlenecks()|SELECT * FROM leadgen.perf_bottlenecks()
capacity_snapshot()|SELECT leadgen.capacity_snapshot()
perf_archive(dry_run => true)|SELECT * FROM leadgen.perf_archive(NULL, true)
LIST
ms=$(time_ms "SELECT leadgen.perf_analyze_query('SELECT count(*) FROM leadgen.leads WHERE last_name = ''Last42''', true)")
row "perf_analyze_query(q, analyze => true), full scan (exempt)" "$ms" "exempt"

echo
echo "== archival"
# Batched path: rows of one month moved by a predicate (no partition can go whole).
out=$("${PSQL[@]}" -Atc "SELECT rows_archived, extract(epoch FROM clock_timestamp() - now()) FROM leadgen.perf_archive('bench-rows')")
rows=${out%%|*}; secs=${out##*|}
rps=$(awk -v r="$rows" -v s="$secs" 'BEGIN { printf "%.0f", r / s }')
printf '| %-58s | %10s | %s |\n' "batched move: $rows rows in $(printf %.2f "$secs") s" "$rps" "rows/s" | tee -a "$RESULTS"
# Whole partitions: leads older than 8 months (their assignments: none here).
out=$("${PSQL[@]}" -Atc "SELECT partitions_archived, rows_archived, extract(epoch FROM clock_timestamp() - now()) FROM leadgen.perf_archive('bench-parts')" )
parts=$(echo "$out" | cut -d'|' -f1); rows2=$(echo "$out" | cut -d'|' -f2); secs2=$(echo "$out" | cut -d'|' -f3)
printf '| %-58s | %10.2f | %s |\n' "whole partitions: $parts ($rows2 rows, into the target)" "$secs2" "seconds" | tee -a "$RESULTS"

cp "$RESULTS" "$ROOT/bench/perf/last-results.txt" 2>/dev/null || true
