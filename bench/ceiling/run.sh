#!/usr/bin/env bash
# The ceiling of one pg_leadgen primary, measured: how many leads it takes
# in and drains per second and per CPU second (1 and 2 pipeline workers,
# batch sizes 100 and 500), the WAL written per lead, and the replica lag
# and drain rate with a streaming standby (asynchronous, then synchronous),
# on the leads of the pipeline benchmark (bench/pipeline/sql/setup.sql).
#
#   bench/ceiling/run.sh            100,000 leads a step (about 10 minutes)
#   bench/ceiling/run.sh --quick    20,000 leads a step (about 3 minutes)
#
# As root (the servers run as postgres) or as the postgres user. Uses the
# PostgreSQL of PG_CONFIG (default: pg_config in PATH), with pg_leadgen and
# pg_partman installed there. Starts its own primary and standby on
# 127.0.0.1 (BENCH_PG_PORT, default 5544, and the next port), data in
# bench/ceiling/out/, removed at the end (--keep keeps it). Prints a table
# and writes it to out/results.md.
#
# CPU seconds are the cluster's own: the postmaster's children, live and
# exited (/proc), so a busy neighbour does not inflate them; rates in
# leads/s do depend on what else runs. Run it on a quiet machine.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=$HERE/out
N=100000
WARMUP=5000
KEEP=0
for arg in "$@"; do
    case "$arg" in
        --quick) N=20000; WARMUP=2000 ;;
        --keep) KEEP=1 ;;
        -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option: $arg (try --help)" >&2; exit 2 ;;
    esac
