#!/usr/bin/env bash
# Start (or stop) the throwaway pg_leadgen cluster of `make run`.
#
# The cluster lives in .run/ under the checkout (git ignores it), runs as
# the postgres user, listens on 127.0.0.1 and a socket in .run/, and has
# pg_leadgen and pg_stat_statements preloaded with the workers serving the
# database "leadgen". A second start reuses what exists.
#
# For test suites that want the same database (test/sqlsmith/run.sh):
# LEADGEN_RUN_DIR puts the cluster elsewhere, LEADGEN_CONF adds lines to
# a new cluster's postgresql.conf, LEADGEN_GATEWAY=0 makes the gateway's
# role but starts no gateway; PG_CONFIG picks the PostgreSQL.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN=${LEADGEN_RUN_DIR:-$ROOT/.run}
PGDATA=$RUN/data
PORT=${LEADGEN_PORT:-5499}
DB=${LEADGEN_DB:-leadgen}
BINDIR=$(${PG_CONFIG:-pg_config} --bindir)
AS_PG=(runuser -u postgres --)
export PGOPTIONS="-c client_min_messages=warning"
PSQL=("$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$RUN" -p "$PORT" -U postgres)
HTTP_PORT=${LEADGEN_HTTP_PORT:-8080}
GATEWAY=$ROOT/gateway/leadgen-gateway

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

