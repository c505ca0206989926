# Reads on streaming replicas (--replica, a multi-host conninfo with
# target_session_attrs=prefer-standby): a client's reads go to a replica,
# except for a client that just wrote, whose reads stay on the primary for
# 5 s (read-your-writes). Both replicas' replay is paused, so what they
# serve is visibly older than the primary: that is replica lag as clients
# see it. With one replica stopped, reads go to the other; with both
# stopped, to the primary.

rsql() {	# port statement: one statement on a replica
    "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" -U postgres -d "$DB" -c "$2" 2>&1
}
rpg() {	# data-dir pg_ctl-args...
    local d=$1
    shift
    "${AS_PG[@]}" "$BINDIR/pg_ctl" -D "$d" -l "$d.log" "$@" >>"$WORK/pg_ctl.log" 2>&1
}
_replica_has_agents() { [ "$(rsql "$1" 'SELECT count(*) FROM leadgen.agents')" = "$(sql 'SELECT count(*) FROM leadgen.agents')" ]; }
_replay_paused() { [ "$(rsql "$1" 'SELECT pg_get_wal_replay_pause_state()')" = paused ]; }
_probe_listed() { jq -e --arg n "$1" 'any(.data[]?; .name == $n)' "$RQ_B" >/dev/null 2>&1; }
_read_is_stale() {	# name: GET agents with $KEY does not list the probe agent
    req GET "/api/v1/agents?state=OR&fields=name&limit=500"
    [ "$STATUS" = 200 ] && ! _probe_listed "$1"
}

GW_CONNS="SELECT count(*) FROM pg_stat_activity WHERE application_name = 'leadgen-gateway'"
_both_replicas_read() {	# port1 port2: after a burst of concurrent reads, both have a gateway connection
    local i pids=()
    for i in 1 2 3 4 5 6 7 8; do
        curl -s -o /dev/null --max-time 5 "$GW/api/v1/agents?state=OR&fields=name&limit=500" &
        pids+=($!)
    done
    wait "${pids[@]}"
    [ "$(rsql "$1" "$GW_CONNS")" -ge 1 ] 2>/dev/null && [ "$(rsql "$2" "$GW_CONNS")" -ge 1 ] 2>/dev/null
}

# A streaming standby of the primary in $WORK/NAME, started, caught up and
# its replay paused; its port in REPLICA_PORT[NAME] (kept between passes).
declare -A REPLICA_PORT
replica_up() {	# name
    local d=$WORK/$1 port
    if [ ! -d "$d" ]; then
        port=$(free_port 26432)	# below the ephemeral range (see run.sh)
        REPLICA_PORT[$1]=$port
        if ! "${AS_PG[@]}" "$BINDIR/pg_basebackup" -h 127.0.0.1 -p "$PGPORT" -U postgres -D "$d" -R -X stream -c fast \
                >"$WORK/basebackup-$1.log" 2>&1; then
            not_ok "replica: pg_basebackup of the primary ($1)" "a copy" "it failed" "$(tail -5 "$WORK/basebackup-$1.log")"
            return 1
        fi
        cat >>"$d/postgresql.conf" <<CONF
port = $port
leadgen.workers = 0
leadgen.scheduler = off
CONF
    fi
    port=${REPLICA_PORT[$1]}
    if ! rpg "$d" -w start; then
        not_ok "replica: the standby $1 starts" "pg_ctl start succeeds" "it failed" "$(tail -10 "$d.log")"
        return 1
    fi
    if ! poll 20 _replica_has_agents "$port"; then
        not_ok "replica: the standby $1 caught up" "same agent count" "replica $(rsql "$port" 'SELECT count(*) FROM leadgen.agents'), primary $(sql 'SELECT count(*) FROM leadgen.agents')"
        return 1
    fi
    # A pause is only requested here; replay stops at its next record, so
    # the probe agent goes in only once the standby says it is paused.
    rsql "$port" "SELECT pg_wal_replay_pause()" >/dev/null
    if ! poll 10 _replay_paused "$port"; then
        not_ok "replica: the standby $1's replay pauses" "paused" "$(rsql "$port" 'SELECT pg_get_wal_replay_pause_state()')"
        return 1
    fi
}

replicas_down() {
    local n
    for n in replica replica2; do
        [ -f "$WORK/$n/postmaster.pid" ] && rpg "$WORK/$n" -m fast -w stop
    done
    return 0
}

