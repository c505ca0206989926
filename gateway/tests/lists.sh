# The list routes: GET /api/v1/leads, /agents, /carriers with every
# filter, fields=, sort=, the limit's default and cap, and pagination by
# offset and by cursor compared with the database and with one big page.

# same_ids NAME PATH SQL [SQL2]: the ids of the answer's .data equal, as a
# set, the ids the SQL returns (or SQL2's, when the route may read a bound
# either way, e.g. created_after inclusive or not).
same_ids() {
    req GET "$2"
    if [ "$STATUS" != 200 ]; then
        not_ok "$1" "200 with the ids of: $3" "status $STATUS" "$(evidence)"
        return
    fi
    local got exp exp2=""
    got=$(jq -r '.data[].id' "$RQ_B" 2>/dev/null | sort -n | paste -sd' ' -)
    exp=$(sql "$3" | sort -n | paste -sd' ' -)
    [ -n "${4:-}" ] && exp2=$(sql "$4" | sort -n | paste -sd' ' -)
    if [ -z "$exp" ]; then
        not_ok "$1" "the fixture to give rows for: $3" "none (a fault of the suite)"
    elif [ "$got" = "$exp" ] || { [ -n "$exp2" ] && [ "$got" = "$exp2" ]; }; then
        ok "$1 ($(wc -w <<<"$got") rows)"
    else
        not_ok "$1" "$(wc -w <<<"$exp") ids: ${exp:0:160}" "$(wc -w <<<"$got") ids: ${got:0:160}" \
            "request: $LAST_REQ" "only expected: $(comm -23 <(tr ' ' '\n' <<<"$exp" | sort) <(tr ' ' '\n' <<<"$got" | sort) | head -5 | paste -sd' ' -)" \
            "only got: $(comm -13 <(tr ' ' '\n' <<<"$exp" | sort) <(tr ' ' '\n' <<<"$got" | sort) | head -5 | paste -sd' ' -)"
    fi
}

# walk PATH: follow next_cursor from PATH (which has a query string) to the
# end; the ids, in order, go to $WORK/walk.ids, the pages' rows to
# $WORK/walk.rows (one JSON object a line). Fails on a non-200 page.
walk() {
    local path=$1 cursor="" url
    WALK_PAGES=0
    WALK_ERR=""
    : >"$WORK/walk.ids"
    : >"$WORK/walk.rows"
    while :; do
        url=$path
        [ -n "$cursor" ] && url="$path&cursor=$(urlencode "$cursor")"
        req GET "$url"
        if [ "$STATUS" != 200 ]; then
            WALK_ERR="page $((WALK_PAGES + 1)): status $STATUS, $(_snip "$RQ_B" 200) ($LAST_REQ)"
            return 1
        fi
        jq -r '.data[].id' "$RQ_B" >>"$WORK/walk.ids"
        jq -c '.data[]' "$RQ_B" >>"$WORK/walk.rows"
        WALK_PAGES=$((WALK_PAGES + 1))
        cursor=$(jq -r '.next_cursor // empty' "$RQ_B")
        [ -z "$cursor" ] && return 0
        if [ "$WALK_PAGES" -gt 120 ]; then
            WALK_ERR="more than 120 pages"
            return 1
        fi
    done
}

# walk_vs NAME PATH EXPECTED-FILE: a cursor walk gives exactly the ids of
# EXPECTED-FILE, in its order, without duplicates.
walk_vs() {
    if ! walk "$2"; then
        not_ok "$1" "every page 200" "$WALK_ERR"
        return
    fi
    local dups
    dups=$(sort -n "$WORK/walk.ids" | uniq -d | head -5 | paste -sd' ' -)
    if [ -n "$dups" ]; then
        not_ok "$1" "no id twice" "duplicates: $dups ($(wc -l <"$WORK/walk.ids") ids over $WALK_PAGES pages)"
    elif cmp -s "$WORK/walk.ids" "$3"; then
        ok "$1 ($(wc -l <"$3") ids over $WALK_PAGES pages)"
    else
        not_ok "$1" "$(wc -l <"$3") ids in the reference order" \
            "$(wc -l <"$WORK/walk.ids") ids over $WALK_PAGES pages" \
            "missing: $(comm -23 <(sort "$3") <(sort "$WORK/walk.ids") | head -8 | paste -sd' ' -)" \
            "extra: $(comm -13 <(sort "$3") <(sort "$WORK/walk.ids") | head -8 | paste -sd' ' -)" \
            "first difference: $(diff "$3" "$WORK/walk.ids" | head -4 | paste -sd' ' -)"
    fi
}

