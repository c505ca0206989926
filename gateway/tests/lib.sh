# Helpers of the leadgen-gateway end-to-end suite: HTTP requests through
# curl, assertions that count passes and failures, polling, SQL.
#
# Sourced by run.sh. Everything runs in run.sh's shell: the area scripts
# are sourced too, so that gateway processes started here stay children of
# that shell (wait gives their exit status).

PASS_N=0
FAIL_N=0
LABEL=${LABEL:-}

# Answers whose headers or error body break the rules every answer shares;
# summed up by check_every_answer at the end of a pass.
MISSING_HDRS=()
BAD_ERRORS=()

# ---------------------------------------------------------------- output

_snip() {	# a printable excerpt of a file or string: _snip FILE [BYTES]
    head -c "${2:-300}" "$1" 2>/dev/null | tr -c '[:print:]' '.'
}

# The request and answer of the last req, for a failure report.
evidence() {
    local h
    h=$(grep -iE '^(content-type|content-encoding|x-cache|retry-after|allow|x-ratelimit-[a-z]+|etag):' "$RQ_H" 2>/dev/null \
        | tr -d '\r' | paste -sd ';' -)
    printf '    request:  %s\n' "$LAST_REQ"
    printf '    answer:   %s (curl rc %s, %ss) %s\n' "$STATUS" "$CURL_RC" "$TIME" "$h"
    printf '    body:     %s\n' "$(_snip "$RQ_B" 400)"
}

ok() {	# name
    PASS_N=$((PASS_N + 1))
    printf 'ok   %s%s\n' "$LABEL" "$1"
}

not_ok() {	# name expected got [evidence...]
    FAIL_N=$((FAIL_N + 1))
    printf 'FAIL %s%s\n    expected: %s\n    got:      %s\n' "$LABEL" "$1" "$2" "$3"
    shift 3
    local l
    for l in "$@"; do printf '    %s\n' "$l"; done
}

section() { printf '\n--- %s%s\n' "$LABEL" "$*"; }

# ---------------------------------------------------------------- HTTP

