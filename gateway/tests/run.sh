#!/usr/bin/env bash
# End-to-end suite of leadgen-gateway, the REST server of pg_leadgen.
#
#   gateway/tests/run.sh            (as root, or as a user that can start
#                                    PostgreSQL; the extension installed)
#
# Builds the gateway (normal and ASan+UBSan), starts a throwaway
# PostgreSQL 15 cluster with pg_leadgen preloaded and two pipeline
# workers, loads fixture.sql and 600 leads, creates API keys, and runs
# every area script twice: against the normal binary, then against the
# sanitizer build (whose stderr must stay free of sanitizer reports). Then
# a short libFuzzer run of the request parser when it is built.
#
# The last line of the output is "N passed, N failed"; the exit status is
# non-zero when anything failed.
#
# Environment: GW_TESTS_PASSES ("normal asan", the default, or one of
# them), GW_TESTS_AREAS (a subset of the areas, in order), GW_TESTS_KEEP=1
# keeps the work folder (cluster, logs) for inspection.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PG_CONFIG=${PG_CONFIG:-pg_config}
BINDIR=$($PG_CONFIG --bindir)
PSQL=$BINDIR/psql
DB=leadgen_gw
AREAS=${GW_TESTS_AREAS:-cache leads lists basics options perf errors security hardening stress ratelimit multi replica resilience deploy ops dashboard}
PASSES=${GW_TESTS_PASSES:-normal asan pooler proxy}
# The passes through pgbouncer (transaction mode) and through nginx to two
# gateways run the areas whose requests reach the database or cross the
# proxy in every way (each route and statement kind, cursors, the cache and
# its invalidation, rate limits, errors); the HTTP parsing, option, replica
# and restart areas concern the gateway process itself and run in the
# direct passes only (hardening runs through the pooler too: its statement
# timeouts per route class are transaction-local there). The proxy pass
# leaves out cache (least_conn between
# two instances: a second GET may meet the other one's cache; multi covers
# their coherence) and lists (its statements are those of the pooler pass;
# nginx passes the request target as it came, cursors included).
POOLER_AREAS=${GW_TESTS_AREAS:-pooler cache leads lists basics perf errors hardening ratelimit multi}
PROXY_AREAS=${GW_TESTS_AREAS:-leads basics perf errors ratelimit}
AS_PG=()
[ "$(id -u)" -eq 0 ] && AS_PG=(runuser -u postgres --)

# shellcheck source=lib.sh
. "$HERE/lib.sh"
for a in $(printf '%s\n' $AREAS $POOLER_AREAS $PROXY_AREAS | sort -u); do
    if [ ! -f "$HERE/$a.sh" ]; then
        echo "no area \"$a\" (no $HERE/$a.sh)"
        echo "0 passed, 1 failed"
        exit 2
    fi
    # shellcheck disable=SC1090
    . "$HERE/$a.sh"
done

WORK=$(mktemp -d /tmp/leadgen-gw-tests.XXXXXX)
chmod 755 "$WORK"
RQ_H=$WORK/answer.headers
RQ_B=$WORK/answer.body
PGDATA=$WORK/pgdata
GW_LOGS=()
GW_ENV=()
BG_PIDS=()
PG_STARTED=0

finish() {
    local rc=$?
    local p
    for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
    gw_kill_all
    if [ "$PG_STARTED" = 1 ]; then
        "${AS_PG[@]}" "$BINDIR/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1
    fi
    pgbouncer_stop 2>/dev/null
    nginx_stop 2>/dev/null
    for r in replica replica2; do
        if [ -f "$WORK/$r/postmaster.pid" ]; then
            "${AS_PG[@]}" "$BINDIR/pg_ctl" -D "$WORK/$r" -m immediate -w stop >/dev/null 2>&1
        fi
    done
    if [ "${GW_TESTS_KEEP:-0}" = 1 ]; then
        echo "work folder kept: $WORK"
    else
        rm -rf "$WORK"
    fi
    [ "$FAIL_N" -eq 0 ] && [ "$rc" -ne 0 ] && FAIL_N=1
    echo "$PASS_N passed, $FAIL_N failed"
    [ "$FAIL_N" -eq 0 ] && [ "$PASS_N" -gt 0 ]
    exit $?
}
trap finish EXIT
trap 'exit 1' INT TERM

