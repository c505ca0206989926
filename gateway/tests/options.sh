# The options of gateway/README.md: --help, a bad option, --max-body
# through its environment variable, --cache-mb bounding the cache with LRU
# eviction, --cache-mb 0 turning it off, --ack-standby-ms without a standby.

_xcache() { KEY=$K_INTERNAL GW=$1 req GET "$2"; hdr X-Cache; }

# --ack-standby-ms on this suite's cluster, which has no standby streaming
# (the replica area stops its own): no lead submission is acknowledged.
# After the wait, 503 not_replicated with Retry-After, and the lead is
# committed all the same; reads are not affected. Run in the direct passes
# (area options) and through pgbouncer (area pooler, with --pooler).
ack_standby_check() {
    local A=ack-$PASS_NAME agw ext t0
    if [ "$(sql "SELECT count(*) FROM pg_stat_replication")" != 0 ]; then
        not_ok "options: --ack-standby-ms needs a cluster without a standby" "pg_stat_replication empty" \
            "$(sql "SELECT count(*) FROM pg_stat_replication") walsenders"
        return
    fi
    if ! gw_start "$A" "$(free_port 23080)" --ack-standby-ms 300; then
        not_ok "options: a gateway with --ack-standby-ms 300 starts" "GET /health 200" "no" "$(tail -5 "$WORK/$A.stderr")"
        return
    fi
    agw=http://127.0.0.1:${GW_PORT[$A]}
    ext="ack-$PASS_NAME-$$-$RANDOM"
    t0=$(ms_now)
    KEY=$K_PARTNER GW=$agw req POST /api/v1/leads -H 'Content-Type: application/json' --data-binary "$(lead_json "$ext")"
    expect_error "options: --ack-standby-ms without a standby: a lead" 503 not_replicated
    expect_hdr "options: --ack-standby-ms: Retry-After" Retry-After '^2$'
    expect_cmd "options: --ack-standby-ms: answered after its 300 ms" "at least 300 ms" test $(( $(ms_now) - t0 )) -ge 300
    expect_eq "options: --ack-standby-ms: the unacknowledged lead is committed" 1 \
        "$(sql "SELECT count(*) FROM leadgen.lead_external_ids WHERE external_id = '$ext'")"
    KEY=$K_PARTNER GW=$agw req POST /api/v1/leads/batch -H 'Content-Type: application/json' --data-binary "[$(lead_json)]"
    expect_error "options: --ack-standby-ms without a standby: a batch" 503 not_replicated
    KEY=$K_PARTNER GW=$agw req POST /api/v1/leads -H 'Content-Type: application/json' \
        --data-binary "$(lead_json | jq -c '.first_name = 5')"
    expect_error "options: --ack-standby-ms: a refused lead (first_name 5) is answered as refused, not 503" 422 invalid_lead
    KEY=$K_INTERNAL GW=$agw req GET /api/v1/agents
    expect_status "options: --ack-standby-ms: reads are answered" 200
    GW=$agw req GET /metrics
    expect_eq "options: --ack-standby-ms: /metrics counts the two unconfirmed commits" 2 \
        "$(awk '/^leadgen_gateway_not_replicated_total/ { print $NF }' "$RQ_B")"
    _ack_mixed_batch "$agw"
    gw_stop "$A" 20
    expect_eq "options: the --ack-standby-ms gateway exits 0 on SIGTERM" 0 "$GW_RC" "stderr: $(tail -5 "$WORK/$A.stderr" | tr '\n' ' ')"
}

_ack_not_replicated() { KEY= GW=$1 req GET /metrics; awk '/^leadgen_gateway_not_replicated_total/ { print $NF }' "$RQ_B"; }

_ack_post() {	# gateway name body: POST /api/v1/leads; writes name.code (status, the end in ms) and name.body
    curl -s -o "$WORK/$2.body" -w '%{http_code}' --max-time 15 -H 'Expect:' -H "Authorization: Bearer $K_PARTNER" \
        -H 'Content-Type: application/json' --data-binary "$3" "$1/api/v1/leads" >"$WORK/$2.code" 2>/dev/null
    echo " $(ms_now)" >>"$WORK/$2.code"
}

