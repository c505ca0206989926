#!/usr/bin/env bash
# Load scenarios of pg_leadgen's REST gateway, with Artillery: one command
# starts the stack, runs the scenarios and prints one table.
#
#   bench/load/run.sh                     baseline, stress, spike, endurance (10 min), api
#   bench/load/run.sh --quick             a few seconds a phase: to check the harness
#   bench/load/run.sh --only stress,spike some of them
#   bench/load/run.sh --endurance-minutes 240
#                                         the long form of the endurance run
#   bench/load/run.sh --install           make install pg_leadgen first
#
# Scenarios (bench/load/leadgen.yml): a realistic mix of users, arriving
# at a given rate a second, each running one flow: a vendor posting a lead
# (30 %) or a batch of 20 (3 %), a portal listing leads with filters and a
# sort, then following the cursor (35 %), opening a lead (12 %), reading
# agents and the configuration (10 %), an operator's dashboard reads with an
# internal key (10 %). Partner calls use 50 partner keys (1,000 requests a
# minute each: the 429 column counts the limits met).
#   baseline    20 users/s for 60 s
#   stress      steps of 25, 50, 100, 200, 300, 400 users/s, 30 s each; the
#               knee is the first step whose P95 is over twice the first
#               step's, or whose answers fall under 90 % of the requests sent,
#               or whose errors pass 1 %
#   spike       10 users/s, 300 for 15 s, 10 again
#   endurance   40 users/s for 10 minutes (--endurance-minutes for longer)
#   api         the API tour: every read route and a submission in turn, 15/s
# wrk stays the tool for peak throughput (bench/gateway/run.sh): Artillery's
# single Node process tops out far below the gateway.
#
# As root on Debian 12. Installs Node and npm when missing, Artillery into
# bench/load/node_modules (git ignores it; no browser is downloaded), and
# pg_leadgen (make install) when it is not installed (PG_CONFIG is
# honoured). Starts a throwaway PostgreSQL 15 cluster as the postgres user
# (port BENCH_PG_PORT, 5496 by default; data under /tmp, removed at the
# end) with the demo agents and carriers and 100,000 leads, and the gateway
# on 127.0.0.1:BENCH_HTTP_PORT (18590) with --threads BENCH_GATEWAY_THREADS
# (2). BENCH_WORKERS and BENCH_SHARED_BUFFERS set the cluster's pipeline
# workers and shared_buffers (bench/lib/cluster.sh). Writes the table to
# bench/out/load-results.md; Artillery's reports stay in bench/load/out/.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=$HERE/out
RESULTS_MD=$ROOT/bench/out/load-results.md

QUICK=0
INSTALL=0
ONLY=baseline,stress,spike,endurance,api
ENDURANCE_MIN=10
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --install) INSTALL=1 ;;
        --only) ONLY=${2:?--only needs a list}; shift ;;
        --only=*) ONLY=${1#--only=} ;;
        --endurance-minutes) ENDURANCE_MIN=${2:?}; shift ;;
        --endurance-minutes=*) ENDURANCE_MIN=${1#*=} ;;
        -h|--help) sed -n '2,40p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option: $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
[[ "$ENDURANCE_MIN" =~ ^[1-9][0-9]*$ ]] || { echo "--endurance-minutes: a whole number" >&2; exit 2; }

LEADS=100000
PG_PORT=${BENCH_PG_PORT:-5496}
HTTP_PORT=${BENCH_HTTP_PORT:-18590}
GW_THREADS=${BENCH_GATEWAY_THREADS:-2}
PG_CONFIG=${PG_CONFIG:-pg_config}
DB=bench
AS_PG=(runuser -u postgres --)
STRESS_STEPS=(25 50 100 200 300 400)
STEP_SECONDS=$(( QUICK ? 10 : 30 ))

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf '\033[1;31m!! %s\033[0m\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (the cluster runs as the postgres user through runuser)"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
command -v "$PG_CONFIG" >/dev/null || die "no $PG_CONFIG (install postgresql-server-dev-15, or set PG_CONFIG)"
PGBIN=$("$PG_CONFIG" --bindir)
if [ "$INSTALL" = 1 ] || [ ! -f "$("$PG_CONFIG" --sharedir)/extension/pg_leadgen.control" ]; then
    say "building and installing pg_leadgen"
    make -s -C "$ROOT" PG_CONFIG="$PG_CONFIG" >/dev/null && make -s -C "$ROOT" PG_CONFIG="$PG_CONFIG" install >/dev/null