# req METHOD PATH [curl arguments...]
# Environment (set for one call: KEY=... req GET /x): GW (base URL), KEY
# (API key; empty for anonymous), KEYHDR (bearer or x-api-key), SRC (the
# client address, 127.x.y.z: each area has its own anonymous rate bucket),
# TMO (seconds). Sets STATUS, TIME, CURL_RC, LAST_REQ; the answer's headers
# are in $RQ_H and body in $RQ_B.
req() {
    local method=$1 path=$2
    shift 2
    local url=$path
    case $path in http://*) ;; *) url=${GW}${path} ;; esac
    local args=(-s -X "$method" -D "$RQ_H" -o "$RQ_B" -w '%{http_code} %{time_total}'
                --max-time "${TMO:-15}" -H 'Expect:' --path-as-is)
    [ -n "${SRC:-}" ] && args+=(--interface "$SRC")
    if [ -n "${KEY:-}" ]; then
        if [ "${KEYHDR:-bearer}" = x-api-key ]; then
            args+=(-H "X-API-Key: $KEY")
        else
            args+=(-H "Authorization: Bearer $KEY")
        fi
    fi
    : >"$RQ_H"
    : >"$RQ_B"
    local out
    out=$(curl "${args[@]}" "$@" "$url" 2>/dev/null)
    CURL_RC=$?
    STATUS=${out%% *}
    TIME=${out#* }
    [ -z "$STATUS" ] && STATUS=000
    local who=anonymous
    [ -n "${KEY:-}" ] && who="key ${KEY_NAME[$KEY]:-${KEY:0:11}...}"
    LAST_REQ="$method ${url#"$GW"} ($who${SRC:+, from $SRC})"
    LAST_REQ=${LAST_REQ:0:300}
    _record_answer "$method ${path:0:120}"
    _capture_answer "$method" "$url"
}

# Every answer of the pass kept for the OpenAPI check (gateway/tests/openapi,
# run by check_every_answer) when CAPTURE_DIR is set.
CAPTURE_N=0
_capture_answer() {	# method url
    [ -n "${CAPTURE_DIR:-}" ] && [ "$STATUS" != 000 ] || return 0
    case $2 in "$GW"/*) ;; *) return 0 ;; esac
    CAPTURE_N=$((CAPTURE_N + 1))
    local f
    f=$(printf '%s/%06d' "$CAPTURE_DIR" "$CAPTURE_N")
    printf '%s %s %s %s\n' "$1" "${2#"$GW"}" "$STATUS" "$(hdr Content-Type)" | head -c 4000 >"$f.meta"
    if [ "$(hdr Content-Encoding)" = gzip ]; then
        gzip -dc "$RQ_B" >"$f.body" 2>/dev/null
    else
        cp "$RQ_B" "$f.body"
    fi
}

hdr() {	# the value of a header of the last answer (last occurrence)
    grep -i "^$1:" "$RQ_H" | tail -1 | cut -d: -f2- | sed 's/^[[:space:]]*//; s/\r$//'
}

has_hdr() { grep -qi "^$1:" "$RQ_H"; }

body() { cat "$RQ_B"; }

jqb() {	# jq over the last answer's body
    jq -r "$@" "$RQ_B" 2>/dev/null
}

_record_answer() {
    [ "$STATUS" = 000 ] && return 0
    local h miss=""
    for h in X-RateLimit-Limit X-RateLimit-Remaining X-RateLimit-Reset X-Request-Id; do
        has_hdr "$h" || miss="$miss $h"
    done
    [ -n "$miss" ] && MISSING_HDRS+=("$1 -> $STATUS lacks$miss")
    if [ "$STATUS" -ge 400 ]; then
        local ct
        ct=$(hdr Content-Type)
        if [[ ! $ct =~ ^application/json ]] ||
           ! jq -e '(.error|type=="object") and (.error.code|type=="string") and (.error.message|type=="string")' "$RQ_B" >/dev/null 2>&1; then
            BAD_ERRORS+=("$1 -> $STATUS, Content-Type '$ct', body: $(_snip "$RQ_B" 160)")
        fi
    fi
}

urlencode() { jq -rn --arg v "$1" '$v|@uri'; }

# curl over many URLs in one process (keep-alive): prints "CODE URL" per
# line. Arguments: a file with one URL a line, then curl options.
curl_many() {
    local list=$1
    shift
    local cfg
    cfg=$(mktemp "$WORK/curl-many.XXXXXX")
    local u
    while IFS= read -r u; do
        printf 'url = "%s"\noutput = "/dev/null"\n' "${u//\"/%22}" >>"$cfg"
    done <"$list"
    curl -s --path-as-is --max-time 20 -w '%{http_code} %{url_effective}\n' ${SRC:+--interface "$SRC"} "$@" -K "$cfg" 2>/dev/null
    rm -f "$cfg"
}

# ---------------------------------------------------------------- asserts

expect_status() {	# name codes (200 or "200|202")
    if [[ "|$2|" == *"|$STATUS|"* ]]; then
        ok "$1"
    else
        not_ok "$1" "status $2" "status $STATUS" "$(evidence)"
    fi
}

expect_jq() {	# name jq-filter [what it means]
    if jq -e "$2" "$RQ_B" >/dev/null 2>&1; then
        ok "$1"
    else
        not_ok "$1" "${3:-body satisfies $2}" "status $STATUS, body does not" "$(evidence)"
    fi
}

expect_hdr() {	# name header regex
    local v
    v=$(hdr "$2")
    if has_hdr "$2" && [[ $v =~ $3 ]]; then
        ok "$1"
    else
        not_ok "$1" "header $2 matching /$3/" "$(has_hdr "$2" && echo "'$v'" || echo 'no such header')" "$(evidence)"
    fi
}

expect_no_hdr() {	# name header [regex]
    local v
    v=$(hdr "$2")
    if ! has_hdr "$2" || { [ -n "${3:-}" ] && [[ ! $v =~ $3 ]]; }; then
        ok "$1"
    else
        not_ok "$1" "no header $2${3:+ matching /$3/}" "$2: $v" "$(evidence)"
    fi
}

expect_eq() {	# name expected got [evidence lines...]
    if [ "$2" = "$3" ]; then
        ok "$1"
    else
        local n=$1 e=$2 g=$3
        shift 3
        not_ok "$n" "$e" "$g" "$@"
    fi
}

# expect_cmd name expected-text command...: passes when the command succeeds.
expect_cmd() {
    local n=$1 e=$2
    shift 2
    if "$@"; then ok "$n"; else not_ok "$n" "$e" "it did not (command: $*)"; fi
}

expect_error() {	# name status [error code]: status, JSON error shape, code
    local n=$1
    expect_status "$n: status $2" "$2"
    if jq -e '(.error.code|type=="string") and (.error.message|type=="string")' "$RQ_B" >/dev/null 2>&1 &&
       [[ $(hdr Content-Type) =~ ^application/json ]]; then
        ok "$n: JSON error body"
    else
        not_ok "$n: JSON error body" '{"error":{"code":...,"message":...}} as application/json' \
            "Content-Type '$(hdr Content-Type)'" "$(evidence)"
    fi
    if [ -n "${3:-}" ]; then
        expect_eq "$n: error.code $3" "$3" "$(jqb .error.code)" "$(evidence)"
    fi
}

# ---------------------------------------------------------------- waiting

# poll SECONDS command...: run the command every 0.1 s until it succeeds.
poll() {
    local until=$(( $(date +%s%N) + $1 * 1000000000 ))
    shift
    while :; do
        "$@" && return 0
        [ "$(date +%s%N)" -ge "$until" ] && return 1
        sleep 0.1
    done
}

ms_now() { echo $(( $(date +%s%N) / 1000000 )); }

# Rate-limit windows are aligned on epoch minutes and the previous minute
# still weighs in the sliding window; a burst that straddles a boundary can
# legitimately get one more request through. Bursts that count exactly
# start at least 12 s before the next boundary.
away_from_minute_edge() {
    local s
    s=$(( $(date +%s) % 60 ))
    if [ "$s" -gt 48 ]; then
        sleep $(( 61 - s ))
    fi
}

# ---------------------------------------------------------------- SQL

sql() {	# one statement, unaligned tuples-only output
    "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U postgres -d "$DB" -c "$1" 2>&1
}

sql_ok() { "$PSQL" -X -q -At -h 127.0.0.1 -p "$PGPORT" -U postgres -d "$DB" -c "$1" >/dev/null 2>&1; }

pending_empty() { [ "$(sql 'SELECT count(*) FROM leadgen.leads_pending')" = 0 ]; }

# newkey VAR NAME TIER [BROKER]: create an API key, store it in VAR.
declare -A KEY_NAME
newkey() {
    local var=$1 name=$2 tier=$3 broker=${4:-NULL} k
    if ! k=$("$PSQL" -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U postgres -d "$DB" \
             -c "SELECT leadgen.api_key_create('$name', '$tier', $broker)" 2>&1) || [ -z "$k" ]; then
        echo "api_key_create('$name', '$tier', $broker) failed: $k" >&2
        return 1
    fi
    printf -v "$var" '%s' "$k"
    KEY_NAME[$k]=$name
}

# ---------------------------------------------------------------- ports

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {	# base: a free TCP port at or above base + random
    local p
    for _ in $(seq 1 200); do
        p=$(( $1 + RANDOM % 2000 ))
        port_free "$p" && { echo "$p"; return 0; }
    done
    return 1
}

# ---------------------------------------------------------------- gateways

declare -A GW_PID GW_PORT
GW_OPTS=()	# options every gateway of the pass gets (the pooler pass: --pooler ...)

# gw_start NAME PORT [options...]: start the gateway under test and wait for
# GET /health = 200, then (at most 10 s, not an error) for its listener's
# LISTEN: the listener drops the whole cache once it listens, which must not
# land between two GETs of a test. Its stderr goes to $WORK/NAME.stderr, its
# access log to $WORK/NAME.access.
gw_start() {
    local name=$1 port=$2 since
    shift 2
    since=$(sql "SELECT clock_timestamp()") || since=""
    env "${GW_ENV[@]}" "$GW_BIN" --port "$port" --db "$CONNINFO" --threads 2 \
        --access-log "$WORK/$name.access" "${GW_OPTS[@]}" "$@" >>"$WORK/$name.stderr" 2>&1 &
    GW_PID[$name]=$!
    GW_PORT[$name]=$port
    GW_LOGS+=("$WORK/$name.stderr")
    if poll 30 _health_ok "$port"; then
        if [ -n "$since" ]; then
            # the listener bumps the cache right after its LISTEN returns
            poll 10 _gw_listening_since "$since" && sleep 0.1
        fi
        return 0
    fi
    echo "gateway $name did not answer GET /health on port $port; its stderr:" >&2
    tail -20 "$WORK/$name.stderr" >&2
    return 1
}

# A gateway's listener connected at or after a time (gateway/src/db.c:
# application_name leadgen-gateway, LISTEN leadgen_changes), done with it.
_gw_listening_since() {
    [ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'leadgen-gateway'
               AND query = 'LISTEN leadgen_changes' AND state = 'idle' AND backend_start >= '$1'")" -ge 1 ] 2>/dev/null
}

_health_ok() {
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$1/health")" = 200 ]
}

