# Submitting leads: POST /api/v1/leads (202, idempotent external_id, 422),
# the processed lead through GET /api/v1/leads/{id}, the batch route (JSON
# array and NDJSON), and partner keys bound to a broker.

_lead_final() {	# id: GET /api/v1/leads/{id} shows a processed lead
    req GET "/api/v1/leads/$1"
    [ "$STATUS" = 200 ] && jq -e '.status | IN("assigned", "qualified", "rejected", "duplicate")' "$RQ_B" >/dev/null 2>&1
}

area_leads() {
    section "leads"
    SRC=127.$PASSNO.3.1
    local ext="gw-ext-$PASSNO-$$-$(date +%s%N)"
    local fname="Zoë O'Brien 東京 🙂 '); DROP TABLE leadgen.leads; --"
    local body id
    body=$(lead_json "$ext" "$fname" | jq -c '. + {gw_note: "kept in details"}')

    KEY=$K_PARTNER req POST /api/v1/leads -H 'Content-Type: application/json' --data-binary "$body"
    expect_status "leads: POST /api/v1/leads (a new lead)" 202
    expect_jq "leads: POST /api/v1/leads answers {\"id\":N,\"status\":\"pending\"}" \
        '(.id|type=="number") and .status=="pending" and (keys==["id","status"])'
    expect_hdr "leads: POST /api/v1/leads answers application/json" Content-Type '^application/json'
    id=$(jqb '.id // empty')
    [ -z "$id" ] && id=0

    KEY=$K_PARTNER req POST /api/v1/leads -H 'Content-Type: application/json' --data-binary "$body"
    expect_status "leads: the same external_id again with the same key" 200
    expect_eq "leads: the repeated external_id answers the original id" "$id" "$(jqb .id)" "$(evidence)"

    if KEY=$K_PARTNER poll 10 _lead_final "$id"; then
        ok "leads: GET /api/v1/leads/$id shows the lead processed by the workers"
        expect_jq "leads: GET /api/v1/leads/{id} has \"assignment\" and \"events\" keys" \
            'has("assignment") and has("events") and (.events|type=="array")'
        expect_jq "leads: the Oregon renters lead is assigned to the Oregon agent ($OREGON_AGENT)" \
            ".id == $id and .status == \"assigned\" and (.assignment.agent_id == $OREGON_AGENT)"
        expect_jq "leads: the lead has its events (one per transition at least)" '(.events|length) >= 1'
        expect_eq "leads: first_name with quotes, SQL and unicode is stored as sent" "$fname" "$(jqb .first_name)" "$(evidence)"
        expect_jq "leads: an unknown key is kept in details" '.details.gw_note == "kept in details"'
    else
        not_ok "leads: GET /api/v1/leads/$id shows the processed lead within 10 s" \
            "200 with a final status" "status $STATUS" "$(evidence)" \
            "in the database: $(sql "SELECT coalesce((SELECT status FROM leadgen.leads WHERE id = $id), 'not in leads')")"
    fi
    expect_eq "leads: leadgen.leads still exists" t "$(sql "SELECT to_regclass('leadgen.leads') IS NOT NULL")"

    KEYHDR=x-api-key KEY=$K_PARTNER req GET "/api/v1/leads/$id"
    expect_status "leads: X-API-Key authenticates like Authorization: Bearer" 200

    # Schema problems: every one listed.
    KEY=$K_PARTNER req POST /api/v1/leads -H 'Content-Type: application/json' --data-binary \
        '{"source":"web_form","insurance_type":"auto","first_name":5,"last_name":true,"email":"a@example.com","zip_code":94103,"state":"CA"}'
    expect_error "leads: wrong JSON types (first_name 5, last_name true, zip_code number)" 422 invalid_lead
    expect_jq "leads: 422 details name first_name, last_name and zip_code" \
        '(.error.details|tostring) as $d | ($d|contains("first_name")) and ($d|contains("last_name")) and ($d|contains("zip_code"))'
    expect_jq "leads: 422 details list each problem (3 entries at least)" '(.error.details|length) >= 3'
    KEY=$K_PARTNER req POST /api/v1/leads -H 'Content-Type: application/json' --data-binary '[{"source":"web_form"}]'
    expect_status "leads: a JSON array to POST /api/v1/leads is refused" '400|422'

    # Missing fields are not refused at submission: the lead is rejected
    # by the pipeline with MISSING_FIELD.
    KEY=$K_PARTNER req POST /api/v1/leads -H 'Content-Type: application/json' --data-binary '{}'
    expect_status "leads: POST {} is accepted (schema-valid; rules run in the worker)" 202
    local empty_id
    empty_id=$(jqb '.id // 0')
    if KEY=$K_PARTNER poll 10 _lead_final "$empty_id"; then
        expect_jq "leads: the empty lead is rejected with MISSING_FIELD" \
            '.status == "rejected" and (.rejection_reasons|index("MISSING_FIELD") != null) and .quality_score == 0'
    else
        not_ok "leads: the empty lead is processed within 10 s" "200 with status rejected" "status $STATUS" "$(evidence)"
    fi

    # Batch: a JSON array with one bad item.
    local a b c
    a=$(lead_json)
    b=$(lead_json)
    c=$(lead_json)
    KEY=$K_PARTNER req POST /api/v1/leads/batch -H 'Content-Type: application/json' --data-binary \
        "[$a,$b,{\"source\":\"web_form\",\"first_name\":7},$c]"
    expect_status "leads: POST /api/v1/leads/batch (JSON array of 4, one with a wrong type)" 202
    expect_jq "leads: batch answers accepted 3, rejected 1" '.accepted == 3 and .rejected == 1'
    expect_jq "leads: batch errors name the bad item (index 2)" \
        '(.errors|type=="array") and (.errors|length) == 1 and (.errors[0]|tostring|contains("2"))'

    # Batch: NDJSON with a blank line and a line that is not JSON.
    a=$(lead_json)
    b=$(lead_json)
    printf '%s\n\n%s\n{"source": "web_form", oops\n' "$a" "$b" >"$WORK/batch.ndjson"
    KEY=$K_PARTNER req POST /api/v1/leads/batch -H 'Content-Type: application/x-ndjson' --data-binary "@$WORK/batch.ndjson"
    expect_status "leads: POST /api/v1/leads/batch as NDJSON (2 leads, a blank line, a broken line)" 202
    expect_jq "leads: NDJSON batch answers accepted 2, rejected 1, one error" \
        '.accepted == 2 and .rejected == 1 and (.errors|length) == 1'
    # media types are case-insensitive: Application/X-NDJSON is NDJSON too
    printf '%s\n%s\n' "$(lead_json)" "$(lead_json)" >"$WORK/batch-case.ndjson"
    KEY=$K_PARTNER req POST /api/v1/leads/batch -H 'Content-Type: Application/X-NDJSON; charset=UTF-8' \
        --data-binary "@$WORK/batch-case.ndjson"
    expect_status "leads: POST /api/v1/leads/batch as Application/X-NDJSON (two lines)" 202
    expect_jq "leads: ... is read as NDJSON (accepted 2, rejected 0)" '.accepted == 2 and .rejected == 0'

    # A partner key bound to a broker.
    KEY=$K_BOUND submit_lead
    expect_status "leads: bound partner POST /api/v1/leads without broker_id" 202
    local bid=${LEAD_ID:-0}
    if KEY=$K_BOUND poll 10 _lead_final "$bid"; then
        expect_jq "leads: the bound partner's lead carries its broker ($BROKER_NORTH)" ".broker_id == $BROKER_NORTH"
    else
        not_ok "leads: bound partner sees its processed lead within 10 s" "200" "status $STATUS" "$(evidence)"
    fi
    KEY=$K_BOUND req POST /api/v1/leads -H 'Content-Type: application/json' \
        --data-binary "$(lead_json | jq -c --argjson b "$BROKER_SOUTH" '. + {broker_id: $b}')"
    expect_error "leads: bound partner submitting another broker's lead" 403
    local south
    south=$(sql "SELECT id FROM leadgen.leads WHERE broker_id = $BROKER_SOUTH ORDER BY id LIMIT 1")
    KEY=$K_BOUND req GET "/api/v1/leads/$south"
    expect_error "leads: bound partner GET of another broker's lead $south" 404
    KEY=$K_PARTNER req GET "/api/v1/leads/$south"
    expect_status "leads: unbound partner GET of the same lead" 200
    KEY=$K_BOUND req GET '/api/v1/leads?limit=500&fields=id,broker_id'
    local n_north
    n_north=$(sql "SELECT least(count(*), 500) FROM leadgen.leads WHERE broker_id = $BROKER_NORTH")
    expect_jq "leads: bound partner's list: only broker $BROKER_NORTH, all $n_north of them" \
        "(.data|length) == $n_north and all(.data[]; .broker_id == $BROKER_NORTH)"
    a=$(lead_json)
    b=$(lead_json | jq -c --argjson s "$BROKER_SOUTH" '. + {broker_id: $s}')
    KEY=$K_BOUND req POST /api/v1/leads/batch -H 'Content-Type: application/json' --data-binary "[$a,$b]"
    expect_status "leads: bound partner batch with one lead of another broker" 202
    expect_jq "leads: ... the other broker's item is rejected" '.accepted == 1 and .rejected == 1'

    poll 15 pending_empty || not_ok "leads: the queue drains after the leads tests" "leads_pending empty within 15 s" \
        "$(sql 'SELECT count(*) FROM leadgen.leads_pending') pending"
}
