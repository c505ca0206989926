# The database going away and coming back (503 with Retry-After, /health
# still 200, recovery), a restart under load, and the SIGTERM drain.

_is_200() { req GET "$1"; [ "$STATUS" = 200 ]; }
# The statement is the call of perf_analyze_query; pg_sleep shows as the
# backend's wait event.
_pg_sleep_running() {
    [ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND wait_event = 'PgSleep' AND datname = current_database()")" -ge 1 ] 2>/dev/null
}

area_resilience() {
    section "resilience"
    SRC=127.$PASSNO.40.1

    # ---- database stopped
    pg -m fast -w stop
    KEY=$K_INTERNAL req GET "/api/v1/leads?limit=3&offset=$RANDOM"
    expect_error "resilience: database stopped: GET /api/v1/leads (internal key)" 503
    expect_hdr "resilience: ... with Retry-After" Retry-After '^[0-9]+$'
    KEY=$K_PARTNER req POST /api/v1/leads -H 'Content-Type: application/json' --data-binary "$(lead_json)"
    expect_error "resilience: database stopped: POST /api/v1/leads" 503
    req GET "/api/v1/agents?limit=2&offset=$RANDOM"
    expect_error "resilience: database stopped: anonymous GET /api/v1/agents (uncached)" 503
    KEY=$K_INTERNAL req GET /api/v1/performance/database/size
    expect_status "resilience: database stopped: GET /performance/database/size is 503" 503
    req GET /health
    expect_status "resilience: database stopped: /health is still 200" 200
    req GET /ready
    expect_error "resilience: database stopped: /ready" 503
    expect_cmd "resilience: the gateway is alive with the database down" "process alive" gw_alive "$MAIN"
    pg -w start
    local t0=$(ms_now)
    if KEY=$K_INTERNAL poll 10 _is_200 '/api/v1/leads?limit=1&offset=1'; then
        ok "resilience: database back: GET /api/v1/leads is 200 again after $(( $(ms_now) - t0 )) ms"
    else
        not_ok "resilience: database back: GET /api/v1/leads is 200 within 10 s" 200 "status $STATUS" "$(evidence)"
    fi
    req GET /ready
    expect_status "resilience: database back: /ready is 200" 200
    KEY=$K_PARTNER submit_lead
    expect_status "resilience: database back: POST /api/v1/leads is 202" 202

    # ---- restart under load: a reader and a writer loop meanwhile
    : >"$WORK/load.read"
    : >"$WORK/load.write"
    (
        while :; do
            curl -s -o /dev/null -w '%{http_code}\n' --max-time 5 -H "Authorization: Bearer $K_INTERNAL" \
                "$GW/api/v1/leads?limit=2&offset=$RANDOM"
        done >>"$WORK/load.read"
    ) &
    local reader=$!
    BG_PIDS+=("$reader")
    (
        while :; do
            curl -s -o "$WORK/load.wbody" -w '%{http_code} ' --max-time 5 -H "Authorization: Bearer $K_PARTNER" \
                -H 'Content-Type: application/json' --data-binary "$(lead_json)" "$GW/api/v1/leads"
            jq -r '.id // "-"' "$WORK/load.wbody" 2>/dev/null || echo -
        done >>"$WORK/load.write"
    ) &
    local writer=$!
    BG_PIDS+=("$writer")
    sleep 1
    pg -m fast -w restart
    t0=$(ms_now)
    KEY=$K_INTERNAL poll 15 _is_200 "/api/v1/leads?limit=1&offset=2"
    local back=$(( $(ms_now) - t0 ))
    # The gateway's other threads may wait out their reconnection backoff
    # (BACKOFF_MAX, 2 s in gateway/src/db.c) before they try again.
    sleep 2.5
    kill "$reader" "$writer" 2>/dev/null
    wait "$reader" "$writer" 2>/dev/null
    sleep 0.2
    expect_cmd "resilience: the gateway survived a database restart under load" "process alive" gw_alive "$MAIN"
    local rcodes wcodes
    rcodes=$(sort "$WORK/load.read" | uniq -c | awk '{printf "%s x%s ", $2, $1}')
    wcodes=$(cut -d' ' -f1 "$WORK/load.write" | sort | uniq -c | awk '{printf "%s x%s ", $2, $1}')
    if ! grep -qvE '^(200|503)$' "$WORK/load.read" && [ -s "$WORK/load.read" ]; then
        ok "resilience: reads during the restart were 200 or 503 ($rcodes)"
    else
        not_ok "resilience: reads during the restart are 200 or 503 only" "200/503" "$rcodes"
    fi
    if ! cut -d' ' -f1 "$WORK/load.write" | grep -qvE '^(202|503)$' && [ -s "$WORK/load.write" ]; then
        ok "resilience: writes during the restart were 202 or 503 ($wcodes)"
    else
        not_ok "resilience: writes during the restart are 202 or 503 only" "202/503" "$wcodes"
    fi
    expect_eq "resilience: reads are 200 again after the restart (last answer)" 200 "$(tail -1 "$WORK/load.read")" \
        "back after $back ms: $rcodes"
    # Every lead acknowledged with 202 during the restart exists.
    local ids lost
    ids=$(awk '$1 == 202 && $2 ~ /^[0-9]+$/ {print $2}' "$WORK/load.write" | paste -sd, -)
    if [ -n "$ids" ]; then
        lost=$(sql "SELECT string_agg(i::text, ' ') FROM unnest('{$ids}'::bigint[]) i
                     WHERE NOT EXISTS (SELECT 1 FROM leadgen.leads l WHERE l.id = i)
                       AND NOT EXISTS (SELECT 1 FROM leadgen.leads_pending p WHERE p.id = i)")
        expect_eq "resilience: every lead acknowledged (202) around the restart exists ($(tr ',' '\n' <<<"$ids" | wc -l))" "" "$lost"
    else
        not_ok "resilience: leads were acknowledged around the restart" "some 202" "none: $wcodes"
    fi

    # ---- SIGTERM drain: an in-flight request completes, the exit is 0,
    # new connections are refused.
    local D=drain-$PASS_NAME
    if ! gw_start "$D" "$(free_port 20080)"; then
        not_ok "resilience: a gateway for the drain test starts" "GET /health 200" "no"
        return
    fi
    local dgw=http://127.0.0.1:${GW_PORT[$D]}
    curl -s -o "$WORK/drain.body" -w '%{http_code}' --max-time 20 -H "Authorization: Bearer $K_ADMIN_DRAIN" \
        -H 'Content-Type: application/json' --data-binary '{"query":"select pg_sleep(2)","analyze":true}' \
        "$dgw/api/v1/performance/database/analyze-query" >"$WORK/drain.code" &
    local inflight=$!
    if poll 5 _pg_sleep_running && kill -0 "$inflight" 2>/dev/null; then
        ok "resilience: the slow request (analyze-query of pg_sleep(2)) is in flight"
    else
        not_ok "resilience: the slow request is in flight" "pg_sleep in pg_stat_activity, curl still waiting" "not seen"
    fi
    t0=$(ms_now)
    kill -TERM "${GW_PID[$D]}"
    local still=no
    kill -0 "$inflight" 2>/dev/null && still=yes
    # New connections while the request drains: each attempt's curl exit
    # status (7 = refused, 28 = accepted but no answer, 52/56 = closed).
    local rcs="" r refused=no
    while [ $(( $(ms_now) - t0 )) -lt 1200 ] && kill -0 "$inflight" 2>/dev/null; do
        curl -s -o /dev/null --max-time 0.3 "$dgw/health"
        r=$?
        rcs="$rcs $r@$(( $(ms_now) - t0 ))ms"
        [ "$r" = 7 ] && { refused=yes; break; }
        sleep 0.05
    done
    if [ "$refused" = yes ]; then
        ok "resilience: during the drain, new connections are refused (curl:$rcs)"
    else
        not_ok "resilience: during the drain, new connections are refused within 1.2 s of SIGTERM" \
            "curl exit 7 (connection refused)" "curl exit status @ time after SIGTERM:$rcs" \
            "(28 = connected but no answer within 0.3 s, 52/56 = closed without an answer)"
    fi
    wait "$inflight"
    expect_eq "resilience: the request in flight at SIGTERM (still waiting: $still) completes with 200" "200 yes" \
        "$(cat "$WORK/drain.code") $still" "body: $(_snip "$WORK/drain.body" 200)"
    expect_cmd "resilience: ... and its body is JSON" "valid JSON" is_json "$WORK/drain.body"
    gw_wait "$D" 15
    expect_eq "resilience: the drained gateway exits 0" 0 "$GW_RC" "stderr: $(tail -5 "$WORK/$D.stderr" | tr '\n' ' ')"

    # ---- SIGTERM while a lead waits on a locked queue longer than
    # --drain-seconds: its statement is cancelled, the client gets a JSON
    # error, and the gateway exits 0 (no connection left suspended).
    local H=hang-$PASS_NAME
    if ! gw_start "$H" "$(free_port 20090)" --drain-seconds 1; then
        not_ok "resilience: a gateway with --drain-seconds 1 starts" "GET /health 200" "no"
        return
    fi
    "$PSQL" -X -q -h 127.0.0.1 -p "$PGPORT" -U postgres -d "$DB" -c "BEGIN" \
        -c "LOCK TABLE leadgen.leads_pending IN ACCESS EXCLUSIVE MODE" -c "SELECT pg_sleep(20)" >/dev/null 2>&1 &
    local locker=$!
    poll 5 _pg_sleep_running
    curl -s -o "$WORK/hang.body" -w '%{http_code}' --max-time 30 -H "Authorization: Bearer $K_INTERNAL" \
        -H 'Content-Type: application/json' --data-binary "$(lead_json)" \
        "http://127.0.0.1:${GW_PORT[$H]}/api/v1/leads" >"$WORK/hang.code" &
    local waiting=$!
    if poll 5 _lead_waits_on_lock && kill -0 "$waiting" 2>/dev/null; then
        ok "resilience: a POST waits on the locked leads_pending"
    else
        not_ok "resilience: a POST waits on the locked leads_pending" "a gateway statement waiting on a lock" "not seen"
    fi
    t0=$(ms_now)
    kill -TERM "${GW_PID[$H]}"
    gw_wait "$H" 15
    local took=$(( $(ms_now) - t0 ))
    expect_eq "resilience: the gateway stopped with a request stuck past --drain-seconds exits 0 (in $took ms)" 0 "$GW_RC" \
        "stderr: $(tail -5 "$WORK/$H.stderr" | tr '\n' ' ')"
    expect_cmd "resilience: ... within 8 s ($took ms)" "under 8000 ms" test "$took" -lt 8000
    wait "$waiting"
    expect_eq "resilience: ... and the stuck POST is answered 504 (its statement cancelled)" 504 "$(cat "$WORK/hang.code")" \
        "body: $(_snip "$WORK/hang.body" 200)"
    expect_cmd "resilience: ... with a JSON error body" "valid JSON" is_json "$WORK/hang.body"
    sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND datname = current_database()" >/dev/null
    wait "$locker" 2>/dev/null || true

    # ---- SIGTERM while a client is still sending its head: no request of
    # its is in flight, so the drain does not wait for it (it waited
    # --drain-seconds and 5 s more for a client that never finished).
    local P=partial-$PASS_NAME
    if gw_start "$P" "$(free_port 20090)" --drain-seconds 3; then
        exec 9<>"/dev/tcp/127.0.0.1/${GW_PORT[$P]}"
        printf 'GET /health HTTP/1.1\r\nHost: a\r\n' >&9
        sleep 0.3
        t0=$(ms_now)
        kill -TERM "${GW_PID[$P]}"
        gw_wait "$P" 15
        took=$(( $(ms_now) - t0 ))
        exec 9<&- 9>&-
        expect_eq "resilience: SIGTERM with a client still sending its head: exits 0 (in $took ms)" 0 "$GW_RC"
        expect_cmd "resilience: ... without waiting --drain-seconds (3 s) for it ($took ms)" "under 2000 ms" test "$took" -lt 2000
    else
        not_ok "resilience: a gateway with --drain-seconds 3 starts" "GET /health 200" "no"
    fi
}

_lead_waits_on_lock() {
    [ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND application_name = 'leadgen-gateway' AND datname = current_database()")" -ge 1 ] 2>/dev/null
}
