# Only in the pass through pgbouncer (transaction mode): what goes wrong
# without --pooler is a server error (5xx), never the client's (400); and
# --pooler without --listen-db runs without a cache rather than with one
# that nothing invalidates; --ack-standby-ms works through it.

area_pooler() {
    section "pooler"
    if [ -z "${DIRECT_CONNINFO:-}" ] || [ "${GW_OPTS[0]:-}" != --pooler ]; then
        echo "    (not the pooler pass: skipped)"
        return
    fi
    SRC=127.$PASSNO.45.1
    local saved=("${GW_OPTS[@]}") port codes i

    # ---- named statements through transaction pooling: 5xx, never 400
    GW_OPTS=()
    local U=unpooled-$PASS_NAME
    port=$(free_port 20080)
    if gw_start "$U" "$port" --cache-mb 0; then
        codes=""
        for i in $(seq 1 40); do
            KEY=$K_INTERNAL req GET "http://127.0.0.1:$port/api/v1/agents?limit=$(( i % 7 + 1 ))"
            codes="$codes $STATUS"
            KEY=$K_INTERNAL req GET "http://127.0.0.1:$port/api/v1/performance/database/size"
            codes="$codes $STATUS"
        done
        expect_eq "pooler: without --pooler, through transaction pooling, no answer is 400 (a server's state is 5xx)" \
            "" "$(tr ' ' '\n' <<<"$codes" | grep -E '^4' | sort | uniq -c | paste -sd' ' -)" \
            "codes: $(tr ' ' '\n' <<<"$codes" | sort | uniq -c | paste -sd' ' -)"
        gw_stop "$U" 20
    else
        not_ok "pooler: a gateway without --pooler starts through pgbouncer" "GET /health 200" "no"
    fi

    # ---- --pooler without --listen-db: no cache
    local C=nolisten-$PASS_NAME
    GW_OPTS=(--pooler)
    port=$(free_port 20080)
    if gw_start "$C" "$port"; then
        expect_cmd "pooler: --pooler without --listen-db says the cache is off" "a line in its stderr" \
            grep -q 'response cache is off' "$WORK/$C.stderr"
        req GET "http://127.0.0.1:$port/api/v1/config"
        req GET "http://127.0.0.1:$port/api/v1/config"
        expect_status "pooler: ... and serves (GET /api/v1/config)" 200
        expect_no_hdr "pooler: ... without X-Cache (nothing cached)" X-Cache
        gw_stop "$C" 20
    else
        not_ok "pooler: a gateway with --pooler and no --listen-db starts" "GET /health 200" "no"
    fi
    GW_OPTS=("${saved[@]}")

    # ---- --ack-standby-ms through pgbouncer (options.sh)
    ack_standby_check
}