# ---------------------------------------------------------------- build

build() {	# name target...
    local name=$1
    shift
    if make -C "$ROOT/gateway" "$@" >"$WORK/build-$name.log" 2>&1; then
        ok "build: make -C gateway $*"
        return 0
    fi
    not_ok "build: make -C gateway $*" "a successful build" "make failed" "$(tail -15 "$WORK/build-$name.log")"
    return 1
}

section "build"
BUILT_NORMAL=0
BUILT_ASAN=0
build normal && [ -x "$ROOT/gateway/leadgen-gateway" ] && BUILT_NORMAL=1
case " $PASSES " in
    *" asan "*) build asan asan && [ -x "$ROOT/gateway/build/asan/leadgen-gateway" ] && BUILT_ASAN=1 ;;
esac

# The route table (the whole API this binary serves) and the document list
# the same operations; the passes then check every answer against it.
if [ "$BUILT_NORMAL" = 1 ]; then
    if out=$("$ROOT/gateway/leadgen-gateway" --routes | node "$HERE/openapi/routes.js" "$ROOT/gateway/openapi.json" 2>&1); then
        ok "build: the route table and gateway/openapi.json list the same operations ($(tail -1 <<<"$out"))"
    else
        not_ok "build: the route table and gateway/openapi.json list the same operations" "no difference" \
            "$(tail -1 <<<"$out")" "$(head -20 <<<"$out")"
    fi
fi

# ---------------------------------------------------------------- cluster

pg() { "${AS_PG[@]}" "$BINDIR/pg_ctl" -D "$PGDATA" -l "$WORK/postgres.log" "$@" >>"$WORK/pg_ctl.log" 2>&1; }

section "cluster"
# Below Linux's ephemeral range (32768-60999): an outgoing connection's
# local port there could take the port before the server binds it.
PGPORT=$(free_port 25432)
CONNINFO="host=127.0.0.1 port=$PGPORT dbname=$DB user=postgres"
[ "$(id -u)" -eq 0 ] && chown postgres: "$WORK"
if ! PG_CONFIG="$BINDIR/pg_config" "$ROOT/scripts/cluster.sh" init "$PGDATA" "$PGPORT" "$DB" "$WORK" \
        >"$WORK/initdb.log" 2>&1 <<CONF
leadgen.workers = 2
leadgen.poll_interval = 100
max_connections = 100
timezone = 'UTC'
fsync = off
synchronous_commit = off
full_page_writes = off
# The replica area's standbys (pg_basebackup -X stream, no slot) are stopped
# between the passes and must find the WAL of the meantime on restart.
wal_keep_size = '1GB'
CONF
then
    not_ok "cluster: initdb" "a new cluster" "initdb failed" "$(tail -5 "$WORK/initdb.log")"
    exit 1
fi
if pg -w start; then
    PG_STARTED=1
    ok "cluster: PostgreSQL started on port $PGPORT"
else
    not_ok "cluster: PostgreSQL starts" "pg_ctl start succeeds" "it failed" "$(tail -10 "$WORK/postgres.log")"
    exit 1
fi
out=$(DB=postgres sql "CREATE DATABASE $DB") || { not_ok "cluster: CREATE DATABASE" "ok" "$out"; exit 1; }
out=$(sql "SET client_min_messages = warning; CREATE EXTENSION pg_leadgen CASCADE; SELECT leadgen.version()")
if [ $? -eq 0 ]; then
    ok "cluster: CREATE EXTENSION pg_leadgen CASCADE (version $out)"
else
    not_ok "cluster: CREATE EXTENSION pg_leadgen CASCADE" "the extension installs" "$out"
    exit 1
fi
if out=$("$PSQL" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U postgres -d "$DB" -f "$HERE/fixture.sql" 2>&1); then
    ok "cluster: fixture loaded (brokers, carriers, agents)"
else
    not_ok "cluster: fixture loaded" "fixture.sql runs" "$out"
    exit 1