running() { [ -f "$PGDATA/postmaster.pid" ] && "${AS_PG[@]}" "$BINDIR/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }

gateway_stop() {
    if [ -f "$RUN/gateway.pid" ] && kill -0 "$(cat "$RUN/gateway.pid")" 2>/dev/null; then
        kill -TERM "$(cat "$RUN/gateway.pid")"
        for _ in $(seq 1 50); do kill -0 "$(cat "$RUN/gateway.pid")" 2>/dev/null || break; sleep 0.2; done
        say "stopped the gateway"
    fi
    rm -f "$RUN/gateway.pid"
}

# Whether a key is live in the database.
key_live() { [ "$("${PSQL[@]}" -d "$DB" -Atc "SELECT count(*) FROM leadgen.api_key_verify('$1')")" = 1 ]; }

# The gateway's own role: leadgen_api, which may call the route functions
# and nothing else (docs/SECURITY.md). The one place it is made: the
# SQLsmith suite fuzzes with these rights too.
gateway_role() {
    "${PSQL[@]}" -d "$DB" -qc "DO \$\$ BEGIN CREATE ROLE leadgen_gateway LOGIN IN ROLE leadgen_api;
                                EXCEPTION WHEN duplicate_object THEN NULL; END \$\$"
}

# The gateway on 127.0.0.1:$HTTP_PORT, with a partner and an admin key
# (kept in .run/keys, readable by root only). A second run keeps the keys
# of the first, so that a key exported from it goes on working.
gateway_start() {
    gateway_stop
    say "starting leadgen-gateway on 127.0.0.1:$HTTP_PORT"
    PARTNER_KEY=""
    ADMIN_KEY=""
    # shellcheck disable=SC1091
    [ -f "$RUN/keys" ] && . "$RUN/keys"
    if [ -z "$PARTNER_KEY" ] || [ -z "$ADMIN_KEY" ] || ! key_live "$PARTNER_KEY" || ! key_live "$ADMIN_KEY"; then
        "${PSQL[@]}" -d "$DB" -Atc "DELETE FROM leadgen.api_keys WHERE name IN ('demo-partner', 'demo-admin')"
        PARTNER_KEY=$("${PSQL[@]}" -d "$DB" -Atc "SELECT leadgen.api_key_create('demo-partner', 'partner')")
        ADMIN_KEY=$("${PSQL[@]}" -d "$DB" -Atc "SELECT leadgen.api_key_create('demo-admin', 'admin')")
        (umask 077; printf 'PARTNER_KEY=%s\nADMIN_KEY=%s\n' "$PARTNER_KEY" "$ADMIN_KEY" > "$RUN/keys")
    else
        say "keeping the API keys of $RUN/keys"
    fi
    gateway_role
    "$GATEWAY" --port "$HTTP_PORT" --db "host=$RUN port=$PORT dbname=$DB user=leadgen_gateway" \
        --access-log "$RUN/gateway-access.log" >"$RUN/gateway.log" 2>&1 &
    echo $! > "$RUN/gateway.pid"
    for _ in $(seq 1 50); do
        curl -fs "http://127.0.0.1:$HTTP_PORT/ready" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "pg_leadgen: the gateway did not come up; see $RUN/gateway.log" >&2
    return 1
}

# A lead through the REST API, from submission to assignment.
gateway_demo() {
    local api="http://127.0.0.1:$HTTP_PORT/api/v1" id
    say "POST /api/v1/leads (partner key)"
    local lead
    lead=$(printf '{"source":"referral","insurance_type":"auto","first_name":"Rest","last_name":"Client","email":"rest.client.%s@example.com","phone":"(415) 555-%04d","date_of_birth":"1988-03-04","zip_code":"94103","state":"CA","city":"San Francisco","tcpa_consent":true,"consent_at":"%s","vehicles":[{"year":2021,"make":"Honda","model":"Civic"}]}' \
        "$(date +%s%N)" "$((RANDOM % 10000))" "$(date -u +%Y-%m-%dT%H:%M:%SZ)")
    curl -s -i -H "Authorization: Bearer $PARTNER_KEY" -H 'Content-Type: application/json' -d "$lead" "$api/leads" \
        | grep -E '^(HTTP|X-Request-Id|X-RateLimit-Remaining)|^\{' | tee "$RUN/last-post"
    id=$(grep -o '"id" *: *[0-9]*' "$RUN/last-post" | grep -o '[0-9]*$')
    for _ in $(seq 1 50); do
        curl -fs -H "X-API-Key: $PARTNER_KEY" "$api/leads/$id" >/dev/null 2>&1 && break
        sleep 0.1
    done
    say "GET /api/v1/leads/$id (processed by the workers)"
    curl -s -H "X-API-Key: $PARTNER_KEY" "$api/leads/$id" | head -c 400; echo
    say "GET /api/v1/leads?limit=3&fields=id,status,quality_score (twice: MISS, then HIT)"
    curl -s -o /dev/null -D - -H "X-API-Key: $PARTNER_KEY" "$api/leads?limit=3&fields=id,status,quality_score" | grep -i '^x-cache'
    curl -s -D - -H "X-API-Key: $PARTNER_KEY" "$api/leads?limit=3&fields=id,status,quality_score" | grep -iE '^x-cache|^\{'
    say "GET /api/v1/performance/jobs/metrics?queue=leads (admin key)"
    curl -s -H "X-API-Key: $ADMIN_KEY" "$api/performance/jobs/metrics?queue=leads" | head -c 300; echo
}

stop() {
    gateway_stop
    if running; then
        "$ROOT/scripts/cluster.sh" stop "$PGDATA" fast
        say "stopped the cluster in $PGDATA"
    else
        say "no cluster running in $PGDATA"
    fi
}

start() {
    mkdir -p "$RUN"
    chown postgres: "$RUN"
    if ! "${AS_PG[@]}" test -w "$RUN"; then
        echo "pg_leadgen: the postgres user cannot write $RUN (a parent folder is closed to it)." >&2
        echo "Clone the project somewhere the postgres user can reach, e.g. under /srv or /tmp." >&2
        exit 1
    fi

    if [ ! -f "$PGDATA/PG_VERSION" ]; then
        say "creating a cluster in $PGDATA"
        "$ROOT/scripts/cluster.sh" init "$PGDATA" "$PORT" "$DB" "$RUN" <<CONF
max_connections = 200
shared_buffers = 512MB
${LEADGEN_CONF:-}
CONF
    fi

    if running; then
        say "reusing the running cluster in $PGDATA"
    else
        say "starting PostgreSQL on port $PORT"
        "$ROOT/scripts/cluster.sh" start "$PGDATA" "$RUN/postgres.log"
    fi

    if [ "$("${PSQL[@]}" -d postgres -Atc "SELECT count(*) FROM pg_database WHERE datname = '$DB'")" = 0 ]; then
        "${PSQL[@]}" -d postgres -c "CREATE DATABASE $DB"
    fi
    "${PSQL[@]}" -d "$DB" -c "CREATE EXTENSION IF NOT EXISTS pg_leadgen CASCADE"
    # HypoPG gives the index advisor the planner's cost with each proposed
    # index (cost_after); scripts/deps.sh installs it
    "${PSQL[@]}" -d "$DB" -c "CREATE EXTENSION IF NOT EXISTS hypopg"
    say "loading the demo data set"
    "${PSQL[@]}" -d "$DB" -f "$ROOT/scripts/demo.sql"

    # The launcher connects to $DB; when the database was just created it
    # comes up at its next restart (10 s at most).
    for _ in $(seq 1 60); do
        [ "$("${PSQL[@]}" -d "$DB" -Atc "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_leadgen launcher'")" = 1 ] && break
        sleep 0.5
    done

    "${PSQL[@]}" -d "$DB" <<'SQL'
\echo
\echo pg_leadgen is ready:
SELECT leadgen.version() AS version, leadgen.preloaded() AS workers_loaded,
       (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'pg_leadgen launcher') AS launcher,
       (SELECT count(*) FROM leadgen.brokers) AS brokers,
       (SELECT count(*) FROM leadgen.carriers) AS carriers,
       (SELECT count(*) FROM leadgen.agents) AS agents,
       (SELECT count(*) FROM leadgen.partitions('leadgen.leads')) AS lead_partitions;
SQL
    # the demo leads once: a second run shows them again without adding any
    local demo
    demo=$("${PSQL[@]}" -d "$DB" -Atc "SELECT count(*) FROM leadgen.lead_external_ids WHERE external_id LIKE 'demo-%'")
    if [ "$demo" = 0 ]; then
        say "feeding demo leads"
        "${PSQL[@]}" -d "$DB" -f "$ROOT/scripts/demo-leads.sql"
    else
        say "the $demo demo leads of an earlier run are there; not feeding more"
        "${PSQL[@]}" -d "$DB" -v show_only=1 -f "$ROOT/scripts/demo-leads.sql"
    fi

    if [ "${LEADGEN_GATEWAY:-1}" = 0 ]; then
        gateway_role
        return 0
    fi
    gateway_start
    gateway_demo

    cat <<MSG

Connect with:
    psql -h $RUN -p $PORT -U postgres $DB
    (or: psql "host=127.0.0.1 port=$PORT user=postgres dbname=$DB")
REST API:   http://127.0.0.1:$HTTP_PORT/api/v1/...  (keys in $RUN/keys; GET /openapi.json lists the routes)
    . $RUN/keys; curl -H "X-API-Key: \$PARTNER_KEY" 'http://127.0.0.1:$HTTP_PORT/api/v1/leads?limit=5'
Dashboard:  http://127.0.0.1:$HTTP_PORT/dashboard  (type ADMIN_KEY of $RUN/keys into the page)
Logs:       $RUN/postgres.log, $RUN/gateway.log, $RUN/gateway-access.log
Stop with:  make stop
MSG
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
