# Rate limits: anonymous clients 100/min per address (401s, made-up keys
# included, count there), admin changing routes 10/min per key, queue
# control 60/min per key apart from them;
# 429 with Retry-After (the same as X-RateLimit-Reset) and
# X-RateLimit-Remaining 0.
# Each burst comes from an address of its own (127.P.N.1), so that no
# other test's requests count in it.

# burst N PATH [curl options]: N GETs of PATH in one curl (keep-alive);
# the codes, one a line, go to $WORK/burst.codes.
burst() {
    local n=$1 path=$2
    shift 2
    : >"$WORK/burst.urls"
    for _ in $(seq 1 "$n"); do echo "$GW$path" >>"$WORK/burst.urls"; done
    curl_many "$WORK/burst.urls" "$@" | cut -d' ' -f1 >"$WORK/burst.codes"
}

# burst_keys N PATH: N GETs of PATH in one curl (keep-alive), each with
# an API key of its own that does not exist; the codes to $WORK/burst.codes.
burst_keys() {
    local n=$1 path=$2 i cfg=$WORK/burst-keys.cfg
    : >"$cfg"
    for i in $(seq 1 "$n"); do
        [ "$i" -gt 1 ] && echo next >>"$cfg"
        printf 'url = "%s"\noutput = "/dev/null"\nheader = "Authorization: Bearer lg_guess_%s_%s_%s"\nwrite-out = "%%{http_code}\\n"\n' \
            "$GW$path" "$PASSNO" "$RANDOM" "$i" >>"$cfg"
    done
    curl -s --path-as-is --max-time 30 ${SRC:+--interface "$SRC"} -K "$cfg" 2>/dev/null >"$WORK/burst.codes"
}