# The /metrics of the pass's gateways, asked directly (the proxy pass has two).
pass_metrics() {
    local n
    for n in "$MAIN" "$MAIN-2"; do
        gw_alive "$n" && curl -s --max-time 5 "http://127.0.0.1:${GW_PORT[$n]}/metrics"
    done
}

gw_alive() { [ -n "${GW_PID[$1]:-}" ] && kill -0 "${GW_PID[$1]}" 2>/dev/null; }

# gw_stop NAME [SECONDS]: SIGTERM, then wait for the exit; GW_RC is the
# exit status, or "timeout" (then SIGKILL) after SECONDS.
gw_stop() {
    local pid=${GW_PID[$1]:-}
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
    gw_wait "$@"
}

# gw_wait NAME [SECONDS]: wait for an exit already asked for; sets GW_RC.
# (Not in a subshell: only this shell can wait for its children.)
gw_wait() {
    local name=$1 pid=${GW_PID[$1]:-}
    GW_RC=none
    [ -z "$pid" ] && return
    if poll "${2:-20}" _gone "$pid"; then
        wait "$pid" 2>/dev/null
        GW_RC=$?
    else
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        GW_RC=timeout
    fi
    unset "GW_PID[$name]"
}

is_json() { jq -e . "$1" >/dev/null 2>&1; }

