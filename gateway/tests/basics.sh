# The routes around the data: /health, /ready, /metrics, /openapi.json,
# /api/v1/config, /api/v1/analytics/summary; what every answer carries
# (rate-limit headers, X-Request-Id); gzip and ETag.

# Every route of shared/API.md, as "METHOD path" with {param} templates.
API_ROUTES=(
    "POST /api/v1/leads"
    "POST /api/v1/leads/batch"
    "GET /api/v1/leads"
    "GET /api/v1/leads/{}"
    "GET /api/v1/agents"
    "GET /api/v1/carriers"
    "GET /api/v1/config"
    "GET /api/v1/analytics/summary"
    "POST /api/v1/performance/database/analyze-query"
    "GET /api/v1/performance/database/indexing-strategy"
    "GET /api/v1/performance/database/connection-pool"
    "GET /api/v1/performance/database/slow-queries"
    "POST /api/v1/performance/database/optimize-table/{}"
    "GET /api/v1/performance/database/table-stats/{}"
    "GET /api/v1/performance/database/size"
    "POST /api/v1/performance/database/archive"
    "POST /api/v1/performance/cache/warm"
    "POST /api/v1/performance/cache/invalidate"
    "GET /api/v1/performance/cache/metrics"
    "GET /api/v1/performance/cache/hit-rate"
    "GET /api/v1/performance/jobs/metrics"
    "POST /api/v1/performance/jobs/schedule"
    "POST /api/v1/performance/jobs/{}/pause"
    "POST /api/v1/performance/jobs/{}/resume"
    "POST /api/v1/performance/jobs/{}/retry-failed"
    "GET /api/v1/performance/jobs/{}/dead-letter"
    "GET /api/v1/performance/capacity/dashboard"
    "GET /api/v1/performance/capacity/forecast/{}"
    "GET /api/v1/performance/capacity/bottlenecks"
    "GET /health"
    "GET /ready"
    "GET /metrics"
    "GET /openapi.json"
)

_access_log_has() {	# request id: a JSON line of the access log holds it
    local line
    # (behind the proxy pass's nginx, either of its two gateways)
    line=$(grep -h -F -- "$1" "$WORK/$MAIN.access" "$WORK/$MAIN-2.access" 2>/dev/null | tail -1)
    [ -n "$line" ] && jq -e . >/dev/null 2>&1 <<<"$line"
}

