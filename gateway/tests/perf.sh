# Every /api/v1/performance route of API.md: GETs with an internal key
# (and one with admin), POSTs with an admin key.

_json_post() {	# path json (with $KEY)
    req POST "$1" -H 'Content-Type: application/json' --data-binary "$2"
}

area_perf() {
    section "perf"
    SRC=127.$PASSNO.6.1
    local P=/api/v1/performance

    # ---- database
    KEY=$K_ADMIN _json_post $P/database/analyze-query '{"query":"SELECT id, status FROM leadgen.leads WHERE status = '"'"'assigned'"'"' ORDER BY created_at DESC LIMIT 10","analyze":false}'
    expect_status "perf: POST database/analyze-query (admin, analyze false)" 200
    expect_jq "perf: analyze-query answers a JSON object with a plan" 'type=="object" and (tostring|test("Plan|plan"))'
    KEY=$K_ADMIN _json_post $P/database/analyze-query '{"query":"SELECT count(*) FROM leadgen.agents","analyze":true}'
    expect_status "perf: POST database/analyze-query (analyze true)" 200
    expect_jq "perf: analyze true gives actual figures" 'tostring|test("Actual|actual")'
    local before
    before=$(sql "SELECT count(*) FROM leadgen.agents")
    KEY=$K_ADMIN _json_post $P/database/analyze-query '{"query":"DELETE FROM leadgen.agents","analyze":true}'
    if [[ $STATUS =~ ^4[0-9][0-9]$ ]]; then
        ok "perf: analyze-query refuses to execute a DELETE ($STATUS)"
    else
        not_ok "perf: analyze-query refuses to execute a DELETE" "a 4xx" "status $STATUS" "$(evidence)"
    fi
    expect_eq "perf: ... and leadgen.agents still has its $before rows" "$before" "$(sql "SELECT count(*) FROM leadgen.agents")"

    # The suite's gateway connects as a role that is not a superuser (as the
    # README asks): a SELECT an admin key runs cannot read server files.
    KEY=$K_ADMIN _json_post $P/database/analyze-query '{"query":"SELECT pg_read_file('"'"'/etc/hostname'"'"')","analyze":true}'
    expect_error "perf: analyze-query cannot call pg_read_file through a non-superuser gateway" 403

    KEY=$K_ADMIN _json_post $P/database/analyze-query '{"analyze":false}'
    expect_error "perf: analyze-query without a query (a missing parameter)" 400

    KEY=$K_INTERNAL req GET $P/database/indexing-strategy
    expect_status "perf: GET database/indexing-strategy (internal)" 200
    expect_jq "perf: indexing-strategy is JSON" 'type=="object" or type=="array"'
    KEY=$K_INTERNAL req GET $P/database/connection-pool
    expect_status "perf: GET database/connection-pool" 200
    expect_jq "perf: connection-pool is a JSON object" 'type=="object"'
    expect_jq "perf: connection-pool has the gateway's own pool figures" 'tostring|test("gateway")'
    KEY=$K_INTERNAL req GET "$P/database/slow-queries?limit=3"
    expect_status "perf: GET database/slow-queries?limit=3" 200
    expect_jq "perf: slow-queries?limit=3 lists at most 3 statements" \
        '(if type=="array" then . else (.data // .queries // .statements // [.[]|arrays][0] // []) end) | length <= 3 and length >= 1'
    KEY=$K_ADMIN_PERF req POST $P/database/optimize-table/leads
    expect_status "perf: POST database/optimize-table/leads (admin)" '200|202'
    expect_jq "perf: optimize-table answers JSON" 'type=="object"'
    KEY=$K_INTERNAL req GET $P/database/table-stats/leads
    expect_status "perf: GET database/table-stats/leads" 200
    expect_jq "perf: table-stats is a JSON object" 'type=="object"'
    KEY=$K_INTERNAL req GET $P/database/table-stats/leadgen.agents
    expect_status "perf: GET database/table-stats/leadgen.agents (schema-qualified)" '200'
    KEY=$K_INTERNAL req GET $P/database/size
    expect_status "perf: GET database/size" 200
    expect_jq "perf: size is a JSON object" 'type=="object"'
    KEY=$K_ADMIN req GET $P/database/size
    expect_status "perf: GET database/size with an admin key" 200
    KEY=$K_ADMIN_PERF _json_post $P/database/archive '{"dry_run":true}'
    expect_status "perf: POST database/archive {\"dry_run\":true} (admin)" 200
    expect_jq "perf: archive answers JSON" 'type=="object" or type=="array"'

    # ---- cache
    KEY=$K_ADMIN_PERF req POST $P/cache/warm
    expect_status "perf: POST cache/warm (admin)" '200|202'
    expect_jq "perf: cache/warm answers JSON" 'type=="object" or type=="array"'
    KEY=$K_ADMIN_PERF _json_post $P/cache/invalidate '{"pattern":"/api/v1/carriers*"}'
    expect_status "perf: POST cache/invalidate (admin)" '200|202|204'
    KEY=$K_INTERNAL req GET $P/cache/metrics
    expect_status "perf: GET cache/metrics" 200
    expect_jq "perf: cache/metrics has hits and misses" 'tostring|test("hit") and test("miss")'
    KEY=$K_INTERNAL req GET $P/cache/hit-rate
    expect_status "perf: GET cache/hit-rate" 200
    expect_jq "perf: cache/hit-rate is a JSON object" 'type=="object"'

    # ---- jobs
    KEY=$K_INTERNAL req GET "$P/jobs/metrics?queue=leads"
    expect_status "perf: GET jobs/metrics?queue=leads" 200
    expect_jq "perf: jobs/metrics has waiting, active, completed, failed, dead" \
        '[paths|.[-1]|strings] as $k | all("waiting","active","completed","failed","dead"; . as $w | $k|index($w) != null)'
    KEY=$K_ADMIN_PERF _json_post $P/jobs/schedule \
        "{\"name\":\"gw-test-job-$PASSNO-$$\",\"cron\":\"*/30 * * * *\",\"timezone\":\"Europe/Paris\",\"job\":\"optimize_table\",\"table\":\"leadgen.leads_pending\"}"
    expect_status "perf: POST jobs/schedule (cron, time zone, job optimize_table)" '200|201'
    expect_eq "perf: the scheduled job is in leadgen.jobs with its time zone and the command written for it" \
        "*/30 * * * *|Europe/Paris|SELECT leadgen.perf_optimize_table('leadgen.leads_pending')" \
        "$(sql "SELECT schedule || '|' || timezone || '|' || command FROM leadgen.jobs WHERE name = 'gw-test-job-$PASSNO-$$'")" "$(evidence)"
    KEY=$K_ADMIN_PERF _json_post $P/jobs/schedule \
        "{\"name\":\"gw-test-sql-$PASSNO-$$\",\"cron\":\"*/30 * * * *\",\"command\":\"SELECT 1\"}"
    expect_error "perf: POST jobs/schedule with a SQL command is refused" 403
    KEY=$K_ADMIN_PERF _json_post $P/jobs/schedule \
        "{\"name\":\"gw-test-kind-$PASSNO-$$\",\"cron\":\"*/30 * * * *\",\"job\":\"drop_everything\"}"
    expect_error "perf: POST jobs/schedule of an unknown job kind is 400" 400
    KEY=$K_ADMIN_PERF req POST $P/jobs/leads/pause
    expect_status "perf: POST jobs/leads/pause" 200
    expect_eq "perf: the leads queue is paused" t "$(sql "SELECT paused FROM leadgen.queues WHERE name = 'leads'")"
    KEY=$K_ADMIN_PERF req POST $P/jobs/leads/resume
    expect_status "perf: POST jobs/leads/resume" 200
    expect_eq "perf: the leads queue runs again" f "$(sql "SELECT paused FROM leadgen.queues WHERE name = 'leads'")"
    # BullMQ's pause-and-close and drain, on both queues
    KEY=$K_ADMIN_PERF _json_post $P/jobs/leads/pause '{"wait":true,"timeout_ms":5000}'
    expect_status "perf: POST jobs/leads/pause {wait: true}" 200
    expect_jq "perf: ... answers once nothing is in flight (idle)" '.data[0].paused == true and .idle == true and .active == 0'
    KEY=$K_ADMIN_PERF _json_post $P/jobs/leads/drain '{"delayed":false}'
    expect_status "perf: POST jobs/leads/drain" 200
    expect_jq "perf: ... says how many leads it moved to the dead letter" '.queue == "leads" and (.drained|type) == "number"'
    KEY=$K_ADMIN_PERF req POST $P/jobs/leads/retry-failed
    expect_status "perf: POST jobs/leads/retry-failed brings drained leads back" 200
    KEY=$K_ADMIN_PERF req POST $P/jobs/leads/resume
    expect_status "perf: POST jobs/leads/resume after the drain" 200
    KEY=$K_INTERNAL req GET "$P/jobs/metrics?queue=maintenance"
    expect_jq "perf: jobs/metrics?queue=maintenance: the job runs as a queue" \
        '.data[0].queue_name == "maintenance" and (.data[0].waiting|type) == "number" and (.data[0].active|type) == "number"'
    KEY=$K_ADMIN_PERF _json_post $P/jobs/maintenance/drain '{}'
    expect_status "perf: POST jobs/maintenance/drain (due runs skip to their next time)" 200
    KEY=$K_INTERNAL req GET $P/jobs/maintenance/dead-letter
    expect_jq "perf: jobs/maintenance/dead-letter lists the jobs whose latest run failed" '.queue == "maintenance" and (.data|type) == "array"'
    sql "SELECT leadgen.queue_resume('leads')" >/dev/null	# whatever happened above
    KEY=$K_ADMIN_PERF req POST $P/jobs/leads/retry-failed
    expect_status "perf: POST jobs/leads/retry-failed" 200
    KEY=$K_INTERNAL req GET $P/jobs/leads/dead-letter
    expect_status "perf: GET jobs/leads/dead-letter" 200
    expect_jq "perf: dead-letter lists entries" '(.data|type=="array")'

    # ---- capacity
    KEY=$K_INTERNAL req GET $P/capacity/dashboard
    expect_status "perf: GET capacity/dashboard" 200
    expect_jq "perf: capacity/dashboard is a JSON object" 'type=="object"'
    local r
    for r in database_size lead_volume queue_depth connections xid_age; do
        KEY=$K_INTERNAL req GET "$P/capacity/forecast/$r?months=6"
        expect_status "perf: GET capacity/forecast/$r?months=6" 200
    done
    KEY=$K_INTERNAL req GET "$P/capacity/forecast/database_size?months=6"
    expect_jq "perf: forecast?months=6 has 6 monthly entries dated YYYY-MM, in order, with a 95% interval" \
        '[..|objects|select(has("month"))] as $m | ($m|length) == 6 and all($m[]; (.month|test("^[0-9]{4}-[0-9]{2}$")) and (keys|map(select(test("95")))|length) >= 2) and ([$m[].month] == ([$m[].month]|sort|unique))'
    KEY=$K_INTERNAL req GET "$P/capacity/forecast/lead_volume?months=3"
    expect_jq "perf: forecast?months=3 has 3 entries" '[..|objects|select(has("month"))] | length == 3'
    KEY=$K_INTERNAL req GET "$P/capacity/forecast/no_such_resource?months=6"
    expect_status "perf: forecast of an unknown resource is 400 or 404" '400|404'
    KEY=$K_INTERNAL req GET "$P/capacity/forecast/database_size?months=0"
    expect_status "perf: forecast?months=0 is 400" 400
    KEY=$K_INTERNAL req GET $P/capacity/bottlenecks
    expect_status "perf: GET capacity/bottlenecks" 200
    expect_jq "perf: capacity/bottlenecks is JSON" 'type=="object" or type=="array"'
}