# A refused lead submitted in one batch with an acknowledged one keeps its
# 422; only the acknowledged lead gets the 503. Two valid leads, 50 ms
# apart, keep both submitters waiting for the standby; a valid and a
# refused lead sent meanwhile queue up and are taken as one batch. That
# set-up is checked (the two first commits counted apart, the third batch
# counted once, both first leads answered well after the pair was sent),
# and tried up to three times.
_ack_mixed_batch() {
    local agw=$1 try before after t_pair ok_setup=no s1 e1 s2 e2 sv sr pids
    for try in 1 2 3; do
        before=$(_ack_not_replicated "$agw")
        _ack_post "$agw" ackm1 "$(lead_json)" &
        pids=$!
        sleep 0.05
        _ack_post "$agw" ackm2 "$(lead_json)" &
        pids="$pids $!"
        sleep 0.05
        t_pair=$(ms_now)
        _ack_post "$agw" ackmv "$(lead_json "ackm-$PASS_NAME-$$-$try")" &
        pids="$pids $!"
        _ack_post "$agw" ackmr "$(lead_json | jq -c '.first_name = 5')" &
        wait $pids $!
        after=$(_ack_not_replicated "$agw")
        read -r s1 e1 <"$WORK/ackm1.code"
        read -r s2 e2 <"$WORK/ackm2.code"
        if [ "$s1 $s2" = "503 503" ] && [ $((after - before)) = 3 ] &&
           [ $((e1 - t_pair)) -ge 100 ] && [ $((e2 - t_pair)) -ge 100 ]; then
            ok_setup=yes
            break
        fi
    done
    if [ $ok_setup != yes ]; then
        not_ok "options: --ack-standby-ms: a valid and a refused lead submitted in one batch" \
            "two leads holding both submitters, then one batch of two" \
            "after 3 tries: answers $s1 $s2, $((after - before)) unconfirmed commits, first answers $((e1 - t_pair)) and $((e2 - t_pair)) ms after the pair"
        return
    fi
    read -r sv _ <"$WORK/ackmv.code"
    read -r sr _ <"$WORK/ackmr.code"
    expect_eq "options: --ack-standby-ms: in a batch with an acknowledged lead, a refused lead keeps its 422 invalid_lead" \
        "422 invalid_lead" "$sr $(jq -r .error.code "$WORK/ackmr.body" 2>/dev/null)" "try $try"
    expect_eq "options: --ack-standby-ms: in the same batch, the acknowledged lead is answered 503 not_replicated" \
        "503 not_replicated" "$sv $(jq -r .error.code "$WORK/ackmv.body" 2>/dev/null)" "try $try"
    expect_eq "options: --ack-standby-ms: that lead is committed" 1 \
        "$(sql "SELECT count(*) FROM leadgen.lead_external_ids WHERE external_id = 'ackm-$PASS_NAME-$$-$try'")"
}

