# The response cache: X-Cache MISS then HIT, a processed lead drops the
# cached lists (the database's change notification), and POST
# /api/v1/performance/cache/invalidate drops what matches its pattern.
# Runs first in a pass: the gateway's cache is still empty.

_agent_rating_is() {	# id rating
    req GET "/api/v1/agents?state=CA&fields=id,rating"
    jq -e --argjson id "$1" --argjson r "$2" 'any(.data[]; .id == $id and (.rating|tonumber) == $r)' "$RQ_B" >/dev/null 2>&1
}

_cache_invalidations() {	# INV: the gateway's cache invalidation counter
    KEY=$K_INTERNAL req GET /api/v1/performance/cache/metrics
    INV=$(jqb '.invalidations // empty')
}

_cache_invalidations_reach() { _cache_invalidations; [ "$INV" -ge "$1" ] 2>/dev/null; }

_config_serves_new_state() {
    req GET /api/v1/config
    jq -e --arg s "$NEW_STATE" '.states_served.commercial | index($s) != null' "$RQ_B" >/dev/null 2>&1
}

_lead_city_is() {	# id city
    KEY=$K_PARTNER req GET "/api/v1/leads/$1"
    jq -e --arg c "$2" '.city == $c' "$RQ_B" >/dev/null 2>&1
}

_config_base_weight_is() { req GET /api/v1/config; jq -e --argjson b "$1" '.scoring_weights.base == $b' "$RQ_B" >/dev/null 2>&1; }

_lead_gone() { KEY=$K_PARTNER req GET "/api/v1/leads/$1"; [ "$STATUS" = 404 ]; }

# An archive run over HTTP that removes a lead: the cached answers that
# held it are dropped (the run's change notification), so the next read of
# the lead, cached until then, is 404 at once, not after the cache's TTL.
_cache_archive_check() {
    local pol="gw-archive-$PASS_NAME-$$"
    KEY=$K_PARTNER submit_lead
    if [ -z "$LEAD_ID" ] || ! poll 10 lead_in_db "$LEAD_ID"; then
        not_ok "cache: a lead for the archive test is processed" "lead in leadgen.leads within 10 s" "not there" "$(evidence)"
        return
    fi
    sql "DELETE FROM leadgen.lead_assignments WHERE lead_id = $LEAD_ID;
         INSERT INTO leadgen.archive_policies (name, table_name, predicate, older_than, strategy)
         VALUES ('$pol', 'leadgen.leads', 'id = $LEAD_ID', '1 day', 'delete')" >/dev/null
    KEY=$K_PARTNER req GET "/api/v1/leads/$LEAD_ID"
    KEY=$K_PARTNER req GET "/api/v1/leads/$LEAD_ID"
    expect_hdr "cache: GET /api/v1/leads/$LEAD_ID is cached" X-Cache '^HIT$'
    KEY=$K_ADMIN_CACHE req POST /api/v1/performance/database/archive \
        -H 'Content-Type: application/json' --data-binary "{\"policy\":\"$pol\"}"
    expect_status "cache: POST database/archive of the lead's policy (admin)" 200
    expect_eq "cache: the archive run removed the lead" 0 "$(sql "SELECT count(*) FROM leadgen.leads WHERE id = $LEAD_ID")"
    if poll 3 _lead_gone "$LEAD_ID"; then
        ok "cache: after the archive run GET /api/v1/leads/$LEAD_ID is 404 (the cached answer dropped)"
    else
        not_ok "cache: after the archive run the cached lead is dropped" "404 within 3 s" "$STATUS, X-Cache $(hdr X-Cache)" "$(evidence)"
    fi
    sql "DELETE FROM leadgen.archive_policies WHERE name = '$pol'" >/dev/null
}

