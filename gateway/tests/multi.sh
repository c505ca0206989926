# Two gateway instances on the same database: rate limits, cache
# invalidation and key revocation are shared.

_b_config_miss() { GW=$GW_B req GET /api/v1/config; [ "$STATUS" = 200 ] && [ "$(hdr X-Cache)" = MISS ]; }
_both_401() {
    GW=$GW_B req GET '/api/v1/leads?limit=1'
    [ "$STATUS" = 401 ] || return 1
    req GET '/api/v1/leads?limit=1'
    [ "$STATUS" = 401 ]
}

area_multi() {
    section "multi"
    SRC=127.$PASSNO.30.1
    local B=b-$PASS_NAME
    if ! gw_start "$B" "$(free_port 19080)"; then
        not_ok "multi: a second gateway starts on the same database" "GET /health 200" "no" "$(tail -20 "$WORK/$B.stderr")"
        return
    fi
    ok "multi: a second gateway starts on the same database"
    GW_B=http://127.0.0.1:${GW_PORT[$B]}

    # ---- shared rate limit: 60 anonymous GETs to A, then 60 to B.
    away_from_minute_edge
    SRC=127.$PASSNO.31.1
    burst 60 /api/v1/config
    cp "$WORK/burst.codes" "$WORK/burst.a"
    GW=$GW_B burst 60 /api/v1/config
    cat "$WORK/burst.a" "$WORK/burst.codes" >"$WORK/burst.ab"
    local n200 n429
    n200=$(grep -c '^200$' "$WORK/burst.ab")
    n429=$(grep -c '^429$' "$WORK/burst.ab")
    expect_eq "multi: 60 anonymous GETs to A and 60 to B give exactly 100 x 200 and 20 x 429 (the limit is shared)" \
        "100 x 200, 20 x 429" "$n200 x 200, $n429 x 429" "A: $(sort "$WORK/burst.a" | uniq -c | paste -sd' ' -); B: $(sort "$WORK/burst.codes" | uniq -c | paste -sd' ' -)"
    SRC=127.$PASSNO.30.1

    # ---- invalidation POSTed to A drops B's entry
    KEY=$K_INTERNAL GW=$GW_B req GET /api/v1/config
    KEY=$K_INTERNAL GW=$GW_B req GET /api/v1/config
    expect_hdr "multi: B caches /api/v1/config (HIT)" X-Cache '^HIT$'
    KEY=$K_ADMIN_MULTI req POST /api/v1/performance/cache/invalidate \
        -H 'Content-Type: application/json' --data-binary '{"pattern":"/api/v1/config*"}'
    expect_status "multi: POST cache/invalidate to A" '200|202|204'
    local t0=$(ms_now)
    if KEY=$K_INTERNAL poll 5 _b_config_miss; then
        ok "multi: B's next GET /api/v1/config is a MISS after A's invalidation ($(( $(ms_now) - t0 )) ms)"
    else
        not_ok "multi: B's GET /api/v1/config is a MISS after A's invalidation" "MISS within 5 s" "X-Cache $(hdr X-Cache)" "$(evidence)"
    fi

    # ---- a lead processed drops B's cached lists
    KEY=$K_PARTNER GW=$GW_B req GET '/api/v1/leads?limit=4'
    KEY=$K_PARTNER GW=$GW_B req GET '/api/v1/leads?limit=4'
    expect_hdr "multi: B caches /api/v1/leads?limit=4 (HIT)" X-Cache '^HIT$'
    KEY=$K_PARTNER submit_lead
    expect_status "multi: a lead submitted through A" 202
    if [ -n "$LEAD_ID" ] && poll 10 lead_in_db "$LEAD_ID"; then
        if KEY=$K_PARTNER GW=$GW_B poll_list_until_id "$LEAD_ID" '/api/v1/leads?limit=4'; then
            ok "multi: B lists the lead submitted through A once processed"
            expect_eq "multi: ... in an answer that is a MISS" MISS "$FIRST_CACHE" "$(evidence)"
        else
            not_ok "multi: B lists the lead submitted through A within 10 s" "lead $LEAD_ID listed" "not listed" "$(evidence)"
        fi
    else
        not_ok "multi: the lead submitted through A is processed" "in leadgen.leads within 10 s" "no" "$(evidence)"
    fi

    # ---- a revoked key is refused by both
    KEY=$K_PARTNER2 GW=$GW_B req GET '/api/v1/leads?limit=1'
    expect_status "multi: a partner key works on B" 200
    KEY=$K_PARTNER2 req GET '/api/v1/leads?limit=1'
    expect_status "multi: ... and on A" 200
    sql "SELECT leadgen.api_key_revoke('t-partner2$SFX')" >/dev/null
    t0=$(ms_now)
    if KEY=$K_PARTNER2 poll 10 _both_401; then
        ok "multi: once revoked, the key is 401 on A and on B ($(( $(ms_now) - t0 )) ms)"
    else
        not_ok "multi: once revoked, the key is 401 on A and on B within 10 s" 401 "status $STATUS" "$(evidence)"
    fi

    gw_stop "$B" 20
    expect_eq "multi: B exits 0 on SIGTERM" 0 "$GW_RC" "stderr: $(tail -5 "$WORK/$B.stderr" | tr '\n' ' ')"
}
