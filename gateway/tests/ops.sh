# What an operator scrapes and is paged by: GET /metrics passes
# `promtool check metrics` (every family has HELP and TYPE, names as
# Prometheus wants them); the alert rules of deploy/prometheus pass
# `promtool check rules` and their unit tests (`promtool test rules`, one
# or more per alert); every series the rules and the Grafana dashboard of
# deploy/grafana read is one /metrics serves.

area_ops() {
    section "ops"
    SRC=127.$PASSNO.50.1
    local prom=$ROOT/deploy/prometheus graf=$ROOT/deploy/grafana/leadgen-dashboard.json out

    # some traffic of each kind first, so that every family has samples
    req GET /api/v1/config
    req GET /api/v1/config
    KEY=$K_PARTNER req GET '/api/v1/leads?limit=2'
    req GET /api/v1/no-such-route
    req GET /metrics
    expect_status "ops: GET /metrics" 200
    cp "$RQ_B" "$WORK/metrics-$PASS_NAME.txt"
    if ! command -v promtool >/dev/null; then
        not_ok "ops: promtool is installed (Debian prometheus; scripts/deps.sh)" "promtool on PATH" "none"
        return
    fi
    if out=$(promtool check metrics <"$WORK/metrics-$PASS_NAME.txt" 2>&1); then
        ok "ops: GET /metrics passes promtool check metrics ($(grep -c '^# TYPE' "$WORK/metrics-$PASS_NAME.txt") families)"
    else
        not_ok "ops: GET /metrics passes promtool check metrics" "no problem reported" "$(head -c 600 <<<"$out")"
    fi
    local fam missing=()
    for fam in $(grep -ohE '\bleadgen_[a-z0-9_]*[a-z0-9]\b' "$prom/leadgen-alerts.yml" "$graf" | sed -E 's/_(bucket|sum|count)$//' | sort -u); do
        grep -qE "^# TYPE $fam " "$WORK/metrics-$PASS_NAME.txt" || missing+=("$fam")
    done
    expect_eq "ops: every series the alert rules and the Grafana dashboard read is served by /metrics" "none missing" \
        "${missing[*]:-none missing}"
    expect_cmd "ops: /metrics says the database answered (leadgen_up 1)" "leadgen_up 1" \
        grep -qx 'leadgen_up 1' "$WORK/metrics-$PASS_NAME.txt"

    # /metrics is public and never rate limited: a burst of anonymous
    # scrapes reads the database at most once a second, not once each.
    local calls0 calls1 t0 t1 i n200
    calls0=$(sql "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE query LIKE '%leadgen.api_metrics()%'")
    for i in $(seq 1 60); do echo "$GW/metrics"; done >"$WORK/metrics.urls"
    t0=$(ms_now)
    n200=$(curl_many "$WORK/metrics.urls" --parallel --parallel-max 8 | grep -c '^200 ')
    t1=$(ms_now)
    calls1=$(sql "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE query LIKE '%leadgen.api_metrics()%'")
    expect_eq "ops: 60 anonymous scrapes at once are all answered" 60 "$n200"
    expect_cmd "ops: ... and read the database at most once a second ($((calls1 - calls0)) reads in $((t1 - t0)) ms)" \
        "at most $(( (t1 - t0) / 1000 + 1 )) reads" test $((calls1 - calls0)) -le $(( (t1 - t0) / 1000 + 1 ))
    sleep 1.1
    req GET /metrics
    expect_cmd "ops: a scrape a second later reads the database again" "one more read" \
        test "$(sql "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE query LIKE '%leadgen.api_metrics()%'")" -gt "$calls1"

    [ "$PASS_NAME" = normal ] || return 0	# the files below do not depend on the binary
    if out=$(promtool check rules "$prom/leadgen-alerts.yml" 2>&1); then
        ok "ops: deploy/prometheus/leadgen-alerts.yml passes promtool check rules ($(grep -oE '[0-9]+ rules found' <<<"$out"))"
    else
        not_ok "ops: deploy/prometheus/leadgen-alerts.yml passes promtool check rules" "SUCCESS" "$out"
    fi
    if out=$(cd "$prom" && promtool test rules leadgen-alerts.test.yml 2>&1); then
        ok "ops: promtool test rules leadgen-alerts.test.yml passes"
    else
        not_ok "ops: promtool test rules leadgen-alerts.test.yml passes" "SUCCESS" "$(head -c 1500 <<<"$out")"
    fi
    local a alerts untested=()
    alerts=$(grep -oP '^\s+- alert: \K\w+' "$prom/leadgen-alerts.yml")
    for a in $alerts; do
        grep -qE "alertname: $a\$" "$prom/leadgen-alerts.test.yml" &&
            awk -v a="$a" '$0 ~ "alertname: "a"$" {f=1; next} f && /alertname:/ {f=0} f && /exp_labels/ {found=1} END {exit !found}' \
                "$prom/leadgen-alerts.test.yml" || untested+=("$a")
    done
    expect_eq "ops: every alert rule ($(wc -w <<<"$alerts")) has a unit test in which it fires" "none untested" \
        "${untested[*]:-none untested}"
    if jq -e '(.panels | length > 10) and ([.panels[] | select(.type != "row") | (.targets | length > 0)] | all)' "$graf" >/dev/null 2>&1; then
        ok "ops: deploy/grafana/leadgen-dashboard.json is a dashboard whose every panel has a query"
    else
        not_ok "ops: deploy/grafana/leadgen-dashboard.json is valid" "JSON with panels and targets" "no"
    fi
}