area_options() {
    section "options"
    SRC=127.$PASSNO.9.1

    local help rc missing="" o
    help=$("$GW_BIN" --help 2>&1)
    rc=$?
    for o in --port --bind --db --replica --threads --cache-mb --max-body --access-log --drain-seconds --ack-standby-ms --help; do
        grep -q -- "$o" <<<"$help" || missing="$missing $o"
    done
    expect_eq "options: --help exits 0 and lists every option of the README" "0 none missing" "$rc ${missing:-none missing}"
    timeout 10 env "${GW_ENV[@]}" "$GW_BIN" --db "$CONNINFO" --port "$(free_port 24080)" --statement-timeout-ms 400 --ack-standby-ms 2000 >/dev/null 2>"$WORK/ackopt.stderr"
    rc=$?
    if [ "$rc" = 2 ] && grep -q -- '--ack-standby-ms (2000) must be below --statement-timeout-ms (400)' "$WORK/ackopt.stderr"; then
        ok "options: --ack-standby-ms not below --statement-timeout-ms is refused at start (exit 2)"
    else
        not_ok "options: --ack-standby-ms not below --statement-timeout-ms is refused at start" "exit 2 and a message" \
            "exit $rc" "$(head -3 "$WORK/ackopt.stderr")"
    fi
    env "${GW_ENV[@]}" "$GW_BIN" --db "$CONNINFO" --no-such-option 1 >/dev/null 2>"$WORK/badopt.stderr"
    rc=$?
    if [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ]; then
        ok "options: an unknown option exits non-zero ($rc) with a message"
    else
        not_ok "options: an unknown option exits non-zero" "a status from 1 to 127" "$rc" "$(head -3 "$WORK/badopt.stderr")"
    fi

    # LEADGEN_GATEWAY_MAX_BODY=2048 and --cache-mb 1 on an instance of its own.
    local O=opt-$PASS_NAME
    local -a saved_env=("${GW_ENV[@]}")
    GW_ENV+=(LEADGEN_GATEWAY_MAX_BODY=2048)
    if ! gw_start "$O" "$(free_port 21080)" --cache-mb 1; then
        GW_ENV=("${saved_env[@]}")
        not_ok "options: a gateway with --cache-mb 1 and LEADGEN_GATEWAY_MAX_BODY=2048 starts" "GET /health 200" "no" \
            "$(tail -5 "$WORK/$O.stderr")"
        return
    fi
    GW_ENV=("${saved_env[@]}")
    local ogw=http://127.0.0.1:${GW_PORT[$O]}
    KEY=$K_PARTNER GW=$ogw req POST /api/v1/leads -H 'Content-Type: application/json' \
        --data-binary "$(lead_json | jq -c --arg p "$(head -c 3000 /dev/zero | tr '\0' n)" '. + {notes: $p}')"
    expect_error "options: LEADGEN_GATEWAY_MAX_BODY=2048: a 3 KB lead" 413
    KEY=$K_PARTNER GW=$ogw req POST /api/v1/leads -H 'Content-Type: application/json' \
        --data-binary "$(lead_json | jq -c --arg p "$(head -c 1200 /dev/zero | tr '\0' n)" '. + {notes: $p}')"
    expect_status "options: LEADGEN_GATEWAY_MAX_BODY=2048: a 1.5 KB lead is accepted" 202

    # A small entry used between each of 50 pages of ~30 KB (1.5 MB in
    # all): LRU keeps it, the cache stays within 1 MiB and evicts.
    local small=/api/v1/config seq="" c
    _xcache "$ogw" "$small" >/dev/null
    for o in $(seq 0 49); do
        _xcache "$ogw" "/api/v1/leads?limit=60&offset=$((o * 7))" >/dev/null
        c=$(_xcache "$ogw" "$small")
        seq="$seq${c:0:1}"
    done
    expect_eq "options: --cache-mb 1: an entry used between 50 large pages stays cached (LRU)" \
        "$(printf 'H%.0s' $(seq 1 50))" "$seq" "(H = HIT, M = MISS, per use)"
    expect_eq "options: --cache-mb 1: the least recently used page was evicted" MISS "$(_xcache "$ogw" '/api/v1/leads?limit=60&offset=0')"
    GW=$ogw req GET /metrics
    local bytes ev
    bytes=$(awk '/^leadgen_gateway_cache_bytes/ { print $NF }' "$RQ_B")
    ev=$(awk '/^leadgen_gateway_cache_evictions_total/ { n += $NF } END { print n + 0 }' "$RQ_B")
    if [ -n "$bytes" ] && [ "$bytes" -le 1048576 ] && [ "$ev" -gt 0 ]; then
        ok "options: --cache-mb 1: the cache holds $bytes bytes (<= 1 MiB) after $ev evictions"
    else
        not_ok "options: --cache-mb 1 bounds the cache" "cache_bytes <= 1048576 and evictions > 0" "bytes '$bytes', evictions '$ev'"
    fi
    gw_stop "$O" 20
    expect_eq "options: that gateway exits 0 on SIGTERM" 0 "$GW_RC" "stderr: $(tail -5 "$WORK/$O.stderr" | tr '\n' ' ')"

    # --cache-mb 0: nothing is ever a HIT.
    local Z=nocache-$PASS_NAME
    if gw_start "$Z" "$(free_port 22080)" --cache-mb 0; then
        local zgw=http://127.0.0.1:${GW_PORT[$Z]} a b
        a=$(_xcache "$zgw" /api/v1/config)
        b=$(_xcache "$zgw" /api/v1/config)
        expect_status "options: --cache-mb 0: GET /api/v1/config" 200
        if [ "$b" != HIT ]; then
            ok "options: --cache-mb 0: the same GET twice is never a HIT ('$a', '$b')"
        else
            not_ok "options: --cache-mb 0 turns the cache off" "no HIT" "'$a' then '$b'"
        fi
        gw_stop "$Z" 20
        expect_eq "options: the --cache-mb 0 gateway exits 0 on SIGTERM" 0 "$GW_RC" "stderr: $(tail -5 "$WORK/$Z.stderr" | tr '\n' ' ')"
    else
        not_ok "options: a gateway with --cache-mb 0 starts" "GET /health 200" "no" "$(tail -5 "$WORK/$Z.stderr")"
    fi

    ack_standby_check
}
