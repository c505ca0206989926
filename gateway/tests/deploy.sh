# What a deployment needs of the gateway process: --version, a port in use
# refused (unless --reuse-port), IPv6, the access log reopened on SIGHUP,
# readiness told to a service manager (sd_notify), /ready and the data
# routes against a database without pg_leadgen, and client addresses taken
# from X-Forwarded-For / Forwarded only from trusted proxies.

# The "client" of the access log line holding a request id.
_client_of() {	# name request-id
    grep -h -F -- "$2" "$WORK/$1.access" 2>/dev/null | tail -1 | jq -r .client 2>/dev/null
}

_exited() { ! gw_alive "$1"; }

# A datagram socket that prints what a service manager would hear.
_notify_listen() {	# socket-path output-file
    perl -MIO::Socket::UNIX -e '
        my ($path, $out) = @ARGV;
        unlink $path;
        my $s = IO::Socket::UNIX->new(Type => SOCK_DGRAM(), Local => $path) or die "socket: $!";
        chmod 0777, $path;
        open(my $fh, ">>", $out) or die;
        $fh->autoflush(1);
        my $msg;
        while (defined $s->recv($msg, 4096)) { print $fh "$msg\n"; }' "$1" "$2" &
    BG_PIDS+=($!)
}

area_deploy() {
    section "deploy"
    SRC=127.$PASSNO.40.1
    local out v
    area_deploy_unit

    # ---- --version
    v=$(sed -n "s/^default_version[[:space:]]*=[[:space:]]*'\([^']*\)'.*/\1/p" "$ROOT/pg_leadgen.control")
    out=$("$GW_BIN" --version 2>&1)
    expect_eq "deploy: --version names the gateway's version and the pg_leadgen it speaks" \
        "leadgen-gateway $v (speaks pg_leadgen ${v%.*}.x)" "$out"

    # ---- a port in use is refused; --reuse-port shares it
    local P=port-$PASS_NAME Q=port2-$PASS_NAME port
    port=$(free_port 20080)
    if gw_start "$P" "$port"; then
        env "${GW_ENV[@]}" "$GW_BIN" --port "$port" --db "$CONNINFO" --access-log off >"$WORK/$Q.stderr" 2>&1 &
        GW_PID[$Q]=$!
        GW_LOGS+=("$WORK/$Q.stderr")
        if poll 15 _exited "$Q"; then
            gw_wait "$Q" 1
            expect_eq "deploy: a second gateway on a port in use exits with status 1" 1 "$GW_RC" \
                "stderr: $(tail -3 "$WORK/$Q.stderr" | tr '\n' ' ')"
            expect_cmd "deploy: ... saying it could not listen" "'could not listen' in its stderr" \
                grep -q 'could not listen' "$WORK/$Q.stderr"
        else
            not_ok "deploy: a second gateway on a port in use exits" "an exit within 15 s" "it runs"
            gw_stop "$Q" 5
        fi
        req GET "http://127.0.0.1:$port/health"
        expect_status "deploy: the first gateway still serves its port" 200
        gw_stop "$P" 20
    else
        not_ok "deploy: a gateway starts on a free port" "GET /health 200" "no"
    fi
    port=$(free_port 20080)
    if gw_start "$P-r1" "$port" --reuse-port && gw_start "$P-r2" "$port" --reuse-port; then
        local i
        for i in $(seq 1 40); do curl -s -o /dev/null "http://127.0.0.1:$port/health"; done
        expect_cmd "deploy: with --reuse-port two gateways share a port, and both answer" \
            "requests in both access logs" bash -c "[ -s '$WORK/$P-r1.access' ] && [ -s '$WORK/$P-r2.access' ]"
    else
        not_ok "deploy: two gateways with --reuse-port start on one port" "both answer /health" "no" \
            "$(tail -3 "$WORK/$P-r2.stderr" 2>/dev/null)"
    fi
    gw_stop "$P-r1" 20
    gw_stop "$P-r2" 20

    # ---- IPv6: ::1, and :: taking IPv4 clients too (logged as IPv4)
    if ip -6 addr show dev lo 2>/dev/null | grep -q '::1'; then
        local S=v6-$PASS_NAME
        port=$(free_port 20080)
        env "${GW_ENV[@]}" "$GW_BIN" --bind :: --port "$port" --db "$CONNINFO" \
            --access-log "$WORK/$S.access" >>"$WORK/$S.stderr" 2>&1 &
        GW_PID[$S]=$!
        GW_LOGS+=("$WORK/$S.stderr")
        if poll 20 _health_ok "$port"; then
            SRC= req GET "http://[::1]:$port/health" -g -H "X-Request-Id: v6-$PASSNO-$$"
            expect_status "deploy: --bind :: answers on [::1]" 200
            expect_eq "deploy: ... and logs the client as ::1" "::1" "$(_client_of "$S" "v6-$PASSNO-$$")"
            req GET "http://127.0.0.1:$port/health" -H "X-Request-Id: v4-$PASSNO-$$"
            expect_status "deploy: --bind :: answers on 127.0.0.1 too" 200
            expect_eq "deploy: ... logging that client as IPv4 ($SRC), not ::ffff:" "$SRC" \
                "$(_client_of "$S" "v4-$PASSNO-$$")"
        else
            not_ok "deploy: a gateway with --bind :: starts" "GET /health 200" "no" "$(tail -3 "$WORK/$S.stderr")"
        fi
        gw_stop "$S" 20
    else
        echo "    (no IPv6 loopback here: the IPv6 checks are skipped)"
    fi
    out=$("$GW_BIN" --bind 'not-an-address' --port 1 --db "$CONNINFO" 2>&1)
    expect_cmd "deploy: --bind with a name that is no address is refused" "'not an IPv4 or IPv6 address'" \
        grep -q 'not an IPv4 or IPv6 address' <<<"$out"

    # ---- SIGHUP reopens the access log; sd_notify readiness
    local H=hup-$PASS_NAME sock=$WORK/notify-$PASS_NAME.sock
    _notify_listen "$sock" "$WORK/notify-$PASS_NAME.out"
    poll 5 test -S "$sock"
    port=$(free_port 20080)
    if NOTIFY_SOCKET=$sock gw_start "$H" "$port"; then
        expect_cmd "deploy: the gateway tells the service manager READY=1 (sd_notify) once it listens" \
            "READY=1 on \$NOTIFY_SOCKET" poll 5 grep -q '^READY=1' "$WORK/notify-$PASS_NAME.out"
        req GET "http://127.0.0.1:$port/health" -H "X-Request-Id: before-hup-$PASSNO"
        mv "$WORK/$H.access" "$WORK/$H.access.1"
        kill -HUP "${GW_PID[$H]}"
        poll 5 test -f "$WORK/$H.access"
        req GET "http://127.0.0.1:$port/health" -H "X-Request-Id: after-hup-$PASSNO"
        expect_cmd "deploy: after mv and SIGHUP the access log is a new file with the next request" \
            "after-hup-$PASSNO in $H.access" poll 5 grep -q "after-hup-$PASSNO" "$WORK/$H.access"
        expect_cmd "deploy: ... and the old file kept the request before" "before-hup-$PASSNO in $H.access.1" \
            grep -q "before-hup-$PASSNO" "$WORK/$H.access.1"
        expect_cmd "deploy: ... the gateway lives on" "alive" gw_alive "$H"
        gw_stop "$H" 20
        expect_eq "deploy: ... and exits 0 on SIGTERM" 0 "$GW_RC"
        expect_cmd "deploy: it says STOPPING=1 when it drains" "STOPPING=1" \
            grep -q '^STOPPING=1' "$WORK/notify-$PASS_NAME.out"
    else
        not_ok "deploy: a gateway under NOTIFY_SOCKET starts" "GET /health 200" "no"
    fi

    # ---- a database without pg_leadgen: /ready and the data routes are 503
    local N=noext-$PASS_NAME
    sql_ok "CREATE DATABASE leadgen_noext" || true
    port=$(free_port 20080)
    if CONNINFO="host=127.0.0.1 port=$PGPORT dbname=leadgen_noext user=leadgen_gateway" gw_start "$N" "$port"; then
        local ngw=http://127.0.0.1:$port
        req GET "$ngw/ready"
        expect_error "deploy: /ready of a gateway on a database without pg_leadgen" 503 unavailable
        req GET "$ngw/api/v1/config"
        expect_error "deploy: GET /api/v1/config there is 503 (the server's state), not 500" 503 unavailable
        expect_jq "deploy: ... saying pg_leadgen is not installed" '.error.message | test("pg_leadgen")'
        req GET "$ngw/health"
        expect_status "deploy: /health there is 200 (liveness only)" 200
        gw_stop "$N" 20
    else
        not_ok "deploy: a gateway on a database without pg_leadgen starts" "GET /health 200" "no"
    fi

    # ---- trusted proxies: X-Forwarded-For and Forwarded
    out=$("$GW_BIN" --trusted-proxies '10.0.0.0/33' --db "$CONNINFO" 2>&1)
    expect_cmd "deploy: --trusted-proxies with a bad prefix is refused" "a message naming the prefix" \
        grep -q 'prefix length' <<<"$out"
    local T=trust-$PASS_NAME tgw
    port=$(free_port 20080)
    if gw_start "$T" "$port" --trusted-proxies "127.$PASSNO.40.0/24, ::1"; then
        tgw=http://127.0.0.1:$port
        # (forwarded clients of this pass's own: the windows are the database's, shared by the passes)
        local c1=198.51.100.${PASSNO}7 c2=198.51.100.${PASSNO}8
        SRC=127.$PASSNO.40.1 req GET "$tgw/api/v1/config" -H "X-Forwarded-For: $c1" -H "X-Request-Id: xff1-$PASSNO"
        expect_eq "deploy: from a trusted proxy, X-Forwarded-For names the client" "$c1" "$(_client_of "$T" "xff1-$PASSNO")"
        expect_hdr "deploy: ... whose own rate-limit window starts (Remaining 99)" X-RateLimit-Remaining '^99$'
        SRC=127.$PASSNO.40.1 req GET "$tgw/api/v1/config" -H "X-Forwarded-For: $c2" -H "X-Request-Id: xff2-$PASSNO"
        expect_hdr "deploy: ... and another forwarded client has a window of its own (Remaining 99)" X-RateLimit-Remaining '^99$'
        SRC=127.$PASSNO.40.1 req GET "$tgw/api/v1/config" -H 'X-Forwarded-For: 192.0.2.66, 198.51.100.9, 127.'"$PASSNO"'.40.2' \
            -H "X-Request-Id: xff3-$PASSNO"
        expect_eq "deploy: a chain is read from the right, past trusted proxies (not the leftmost, which a client may forge)" \
            198.51.100.9 "$(_client_of "$T" "xff3-$PASSNO")"
        SRC=127.$PASSNO.40.1 req GET "$tgw/api/v1/config" -H 'Forwarded: for="[2001:db8::7]:4711";proto=https, for=127.'"$PASSNO"'.40.3' \
            -H 'X-Forwarded-For: 198.51.100.10' -H "X-Request-Id: fwd-$PASSNO"
        expect_eq "deploy: Forwarded (RFC 7239) is read first, IPv6 in brackets with a port" 2001:db8::7 \
            "$(_client_of "$T" "fwd-$PASSNO")"
        SRC=127.$PASSNO.41.1 req GET "$tgw/api/v1/config" -H 'X-Forwarded-For: 198.51.100.11' -H "X-Request-Id: untrusted-$PASSNO"
        expect_eq "deploy: from any other peer the header is ignored (the peer is the client)" "127.$PASSNO.41.1" \
            "$(_client_of "$T" "untrusted-$PASSNO")"
        SRC=127.$PASSNO.40.1 req GET "$tgw/api/v1/config" -H 'X-Forwarded-For: unknown' -H "X-Request-Id: junk-$PASSNO"
        expect_eq "deploy: a forwarded node that is no address leaves the peer as the client" "127.$PASSNO.40.1" \
            "$(_client_of "$T" "junk-$PASSNO")"
        gw_stop "$T" 20
    else
        not_ok "deploy: a gateway with --trusted-proxies starts" "GET /health 200" "no" "$(tail -3 "$WORK/$T.stderr")"
    fi
}

