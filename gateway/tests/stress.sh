# Concurrency: six clients read cached routes (gzip and not) on
# keep-alive connections while the database changes what they read (agents
# updated, leads submitted and processed: each change invalidates cache
# entries as they are being served). Every answer must be 200 and the
# process must live; in the sanitizer pass a use-after-free or a leak here
# shows in the stderr check at the end.

# 300 committed changes, one every few milliseconds, each notifying the
# gateways: an agent's rating, and every tenth time a new lead (processed
# by the workers).
_stress_changes() {
    sql "DO \$\$
         BEGIN
             FOR i IN 1..300 LOOP
                 UPDATE leadgen.agents SET rating = (rating + 0.01) % 5 WHERE name = 'Ben Ito';
                 IF i % 10 = 0 THEN
                     PERFORM leadgen.lead_submit('$(lead_json)'::jsonb || jsonb_build_object('email', 'stress' || i || '.' || $PASSNO || '@example.com'));
                 END IF;
                 COMMIT;
                 PERFORM pg_sleep(0.005);
             END LOOP;
         END \$\$" >"$WORK/stress.sql.out" 2>&1
}

# Read the URLs of $WORK/stress.urls again and again until $WORK/stress.done.
_stress_reader() {	# curl options...
    while [ ! -e "$WORK/stress.done" ]; do
        curl_many "$WORK/stress.urls" -H "Authorization: Bearer $K_INTERNAL" "$@"
    done
}

area_stress() {
    section "stress"
    SRC=127.$PASSNO.50.1
    local id
    id=$(sql "SELECT max(id) FROM leadgen.leads")
    : >"$WORK/stress.urls"
    for _ in $(seq 1 30); do
        printf '%s\n' "$GW/api/v1/config" "$GW/api/v1/leads?limit=5" "$GW/api/v1/leads?limit=50" \
            "$GW/api/v1/agents?state=CA" "$GW/api/v1/agents" "$GW/api/v1/leads/$id" >>"$WORK/stress.urls"
    done
    rm -f "$WORK/stress.done"
    local pids=() k t0
    t0=$(date +%s)
    for k in 1 2 3 4 5 6; do
        if [ $((k % 2)) = 0 ]; then
            _stress_reader -H 'Accept-Encoding: gzip' >"$WORK/stress.$k" &
        else
            _stress_reader >"$WORK/stress.$k" &
        fi
        pids+=($!)
        BG_PIDS+=($!)
    done
    _stress_changes
    touch "$WORK/stress.done"
    wait "${pids[@]}"
    local total bad
    total=$(cat "$WORK"/stress.[1-6] | wc -l)
    bad=$(cat "$WORK"/stress.[1-6] | awk '$1 != 200' | head -5)
    if [ "$total" -ge 1080 ] && [ -z "$bad" ] && ! grep -q ERROR "$WORK/stress.sql.out"; then
        ok "stress: $total concurrent reads of cached routes (6 clients, $(( $(date +%s) - t0 )) s) during 300 committed changes: all 200"
    else
        not_ok "stress: concurrent reads during database changes are all 200" ">= 1080 answers, all 200; the changes ran" \
            "$total answers; not 200: $(cat "$WORK"/stress.[1-6] | awk '$1 != 200' | wc -l)" "$bad" "$(head -3 "$WORK/stress.sql.out")"
    fi
    expect_cmd "stress: the gateway is alive after the concurrent load" "process alive" gw_alive "$MAIN"
    poll 15 pending_empty
    local newest
    newest=$(sql "SELECT id FROM leadgen.leads ORDER BY created_at DESC, id DESC LIMIT 1")
    if KEY=$K_PARTNER poll_list_until_id "$newest" '/api/v1/leads?limit=5&fields=id'; then
        ok "stress: after the load, the newest lead ($newest) is listed"
    else
        not_ok "stress: after the load, the newest lead is listed within 10 s" "lead $newest in /api/v1/leads?limit=5" \
            "not listed" "$(evidence)"
    fi
}