done
INGEST_SECONDS=${BENCH_INGEST_SECONDS:-$(( N / 2000 ))}
PG_CONFIG=${PG_CONFIG:-pg_config}
PGBIN=$($PG_CONFIG --bindir)
PORT=${BENCH_PG_PORT:-5544}
SPORT=$((PORT + 1))
PRIMARY=$OUT/primary
STANDBY=$OUT/standby
AS_PG=()
[ "$(id -u)" -eq 0 ] && AS_PG=(runuser -u postgres --)
export PGHOST=127.0.0.1 PGUSER=postgres PGDATABASE=bench PGOPTIONS="-c client_min_messages=warning"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'ceiling: %s\n' "$*" >&2; exit 1; }
q() { "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -p "$PORT" "$@"; }
qs() { "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -p "$SPORT" "$@"; }
ctl() {	# pg_ctl args...: its output shown when it fails
    "${AS_PG[@]}" "$PGBIN/pg_ctl" "$@" >"$OUT/pg_ctl.out" 2>&1 || { cat "$OUT/pg_ctl.out" >&2; die "pg_ctl $* failed"; }
}

# The table: at the end, or as far as the run got.
DONE=0
results() {
    [ ${#ROWS[@]} -gt 0 ] || return 0
    {
        echo "# pg_leadgen ceiling, $(date -u '+%Y-%m-%d %H:%M UTC'), $N leads a step, $(nproc) cores$([ "$DONE" = 1 ] || echo ', INCOMPLETE')"
        echo
        echo "load average at start $LOAD0, at end $(cut -d' ' -f1-3 /proc/loadavg)"
        echo
        echo "| step | setting | leads/s | leads per CPU second | WAL bytes per lead | notes |"
        echo "|---|---|---|---|---|---|"
        printf '%s\n' "${ROWS[@]}"
    } | tee "$OUT/results.md"
}

cleanup() {
    local rc=$?
    set +e
    results
    [ -f "$STANDBY/postmaster.pid" ] && ctl -D "$STANDBY" -m immediate -w stop
    [ -f "$PRIMARY/postmaster.pid" ] && ctl -D "$PRIMARY" -m fast -w stop
    [ "$KEEP" = 1 ] || rm -rf "$PRIMARY" "$STANDBY"
    exit $rc
}

# CPU seconds used so far by the primary's processes: the postmaster, its
# live children, and the children it has waited for. A child that the
# postmaster reaps between the read of its own times and the list of its
# children would be in neither, so the count first waits (up to 5 s) until
# no child is exiting: right after pgbench ends, its backends are (taken
# at once, the 1-client ingest step lost its backend's whole CPU time).
cluster_cpu() {
    local pm tck i
    pm=$(head -1 "$PRIMARY/postmaster.pid")
    tck=$(getconf CLK_TCK)
    sleep 0.5
    for i in $(seq 50); do
        ps -o stat= --ppid "$pm" | grep -q '^Z' || break
        sleep 0.1
    done
    {
        awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pm/stat"
        for c in $(ps -o pid= --ppid "$pm"); do
            # a child may end between ps and here
            awk '{ print $14 + $15 }' "/proc/$c/stat" 2>/dev/null || true
        done
    } | awk -v t="$tck" '{ s += $1 } END { printf "%.2f", s / t }'
}
wal_lsn() { q -c "SELECT pg_current_wal_lsn()"; }
wal_bytes() { q -c "SELECT pg_wal_lsn_diff('$2', '$1')"; }
per() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f", a / b; else print "-" }'; }

ROWS=()
row() {	# cells...
    local r="|" c
    for c in "$@"; do r+=" $c |"; done
    ROWS+=("$r")
}

start_primary() {
    mkdir -p "$OUT"
    rm -rf "$PRIMARY" "$STANDBY"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$OUT"
    # the pipeline benchmark's settings (bench/pipeline/run.sh), so that
    # the figures compare, and WAL senders for the standby
    PG_CONFIG="$PGBIN/pg_config" "$ROOT/scripts/cluster.sh" init "$PRIMARY" "$PORT" bench "$OUT" <<CONF
pg_stat_statements.track = top
leadgen.scheduler = off
synchronous_commit = on
fsync = on
shared_buffers = 1GB
max_wal_size = 4GB
wal_level = replica
max_wal_senders = 4
CONF
    echo "host replication all 127.0.0.1/32 trust" >>"$PRIMARY/pg_hba.conf"
    trap cleanup EXIT INT TERM
    ctl -D "$PRIMARY" -l "$OUT/primary.log" -w start
}

set_workers() {	# n: leadgen.workers is read at server start
    q -d postgres -c "ALTER SYSTEM SET leadgen.workers = $1" >/dev/null
    ctl -D "$PRIMARY" -m fast -w stop
    ctl -D "$PRIMARY" -l "$OUT/primary.log" -w start
    for _ in $(seq 1 100); do
        [ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_leadgen worker'" 2>/dev/null)" = "$1" ] && return 0
        sleep 0.2
    done
    die "$1 pipeline workers did not come up"
}

set_batch() {
    q -c "ALTER SYSTEM SET leadgen.batch_size = $1" -c "SELECT pg_reload_conf()" >/dev/null
    sleep 1
}

# The warm-up leads processed and the tables analyzed (bench.reset), a
# checkpoint: each step starts from the same, non-empty state.
reset_state() {
    q -c "CALL bench.reset()"
    q -c "ANALYZE leadgen.leads, leadgen.events, leadgen.lead_assignments, leadgen.agents, leadgen.leads_pending" \
      -c "CHECKPOINT" >/dev/null
}

# Ingest: leads submitted while the queue is paused.
ingest_step() {	# label clients pgbench-script leads-per-tx
    local label=$1 clients=$2 script=$3 per_tx=$4 c0 c1 w0 w1 tps leads
    reset_state
    q -c "SELECT leadgen.queue_pause('leads')" >/dev/null
    c0=$(cluster_cpu); w0=$(wal_lsn)
    "$PGBIN/pgbench" -p "$PORT" -n -M prepared -c "$clients" -j "$clients" -T "$INGEST_SECONDS" \
        -D n="$N" -D nb="$((N / 1000))" -f "$ROOT/bench/pipeline/sql/$script" bench >"$OUT/$label.txt" 2>&1 \
        || die "$label: pgbench failed: $(tail -3 "$OUT/$label.txt")"
    c1=$(cluster_cpu); w1=$(wal_lsn)
    leads=$(q -c "SELECT count(*) FROM leadgen.leads_pending")
    tps=$(awk -v l="$leads" -v s="$INGEST_SECONDS" 'BEGIN { printf "%.0f", l / s }')
    row "$label" "$clients client$([ "$clients" = 1 ] || echo s)" "$tps" "$(per "$leads" "$(awk -v a="$c1" -v b="$c0" 'BEGIN { print a - b }')")" \
        "$(per "$(wal_bytes "$w0" "$w1")" "$leads")" "$leads leads in ${INGEST_SECONDS} s"
}

# Drain: N leads pending, the queue resumed, timed until empty.
drain_step() {	# label [sampler-pid-file]
    local label=$1 c0 c1 w0 w1 secs
    reset_state
    q -c "SELECT leadgen.queue_pause('leads')" >/dev/null
    q -c "SELECT count(leadgen.lead_submit_batch(payloads)) FROM bench.batches" >/dev/null
    q -c "ANALYZE leadgen.leads_pending" -c "CHECKPOINT" >/dev/null
    c0=$(cluster_cpu); w0=$(wal_lsn)
    q -c "SET enable_seqscan = off" -c "SET enable_sort = off" -c "CALL bench.drain('$label')"
    c1=$(cluster_cpu); w1=$(wal_lsn)
    secs=$(q -c "SELECT extract(epoch FROM t_end - t_start) FROM bench.timings WHERE label = '$label' ORDER BY t_end DESC LIMIT 1")
    [ "$(q -c "SELECT count(*) FROM leadgen.leads")" = "$((N + WARMUP))" ] \
        || die "$label: not every lead was written"
    DRAIN_RATE=$(awk -v n="$N" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')
    DRAIN_CPU=$(awk -v a="$c1" -v b="$c0" 'BEGIN { print a - b }')
    row "$label" "$(q -c 'SHOW leadgen.workers') workers, batch $(q -c 'SHOW leadgen.batch_size')" "$DRAIN_RATE" \
        "$(per "$N" "$DRAIN_CPU")" "$(per "$(wal_bytes "$w0" "$w1")" "$N")" "$N leads in $(printf '%.2f' "$secs") s"
}

# Samples of the standby's lag while a drain runs: max and median of
# replay_lag (ms) and of the bytes not yet replayed.
lag_sampler() {
    while :; do
        q -d postgres -F ' ' -c "SELECT coalesce(extract(epoch FROM replay_lag) * 1000, 0), pg_wal_lsn_diff(sent_lsn, replay_lsn)
                                   FROM pg_stat_replication" 2>/dev/null >>"$OUT/lag.txt"
        sleep 0.2
    done
}

start_standby() {
    "${AS_PG[@]}" "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PORT" -U postgres -D "$STANDBY" -R -X stream -c fast >/dev/null
    cat >>"$STANDBY/postgresql.conf" <<CONF
port = $SPORT
hot_standby_feedback = on
CONF
    sed -i "s/^primary_conninfo = '/primary_conninfo = 'application_name=ceiling_standby /" "$STANDBY/postgresql.auto.conf"
    ctl -D "$STANDBY" -l "$OUT/standby.log" -w start
    for _ in $(seq 1 100); do
        [ "$(q -d postgres -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" = 1 ] && return 0
        sleep 0.2
    done
    die "the standby does not stream"
}

[ -x "$PGBIN/postgres" ] || die "no PostgreSQL in $PGBIN (set PG_CONFIG)"
[ -f "$($PG_CONFIG --sharedir)/extension/pg_leadgen.control" ] || die "pg_leadgen is not installed for $PG_CONFIG"
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
say "primary on 127.0.0.1:$PORT, $N leads a step"
start_primary
q -d postgres -c "CREATE DATABASE bench"
q -c "CREATE EXTENSION pg_leadgen CASCADE"
say "generating the leads (bench/pipeline/sql/setup.sql)"
q -v n="$N" -v warmup="$WARMUP" -f "$ROOT/bench/pipeline/sql/setup.sql" >/dev/null
q -c "ANALYZE" >/dev/null

set_workers 2
say "ingest"
ingest_step "ingest lead_submit" 8 ingest_single.pgbench 1
ingest_step "ingest lead_submit_batch (1000)" 1 ingest_batch.pgbench 1000
ingest_step "ingest lead_submit_batch (1000)" 2 ingest_batch.pgbench 1000

for w in 1 2; do
    set_workers "$w"
    for bs in 100 500; do
        say "drain: $w workers, batch $bs"
        set_batch "$bs"
        drain_step "drain"
    done
done

say "drain with an asynchronous standby"
set_batch 100
start_standby
: >"$OUT/lag.txt"
lag_sampler &
SAMPLER=$!
drain_step "drain, async standby"
kill "$SAMPLER"
LAG_ASYNC=$(sort -n "$OUT/lag.txt" | awk '{ ms[NR] = $1; b[NR] = $2 } END { if (NR) printf "replay lag p50 %.0f ms, max %.0f ms", ms[int((NR + 1) / 2)], ms[NR] }')
BYTES_ASYNC=$(sort -n -k2 "$OUT/lag.txt" | awk 'END { if (NR) printf "max %.1f MB behind", $2 / 1048576 }')
ROWS[${#ROWS[@]} - 1]="${ROWS[${#ROWS[@]} - 1]% |}; $LAG_ASYNC, $BYTES_ASYNC |"

say "drain with a synchronous standby (synchronous_standby_names = ceiling_standby)"
q -d postgres -c "ALTER SYSTEM SET synchronous_standby_names = 'ceiling_standby'" -c "SELECT pg_reload_conf()" >/dev/null
sleep 1
drain_step "drain, sync standby"
ingest_step "ingest lead_submit, sync standby" 8 ingest_single.pgbench 1

DONE=1