# The shipped systemd unit: systemd-analyze verify (with the paths of this
# checkout), and its ExecStart options and environment file as the
# gateway's own parser reads them.
area_deploy_unit() {
    local unit=$ROOT/deploy/systemd/leadgen-gateway.service env=$ROOT/deploy/systemd/leadgen-gateway.env out args
    sed -e "s|/usr/local/bin/leadgen-gateway|$GW_BIN|" -e "s|EnvironmentFile=.*|EnvironmentFile=$env|" \
        "$unit" >"$WORK/leadgen-gateway.service"
    if command -v systemd-analyze >/dev/null; then
        if out=$(SYSTEMD_LOG_LEVEL=notice systemd-analyze verify "$WORK/leadgen-gateway.service" 2>&1); then
            ok "deploy: deploy/systemd/leadgen-gateway.service passes systemd-analyze verify (Type=notify)"
        else
            not_ok "deploy: the systemd unit passes systemd-analyze verify" "no complaint" "$out"
        fi
    else
        not_ok "deploy: systemd-analyze is installed (Debian systemd; scripts/deps.sh)" "on PATH" "none"
    fi
    args=$(sed -n 's|^ExecStart=[^ ]* ||p' "$unit")
    # (the environment file's values, then the unit's options, then --help: exit 0 when all parse)
    if out=$(env $(grep -E '^LEADGEN_GATEWAY_[A-Z_]+=' "$env" | grep -v '^LEADGEN_GATEWAY_DB=' | tr '\n' ' ') \
             "$GW_BIN" $args --help 2>&1); then
        ok "deploy: the unit's options and its environment file are ones the gateway takes"
    else
        not_ok "deploy: the unit's options and its environment file are ones the gateway takes" "exit 0" "$out"
    fi
}
