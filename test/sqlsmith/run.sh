#!/usr/bin/env bash
# SQLsmith against pg_leadgen: random queries, as the gateway's role and as
# a reader, against a database with the extension and its data; no query
# may crash a backend.
#
#   test/sqlsmith/run.sh        (as root; the extension installed; Debian's
#                                sqlsmith, from scripts/deps.sh)
#
# The cluster is `make run`'s (scripts/run.sh, in a folder of its own under
# /tmp, on a free port, no gateway): pg_leadgen and pg_stat_statements
# preloaded, the workers on, the demo data and 300 processed leads. Then
# test/sqlsmith/setup.sql: dead letters, API keys, capacity snapshots, a
# reader login, and wrappers for the set-returning functions. SQLsmith runs
# once per role with a fixed seed (each query in a transaction it rolls
# back, 1 s statement timeout), restricted to the tables of pg_leadgen and
# the other extensions (--exclude-catalog; the catalog's functions and
# operators stay in); the roles run at the same time, one per core. The
# server log then says whether any backend or worker was terminated by a
# signal and whether the postmaster restarted.
#
# Prints ok / not ok lines, SQLsmith's own report (errors by kind) per
# role, and last "N passed, N failed"; exits non-zero when anything failed.
# Kept in .test/: the server log (sqlsmith-postmaster.log), SQLsmith's last
# report per role (sqlsmith-ROLE.report) and the deaths by a signal with
# their statements (sqlsmith-crashes.log), when there are any.
#
# Environment: LEADGEN_SMITH_QUERIES (per role, 10000), LEADGEN_SMITH_SEED
# (1; the reader's is one more), LEADGEN_SMITH_SECONDS (the wall-clock
# bound per role, 60 + 30 ms a query), LEADGEN_SMITH_ROLES (both),
# LEADGEN_SMITH_ROAM=1 (the catalog's tables too), LEADGEN_SMITH_KEEP=1
# keeps the work folder. docs/TESTING.md has a longer run.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PG_CONFIG=${PG_CONFIG:-pg_config}
BINDIR=$($PG_CONFIG --bindir)
QUERIES=${LEADGEN_SMITH_QUERIES:-10000}
SEED=${LEADGEN_SMITH_SEED:-1}
BOUND=${LEADGEN_SMITH_SECONDS:-$((60 + QUERIES * 30 / 1000))}
ROLES=${LEADGEN_SMITH_ROLES:-leadgen_gateway sqlsmith_reader}
SCOPE=(--exclude-catalog)
[ "${LEADGEN_SMITH_ROAM:-0}" = 1 ] && SCOPE=()
LOGDIR=$ROOT/.test
DB=leadgen_smith

PASS_N=0
FAIL_N=0
ok() { PASS_N=$((PASS_N + 1)); echo "ok - $1"; }
not_ok() {	# name [detail lines...]
    FAIL_N=$((FAIL_N + 1))
    echo "not ok - $1"
    shift
    local l
    for l in "$@"; do printf '%s\n' "$l" | sed 's/^/    /'; done
}