fi
# The launcher looks for the database every few seconds after it exists.
workers_up() { [ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_leadgen worker'")" -ge 1 ] 2>/dev/null; }
if poll 40 workers_up; then
    ok "cluster: the pipeline workers serve $DB"
else
    not_ok "cluster: the pipeline workers serve $DB" "a 'pg_leadgen worker' backend within 40 s" "none" \
        "$(sql "SELECT backend_type FROM pg_stat_activity" | sort | uniq -c | paste -sd, -)"
fi
# 600 leads in six transactions (six distinct created_at values), and
# three capacity snapshots at distinct times (forecasts need three).
for b in 0 1 2 3 4 5; do
    sql "SELECT leadgen.lead_submit_batch(public.gw_fixture_leads($((b * 100 + 1)), 100))" >/dev/null
    sql "SELECT leadgen.capacity_snapshot()" >/dev/null
    sleep 0.05
done
if poll 60 pending_empty; then
    ok "cluster: 600 fixture leads processed ($(sql "SELECT string_agg(status || ' ' || n, ', ' ORDER BY status) FROM (SELECT status, count(*) n FROM leadgen.leads GROUP BY status) s"))"
else
    not_ok "cluster: fixture leads processed" "leads_pending empty within 60 s" \
        "$(sql 'SELECT count(*) FROM leadgen.leads_pending') pending"
fi
# The gateway connects as the README asks: a role in leadgen_api, which may
# call the route functions and nothing else (the suite's own checks connect
# as postgres).
if out=$(sql "CREATE ROLE leadgen_gateway LOGIN IN ROLE leadgen_api"); then
    CONNINFO="host=127.0.0.1 port=$PGPORT dbname=$DB user=leadgen_gateway"
    ok "cluster: the gateway's role leadgen_gateway (leadgen_api: route functions only)"
else
    not_ok "cluster: CREATE ROLE leadgen_gateway" "the role" "$out"
fi
BROKER_NORTH=$(sql "SELECT id FROM leadgen.brokers WHERE name = 'GW Broker North'")
BROKER_SOUTH=$(sql "SELECT id FROM leadgen.brokers WHERE name = 'GW Broker South'")
OREGON_AGENT=$(sql "SELECT id FROM leadgen.agents WHERE name = 'Oregon Intake Desk'")

# The four keys of the issue; each pass makes its own set besides (names
# suffixed by the pass) so that per-key rate limits never carry over.
keys_ok=1
newkey K_PARTNER t-partner partner || keys_ok=0
newkey K_BOUND t-bound partner "$BROKER_NORTH" || keys_ok=0
newkey K_ADMIN t-admin admin || keys_ok=0
newkey K_INTERNAL t-internal internal || keys_ok=0
if [ $keys_ok = 1 ]; then
    ok "cluster: API keys created with leadgen.api_key_create"
else
    not_ok "cluster: API keys created" "leadgen.api_key_create returns keys" "it failed (see above)"
fi
revoked=$(sql "SELECT leadgen.api_key_create('t-scaffold', 'partner') IS NOT NULL AND leadgen.api_key_revoke('t-scaffold')")
expect_eq "cluster: leadgen.api_key_revoke returns true" t "$revoked"

# ---------------------------------------------------------------- passes

pass_keys() {	# suffix: the keys of one pass
    local s=$1
    if [ -n "$s" ]; then
        newkey K_PARTNER "t-partner$s" partner
        newkey K_BOUND "t-bound$s" partner "$BROKER_NORTH"
        newkey K_ADMIN "t-admin$s" admin
        newkey K_INTERNAL "t-internal$s" internal
    fi
    newkey K_PARTNER2 "t-partner2$s" partner
    newkey K_ADMIN_CACHE "t-admin-cache$s" admin
    newkey K_ADMIN_PERF "t-admin-perf$s" admin
    newkey K_ADMIN_ERR "t-admin-err$s" admin
    newkey K_ADMIN_RL "t-admin-rl$s" admin
    newkey K_ADMIN_MULTI "t-admin-multi$s" admin
    newkey K_ADMIN_DRAIN "t-admin-drain$s" admin
    newkey K_ADMIN_HARD "t-admin-hard$s" admin
    newkey K_REVOKE "t-revoke$s" partner
    K_REVOKE_NAME="t-revoke$s"
}

check_every_answer() {
    section "every answer"
    local n=${#MISSING_HDRS[@]}
    if [ "$n" -eq 0 ]; then
        ok "every answer of this pass had X-RateLimit-Limit/Remaining/Reset and X-Request-Id"
    else
        not_ok "every answer had X-RateLimit-Limit/Remaining/Reset and X-Request-Id" "the four headers on every answer" \
            "$n answers lacked some, e.g.:" "${MISSING_HDRS[@]:0:8}"
    fi
    n=${#BAD_ERRORS[@]}
    if [ "$n" -eq 0 ]; then
        ok "every error answer of this pass was application/json {\"error\":{\"code\",\"message\"}}"
    else
        not_ok "every error answer was application/json {\"error\":{\"code\",\"message\"}}" "that shape on every 4xx/5xx" \
            "$n were not, e.g.:" "${BAD_ERRORS[@]:0:8}"
    fi
}

# Every answer of the pass against gateway/openapi.json (ajv, from npm):
# the document and the gateway cannot drift apart, and every documented
# operation must have been answered by some test.
openapi_check() {
    section "openapi"
    local dir=$HERE/openapi out
    if [ ! -d "$dir/node_modules/ajv" ] &&
       ! (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >"$WORK/npm.log" 2>&1; then
        not_ok "openapi: the validator's packages install (npm ci in gateway/tests/openapi)" "installed" \
            "$(tail -5 "$WORK/npm.log")"
        return
    fi
    if out=$(node "$dir/validate.js" "$ROOT/gateway/openapi.json" "$CAPTURE_DIR" 2>&1); then
        ok "openapi: every answer validates against gateway/openapi.json; $(tail -1 <<<"$out")"
    else
        not_ok "openapi: every answer validates against gateway/openapi.json and every operation was answered" \
            "no problem" "$(tail -1 <<<"$out")" "$(head -25 <<<"$out")"
    fi
}

# How a pass reaches its gateway: pass_start_KIND starts what it needs and
# sets GW; pass_stop_KIND stops what it started (the main gateway aside).
pass_start_direct() {
    gw_start "$MAIN" "$(free_port 18080)" || return 1
    GW=http://127.0.0.1:${GW_PORT[$MAIN]}
}
pass_stop_direct() { :; }

# Through pgbouncer in transaction mode (--pooler), LISTEN on a direct
# connection (--listen-db).
pass_start_pooler() {
    local bport
    bport=$(free_port 26432)
    BOUNCER_PORT=$bport
    if ! pgbouncer_start "$bport"; then
        not_ok "pooler: pgbouncer starts in transaction mode" "it answers within 10 s" "no" \
            "$(tail -5 "$WORK/pgbouncer/pgbouncer.log" "$WORK/pgbouncer/start.log" 2>/dev/null)"
        return 1
    fi
    ok "pooler: pgbouncer $(pgbouncer --version | head -1 | awk '{print $2}') in transaction mode on port $bport (pool of 3 server connections)"
    DIRECT_CONNINFO=$CONNINFO
    CONNINFO="host=127.0.0.1 port=$bport dbname=$DB user=leadgen_gateway"
    GW_OPTS=(--pooler --listen-db "$DIRECT_CONNINFO")
    pass_start_direct
}
pass_stop_pooler() {
    CONNINFO=$DIRECT_CONNINFO
    GW_OPTS=()
    # the statements did go through pgbouncer, on its few server connections
    local xacts
    xacts=$("$PSQL" -X -At -h 127.0.0.1 -p "$BOUNCER_PORT" -U postgres -d pgbouncer -c 'SHOW STATS' 2>/dev/null \
        | awk -F'|' -v db="$DB" '$1 == db {print $2}')
    if [ "${xacts:-0}" -gt 10 ]; then
        ok "pooler: pgbouncer carried the pass's transactions ($xacts)"
    else
        not_ok "pooler: pgbouncer carried the pass's transactions" "over 10 in SHOW STATS" "${xacts:-none}"
    fi
    pgbouncer_stop
}

# Through nginx (deploy/nginx/leadgen-gateway.conf) to two gateways that
# trust it for X-Forwarded-For.
pass_start_proxy() {
    GW_OPTS=(--trusted-proxies 127.0.0.1)
    gw_start "$MAIN" "$(free_port 18080)" || return 1
    if ! gw_start "$MAIN-2" "$(free_port 18080)"; then
        not_ok "proxy: a second gateway starts" "GET /health 200" "no" "$(tail -20 "$WORK/$MAIN-2.stderr")"
        return 1
    fi
    local nport
    nport=$(free_port 28080)
    if ! nginx_start "$nport" "${GW_PORT[$MAIN]}" "${GW_PORT[$MAIN-2]}"; then
        not_ok "proxy: nginx starts with deploy/nginx/leadgen-gateway.conf" "GET /health 200 through it" "no" \
            "$(tail -5 "$WORK/nginx/logs/error.log" "$WORK/nginx/start.log" 2>/dev/null)"
        return 1
    fi
    ok "proxy: $(nginx -v 2>&1 | sed 's/.*: //') on port $nport in front of two gateways (deploy/nginx/leadgen-gateway.conf)"
    GW=http://127.0.0.1:$nport
    # a client's own Forwarded header does not reach the gateways: it would
    # name any address (another client's rate limit, a fresh one)
    local rid="fwd-spoof-$$" got
    SRC=127.$PASSNO.44.1 req GET /api/v1/config -H 'Forwarded: for=198.51.100.2' -H "X-Request-Id: $rid"
    got=$(cat "$WORK/$MAIN.access" "$WORK/$MAIN-2.access" 2>/dev/null | grep -h -F -- "$rid" | tail -1 | jq -r .client 2>/dev/null)
    expect_eq "proxy: through nginx, a client's own Forwarded header is dropped: the gateway logs the client's address" \
        "127.$PASSNO.44.1" "$got"
}
pass_stop_proxy() {
    local a b
    a=$(wc -l <"$WORK/$MAIN.access")
    b=$(wc -l <"$WORK/$MAIN-2.access")
    if [ "$a" -gt 50 ] && [ "$b" -gt 50 ]; then
        ok "proxy: both gateways served the pass's requests ($a and $b access log lines)"
    else
        not_ok "proxy: both gateways served the pass's requests" "over 50 requests each" "$a and $b"
    fi
    gw_stop "$MAIN-2" 20
    expect_eq "proxy: the second gateway exits 0 on SIGTERM" 0 "$GW_RC"
    nginx_stop
    GW_OPTS=()
}

run_pass() {	# name binary passno suffix kind areas
    PASS_NAME=$1
    GW_BIN=$2
    PASSNO=$3
    SFX=$4
    local kind=$5 areas=$6
    LABEL="[$PASS_NAME] "
    MISSING_HDRS=()
    BAD_ERRORS=()
    local t0
    t0=$(date +%s)
    section "pass against $GW_BIN ($kind)"
    pass_keys "$SFX"
    MAIN=main-$PASS_NAME
    if ! "pass_start_$kind"; then
        not_ok "gateway starts and answers GET /health" "200 within 30 s" "no" "$(tail -20 "$WORK/$MAIN.stderr")"
        "pass_stop_$kind"
        return
    fi
    ok "gateway starts and answers GET /health"
    # the direct pass (the normal one, else the sanitizers') keeps every
    # answer for the OpenAPI check
    CAPTURE_DIR=""
    if [ "$PASSNO" = 1 ] || { [ "$PASSNO" = 2 ] && [[ " $PASSES " != *" normal "* ]]; }; then
        CAPTURE_DIR=$WORK/answers
        mkdir -p "$CAPTURE_DIR"
    fi
    local a ta
    for a in $areas; do
        ta=$(date +%s)
        SRC=127.$PASSNO.1.1
        "area_$a"
        printf '    (%s: %d s)\n' "$a" $(( $(date +%s) - ta ))
    done
    check_every_answer
    [ -n "$CAPTURE_DIR" ] && openapi_check
    CAPTURE_DIR=""
    section "shutdown"
    if gw_alive "$MAIN"; then
        gw_stop "$MAIN" 20
        expect_eq "main gateway exits 0 on SIGTERM" 0 "$GW_RC" "stderr: $(tail -5 "$WORK/$MAIN.stderr" | tr '\n' ' ')"
    else
        not_ok "main gateway still alive at the end of the pass" "a running process" "it is gone" \
            "stderr: $(tail -20 "$WORK/$MAIN.stderr")"
    fi
    "pass_stop_$kind"
    printf '    (pass %s: %d s)\n' "$PASS_NAME" $(( $(date +%s) - t0 ))
}

if [ "$BUILT_NORMAL" = 1 ] && [[ " $PASSES " == *" normal "* ]]; then
    GW_ENV=()
    run_pass normal "$ROOT/gateway/leadgen-gateway" 1 "" direct "$AREAS"
fi
if [ "$BUILT_ASAN" = 1 ]; then
    GW_ENV=(ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1)
    GW_LOGS=()
    [[ " $PASSES " == *" normal "* ]] && SFX_ASAN=-asan || SFX_ASAN=""
    run_pass asan "$ROOT/gateway/build/asan/leadgen-gateway" 2 "$SFX_ASAN" direct "$AREAS"
    section "sanitizers"
    LABEL="[asan] "
    reports=$(grep -lE 'ERROR: AddressSanitizer|runtime error:|LeakSanitizer' "${GW_LOGS[@]}" 2>/dev/null)
    if [ -z "$reports" ]; then
        ok "no AddressSanitizer, UndefinedBehaviorSanitizer or LeakSanitizer report in the gateways' stderr (${#GW_LOGS[@]} logs)"
    else
        not_ok "no sanitizer report in the gateways' stderr" "none" "reports in: $reports" \
            "$(grep -hE -A12 'ERROR: AddressSanitizer|runtime error:|LeakSanitizer' $reports | head -40)"
    fi
fi
LABEL=""
GW_ENV=()
if [ "$BUILT_NORMAL" = 1 ] && [[ " $PASSES " == *" pooler "* ]]; then
    run_pass pooler "$ROOT/gateway/leadgen-gateway" 3 -pooler pooler "$POOLER_AREAS"
fi
if [ "$BUILT_NORMAL" = 1 ] && [[ " $PASSES " == *" proxy "* ]]; then
    run_pass proxy "$ROOT/gateway/leadgen-gateway" 4 -proxy proxy "$PROXY_AREAS"
fi
LABEL=""

# ---------------------------------------------------------------- fuzz

section "fuzz"
if [ -f "$ROOT/gateway/src/fuzz_request.c" ]; then
    if make -C "$ROOT/gateway" fuzz >"$WORK/build-fuzz.log" 2>&1 && [ -x "$ROOT/gateway/build/fuzz/fuzz_request" ]; then
        mkdir -p "$WORK/corpus"
        cp "$HERE"/corpus/* "$WORK/corpus/"
        if (cd "$WORK" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
                "$ROOT/gateway/build/fuzz/fuzz_request" -max_total_time=20 -timeout=10 -rss_limit_mb=2048 \
                "$WORK/corpus" >"$WORK/fuzz.log" 2>&1); then
            ok "fuzz: fuzz_request ran 20 s over $(ls "$HERE/corpus" | wc -l) seeds without a crash ($(grep -oE '#[0-9]+' "$WORK/fuzz.log" | tail -1 | tr -d '#') runs)"
        else
            not_ok "fuzz: fuzz_request runs 20 s without a crash" "exit 0" "it failed" "$(grep -vE '^#[0-9]' "$WORK/fuzz.log" | tail -30)"
            local_f=
            for local_f in "$WORK"/crash-* "$WORK"/leak-* "$WORK"/timeout-*; do
                [ -f "$local_f" ] || continue
                echo "    input $(basename "$local_f"): $(head -c 200 "$local_f" | od -An -c | tr -s ' ' | head -4 | paste -sd' ' -)"
            done
        fi
    else
        not_ok "fuzz: make -C gateway fuzz builds build/fuzz/fuzz_request" "the fuzzer" "no" "$(tail -15 "$WORK/build-fuzz.log")"
    fi
else
    echo "fuzz: skipped, gateway/src/fuzz_request.c does not exist yet"
fi
exit 0