area_basics() {
    section "basics"
    SRC=127.$PASSNO.5.1

    req GET /health
    expect_status "basics: GET /health" 200
    req GET /ready
    expect_status "basics: GET /ready (database reachable)" 200

    # ---- config and analytics
    req GET /api/v1/config
    expect_status "basics: GET /api/v1/config" 200
    expect_jq "basics: config has insurance types, scoring weights, states served" \
        '(.insurance_types|sort) == ["auto","commercial","health","home","life","renters"] and (.scoring_weights|type=="object") and has("states_served")'
    expect_hdr "basics: config is application/json" Content-Type '^application/json'
    poll 15 pending_empty
    req GET /api/v1/analytics/summary
    expect_status "basics: GET /api/v1/analytics/summary" 200
    expect_jq "basics: analytics has counts by status, type, state, rates and throughput" \
        'has("by_status") and has("by_insurance_type") and has("by_state") and has("conversion_rate") and has("rejection_rate") and has("throughput")'
    local n30 rej
    n30=$(sql "SELECT count(*) FROM leadgen.leads WHERE created_at >= now() - interval '30 days'")
    rej=$(sql "SELECT count(*) FROM leadgen.leads WHERE status = 'rejected' AND created_at >= now() - interval '30 days'")
    expect_jq "basics: analytics counts every lead ($n30) and every rejected one ($rej), as the database" \
        "(.total // ([.by_status[]]|add)) == $n30 and .by_status.rejected == $rej"

    # ---- openapi
    req GET /openapi.json
    expect_status "basics: GET /openapi.json" 200
    expect_jq "basics: /openapi.json is OpenAPI 3" '(.openapi|tostring|startswith("3")) and (.paths|type=="object")'
    local r m p missing=()
    for r in "${API_ROUTES[@]}"; do
        m=${r%% *}
        p=${r#* }
        jq -e --arg m "${m,,}" --arg p "$p" \
            '.paths | to_entries | any(((.key | gsub("\\{[^}]*\\}"; "{}")) == $p) and (.value | has($m)))' \
            "$RQ_B" >/dev/null 2>&1 || missing+=("$r")
    done
    expect_eq "basics: /openapi.json documents every route of API.md (${#API_ROUTES[@]})" "none missing" \
        "${missing[*]:-none missing}"

    # ---- metrics
    KEY=$K_PARTNER req GET '/api/v1/leads?limit=1'
    req GET /metrics
    expect_status "basics: GET /metrics" 200
    expect_hdr "basics: /metrics is text/plain (Prometheus)" Content-Type '^text/plain'
    local mname
    for mname in leadgen_gateway_requests_total leadgen_gateway_request_duration_seconds_bucket \
                 leadgen_gateway_cache_hits_total leadgen_gateway_cache_misses_total leadgen_gateway_cache_evictions_total \
                 leadgen_gateway_cache_bytes leadgen_gateway_rate_limited_total leadgen_gateway_db_connections \
                 leadgen_queue_waiting; do
        if grep -q "^$mname" "$RQ_B"; then
            ok "basics: /metrics has $mname"
        else
            not_ok "basics: /metrics has $mname" "a sample line of $mname" "none" "$(grep -v '^#' "$RQ_B" | cut -d'{' -f1 | sort -u | head -20 | paste -sd' ' -)"
        fi
    done
    expect_cmd "basics: /metrics counts requests per route and code" 'a requests_total sample with route= and code=' \
        grep -qE '^leadgen_gateway_requests_total\{.*route=.*code=.*\} [0-9]' "$RQ_B"

    # ---- X-Request-Id
    local rid="gwtest-rid-$PASSNO-$$-$RANDOM"
    req GET /api/v1/config -H "X-Request-Id: $rid"
    expect_eq "basics: a sane X-Request-Id is echoed" "$rid" "$(hdr X-Request-Id)" "$(evidence)"
    expect_cmd "basics: the access log has a JSON line with that request id" "a JSON line holding $rid in $WORK/$MAIN.access" \
        poll 3 _access_log_has "$rid"
    req GET /api/v1/config -H 'X-Request-Id: bad id <script>alert(1)</script>'
    local got=$(hdr X-Request-Id)
    if [ -n "$got" ] && [ "$got" != 'bad id <script>alert(1)</script>' ]; then
        ok "basics: an insane X-Request-Id is replaced by a generated one ($got)"
    else
        not_ok "basics: an insane X-Request-Id is replaced by a generated one" "a generated id" "'$got'" "$(evidence)"
    fi
    # the longest id taken is 64 characters: echoed whole; 65 is replaced
    local rid64 rid65
    rid64=$(printf '%s%064d' "$rid-" 0 | cut -c1-64)
    rid65=${rid64}x
    req GET /api/v1/config -H "X-Request-Id: $rid64"
    expect_eq "basics: a 64-character X-Request-Id is echoed whole" "$rid64" "$(hdr X-Request-Id)" "$(evidence)"
    req GET /api/v1/config -H "X-Request-Id: $rid65"
    got=$(hdr X-Request-Id)
    if [ -n "$got" ] && [ "$got" != "$rid65" ] && [ "$got" != "$rid64" ]; then
        ok "basics: a 65-character X-Request-Id is replaced by a generated one ($got)"
    else
        not_ok "basics: a 65-character X-Request-Id is replaced by a generated one" "a generated id" "'$got'" "$(evidence)"
    fi
    req GET /api/v1/no-such-route -H "X-Request-Id: $rid-404"
    expect_eq "basics: a sane X-Request-Id is echoed on an error answer (404)" "$rid-404" "$(hdr X-Request-Id)" "$(evidence)"
    req GET /health
    local g1=$(hdr X-Request-Id)
    req GET /health
    local g2=$(hdr X-Request-Id)
    if [ -n "$g1" ] && [ "$g1" != "$g2" ]; then
        ok "basics: without X-Request-Id, each answer gets its own generated id"
    else
        not_ok "basics: without X-Request-Id, each answer gets its own generated id" "two different ids" "'$g1' and '$g2'"
    fi

    # ---- rate-limit headers on answers of each kind (the pass-wide check
    # at the end covers every answer)
    req GET /api/v1/config
    expect_hdr "basics: anonymous answer has X-RateLimit-Limit 100" X-RateLimit-Limit '^100$'
    expect_hdr "basics: anonymous answer has a numeric X-RateLimit-Remaining" X-RateLimit-Remaining '^[0-9]+$'
    expect_hdr "basics: anonymous answer has a numeric X-RateLimit-Reset (seconds, at most 60)" X-RateLimit-Reset '^([0-9]|[1-5][0-9]|60)$'
    KEY=$K_PARTNER req GET '/api/v1/leads?limit=1'
    expect_hdr "basics: partner answer has X-RateLimit-Limit 1000" X-RateLimit-Limit '^1000$'
    req GET /api/v1/no-such-route
    expect_hdr "basics: a 404 has X-RateLimit-Remaining too" X-RateLimit-Remaining '^[0-9]+$'
    expect_hdr "basics: a 404 has X-Request-Id too" X-Request-Id '.'
    # no limit applies to an answer given before any is taken: the number
    # the docs give for none, as for /health
    expect_hdr "basics: a 404 (no limit applies) has X-RateLimit-Limit 2147483647" X-RateLimit-Limit '^2147483647$'
    expect_hdr "basics: ... and X-RateLimit-Remaining 2147483647" X-RateLimit-Remaining '^2147483647$'
    req GET '/api/v1/agents?x=%zz'
    expect_hdr "basics: a 400 before routing (a bad escape) has X-RateLimit-Limit 2147483647" X-RateLimit-Limit '^2147483647$'

    # ---- gzip
    req GET /openapi.json -H 'Accept-Encoding: gzip'
    expect_hdr "basics: /openapi.json with Accept-Encoding: gzip is Content-Encoding: gzip" Content-Encoding '^gzip$'
    expect_cmd "basics: the gzip body inflates to valid JSON" "gzip -dc | jq succeeds" \
        bash -c "gzip -dc '$RQ_B' | jq -e .openapi >/dev/null"
    expect_hdr "basics: a gzip answer says Vary: Accept-Encoding" Vary '[Aa]ccept-[Ee]ncoding'
    KEY=$K_PARTNER req GET '/api/v1/leads?limit=50' -H 'Accept-Encoding: gzip'
    expect_hdr "basics: /api/v1/leads?limit=50 (> 1 KiB) is gzipped" Content-Encoding '^gzip$'
    expect_cmd "basics: the gzipped list inflates to the 50 rows" "gzip -dc | jq '.data|length' = 50" \
        bash -c "[ \"\$(gzip -dc '$RQ_B' | jq '.data|length')\" = 50 ]"
    KEY=$K_PARTNER req GET '/api/v1/leads?limit=50'
    expect_no_hdr "basics: the same URL without Accept-Encoding is not gzipped (cache keeps encodings apart)" Content-Encoding 'gzip'
    expect_jq "basics: ... and is plain JSON" '(.data|length) == 50'
    req GET /health -H 'Accept-Encoding: gzip'
    expect_no_hdr "basics: a small answer (/health) is not gzipped" Content-Encoding 'gzip'
    KEY=$K_PARTNER req GET '/api/v1/leads?limit=1&fields=id' -H 'Accept-Encoding: gzip'
    expect_no_hdr "basics: a small list (limit=1&fields=id) is not gzipped" Content-Encoding 'gzip'

    # Accept-Encoding read as RFC 9110 says: names case-insensitive, q=0
    # refuses, whitespace around ; and =, * for the codings not named. On
    # an uncached route and a cached one (its first answer and the cached
    # copy: the cache keeps a gzip and a plain variant).
    local ae i=0 u
    local -a refused=('gzip; q=0' 'gzip;Q=0' 'br;q=1, gzip; q=0' 'nogzip' 'identity' '*;q=0' 'gzip;q=0.000, *')
    local -a accepted=('GZIP' 'gzip ; q = 0.5' 'br;q=1, gzip; q=0.001' '*' 'deflate, *;q=0.1')
    for ae in "${refused[@]}" "${accepted[@]}"; do
        i=$((i + 1))
        local want=plain
        [ "$i" -gt "${#refused[@]}" ] && want=gzip
        u="/api/v1/carriers?limit=$((400 + i))&sort=-id"
        for what in uncached MISS HIT; do
            if [ "$what" = uncached ]; then
                req GET /openapi.json -H "Accept-Encoding: $ae"
            else
                req GET "$u" -H "Accept-Encoding: $ae"
            fi
            local got=plain on=$u
            [ "$(hdr Content-Encoding)" = gzip ] && got=gzip
            [ "$what" = uncached ] && on=/openapi.json
            expect_eq "basics: Accept-Encoding '$ae' on $on ($what) is $want" "$want" "$got" "$(evidence)"
            if [ "$what" != uncached ] && [ "$PASS_NAME" != proxy ]; then
                expect_hdr "basics: ... X-Cache $what" X-Cache "^$what\$"
            fi
        done
    done
    # the cached entry's other variant, for a client that accepts gzip
    req GET "$u" -H 'Accept-Encoding: gzip'
    expect_hdr "basics: the same cached URL for Accept-Encoding: gzip is gzipped" Content-Encoding '^gzip$'
    req GET "/api/v1/carriers?limit=401&sort=-id" -H 'Accept-Encoding: gzip'
    expect_hdr "basics: ... also when its first answer was plain (gzip; q=0)" Content-Encoding '^gzip$'

    # ---- ETag and If-None-Match
    local etag
    req GET /api/v1/config
    etag=$(hdr ETag)
    expect_hdr "basics: GET /api/v1/config has an ETag" ETag '^(W/)?".+"$'
    req GET /api/v1/config -H "If-None-Match: $etag"
    expect_status "basics: If-None-Match with that ETag gives 304" 304
    expect_cmd "basics: the 304 has an empty body" "0 bytes" test ! -s "$RQ_B"
    expect_eq "basics: the 304 carries the ETag" "$etag" "$(hdr ETag)" "$(evidence)"
    req GET /api/v1/config -H "If-None-Match: \"other\", $etag"
    expect_status "basics: If-None-Match with a list holding the ETag gives 304" 304
    req GET /api/v1/config -H 'If-None-Match: "not-the-etag"'
    expect_status "basics: a different If-None-Match gives 200" 200
    KEY=$K_PARTNER req GET '/api/v1/leads?limit=7'
    etag=$(hdr ETag)
    expect_hdr "basics: GET /api/v1/leads?limit=7 has an ETag" ETag '^(W/)?".+"$'
    KEY=$K_PARTNER req GET '/api/v1/leads?limit=7' -H "If-None-Match: $etag"
    expect_status "basics: the list with If-None-Match: its ETag gives 304" 304
    expect_cmd "basics: ... with an empty body" "0 bytes" test ! -s "$RQ_B"
}