fi
[ -x "$ROOT/gateway/leadgen-gateway" ] || make -s -C "$ROOT/gateway" PG_CONFIG="$PG_CONFIG" >/dev/null
if [ ! -x "$HERE/node_modules/.bin/artillery" ] || [ "$HERE/package-lock.json" -nt "$HERE/node_modules/.package-lock.json" ]; then
    say "installing Artillery (npm ci into bench/load/node_modules)"
    # Artillery's Playwright engine would download a browser: not needed here
    (cd "$HERE" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
ARTILLERY=$HERE/node_modules/.bin/artillery

# ---------------------------------------------------------------- the stack

WORK=$(mktemp -d /tmp/pg_leadgen-bench-load.XXXXXX)
chown postgres: "$WORK"
GW_PID=""
# shellcheck source=../lib/cluster.sh
. "$ROOT/bench/lib/cluster.sh"
cleanup() {
    [ -n "$GW_PID" ] && kill -TERM "$GW_PID" 2>/dev/null && wait "$GW_PID" 2>/dev/null
    bench_cluster_stop
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PSQL=("$PGBIN/psql" -X -q -v ON_ERROR_STOP=1)
say "starting PostgreSQL 15 on port $PG_PORT in $WORK"
bench_cluster_start bench/load/run.sh
say "loading the demo agents and carriers and $LEADS leads"
"${PSQL[@]}" -f "$ROOT/scripts/demo.sql" >/dev/null
"${PSQL[@]}" -v leads="$LEADS" -f "$ROOT/bench/gateway/sql/load.sql" >/dev/null
# room for every lead the runs assign
"${PSQL[@]}" -c "UPDATE leadgen.agents SET max_leads = 1000000"
read -r LEAD_MIN LEAD_MAX < <("${PSQL[@]}" -Atc "SELECT min(id), max(id) FROM leadgen.leads" | tr '|' ' ')
export LEADGEN_LEAD_ID_MIN=$LEAD_MIN LEADGEN_LEAD_ID_MAX=$LEAD_MAX

mkdir -p "$OUT" "$(dirname "$RESULTS_MD")"
rm -f "$OUT"/*.json "$OUT"/*.log
echo partnerKey > "$OUT/keys.csv"
for i in $(seq 1 50); do
    "${PSQL[@]}" -Atc "SELECT leadgen.api_key_create('load-partner-$i', 'partner')" >> "$OUT/keys.csv"
done
LEADGEN_INTERNAL_KEY=$("${PSQL[@]}" -Atc "SELECT leadgen.api_key_create('load-internal', 'internal')")
export LEADGEN_INTERNAL_KEY
"${PSQL[@]}" -c "CREATE ROLE leadgen_gateway LOGIN IN ROLE leadgen_api"

say "starting the gateway on 127.0.0.1:$HTTP_PORT"
"$ROOT/gateway/leadgen-gateway" --port "$HTTP_PORT" --threads "$GW_THREADS" --access-log off \
    --db "host=$WORK port=$PG_PORT dbname=$DB user=leadgen_gateway" >"$OUT/gateway.log" 2>&1 &
GW_PID=$!
for _ in $(seq 1 50); do
    curl -fs "http://127.0.0.1:$HTTP_PORT/ready" >/dev/null 2>&1 && break
    sleep 0.2
done
curl -fs "http://127.0.0.1:$HTTP_PORT/ready" >/dev/null || die "the gateway is not ready (see $OUT/gateway.log)"
TARGET=http://127.0.0.1:$HTTP_PORT

# ---------------------------------------------------------------- the runs

RUNS=$OUT/runs.tsv
: > "$RUNS"
drain() {	# the queue empty before the next run (at most a minute)
    for _ in $(seq 1 60); do
        [ "$("${PSQL[@]}" -Atc 'SELECT count(*) FROM leadgen.leads_pending')" = 0 ] && return
        sleep 1
    done
}

# artillery_run NAME ARRIVALS ARGS...: one run, its report in out/NAME.json
artillery_run() {
    local name=$1 arrivals=$2
    shift 2
    drain
    say "$name ($arrivals users/s)"
    (cd "$HERE" && "$ARTILLERY" run --target "$TARGET" --output "$OUT/$name.json" "$@" leadgen.yml \
        >"$OUT/$name.log" 2>&1) || printf '!! %s: artillery failed (see %s)\n' "$name" "$OUT/$name.log" >&2
    printf '%s\t%s\t%s\n' "$name" "$arrivals" "$OUT/$name.json" >> "$RUNS"
}

Q=""; [ "$QUICK" = 1 ] && Q=-quick
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
for s in ${ONLY//,/ }; do
    case $s in
        baseline) artillery_run baseline 20 -e "baseline$Q" ;;
        stress)
            for r in "${STRESS_STEPS[@]}"; do
                artillery_run "stress-$r" "$r" --overrides \
                    "{\"config\":{\"phases\":[{\"duration\":$STEP_SECONDS,\"arrivalRate\":$r,\"name\":\"step $r/s\"}]}}"
            done ;;
        spike) artillery_run spike "10-300-10" -e "spike$Q" ;;
        endurance)
            if [ "$QUICK" = 1 ]; then
                artillery_run endurance 40 -e endurance-quick
            else
                artillery_run "endurance-${ENDURANCE_MIN}min" 40 --overrides \
                    "{\"config\":{\"phases\":[{\"duration\":$((ENDURANCE_MIN * 60)),\"arrivalRate\":40,\"name\":\"steady 40/s\"}]}}"
            fi ;;
        api) artillery_run api 15 -e "api$Q" --scenario-name "api tour" ;;
        *) die "no scenario \"$s\" (baseline, stress, spike, endurance, api)" ;;
    esac
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

{
    echo "# pg_leadgen load scenarios (Artillery)"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$( [ "$QUICK" = 1 ] && echo ', --quick (a few seconds a phase: preliminary)'),"
    echo "$(nproc) cores, load average $LOAD_START at start, $LOAD_END at end; Artillery $("$ARTILLERY" version 2>/dev/null | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -1),"
    echo "PostgreSQL $("$PGBIN/postgres" --version | awk '{ print $3 }'), $LEADS leads, gateway --threads $GW_THREADS, Artillery on the same machine."
    echo
    node "$HERE/report.js" "$RUNS"
    echo
    echo "Offered load: new virtual users a second, each running one flow of the"
    echo "mix, and the requests a second they sent; achieved: HTTP answers a second"
    echo "(any status); errors: timeouts, refused connections and 5xx answers."
} > "$RESULTS_MD"
echo
cat "$RESULTS_MD"
echo
say "written to ${RESULTS_MD#"$ROOT"/} (Artillery's reports in bench/load/out/)"