area_cache() {
    section "cache"
    SRC=127.$PASSNO.2.1

    req GET /api/v1/config
    expect_status "cache: GET /api/v1/config" 200
    expect_hdr "cache: first GET /api/v1/config is X-Cache: MISS" X-Cache '^MISS$'
    cp "$RQ_B" "$WORK/config.1"
    req GET /api/v1/config
    expect_hdr "cache: second GET /api/v1/config is X-Cache: HIT" X-Cache '^HIT$'
    expect_cmd "cache: the HIT has the same body as the MISS" "identical bodies" cmp -s "$RQ_B" "$WORK/config.1"

    KEY=$K_PARTNER req GET '/api/v1/leads?limit=5'
    expect_status "cache: GET /api/v1/leads?limit=5" 200
    expect_hdr "cache: first GET /api/v1/leads?limit=5 is a MISS" X-Cache '^MISS$'
    KEY=$K_PARTNER req GET '/api/v1/leads?limit=5'
    expect_hdr "cache: second GET /api/v1/leads?limit=5 is a HIT" X-Cache '^HIT$'

    # A new lead, once the workers processed it, is in the next answer,
    # which is therefore a MISS.
    KEY=$K_PARTNER submit_lead
    expect_status "cache: POST /api/v1/leads for the invalidation test" 202
    if [ -n "$LEAD_ID" ] && poll 10 lead_in_db "$LEAD_ID"; then
        if KEY=$K_PARTNER poll_list_until_id "$LEAD_ID" '/api/v1/leads?limit=5'; then
            ok "cache: GET /api/v1/leads?limit=5 lists the processed lead $LEAD_ID"
            expect_eq "cache: the first answer that lists the new lead is a MISS" MISS "$FIRST_CACHE" "$(evidence)"
        else
            not_ok "cache: GET /api/v1/leads?limit=5 lists the processed lead $LEAD_ID within 10 s" \
                "lead $LEAD_ID in .data (newest first)" "not listed" "$(evidence)"
        fi
    else
        not_ok "cache: the submitted lead is processed" "lead $LEAD_ID in leadgen.leads within 10 s" "not there" "$(evidence)"
    fi

    # Invalidation by pattern: config is dropped, the leads list is not.
    KEY=$K_PARTNER req GET '/api/v1/leads?limit=5'
    KEY=$K_PARTNER req GET '/api/v1/leads?limit=5'
    expect_hdr "cache: GET /api/v1/leads?limit=5 is cached again" X-Cache '^HIT$'
    local inv0
    _cache_invalidations
    inv0=$INV
    KEY=$K_ADMIN_CACHE req POST /api/v1/performance/cache/invalidate \
        -H 'Content-Type: application/json' --data-binary '{"pattern":"/api/v1/config*"}'
    expect_status "cache: POST /api/v1/performance/cache/invalidate {\"pattern\":\"/api/v1/config*\"} (admin)" '200|202|204'
    # The gateway invalidates at once, then again when its own listener
    # hears the NOTIFY of the POST: wait for that second one (the counter
    # up by 2), which could otherwise drop the entry the next GET fills.
    [ -n "$inv0" ] && poll 5 _cache_invalidations_reach $((inv0 + 2))
    req GET /api/v1/config
    expect_hdr "cache: GET /api/v1/config after the invalidation is a MISS" X-Cache '^MISS$'
    req GET /api/v1/config
    expect_hdr "cache: ... and the next one a HIT again" X-Cache '^HIT$'
    KEY=$K_PARTNER req GET '/api/v1/leads?limit=5'
    expect_hdr "cache: the invalidation of /api/v1/config* left /api/v1/leads?limit=5 cached" X-Cache '^HIT$'

    # An agent or carrier changed in the database drops what shows it.
    local agent_id rating
    agent_id=$(sql "SELECT id FROM leadgen.agents WHERE name = 'Chloe Park'")
    req GET "/api/v1/agents?state=CA&fields=id,rating"
    req GET "/api/v1/agents?state=CA&fields=id,rating"
    expect_hdr "cache: GET /api/v1/agents?state=CA is cached" X-Cache '^HIT$'
    # (a value of its own in each pass, within the 0-5 the table allows)
    rating=$(sql "UPDATE leadgen.agents SET rating = 1.${PASSNO}1 WHERE id = $agent_id RETURNING rating")
    if poll 5 _agent_rating_is "$agent_id" "$rating"; then
        ok "cache: an agent's rating changed in the database shows in /api/v1/agents within 5 s"
    else
        not_ok "cache: an agent's rating changed in the database shows in /api/v1/agents within 5 s" \
            "agent $agent_id with rating $rating" "$(jqb ".data[] | select(.id == $agent_id) | .rating")" "$(evidence)"
    fi
    req GET /api/v1/config
    req GET /api/v1/config
    NEW_STATE=$([ "$PASSNO" = 1 ] && echo VT || echo NH)
    sql "UPDATE leadgen.carriers SET states = states || '{$NEW_STATE}' WHERE name = 'GW Northeast Casualty'" >/dev/null
    if poll 5 _config_serves_new_state; then
        ok "cache: a carrier's new state ($NEW_STATE) shows in /api/v1/config states_served within 5 s"
    else
        not_ok "cache: a carrier's new state ($NEW_STATE) shows in /api/v1/config states_served within 5 s" \
            "states_served.commercial holds $NEW_STATE" "$(jqb -c .states_served.commercial) (X-Cache $(hdr X-Cache))" "$(evidence)"
    fi

    # A query string an aggregate does not read is no part of its key: a
    # cache buster (?_=...) does not make it computed again.
    req GET /api/v1/analytics/summary
    req GET "/api/v1/analytics/summary?_=$RANDOM$PASSNO"
    expect_hdr "cache: GET /api/v1/analytics/summary?_=<random> is served from the cache" X-Cache '^HIT$'
    # (dropped again: the summary is kept its whole TTL, and the basics
    # area compares its counts with the database's)
    KEY=$K_ADMIN_CACHE req POST /api/v1/performance/cache/invalidate \
        -H 'Content-Type: application/json' --data-binary '{"pattern":"/api/v1/analytics/summary*"}'
    expect_status "cache: the summary's cached answers dropped (admin)" '200|202|204'

    # A lead, or a weight, changed by any statement (not the pipeline's)
    # drops what shows it: it was served as it was for the TTL (30 s for a
    # lead, 300 s for /api/v1/config).
    local lead_id city base0 base
    lead_id=$(sql "SELECT id FROM leadgen.leads ORDER BY id LIMIT 1")
    KEY=$K_PARTNER req GET "/api/v1/leads/$lead_id"
    KEY=$K_PARTNER req GET "/api/v1/leads/$lead_id"
    expect_hdr "cache: GET /api/v1/leads/$lead_id is cached" X-Cache '^HIT$'
    city="Corrected City $PASSNO"
    sql "UPDATE leadgen.leads SET city = '$city' WHERE id = $lead_id" >/dev/null
    if poll 5 _lead_city_is "$lead_id" "$city"; then
        ok "cache: a lead corrected by an UPDATE shows in /api/v1/leads/{id} within 5 s"
    else
        not_ok "cache: a lead corrected by an UPDATE shows in /api/v1/leads/{id} within 5 s" \
            "city $city" "$(jqb -c .city) (X-Cache $(hdr X-Cache))" "$(evidence)"
    fi
    req GET /api/v1/config
    req GET /api/v1/config
    base0=$(sql "SELECT points FROM leadgen.scoring_weights WHERE component = 'base'")
    base=$((base0 + PASSNO))
    sql "UPDATE leadgen.scoring_weights SET points = $base WHERE component = 'base'" >/dev/null
    if poll 5 _config_base_weight_is "$base"; then
        ok "cache: a scoring weight changed by an UPDATE shows in /api/v1/config within 5 s"
    else
        not_ok "cache: a scoring weight changed by an UPDATE shows in /api/v1/config within 5 s" \
            "scoring_weights.base $base" "$(jqb -c .scoring_weights.base) (X-Cache $(hdr X-Cache))" "$(evidence)"
    fi
    sql "UPDATE leadgen.scoring_weights SET points = $base0 WHERE component = 'base'" >/dev/null

    # The caller's scope is part of the key: a partner bound to a broker
    # never gets the unbound partner's cached list.
    KEY=$K_BOUND req GET '/api/v1/leads?limit=5'
    expect_status "cache: bound partner GET /api/v1/leads?limit=5" 200
    expect_hdr "cache: the bound partner's first GET of the same URL is a MISS (scope in the key)" X-Cache '^MISS$'
    expect_jq "cache: the bound partner's list holds only its broker's leads" \
        "(.data|length) > 0 and all(.data[]; .broker_id == $BROKER_NORTH)"

    _cache_archive_check
}