area_ratelimit() {
    section "ratelimit"
    away_from_minute_edge

    # ---- anonymous: 100 per minute per client address
    SRC=127.$PASSNO.20.1
    req GET /api/v1/config
    expect_hdr "ratelimit: a new client's first answer has X-RateLimit-Limit 100" X-RateLimit-Limit '^100$'
    expect_hdr "ratelimit: ... and X-RateLimit-Remaining 99" X-RateLimit-Remaining '^99$'
    burst 99 /api/v1/config
    local n200
    n200=$(grep -c '^200$' "$WORK/burst.codes")
    expect_eq "ratelimit: 100 quick anonymous GETs of /api/v1/config are all 200" 99 "$n200" \
        "codes: $(sort "$WORK/burst.codes" | uniq -c | paste -sd' ' -)"
    req GET /api/v1/config
    expect_error "ratelimit: the 101st anonymous GET within a minute" 429
    expect_hdr "ratelimit: the 429 has Retry-After in seconds" Retry-After '^[1-9][0-9]*$'
    expect_hdr "ratelimit: the 429 has X-RateLimit-Remaining 0" X-RateLimit-Remaining '^0$'
    expect_hdr "ratelimit: the 429 has X-RateLimit-Limit 100" X-RateLimit-Limit '^100$'
    expect_hdr "ratelimit: the 429 has X-RateLimit-Reset" X-RateLimit-Reset '^[0-9]+$'
    expect_eq "ratelimit: the 429's X-RateLimit-Reset is its Retry-After" "$(hdr Retry-After)" "$(hdr X-RateLimit-Reset)"
    req GET /api/v1/agents
    expect_status "ratelimit: the limit is per client, not per route (/api/v1/agents also 429)" 429
    SRC=127.$PASSNO.21.1 req GET /api/v1/config
    expect_status "ratelimit: another client address is not limited" 200
    KEY=$K_PARTNER req GET /api/v1/config
    expect_status "ratelimit: the limited address with a partner key uses the key's limit (200)" 200

    # ---- admin: 10 per minute on the routes that change things
    SRC=127.$PASSNO.22.1
    local i codes="" lim=""
    for i in $(seq 1 10); do
        KEY=$K_ADMIN_RL req POST /api/v1/performance/cache/invalidate \
            -H 'Content-Type: application/json' --data-binary '{"pattern":"/gw-test-nothing*"}'
        codes="$codes $STATUS"
        [ "$i" = 1 ] && lim=$(hdr X-RateLimit-Limit)
    done
    expect_eq "ratelimit: 10 admin POSTs to cache/invalidate in a minute are accepted (2xx)" 10 \
        "$(tr ' ' '\n' <<<"$codes" | grep -c '^2')" "codes:$codes"
    expect_eq "ratelimit: the admin changing routes answer X-RateLimit-Limit 10" 10 "$lim"
    KEY=$K_ADMIN_RL req POST /api/v1/performance/cache/invalidate \
        -H 'Content-Type: application/json' --data-binary '{"pattern":"/gw-test-nothing*"}'
    expect_error "ratelimit: the 11th admin POST within a minute" 429
    expect_hdr "ratelimit: ... with Retry-After" Retry-After '^[1-9][0-9]*$'
    expect_eq "ratelimit: ... and X-RateLimit-Reset the same" "$(hdr Retry-After)" "$(hdr X-RateLimit-Reset)"
    # queue control has a bucket of its own: a paused queue can be resumed
    KEY=$K_ADMIN_RL req POST /api/v1/performance/jobs/leads/pause
    expect_status "ratelimit: with the admin limit spent, POST jobs/leads/pause still answers" 200
    expect_hdr "ratelimit: ... under a limit of its own (60)" X-RateLimit-Limit '^60$'
    KEY=$K_ADMIN_RL req POST /api/v1/performance/jobs/leads/resume
    expect_status "ratelimit: ... and POST jobs/leads/resume too" 200
    sql "SELECT leadgen.queue_resume('leads')" >/dev/null	# whatever happened above
    KEY=$K_INTERNAL req GET /api/v1/performance/database/size
    expect_hdr "ratelimit: an internal key's answer has a numeric X-RateLimit-Limit (not limited)" \
        X-RateLimit-Limit '^2147483647$'
    KEY=$K_ADMIN_RL req GET /api/v1/performance/database/size
    expect_status "ratelimit: the same admin key still reads (GETs are 1000/min)" 200
    # ---- guessed keys: each 401 counts in the address's anonymous bucket
    SRC=127.$PASSNO.24.1
    away_from_minute_edge
    burst_keys 120 /api/v1/config
    expect_eq "ratelimit: 120 GETs with 120 made-up keys from one address: 100 are 401" 100 \
        "$(grep -c '^401$' "$WORK/burst.codes")" "codes: $(sort "$WORK/burst.codes" | uniq -c | paste -sd' ' -)"
    expect_eq "ratelimit: ... and the 20 after them 429" 20 "$(tail -20 "$WORK/burst.codes" | grep -c '^429$')" \
        "codes: $(sort "$WORK/burst.codes" | uniq -c | paste -sd' ' -)"
    KEY=lg_guess_one_more req GET /api/v1/performance/database/size
    expect_error "ratelimit: the guessing address's next made-up key, on another route" 429
    expect_hdr "ratelimit: ... with Retry-After" Retry-After '^[1-9][0-9]*$'
    KEY=$K_PARTNER req GET /api/v1/config
    expect_status "ratelimit: a valid key from that address is not held up (200)" 200
    SRC=127.$PASSNO.25.1 KEY=lg_guess_elsewhere req GET /api/v1/config
    expect_error "ratelimit: a made-up key from another address is 401" 401
    expect_hdr "ratelimit: ... counted in that address's window (X-RateLimit-Limit 100)" X-RateLimit-Limit '^100$'
    SRC=127.$PASSNO.23.1 req GET /metrics
    # (each gateway counts its own: the proxy pass's two are summed)
    pass_metrics >"$WORK/metrics.all"
    expect_cmd "ratelimit: /metrics counts the rejections (leadgen_gateway_rate_limited_total >= 3)" "a sample >= 3" \
        awk '/^leadgen_gateway_rate_limited_total/ { n += $NF } END { exit !(n >= 3) }' "$WORK/metrics.all"
}
