# Every error status with its JSON body: 400, 401, 403, 404, 405, 413, 415
# (422 is in leads.sh, 429 in ratelimit.sh, 503 in resilience.sh).

_is_401() { req GET '/api/v1/leads?limit=1'; [ "$STATUS" = 401 ]; }

area_errors() {
    section "errors"
    SRC=127.$PASSNO.7.1
    local L=/api/v1/leads

    # ---- 400
    KEY=$K_PARTNER req GET "$L?limit=abc"
    expect_error "errors: limit=abc" 400
    KEY=$K_PARTNER req GET "$L?limit=-5"
    expect_status "errors: limit=-5 is 400" 400
    # every positive limit is capped at 500, however large (within 10 digits)
    local l
    for l in 1000000000 1000000001 9999999999; do
        KEY=$K_PARTNER req GET "$L?limit=$l&fields=id"
        expect_status "errors: limit=$l is capped (200)" 200
        expect_jq "errors: ... at 500" '.limit == 500'
    done
    KEY=$K_PARTNER req GET "$L?offset=xyz"
    expect_error "errors: offset=xyz" 400
    KEY=$K_PARTNER req GET "$L?sort=bogus"
    expect_error "errors: sort=bogus" 400
    KEY=$K_PARTNER req GET "$L?sort=--id"
    expect_error "errors: sort=--id" 400
    KEY=$K_PARTNER req GET "$L?sort=email"
    expect_error "errors: sort by a column that is not a sort key (email)" 400
    KEY=$K_PARTNER req GET "$L?fields=id,bogus"
    expect_error "errors: unknown field in fields=id,bogus" 400
    KEY=$K_PARTNER req GET "$L?fields=email_norm"
    expect_error "errors: fields=email_norm (an internal column)" 400
    KEY=$K_PARTNER req GET "$L?cursor=garbage"
    expect_error "errors: malformed cursor" 400
    KEY=$K_PARTNER req GET "$L?broker_id=abc"
    expect_error "errors: broker_id=abc" 400
    KEY=$K_PARTNER req GET "$L?created_after=not-a-date"
    expect_error "errors: created_after=not-a-date" 400
    req GET "/api/v1/agents?is_active=maybe"
    expect_error "errors: agents is_active=maybe" 400

    # A real cursor with one character changed, and one for another sort.
    KEY=$K_PARTNER req GET "$L?limit=5&fields=id&sort=id"
    local cur tam i ch
    cur=$(jqb '.next_cursor // empty')
    if [ -n "$cur" ]; then
        i=$(( ${#cur} / 3 ))
        while [[ ! ${cur:$i:1} =~ [A-Za-z0-9] ]]; do i=$((i + 1)); done
        ch=${cur:$i:1}
        if [ "$ch" = A ]; then ch=B; else ch=A; fi
        tam="${cur:0:$i}$ch${cur:$((i + 1))}"
        KEY=$K_PARTNER req GET "$L?limit=5&fields=id&sort=id&cursor=$(urlencode "$cur")"
        expect_status "errors: the untampered cursor works" 200
        KEY=$K_PARTNER req GET "$L?limit=5&fields=id&sort=id&cursor=$(urlencode "$tam")"
        expect_error "errors: a tampered cursor (one character changed at $i)" 400
        tam="${cur:0:$((${#cur} - 1))}$( [ "${cur: -1}" = 0 ] && echo 1 || echo 0)"
        KEY=$K_PARTNER req GET "$L?limit=5&fields=id&sort=id&cursor=$(urlencode "$tam")"
        expect_error "errors: a cursor with its last character changed" 400
        KEY=$K_PARTNER req GET "$L?limit=5&fields=id&sort=-id&cursor=$(urlencode "$cur")"
        expect_error "errors: a cursor of sort=id used with sort=-id" 400
        # a cursor belongs to its list: its route and its filters with
        # their values (the order of the parameters aside)
        KEY=$K_PARTNER req GET "/api/v1/agents?limit=5&fields=id&sort=id&cursor=$(urlencode "$cur")"
        expect_error "errors: a cursor of /api/v1/leads used on /api/v1/agents" 400
        KEY=$K_PARTNER req GET "$L?limit=5&fields=id&sort=id&state=CA&cursor=$(urlencode "$cur")"
        expect_error "errors: a cursor of the unfiltered list used with state=CA" 400
        KEY=$K_PARTNER req GET "$L?limit=5&fields=id&sort=id&state=CA&status=assigned"
        cur=$(jqb '.next_cursor // empty')
        KEY=$K_PARTNER req GET "$L?status=assigned&cursor=$(urlencode "$cur")&state=CA&sort=id&fields=id&limit=5"
        expect_status "errors: a cursor of state=CA&status=assigned works with the same filters in another order" 200
        KEY=$K_PARTNER req GET "$L?limit=5&fields=id&sort=id&state=NY&status=assigned&cursor=$(urlencode "$cur")"
        expect_error "errors: a cursor of state=CA used with state=NY" 400
    else
        not_ok "errors: a list page has a next_cursor to tamper with" "a cursor" "none" "$(evidence)"
    fi

    # Bodies: invalid JSON, invalid UTF-8; invalid UTF-8 in the query.
    KEY=$K_PARTNER req POST $L -H 'Content-Type: application/json' --data-binary '{"first_name": "Ana",'
    expect_error "errors: POST /api/v1/leads with invalid JSON" 400
    printf '{"source":"web_form","first_name":"\xff\xfe\xc3\x28","last_name":"X"}' >"$WORK/bad-utf8.json"
    KEY=$K_PARTNER req POST $L -H 'Content-Type: application/json' --data-binary "@$WORK/bad-utf8.json"
    expect_error "errors: POST /api/v1/leads with invalid UTF-8 in the body" 400
    KEY=$K_PARTNER req POST $L/batch -H 'Content-Type: application/json' --data-binary '[{"source":"web_form"},' 
    expect_status "errors: POST /api/v1/leads/batch with invalid JSON is 400" 400
    KEY=$K_PARTNER req POST $L/batch -H 'Content-Type: application/json' --data-binary '{"not":"an array"}'
    expect_status "errors: POST /api/v1/leads/batch with a JSON object (not an array) is 400" '400|422'
    KEY=$K_PARTNER req GET "$L?status=%ff"
    expect_error "errors: invalid UTF-8 in the query (status=%ff)" 400
    KEY=$K_PARTNER req GET "$L?source=%C3%28"
    expect_error "errors: invalid UTF-8 sequence in the query (source=%C3%28)" 400
    KEY=$K_PARTNER req GET "$L?zip_code=%00"
    expect_status "errors: a NUL byte in the query (zip_code=%00) is 400" 400

    # A pause whose body is wrong is refused before anything is paused.
    local pb
    sql "SELECT leadgen.queue_resume('leads')" >/dev/null
    for pb in '{"wait":"x"}' '{"wait":true,"timeout_ms":"abc"}' '{"wait":true,"timeout_ms":99999}' \
              '{"timeout_ms":-1}' '{"timeout_ms":1.5}' '[true]' '{"wait":true,'; do
        KEY=$K_ADMIN_ERR req POST /api/v1/performance/jobs/leads/pause -H 'Content-Type: application/json' --data-binary "$pb"
        expect_error "errors: POST jobs/leads/pause with the body $pb" 400
        expect_eq "errors: ... and the leads queue is not paused" f "$(sql "SELECT paused FROM leadgen.queues WHERE name = 'leads'")"
    done
    sql "SELECT leadgen.queue_resume('leads')" >/dev/null

    # ---- 401
    KEY=lg_0000000000000000000000000000000000000000000000000000000000000000 req GET "$L?limit=1"
    expect_error "errors: an unknown key (Bearer) on /api/v1/leads" 401
    KEYHDR=x-api-key KEY=nope-not-a-key req GET "$L?limit=1"
    expect_error "errors: an unknown key (X-API-Key)" 401
    KEY=nope-not-a-key req GET /api/v1/config
    expect_error "errors: an unknown key is 401 even on an anonymous route (/api/v1/config)" 401
    req GET "$L?limit=1" -H "Authorization: Bearer ' OR '1'='1"
    expect_error "errors: an SQL string as the key" 401
    req GET "$L?limit=1" -H 'Authorization: Basic dXNlcjpwYXNz'
    expect_status "errors: Authorization: Basic is not a key (401)" 401
    req GET "$L?limit=1"
    expect_error "errors: GET /api/v1/leads without a key" 401
    req POST $L -H 'Content-Type: application/json' --data-binary "$(lead_json)"
    expect_error "errors: POST /api/v1/leads without a key" 401
    req GET /api/v1/performance/database/size
    expect_error "errors: a /performance GET without a key" 401

    # Revocation: effective within seconds.
    KEY=$K_REVOKE req GET "$L?limit=1"
    expect_status "errors: the key to revoke works first" 200
    sql "SELECT leadgen.api_key_revoke('$K_REVOKE_NAME')" >/dev/null
    local t0=$(ms_now)
    if KEY=$K_REVOKE poll 10 _is_401; then
        ok "errors: a revoked key is 401 within $(( $(ms_now) - t0 )) ms"
        expect_error "errors: the revoked key's answer" 401
    else
        not_ok "errors: a revoked key is 401 within 10 s" 401 "status $STATUS" "$(evidence)"
    fi

    # ---- 403
    KEY=$K_PARTNER req POST /api/v1/performance/cache/warm
    expect_error "errors: partner POST /api/v1/performance/cache/warm" 403
    KEY=$K_INTERNAL req POST /api/v1/performance/cache/warm
    expect_error "errors: internal POST /api/v1/performance/cache/warm" 403
    KEY=$K_INTERNAL req POST /api/v1/performance/jobs/leads/pause
    expect_error "errors: internal POST /api/v1/performance/jobs/leads/pause" 403
    expect_eq "errors: ... and the queue is not paused" f "$(sql "SELECT paused FROM leadgen.queues WHERE name = 'leads'")"
    KEY=$K_PARTNER req GET /api/v1/performance/database/size
    expect_error "errors: partner GET /api/v1/performance/database/size" 403

    # ---- 404
    req GET /api/v1/no-such-thing
    expect_error "errors: unknown path /api/v1/no-such-thing" 404
    req GET /no-such-thing
    expect_error "errors: unknown path /no-such-thing" 404
    KEY=$K_PARTNER req GET "$L/999999999"
    expect_error "errors: unknown lead id 999999999" 404
    KEY=$K_PARTNER req GET "$L/abc"
    expect_status "errors: lead id abc is 400 or 404" '400|404'
    KEY=$K_INTERNAL req GET /api/v1/performance/database/table-stats/no_such_table
    expect_error "errors: table-stats of an unknown table" 404
    KEY=$K_INTERNAL req GET '/api/v1/performance/jobs/metrics?queue=no_such_queue'
    expect_error "errors: jobs/metrics of an unknown queue" 404
    KEY=$K_INTERNAL req GET /api/v1/performance/jobs/no_such_queue/dead-letter
    expect_error "errors: dead-letter of an unknown queue" 404
    KEY=$K_ADMIN_ERR req POST /api/v1/performance/jobs/no_such_queue/pause
    expect_error "errors: pausing an unknown queue" 404
    KEY=$K_ADMIN_ERR req POST /api/v1/performance/database/optimize-table/no_such_table
    expect_error "errors: optimize-table of an unknown table" 404

    # ---- 405
    KEY=$K_PARTNER req DELETE $L
    expect_error "errors: DELETE /api/v1/leads" 405
    expect_hdr "errors: the 405 has Allow with GET and POST" Allow '(GET.*POST|POST.*GET)'
    KEY=$K_PARTNER req PUT "$L/1" -H 'Content-Type: application/json' --data-binary '{}'
    expect_error "errors: PUT /api/v1/leads/1" 405
    expect_hdr "errors: ... with Allow: GET" Allow 'GET'
    req POST /api/v1/config -H 'Content-Type: application/json' --data-binary '{}'
    expect_error "errors: POST /api/v1/config" 405
    expect_hdr "errors: ... with Allow: GET" Allow 'GET'
    KEY=$K_ADMIN_ERR req GET /api/v1/performance/cache/warm
    expect_error "errors: GET on the POST-only cache/warm" 405
    expect_hdr "errors: ... with Allow: POST" Allow 'POST'

    # ---- 413
    lead_json | jq -c --arg pad "$(head -c 71680 /dev/zero | tr '\0' x)" '. + {notes: $pad}' >"$WORK/big.json"
    KEY=$K_PARTNER req POST $L -H 'Content-Type: application/json' --data-binary "@$WORK/big.json"
    expect_error "errors: a 70 KB lead (over --max-body 65536)" 413
    KEY=$K_PARTNER TMO=5 req POST $L -H 'Content-Type: application/json' -H 'Content-Length: 100000000000' --data-binary '{}'
    expect_error "errors: Content-Length: 100000000000 is refused at once" 413
    { printf '['; for _ in $(seq 1 70); do printf '%s,' "$(cat "$WORK/big.json")"; done; printf '{}]'; } >"$WORK/huge-batch.json"
    KEY=$K_PARTNER req POST $L/batch -H 'Content-Type: application/json' --data-binary "@$WORK/huge-batch.json"
    expect_error "errors: a 5 MB batch (over 64 x --max-body)" 413

    # More than the batch's documented 1,000 items (small ones): refused,
    # nothing enqueued.
    local queued
    queued=$(sql "SELECT (SELECT count(*) FROM leadgen.leads) + (SELECT count(*) FROM leadgen.leads_pending)")
    for _ in $(seq 1 1001); do echo '{"source":"web_form"}'; done >"$WORK/1001.ndjson"
    KEY=$K_PARTNER req POST $L/batch -H 'Content-Type: application/x-ndjson' --data-binary "@$WORK/1001.ndjson"
    expect_status "errors: a batch of 1,001 leads (over the 1,000 limit) is 413" 413
    expect_eq "errors: ... and enqueues nothing" "$queued" \
        "$(sql "SELECT (SELECT count(*) FROM leadgen.leads) + (SELECT count(*) FROM leadgen.leads_pending)")"

    # fields= naming a column again: never a JSON object with a key twice,
    # never a 500 however often.
    KEY=$K_PARTNER req GET "$L?limit=2&fields=id,id"
    if [ "$STATUS" = 400 ] || { [ "$STATUS" = 200 ] && [ "$(grep -o '"id"' "$RQ_B" | wc -l)" = 2 ]; }; then
        ok "errors: fields=id,id gives 400 or objects with one \"id\" each"
    else
        not_ok "errors: fields=id,id gives 400 or objects with one \"id\" each" "400, or 2 rows with one \"id\" key each" \
            "status $STATUS, $(grep -o '"id"' "$RQ_B" | wc -l) \"id\" keys in the body" "$(evidence)"
    fi
    KEY=$K_PARTNER req GET "$L?limit=1&fields=$(for _ in $(seq 1 51); do printf 'id,'; done)id"
    expect_status "errors: fields= with id 52 times is 400 or 200, not 500" '200|400'

    # ---- 415
    KEY=$K_PARTNER req POST $L -H 'Content-Type: text/plain' --data-binary "$(lead_json)"
    expect_error "errors: POST /api/v1/leads as text/plain" 415
    KEY=$K_PARTNER req POST $L --data-binary "$(lead_json)"
    expect_error "errors: POST /api/v1/leads as application/x-www-form-urlencoded (curl's default)" 415
    KEY=$K_PARTNER req POST $L/batch -H 'Content-Type: text/csv' --data-binary 'a,b'
    expect_error "errors: POST /api/v1/leads/batch as text/csv" 415
    KEY=$K_PARTNER req POST $L -H 'Content-Type: application/json; charset=utf-8' --data-binary "$(lead_json)"
    expect_status "errors: application/json; charset=utf-8 is accepted" 202

    # ---- SQLSTATE: what a client's own statement raises (analyze-query)
    # is its mistake: 400 with the SQLSTATE, never 500.
    local k_sqlstate q
    newkey k_sqlstate "t-admin-sqlstate-$PASS_NAME" admin
    sql 'CREATE OR REPLACE FUNCTION public.gw_assert_fails() RETURNS integer LANGUAGE plpgsql STABLE AS $f$BEGIN ASSERT false, $$a failed assertion$$; RETURN 1; END$f$' >/dev/null
    sql 'CREATE OR REPLACE FUNCTION public.gw_no_return() RETURNS integer LANGUAGE plpgsql STABLE AS $f$BEGIN END$f$' >/dev/null
    for q in 'SELECT (SELECT 1 UNION SELECT 2)|21000' \
             'SELECT count(*) FROM leadgen.agents WHERE 1 = (SELECT generate_series(1, 2))|21000' \
             'SELECT public.gw_assert_fails()|P0004' 'SELECT public.gw_no_return()|2F005'; do
        KEY=$k_sqlstate req POST /api/v1/performance/database/analyze-query -H 'Content-Type: application/json' \
            --data-binary "$(jq -cn --arg q "${q%|*}" '{query: $q, analyze: true}')"
        expect_error "errors: analyze-query of ${q%|*} (SQLSTATE ${q#*|})" 400
        expect_eq "errors: ... with details.sqlstate ${q#*|}" "${q#*|}" "$(jqb .error.details.sqlstate)" "$(evidence)"
    done
    sql 'DROP FUNCTION public.gw_assert_fails(), public.gw_no_return()' >/dev/null
    # past the body's own timeout_ms: a 504 that gives that timeout
    KEY=$k_sqlstate req POST /api/v1/performance/database/analyze-query -H 'Content-Type: application/json' \
        --data-binary '{"query":"SELECT count(*) FROM generate_series(1, 200000000)","analyze":true,"timeout_ms":200}'
    expect_error "errors: analyze-query past its timeout_ms 200" 504
    expect_jq "errors: ... says details.timeout_ms 200 (the timeout that applied)" '.error.details.timeout_ms == 200'
}