area_replica() {
    section "replica"
    if ! replica_up replica || ! replica_up replica2; then
        replicas_down
        return
    fi
    local p1=${REPLICA_PORT[replica]} p2=${REPLICA_PORT[replica2]}
    ok "replica: two streaming standbys run on ports $p1 and $p2, their replay paused"

    local R=r-$PASS_NAME name="Replica Probe $PASS_NAME $RANDOM" k_writer k_reader
    if ! gw_start "$R" "$(free_port 20080)" --cache-mb 0 \
            --replica "host=127.0.0.1,127.0.0.1 port=$p1,$p2 dbname=$DB user=postgres target_session_attrs=prefer-standby"; then
        not_ok "replica: a gateway with a multi-host --replica starts" "GET /health 200" "no" "$(tail -20 "$WORK/$R.stderr")"
        replicas_down
        return
    fi
    local GW=http://127.0.0.1:${GW_PORT[$R]}
    newkey k_writer "t-replica-writer-$PASS_NAME" partner
    newkey k_reader "t-replica-reader-$PASS_NAME" partner
    sql "INSERT INTO leadgen.agents (name, state, city, specializations) VALUES ('$name', 'OR', 'Salem', '{auto}')" >/dev/null

    if _read_is_stale "$name"; then
        ok "replica: an anonymous read comes from a replica (the agent added on the primary is not there yet)"
    else
        not_ok "replica: an anonymous read comes from a replica" "200 without the new agent" "status $STATUS" "$(evidence)"
    fi
    KEY=$k_writer submit_lead
    expect_status "replica: a write (POST /api/v1/leads) goes to the primary" 202
    KEY=$k_writer req GET "/api/v1/agents?state=OR&fields=name&limit=500"
    if [ "$STATUS" = 200 ] && _probe_listed "$name"; then
        ok "replica: the writer's next read comes from the primary (it sees the new agent)"
    else
        not_ok "replica: the writer's next read comes from the primary" "200 with the new agent" "status $STATUS" "$(evidence)"
    fi
    if KEY=$k_reader _read_is_stale "$name"; then
        ok "replica: another client's read still comes from a replica"
    else
        not_ok "replica: another client's read still comes from a replica" "200 without the new agent" "status $STATUS" "$(evidence)"
    fi

    # With the cache on: an answer read on a replica is not cached (the
    # agent's change notification came from the primary before the replica
    # had it; cached, it lasted the TTL and a writer's next read got it).
    local C=rc-$PASS_NAME
    if gw_start "$C" "$(free_port 20080)" \
            --replica "host=127.0.0.1,127.0.0.1 port=$p1,$p2 dbname=$DB user=postgres target_session_attrs=prefer-standby"; then
        local cgw=http://127.0.0.1:${GW_PORT[$C]} x1 x2
        KEY=$k_reader GW=$cgw _read_is_stale "$name"
        x1=$(hdr X-Cache)
        KEY=$k_reader GW=$cgw _read_is_stale "$name"
        x2=$(hdr X-Cache)
        expect_eq "replica: with the cache on, a read from a replica (stale) is not cached: the same read again is no HIT" \
            "MISS MISS" "$x1 $x2" "$(evidence)"
        KEY=$k_writer GW=$cgw submit_lead
        expect_status "replica: with the cache on, a write" 202
        KEY=$k_writer GW=$cgw req GET "/api/v1/agents?state=OR&fields=name&limit=500"
        if [ "$STATUS" = 200 ] && _probe_listed "$name"; then
            ok "replica: with the cache on, the writer's next read comes from the primary, not a cached replica answer"
        else
            not_ok "replica: with the cache on, the writer reads its own writes" "200 with the new agent" \
                "status $STATUS, X-Cache $(hdr X-Cache)" "$(evidence)"
        fi
        gw_stop "$C" 20
    else
        not_ok "replica: a gateway with --replica and the cache starts" "GET /health 200" "no" "$(tail -20 "$WORK/$C.stderr")"
    fi

    # the database workers start at different replicas of the list
    if poll 10 _both_replicas_read "$p1" "$p2"; then
        ok "replica: reads spread over both replicas (each has a gateway connection)"
    else
        not_ok "replica: reads spread over both replicas" "a leadgen-gateway connection on each" \
            "$(rsql "$p1" "$GW_CONNS") on $p1, $(rsql "$p2" "$GW_CONNS") on $p2"
    fi

    # one replica gone: reads go to the other, still lagging
    rpg "$WORK/replica" -m fast -w stop
    if _read_is_stale "$name" && KEY=$k_reader _read_is_stale "$name"; then
        ok "replica: with one replica stopped, reads come from the other replica"
    else
        not_ok "replica: with one replica stopped, reads come from the other replica" "200 without the new agent" "status $STATUS" "$(evidence)"
    fi
    # the writer's window ends: its reads go back to a replica, and lag
    if KEY=$k_writer poll 12 _read_is_stale "$name"; then
        ok "replica: 5 s after its write, the writer reads from a replica again (and sees its lag)"
    else
        not_ok "replica: 5 s after its write, the writer reads from a replica again" "200 without the new agent within 12 s" "status $STATUS" "$(evidence)"
    fi

    # no replica left: reads fall back to the primary
    replicas_down
    req GET "/api/v1/agents?state=OR&fields=name&limit=500"
    if [ "$STATUS" = 200 ] && _probe_listed "$name"; then
        ok "replica: with both replicas stopped, reads fall back to the primary"
    else
        not_ok "replica: with both replicas stopped, reads fall back to the primary" "200 with the new agent" "status $STATUS" "$(evidence)"
    fi
    gw_stop "$R" 20
    expect_eq "replica: the gateway with --replica exits 0 on SIGTERM" 0 "$GW_RC"
    sql "UPDATE leadgen.agents SET is_active = false WHERE name = '$name'" >/dev/null
}
