# Reads on a streaming replica (--replica): a client's reads go there,
# except for a client that just wrote, whose reads stay on the primary.
# The replica's replay is paused, so what it serves is visibly older than
# the primary.

rsql() {	# one statement on the replica
    "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$RPORT" -U postgres -d "$DB" -c "$1" 2>&1
}
rpg() { "${AS_PG[@]}" "$BINDIR/pg_ctl" -D "$RPGDATA" -l "$WORK/replica.log" "$@" >>"$WORK/pg_ctl.log" 2>&1; }
_replica_has_agents() { [ "$(rsql 'SELECT count(*) FROM leadgen.agents')" = "$(sql 'SELECT count(*) FROM leadgen.agents')" ]; }
_replay_paused() { [ "$(rsql 'SELECT pg_get_wal_replay_pause_state()')" = paused ]; }
_probe_listed() { jq -e --arg n "$1" 'any(.data[]?; .name == $n)' "$RQ_B" >/dev/null 2>&1; }

area_replica() {
    section "replica"
    RPGDATA=$WORK/replica
    SRC=127.$PASSNO.50.1
    if [ ! -d "$RPGDATA" ]; then
        RPORT=$(free_port 26432)	# below the ephemeral range (see run.sh)
        if ! "${AS_PG[@]}" "$BINDIR/pg_basebackup" -h 127.0.0.1 -p "$PGPORT" -U postgres -D "$RPGDATA" -R -X stream -c fast \
                >"$WORK/basebackup.log" 2>&1; then
            not_ok "replica: pg_basebackup of the primary" "a copy" "it failed" "$(tail -5 "$WORK/basebackup.log")"
            return
        fi
        cat >>"$RPGDATA/postgresql.conf" <<CONF
port = $RPORT
leadgen.workers = 0
leadgen.scheduler = off
CONF
    fi
    if ! rpg -w start; then
        not_ok "replica: the standby starts" "pg_ctl start succeeds" "it failed" "$(tail -10 "$WORK/replica.log")"
        return
    fi
    ok "replica: a streaming standby runs on port $RPORT"
    if ! poll 20 _replica_has_agents; then
        not_ok "replica: the standby caught up" "same agent count" "replica $(rsql 'SELECT count(*) FROM leadgen.agents'), primary $(sql 'SELECT count(*) FROM leadgen.agents')"
        rpg -m fast -w stop
        return
    fi
    # A pause is only requested here; replay stops at its next record, so
    # the probe agent goes in only once the standby says it is paused.
    rsql "SELECT pg_wal_replay_pause()" >/dev/null
    if ! poll 10 _replay_paused; then
        not_ok "replica: the standby's replay pauses" "paused" "$(rsql 'SELECT pg_get_wal_replay_pause_state()')"
        rpg -m fast -w stop
        return
    fi

    local R=r-$PASS_NAME name="Replica Probe $PASS_NAME $RANDOM" k_writer k_reader
    if ! gw_start "$R" "$(free_port 20080)" --cache-mb 0 --replica "host=127.0.0.1 port=$RPORT dbname=$DB user=postgres"; then
        not_ok "replica: a gateway with --replica starts" "GET /health 200" "no" "$(tail -20 "$WORK/$R.stderr")"
        rpg -m fast -w stop
        return
    fi
    local GW=http://127.0.0.1:${GW_PORT[$R]}
    newkey k_writer "t-replica-writer-$PASS_NAME" partner
    newkey k_reader "t-replica-reader-$PASS_NAME" partner
    sql "INSERT INTO leadgen.agents (name, state, city, specializations) VALUES ('$name', 'OR', 'Salem', '{auto}')" >/dev/null

    req GET "/api/v1/agents?state=OR&fields=name&limit=500"
    if [ "$STATUS" = 200 ] && ! _probe_listed "$name"; then
        ok "replica: an anonymous read comes from the replica (the agent added on the primary is not there yet)"
    else
        not_ok "replica: an anonymous read comes from the replica" "200 without the new agent" "status $STATUS" "$(evidence)"
    fi
    KEY=$k_writer submit_lead
    expect_status "replica: a write (POST /api/v1/leads) goes to the primary" 202
    KEY=$k_writer req GET "/api/v1/agents?state=OR&fields=name&limit=500"
    if [ "$STATUS" = 200 ] && _probe_listed "$name"; then
        ok "replica: the writer's next read comes from the primary (it sees the new agent)"
    else
        not_ok "replica: the writer's next read comes from the primary" "200 with the new agent" "status $STATUS" "$(evidence)"
    fi
    KEY=$k_reader req GET "/api/v1/agents?state=OR&fields=name&limit=500"
    if [ "$STATUS" = 200 ] && ! _probe_listed "$name"; then
        ok "replica: another client's read still comes from the replica"
    else
        not_ok "replica: another client's read still comes from the replica" "200 without the new agent" "status $STATUS" "$(evidence)"
    fi

    # the replica gone: reads fall back to the primary
    rpg -m fast -w stop
    req GET "/api/v1/agents?state=OR&fields=name&limit=500"
    if [ "$STATUS" = 200 ] && _probe_listed "$name"; then
        ok "replica: with the replica stopped, reads fall back to the primary"
    else
        not_ok "replica: with the replica stopped, reads fall back to the primary" "200 with the new agent" "status $STATUS" "$(evidence)"
    fi
    gw_stop "$R" 20
    expect_eq "replica: the gateway with --replica exits 0 on SIGTERM" 0 "$GW_RC"
    sql "UPDATE leadgen.agents SET is_active = false WHERE name = '$name'" >/dev/null
}