_gone() { ! kill -0 "$1" 2>/dev/null || [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" = Z ]; }

gw_kill_all() {
    local n
    for n in "${!GW_PID[@]}"; do
        kill -KILL "${GW_PID[$n]}" 2>/dev/null
        wait "${GW_PID[$n]}" 2>/dev/null
    done
}

# ---------------------------------------------------------------- raw TCP

# raw_send PORT FILE: send the bytes of FILE on a new connection, print the
# first line of the answer (empty when the server closed the connection
# without one, or sent nothing within 1.5 s).
raw_send() {
    local fd
    exec {fd}<>"/dev/tcp/127.0.0.1/$1" || { echo "connect failed"; return 1; }
    cat "$2" 2>/dev/null 1>&"$fd"
    timeout 1.5 head -n 1 <&"$fd" 2>/dev/null | head -c 300 | tr -d '\r'
    exec {fd}>&-
}

# ---------------------------------------------------------------- leads

# A valid renters lead from Oregon (assigned to the fixture's Oregon
# agent), with a unique email so that it is never a duplicate.
# lead_json [external_id] [first_name]
lead_json() {
    jq -cn --arg ext "${1:-}" --arg fn "${2:-Olive}" \
        --arg em "gw.$PASSNO.$$.$(date +%s%N).$RANDOM@example.com" --arg now "$(date -u +%FT%TZ)" \
        '{source: "web_form", insurance_type: "renters", first_name: $fn, last_name: "Gateway",
          email: $em, zip_code: "97201", state: "OR", city: "Portland",
          tcpa_consent: true, consent_at: $now}
         + (if $ext == "" then {} else {external_id: $ext} end)'
}

lead_in_db() { [ -n "$(sql "SELECT 1 FROM leadgen.leads WHERE id = $1")" ]; }

# submit_lead: POST /api/v1/leads with $KEY; sets LEAD_ID (empty on failure).
submit_lead() {
    req POST /api/v1/leads -H 'Content-Type: application/json' --data-binary "${1:-$(lead_json)}"
    LEAD_ID=$(jqb '.id // empty')
}

# list_has_id ID: the last answer's .data holds a row with that id.
list_has_id() { jq -e --argjson id "$1" 'any(.data[]?; .id == $id)' "$RQ_B" >/dev/null 2>&1; }

# poll_list_until_id ID PATH: GET PATH (with $KEY, $GW) until it lists the
# lead; ok when it does within 10 s. Sets FIRST_CACHE to the X-Cache of the
# first answer that listed it.
poll_list_until_id() {
    FIRST_CACHE=""
    local until=$(( $(date +%s) + 10 ))
    while [ "$(date +%s)" -le "$until" ]; do
        req GET "$2"
        if [ "$STATUS" = 200 ] && list_has_id "$1"; then
            FIRST_CACHE=$(hdr X-Cache)
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# ---------------------------------------------------------------- poolers and proxies

# pgbouncer_start PORT: pgbouncer 1.18 in transaction mode in front of the
# suite's database, as the postgres user (pgbouncer refuses root), with a
# small pool so that the gateway's connections share server connections.
pgbouncer_start() {
    local port=$1 dir=$WORK/pgbouncer
    mkdir -p "$dir"
    cat >"$dir/pgbouncer.ini" <<INI
[databases]
$DB = host=127.0.0.1 port=$PGPORT dbname=$DB
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
default_pool_size = 3
max_client_conn = 200
query_wait_timeout = 10
server_reset_query =
ignore_startup_parameters = extra_float_digits
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
admin_users = postgres
INI
    printf '"leadgen_gateway" ""\n"postgres" ""\n' >"$dir/userlist.txt"
    [ "$(id -u)" -eq 0 ] && chown -R postgres: "$dir"
    "${AS_PG[@]}" pgbouncer -d "$dir/pgbouncer.ini" >>"$dir/start.log" 2>&1 || return 1
    poll 10 pgbouncer_up "$port"
}

pgbouncer_up() { "$PSQL" -X -q -At -h 127.0.0.1 -p "$1" -U leadgen_gateway -d "$DB" -c 'SELECT 1' >/dev/null 2>&1; }

pgbouncer_stop() {
    local pidf=$WORK/pgbouncer/pgbouncer.pid
    [ -f "$pidf" ] && kill -TERM "$(cat "$pidf")" 2>/dev/null
    poll 5 test ! -f "$pidf"
}

# nginx_start PORT UPSTREAM_PORT...: nginx with the shipped configuration
# (deploy/nginx/leadgen-gateway.conf), its listen and upstream ports
# replaced, in a prefix of its own under $WORK.
nginx_start() {
    local port=$1 dir=$WORK/nginx
    shift
    mkdir -p "$dir/logs" "$dir/tmp"
    chmod 1777 "$dir/tmp"	# nginx's workers (nobody) spool large bodies there
    local servers="" p
    for p in "$@"; do servers="$servers    server 127.0.0.1:$p max_fails=3 fail_timeout=10s;\n"; done
    # the upstream's server lines become ours; the listen lines our port (IPv4 only)
    sed -e '/^    server 127\.0\.0\.1:[0-9]* /d' \
        -e "s/^    least_conn;/    least_conn;\n$servers/" \
        -e "s/^    listen 8080;/    listen 127.0.0.1:$port;/" -e '/^    listen \[::\]:8080;/d' \
        "$ROOT/deploy/nginx/leadgen-gateway.conf" >"$dir/leadgen-gateway.conf"
    cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 1024; }
http {
    access_log $dir/logs/access.log;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    include $dir/leadgen-gateway.conf;
}
CONF
    nginx -t -p "$dir" -c "$dir/nginx.conf" >"$dir/test.log" 2>&1 || { cat "$dir/test.log" >&2; return 1; }
    nginx -p "$dir" -c "$dir/nginx.conf" >>"$dir/start.log" 2>&1 || return 1
    poll 10 _health_ok "$port"
}

nginx_stop() {
    local pidf=$WORK/nginx/nginx.pid
    [ -f "$pidf" ] && kill -QUIT "$(cat "$pidf")" 2>/dev/null
    poll 5 test ! -f "$pidf"
}