area_lists() {
    section "lists"
    SRC=127.$PASSNO.4.1
    poll 15 pending_empty
    local total
    total=$(sql "SELECT count(*) FROM leadgen.leads")

    # ---- leads: shape, default limit, cap
    KEY=$K_PARTNER req GET /api/v1/leads
    expect_status "lists: GET /api/v1/leads" 200
    expect_jq "lists: leads answer {data, limit:20, offset:0, next_cursor: string}" \
        '(.data|type=="array") and (.data|length)==20 and .limit==20 and .offset==0 and (.next_cursor|type=="string")'
    expect_jq "lists: a lead row has the contract's columns" \
        '.data[0] | has("id") and has("status") and has("insurance_type") and has("quality_score") and has("created_at") and has("rejection_reasons")'
    KEY=$K_PARTNER req GET '/api/v1/leads?limit=10000'
    if [ "$STATUS" = 400 ]; then
        ok "lists: limit=10000 is refused with 400 (cap 500)"
    elif [ "$STATUS" = 200 ] && jq -e '(.data|length) <= 500' "$RQ_B" >/dev/null 2>&1; then
        ok "lists: limit=10000 gives at most 500 rows ($(jqb '.data|length') of $total)"
        expect_jq "lists: limit=10000 gives exactly the cap, 500 rows ($total exist)" '(.data|length) == 500'
    else
        not_ok "lists: limit=10000 gives 400 or at most 500 rows" "400, or 200 with <= 500 rows" \
            "status $STATUS with $(jqb '.data|length') rows" "$(evidence)"
    fi
    KEY=$K_PARTNER req GET '/api/v1/leads?limit=500&fields=id'
    expect_jq "lists: limit=500 gives 500 rows" '(.data|length) == 500 and .limit == 500'
    KEY=$K_PARTNER req GET '/api/v1/leads?limit=3&fields=id,status'
    expect_jq "lists: fields=id,status gives only those keys in each item" \
        '(.data|length) == 3 and all(.data[]; (keys|sort) == ["id","status"])'
    KEY=$K_PARTNER req GET '/api/v1/leads?limit=2&fields=details'
    expect_jq "lists: fields=details (not a default field) is allowed" '(.data|length) == 2 and all(.data[]; keys == ["details"])'

    # ---- leads: each filter against the database
    local L="SELECT id FROM leadgen.leads WHERE"
    KEY=$K_PARTNER same_ids "lists: filter status=rejected" '/api/v1/leads?limit=500&fields=id&status=rejected' "$L status = 'rejected'"
    KEY=$K_PARTNER same_ids "lists: filter status=qualified" '/api/v1/leads?limit=500&fields=id&status=qualified' "$L status = 'qualified'"
    KEY=$K_PARTNER same_ids "lists: filter insurance_type=auto" '/api/v1/leads?limit=500&fields=id&insurance_type=auto' "$L insurance_type = 'auto'"
    KEY=$K_PARTNER same_ids "lists: filter state=CA" '/api/v1/leads?limit=500&fields=id&state=CA' "$L state = 'CA'"
    KEY=$K_PARTNER same_ids "lists: state and insurance_type compare case-insensitively (state=ca&insurance_type=AUTO)" \
        '/api/v1/leads?limit=500&fields=id&state=ca&insurance_type=AUTO' "$L state = 'CA' AND insurance_type = 'auto'"
    KEY=$K_PARTNER same_ids "lists: filter zip_code=10001" '/api/v1/leads?limit=500&fields=id&zip_code=10001' "$L zip_code = '10001'"
    KEY=$K_PARTNER same_ids "lists: filter broker_id=$BROKER_SOUTH" "/api/v1/leads?limit=500&fields=id&broker_id=$BROKER_SOUTH" "$L broker_id = $BROKER_SOUTH"
    KEY=$K_PARTNER same_ids "lists: filter source=referral" '/api/v1/leads?limit=500&fields=id&source=referral' "$L source = 'referral'"
    local t3 t3u
    t3=$(sql "SELECT to_char(c AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM (SELECT DISTINCT created_at c FROM leadgen.leads WHERE external_id LIKE 'fx-%') x ORDER BY c OFFSET 3 LIMIT 1")
    t3u=$(urlencode "$t3")
    local t5 t5u n_after
    t5=$(sql "SELECT to_char(c AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM (SELECT DISTINCT created_at c FROM leadgen.leads WHERE external_id LIKE 'fx-%') x ORDER BY c OFFSET 5 LIMIT 1")
    t5u=$(urlencode "$t5")
    KEY=$K_PARTNER same_ids "lists: filters created_after=$t3&created_before=$t5" \
        "/api/v1/leads?limit=500&fields=id&created_after=$t3u&created_before=$t5u" \
        "$L created_at >= '$t3' AND created_at < '$t5'" "$L created_at > '$t3' AND created_at <= '$t5'"
    # created_after alone: every lead of the passes so far is after it too.
    n_after=$(sql "SELECT least(count(*), 500) FROM leadgen.leads WHERE created_at >= '$t3'")
    KEY=$K_PARTNER req GET "/api/v1/leads?limit=500&fields=id,created_at&created_after=$t3u"
    expect_jq "lists: filter created_after=$t3 alone: $n_after rows, none older" \
        "(.data|length) == $n_after and all(.data[]; (.created_at|sub(\"[.][0-9]+\"; \"\")|sub(\"[+]00:00$\"; \"Z\")) >= (\"$t3\"|sub(\"[.][0-9]+\"; \"\")))"
    KEY=$K_PARTNER same_ids "lists: filter created_before=$t3" "/api/v1/leads?limit=500&fields=id&created_before=$t3u" \
        "$L created_at < '$t3'" "$L created_at <= '$t3'"
    KEY=$K_PARTNER same_ids "lists: filters combined (status=assigned&state=CA&insurance_type=renters)" \
        '/api/v1/leads?limit=500&fields=id&status=assigned&state=CA&insurance_type=renters' \
        "$L status = 'assigned' AND state = 'CA' AND insurance_type = 'renters'"

    # ---- leads: sort orders
    KEY=$K_PARTNER req GET '/api/v1/leads?limit=500&fields=id,quality_score&sort=quality_score'
    expect_jq "lists: sort=quality_score is ascending" \
        '[.data[].quality_score] as $s | ($s|length) == 500 and $s == ($s|sort) and ($s|unique|length) > 1'
    KEY=$K_PARTNER req GET '/api/v1/leads?limit=500&fields=id,quality_score&sort=-quality_score'
    expect_jq "lists: sort=-quality_score is descending" \
        '[.data[].quality_score] as $s | ($s|length) == 500 and $s == ($s|sort|reverse) and ($s|unique|length) > 1'
    expect_jq "lists: sort=-quality_score starts at the best score" "(.data[0].quality_score) == $(sql 'SELECT max(quality_score) FROM leadgen.leads')"
    KEY=$K_PARTNER req GET '/api/v1/leads?limit=500&fields=id&sort=id'
    expect_jq "lists: sort=id is ascending" '[.data[].id] as $s | $s == ($s|sort) and ($s|unique|length) == ($s|length)'
    KEY=$K_PARTNER req GET '/api/v1/leads?limit=500&fields=id&sort=-id'
    expect_jq "lists: sort=-id is descending from the newest id" \
        "[.data[].id] as \$s | \$s == (\$s|sort|reverse) and \$s[0] == $(sql 'SELECT max(id) FROM leadgen.leads')"
    KEY=$K_PARTNER req GET '/api/v1/leads?limit=500&fields=id,created_at&sort=created_at'
    expect_jq "lists: sort=created_at is ascending" '[.data[].created_at] as $s | $s == ($s|sort)'
    KEY=$K_PARTNER req GET '/api/v1/leads?limit=500&fields=id,created_at'
    expect_jq "lists: the default sort is -created_at" '[.data[].created_at] as $s | $s == ($s|sort|reverse)'

    # ---- leads: offset pagination
    KEY=$K_PARTNER req GET '/api/v1/leads?limit=150&fields=id&sort=id'
    jq -r '.data[].id' "$RQ_B" >"$WORK/big.ids"
    : >"$WORK/pages.ids"
    local off
    for off in 0 50 100; do
        KEY=$K_PARTNER req GET "/api/v1/leads?limit=50&offset=$off&fields=id&sort=id"
        jq -r '.data[].id' "$RQ_B" >>"$WORK/pages.ids"
    done
    expect_jq "lists: offset=100 echoes offset 100" '.offset == 100 and .limit == 50'
    expect_cmd "lists: offset pages 0/50/100 of 50 equal one page of 150 (sort=id)" "the same 150 ids" \
        cmp -s "$WORK/big.ids" "$WORK/pages.ids"
    KEY=$K_PARTNER req GET '/api/v1/leads?limit=120&fields=id&source=web_form'
    jq -r '.data[].id' "$RQ_B" >"$WORK/big.ids"
    : >"$WORK/pages.ids"
    for off in 0 40 80; do
        KEY=$K_PARTNER req GET "/api/v1/leads?limit=40&offset=$off&fields=id&source=web_form"
        jq -r '.data[].id' "$RQ_B" >>"$WORK/pages.ids"
    done
    expect_cmd "lists: offset pages equal one big page in the default order (ties on created_at)" "the same 120 ids" \
        cmp -s "$WORK/big.ids" "$WORK/pages.ids"

    # ---- leads: cursor pagination
    sql "SELECT id FROM leadgen.leads ORDER BY id" >"$WORK/ref.ids"
    KEY=$K_PARTNER walk_vs "lists: cursor walk over every lead (sort=id, limit=97) gives every id once, in order" \
        '/api/v1/leads?limit=97&fields=id&sort=id' "$WORK/ref.ids"
    KEY=$K_PARTNER req GET "/api/v1/leads?limit=500&fields=id&broker_id=$BROKER_SOUTH"
    jq -r '.data[].id' "$RQ_B" >"$WORK/ref.ids"
    KEY=$K_PARTNER walk_vs "lists: cursor walk (default sort -created_at, limit=30, broker_id filter) equals one big page" \
        "/api/v1/leads?limit=30&fields=id&broker_id=$BROKER_SOUTH" "$WORK/ref.ids"
    KEY=$K_PARTNER req GET '/api/v1/leads?limit=500&fields=id&sort=-quality_score&status=assigned&state=CA'
    jq -r '.data[].id' "$RQ_B" >"$WORK/ref.ids"
    KEY=$K_PARTNER walk_vs "lists: cursor walk (sort=-quality_score, many ties, limit=9) equals one big page" \
        '/api/v1/leads?limit=9&fields=id&sort=-quality_score&status=assigned&state=CA' "$WORK/ref.ids"
    KEY=$K_PARTNER req GET '/api/v1/leads?limit=500&fields=id&sort=quality_score&status=qualified'
    jq -r '.data[].id' "$RQ_B" >"$WORK/ref.ids"
    KEY=$K_PARTNER walk_vs "lists: cursor walk (sort=quality_score ascending, status=qualified, limit=16) equals one big page" \
        '/api/v1/leads?limit=16&fields=id&sort=quality_score&status=qualified' "$WORK/ref.ids"
    # Every lead by -quality_score: more than one big page holds.
    KEY=$K_PARTNER walk '/api/v1/leads?limit=200&fields=id,quality_score&sort=-quality_score'
    local wids wscores
    wids=$(sort -n "$WORK/walk.ids" | paste -sd' ' -)
    wscores=$(jq -s '[.[].quality_score] as $s | $s == ($s|sort|reverse)' "$WORK/walk.rows")
    expect_eq "lists: cursor walk over every lead by -quality_score: each lead once, scores descending" \
        "$(sql 'SELECT id FROM leadgen.leads ORDER BY id' | paste -sd' ' -) true" "$wids $wscores" "pages: $WALK_PAGES $WALK_ERR"

    # ---- agents
    local A="SELECT id FROM leadgen.agents WHERE"
    req GET /api/v1/agents
    expect_status "lists: GET /api/v1/agents (anonymous)" 200
    expect_jq "lists: agents answer {data, limit:20, offset:0, next_cursor}" \
        '(.data|type=="array") and .limit==20 and .offset==0 and has("next_cursor") and (.data[0]|has("id") and has("name") and has("specializations") and has("rating"))'
    same_ids "lists: agents filter state=CA" '/api/v1/agents?limit=500&state=CA' "$A state = 'CA'"
    same_ids "lists: agents filter city=San Diego" '/api/v1/agents?limit=500&city=San%20Diego' "$A city = 'San Diego'"
    same_ids "lists: agents filter is_active=false" '/api/v1/agents?limit=500&is_active=false' "$A NOT is_active"
    same_ids "lists: agents filter specialization=life" '/api/v1/agents?limit=500&specialization=life' "$A 'life' = ANY (specializations)"
    req GET '/api/v1/agents?limit=500&sort=-rating'
    expect_jq "lists: agents sort=-rating is descending" \
        '[.data[].rating|tonumber] as $s | ($s|length) > 5 and $s == ($s|sort|reverse)'
    req GET '/api/v1/agents?limit=500&sort=current_lead_count'
    expect_jq "lists: agents sort=current_lead_count is ascending" \
        '[.data[].current_lead_count] as $s | ($s|length) > 5 and $s == ($s|sort)'
    req GET '/api/v1/agents?limit=2&fields=id,name'
    expect_jq "lists: agents fields=id,name" '(.data|length)==2 and all(.data[]; (keys|sort)==["id","name"])'
    req GET '/api/v1/agents?limit=500&sort=-rating'
    jq -r '.data[].id' "$RQ_B" >"$WORK/ref.ids"
    walk_vs "lists: agents cursor walk (sort=-rating, limit=4) equals one big page" '/api/v1/agents?limit=4&sort=-rating' "$WORK/ref.ids"

    # ---- carriers
    local C="SELECT id FROM leadgen.carriers WHERE"
    req GET /api/v1/carriers
    expect_status "lists: GET /api/v1/carriers (anonymous)" 200
    expect_jq "lists: carriers answer {data, limit, offset, next_cursor}" \
        '(.data|type=="array") and .limit==20 and .offset==0 and has("next_cursor") and (.data[0]|has("partnership_tier") and has("states") and has("insurance_types"))'
    same_ids "lists: carriers filter is_active=false" '/api/v1/carriers?limit=500&is_active=false' "$C NOT is_active"
    same_ids "lists: carriers filter partnership_status=prospect" '/api/v1/carriers?limit=500&partnership_status=prospect' "$C partnership_status = 'prospect'"
    same_ids "lists: carriers filter partnership_tier=gold" '/api/v1/carriers?limit=500&partnership_tier=gold' "$C partnership_tier = 'gold'"
    same_ids "lists: carriers filter state=TX" '/api/v1/carriers?limit=500&state=TX' "$C 'TX' = ANY (states)"
    same_ids "lists: carriers filter insurance_type=life" '/api/v1/carriers?limit=500&insurance_type=life' "$C 'life' = ANY (insurance_types)"
    req GET '/api/v1/carriers?limit=500&sort=-performance_score'
    expect_jq "lists: carriers sort=-performance_score is descending" \
        '[.data[].performance_score|tonumber] as $s | ($s|length) > 3 and $s == ($s|sort|reverse)'
    jq -r '.data[].id' "$RQ_B" >"$WORK/ref.ids"
    walk_vs "lists: carriers cursor walk (sort=-performance_score, limit=2) equals one big page" \
        '/api/v1/carriers?limit=2&sort=-performance_score' "$WORK/ref.ids"
}