WORK=$(mktemp -d /tmp/leadgen-sqlsmith.XXXXXX)
chmod 755 "$WORK"
SERVER_LOG=$WORK/postgres.log
mkdir -p "$LOGDIR"
rm -f "$LOGDIR"/sqlsmith-*
# Below Linux's ephemeral range, like the gateway suite's cluster.
PORT=$((26000 + RANDOM % 2000))
while (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do PORT=$((PORT + 1)); done
RUN_ENV=(env LEADGEN_RUN_DIR="$WORK" LEADGEN_PORT="$PORT" LEADGEN_DB="$DB" LEADGEN_GATEWAY=0 PG_CONFIG="$PG_CONFIG")
PSQL=("$BINDIR/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$WORK" -p "$PORT" -U postgres -d "$DB")
sql() { "${PSQL[@]}" -c "$1" 2>&1; }

finish() {
    [ -f "$WORK/data/postmaster.pid" ] && runuser -u postgres -- "$BINDIR/pg_ctl" -D "$WORK/data" -m immediate -w stop >/dev/null 2>&1
    [ -f "$SERVER_LOG" ] && cp "$SERVER_LOG" "$LOGDIR/sqlsmith-postmaster.log"
    if [ "${LEADGEN_SMITH_KEEP:-0}" = 1 ]; then
        echo "work folder kept: $WORK"
    else
        rm -rf "$WORK"
    fi
    echo "$PASS_N passed, $FAIL_N failed"
    [ "$FAIL_N" -eq 0 ] && [ "$PASS_N" -gt 0 ]
    exit $?
}
trap finish EXIT
trap 'exit 1' INT TERM

# ---------------------------------------------------------------- database

if ! command -v sqlsmith >/dev/null; then
    not_ok "sqlsmith is installed" "no sqlsmith in PATH: scripts/deps.sh installs Debian's package"
    exit 1
fi

t0=$(date +%s)
CONF="
# the SQLsmith suite (test/sqlsmith/run.sh)
shared_buffers = 128MB
timezone = 'UTC'
fsync = off
synchronous_commit = off
full_page_writes = off
track_functions = all
# a crash report's 'Failed process was running:' names the whole query
track_activity_query_size = 65536
# SQLsmith counts its queries' errors; the log keeps crashes and restarts
log_min_messages = log
log_min_error_statement = panic"
if "${RUN_ENV[@]}" LEADGEN_CONF="$CONF" "$ROOT/scripts/run.sh" start >"$WORK/setup.log" 2>&1; then
    ok "cluster: made as \`make run\` makes it (scripts/run.sh, port $PORT, $(( $(date +%s) - t0 )) s)"
else
    not_ok "cluster: scripts/run.sh start" "$(tail -20 "$WORK/setup.log")"
    exit 1
fi
if ! out=$("${PSQL[@]}" -f "$HERE/setup.sql" 2>&1); then
    not_ok "cluster: test/sqlsmith/setup.sql" "$out"
    exit 1
fi
settled() {
    [ "$(sql "SELECT (SELECT count(*) FROM leadgen.leads_pending) = 0
                 AND (SELECT count(*) FROM leadgen.leads_dead_letter) >= 5")" = t ]
}
for _ in $(seq 1 600); do settled && break; sleep 0.1; done
sql "DROP TRIGGER sqlsmith_fail_some ON leadgen.leads; DROP FUNCTION public.sqlsmith_fail_some()" >/dev/null
counts=$(sql "SELECT format('%s leads, %s assignments, %s events, %s dead letters, %s pending',
                            (SELECT count(*) FROM leadgen.leads), (SELECT count(*) FROM leadgen.lead_assignments),
                            (SELECT count(*) FROM leadgen.events), (SELECT count(*) FROM leadgen.leads_dead_letter),
                            (SELECT count(*) FROM leadgen.leads_pending))")
if settled && [[ $counts =~ ^[1-9][0-9]*\ leads,\ [1-9][0-9]*\ assignments,\ [1-9][0-9]*\ events ]]; then
    ok "data: $counts; $(sql "SELECT count(*) FROM pg_proc WHERE pronamespace = 'sqlsmith'::regnamespace") set-returning functions wrapped"
else
    not_ok "data: leads, assignments, events and dead letters, none pending" "$counts"
fi
POSTMASTER=$(head -1 "$WORK/data/postmaster.pid")

# ---------------------------------------------------------------- runs

# Per query of SQLsmith's --dump-all-queries (each ends in ";" and a
# newline): does it call a function of pg_leadgen (or a wrapper)? Prints
# "queries-calling names...".
CALLS_AWK='BEGIN { RS = ";\n" }
{
    s = $0; hit = 0
    while (match(s, /(leadgen|sqlsmith)\.[a-z_0-9]+\(/)) {
        f = substr(s, RSTART, RLENGTH - 1)
        if (!(f in seen)) { seen[f] = 1; names = names " " f }
        hit = 1
        s = substr(s, RSTART + RLENGTH)
    }
    n += hit
}
END { print n + 0 names }'

log_from() { tail -c +$(($1 + 1)) "$SERVER_LOG"; }

# Each death by a signal in the server log from an offset, with the
# statement the process was running (a DETAIL that may span many lines).
signal_deaths() {
    log_from "$1" | awk '
        /terminated by signal/ { on = 1; print; next }
        on && /^[0-9][0-9][0-9][0-9]-.* DETAIL:  Failed process was running: / { print; next }
        on && !/^[0-9][0-9][0-9][0-9]-/ { print; next }
        { on = 0 }'
}

# One role's run, in the background: its exit status and seconds in
# $WORK/ROLE.rc.
smith_run() {	# role seed
    local role=$1 seed=$2 t rc
    t=$(date +%s)
    timeout -k 10 "$BOUND" sqlsmith --target="host=127.0.0.1 port=$PORT dbname=$DB user=$role" \
        --seed="$seed" --max-queries="$QUERIES" "${SCOPE[@]}" --verbose --dump-all-queries \
        2>"$WORK/$role.err" | awk "$CALLS_AWK" >"$WORK/$role.calls"
    rc=${PIPESTATUS[0]}
    echo "$rc $(( $(date +%s) - t ))" >"$WORK/$role.rc"
}

# What one role's run did: all its queries run, and its report.
smith_report() {	# role seed
    local role=$1 seed=$2 rc secs ran calls named
    read -r rc secs <"$WORK/$role.rc"
    ran=$(grep -oE '^queries: [0-9]+' "$WORK/$role.err" | tail -1 | cut -d' ' -f2)
    ran=${ran:-0}
    if [ "$rc" -eq 0 ] && [ "$ran" -eq "$QUERIES" ]; then
        ok "sqlsmith as $role ran $ran queries, seed $seed ($secs s)"
    else
        not_ok "sqlsmith as $role runs $QUERIES queries within $BOUND s" \
            "it ran $ran in $secs s, exit status $rc$([ "$rc" -eq 124 ] && echo ' (the wall-clock bound)')" \
            "$(grep -v '^[.eStCt]*$' "$WORK/$role.err" | tail -15)"
        cp "$WORK/$role.err" "$LOGDIR/sqlsmith-$role.err"
    fi
    # the last of its reports (every 800 queries or so, and at the end)
    sed -n '/^queries: /h; /^queries: /!H; ${x; p}' "$WORK/$role.err" >"$LOGDIR/sqlsmith-$role.report"
    read -r calls named <"$WORK/$role.calls"
    if [ "${calls:-0}" -gt 0 ]; then
        ok "queries as $role name pg_leadgen's functions: $calls queries named $(wc -w <<<"$named") of them"
    else
        not_ok "queries as $role name pg_leadgen's functions" "${calls:-0} queries named one"
    fi
    echo "    named: $named"
    # without the grammar's statistics (in .test/sqlsmith-ROLE.report)
    echo "    sqlsmith's report (errors by kind):"
    sed '/^impedance report/,$d; s/^/      /' "$LOGDIR/sqlsmith-$role.report"
}

# The roles run at once (one each per core); the server log and the
# function statistics are then read for all of them.
log0=$(stat -c %s "$SERVER_LOG")
sql "SELECT pg_stat_reset()" >/dev/null
seed=$SEED
pids=()
for role in $ROLES; do
    echo "--- sqlsmith as $role: $QUERIES queries, seed $seed, at most $BOUND s${SCOPE:+, $SCOPE}"
    smith_run "$role" "$seed" &
    pids+=($!)
    seed=$((seed + 1))
done
wait "${pids[@]}"
# their backends gone, their function statistics are flushed
for _ in $(seq 1 100); do
    [ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'sqlsmith%'")" = 0 ] && break
    sleep 0.1
done
sleep 1	# a worker that dies of a query's doing has said so by now

seed=$SEED
for role in $ROLES; do
    smith_report "$role" "$seed"
    seed=$((seed + 1))
done

crashes=$(log_from "$log0" | grep -c 'terminated by signal')
restarts=$(log_from "$log0" | grep -c 'all server processes terminated; reinitializing')
if [ "$crashes" -eq 0 ]; then
    ok "0 backends terminated by a signal in the queries of $ROLES"
else
    signal_deaths "$log0" >>"$LOGDIR/sqlsmith-crashes.log"
    not_ok "0 backends terminated by a signal in the queries of $ROLES" \
        "$crashes in the server log (seeds from $SEED); each with what it was running" \
        "(all of it in .test/sqlsmith-crashes.log):" \
        "$(signal_deaths "$log0" | cut -c1-300 | head -80)"
fi
if [ "$restarts" -eq 0 ]; then
    ok "0 crash-restarts of the postmaster in the queries of $ROLES"
else
    not_ok "0 crash-restarts of the postmaster in the queries of $ROLES" "$restarts: all server processes terminated; reinitializing"
fi
done_calls=$(sql "SELECT format('%s calls of %s functions', coalesce(sum(calls), 0), count(*))
                    FROM pg_stat_user_functions WHERE schemaname IN ('leadgen', 'sqlsmith') AND calls > 0")
if [[ $done_calls =~ ^[1-9] ]]; then
    ok "pg_leadgen's functions completed in the queries: $done_calls"
else
    not_ok "pg_leadgen's functions complete in the queries" "$done_calls"
fi
echo "    completed: $(sql "SELECT string_agg(schemaname || '.' || funcname || ' ' || calls, ', ' ORDER BY calls DESC, funcname)
                           FROM pg_stat_user_functions WHERE schemaname IN ('leadgen', 'sqlsmith') AND calls > 0")"

# ---------------------------------------------------------------- after

if [ "$(sql 'SELECT 1')" = 1 ] && [ "$(head -1 "$WORK/data/postmaster.pid" 2>/dev/null)" = "$POSTMASTER" ] &&
   ! grep -q 'terminated by signal' "$SERVER_LOG"; then
    ok "the server is still up: the postmaster of the start (PID $POSTMASTER) answers, no process died of a signal"
else
    not_ok "the server is still up, the postmaster of the start, no process died of a signal" \
        "$(grep -E 'terminated by signal|reinitializing|shutting down' "$SERVER_LOG" | tail -5)"
fi
echo "(sqlsmith suite: $(( $(date +%s) - t0 )) s)"
