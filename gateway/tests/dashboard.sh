# The dashboard page (GET /dashboard) in a real browser: headless Chromium
# (Debian chromium) opens /dashboard#key=... against the running gateway;
# the page takes the key from the fragment, reads the routes, and every
# chart draws data; the console stays silent. The screenshot is kept in
# .test/dashboard.png. Only in the normal pass: the page does not depend
# on the build.

# chromium_run OUT-PREFIX URL [extra flags...]: one headless run, stdout to
# OUT.out, stderr to OUT.err.
chromium_run() {
    local out=$1 url=$2
    shift 2
    rm -rf "$WORK/chrome-profile"
    HOME=$WORK timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync --disable-extensions \
        --disable-dev-shm-usage \
        --user-data-dir="$WORK/chrome-profile" --enable-logging=stderr --v=0 \
        --window-size=1400,2180 --hide-scrollbars --run-all-compositor-stages-before-draw \
        --virtual-time-budget=12000 "$@" "$url" >"$out.out" 2>"$out.err"
}

_dom_attr() {	# file element-id-or-body attribute
    if [ "$2" = body ]; then
        grep -oE "<body[^>]*" "$1" | grep -oE "$3=\"[^\"]*\"" | head -1 | cut -d'"' -f2
    else
        grep -oE "id=\"$2\"[^>]*" "$1" | grep -oE "$3=\"[^\"]*\"" | head -1 | cut -d'"' -f2
    fi
}

area_dashboard() {
    section "dashboard"
    if [ "$PASS_NAME" != normal ]; then
        echo "    (the normal pass only)"
        return
    fi
    SRC=127.$PASSNO.55.1
    req GET /dashboard
    expect_status "dashboard: GET /dashboard without a key" 200
    expect_hdr "dashboard: ... is text/html" Content-Type '^text/html'
    expect_hdr "dashboard: ... with a Content-Security-Policy allowing only this gateway" Content-Security-Policy \
        "default-src 'none'; script-src 'self'"
    expect_cmd "dashboard: the page loads nothing from elsewhere (no http(s):// in it)" "no absolute URL" \
        bash -c "! grep -qE 'https?://' '$RQ_B'"
    req GET /dashboard/app.js
    expect_hdr "dashboard: GET /dashboard/app.js is JavaScript" Content-Type '^text/javascript'
    req GET /dashboard/app.css
    expect_hdr "dashboard: GET /dashboard/app.css is CSS" Content-Type '^text/css'
    if ! command -v chromium >/dev/null; then
        not_ok "dashboard: chromium is installed (Debian chromium; scripts/deps.sh)" "on PATH" "none"
        return
    fi

    # data for every panel: leads through the API, reads of several routes
    local i
    for i in 1 2 3; do KEY=$K_PARTNER submit_lead; done
    for i in 1 2 3; do KEY=$K_PARTNER req GET "/api/v1/leads?limit=$i"; req GET /api/v1/agents; done
    poll 15 pending_empty
    sql "SELECT leadgen.capacity_snapshot()" >/dev/null

    local dom=$WORK/dashboard-dom
    chromium_run "$dom" "$GW/dashboard#key=$K_INTERNAL" --dump-dom
    expect_eq "dashboard: in headless Chromium, with the key in the fragment, every panel drew (body data-state)" \
        ready "$(_dom_attr "$dom.out" body data-state)" \
        "problems: $(grep -oE '<ul id="errors">.*</ul>' "$dom.out" | head -c 400)" "chromium: $(grep -v dbus "$dom.err" | tail -3)"
    expect_eq "dashboard: ... and shows no problem (data-errors)" 0 "$(_dom_attr "$dom.out" body data-errors)"
    local n
    n=$(_dom_attr "$dom.out" body data-refreshes)
    expect_cmd "dashboard: ... and refreshed by itself ($n times in 12 s of virtual time)" "2 or more" \
        test "${n:-0}" -ge 2
    local c empty=()
    for c in chart-queue chart-throughput chart-api-latency chart-e2e chart-routes chart-forecast chart-cache chart-slow; do
        n=$(_dom_attr "$dom.out" "$c" data-points)
        [ "${n:-0}" -gt 0 ] || empty+=("$c=${n:-none}")
    done
    expect_eq "dashboard: every chart drew points or bars (queue, throughput, API and route latency, end to end, forecast, caches, slow statements)" \
        "none empty" "${empty[*]:-none empty}"
    expect_cmd "dashboard: the gauges drew (capacity and cache hit rates)" "7 gauges" \
        test "$(grep -o 'class="gauge"' "$dom.out" | wc -l)" -ge 7
    expect_cmd "dashboard: it says the key came from the address and was removed from it" "the status line" \
        grep -q 'from the address (removed from it)' "$dom.out"
    expect_cmd "dashboard: the key is nowhere in the page" "no $K_INTERNAL in the DOM" \
        bash -c "! grep -qF '$K_INTERNAL' '$dom.out'"
    local origin=${GW#http://}
    expect_eq "dashboard: the console stayed silent (no message from the page, no failed load)" "" \
        "$(grep -E 'CONSOLE' "$dom.err" | grep -F "$origin" | head -3)"

    # a screenshot, kept as a test artifact
    mkdir -p "$ROOT/.test"
    chromium_run "$WORK/dashboard-shot" "$GW/dashboard#key=$K_INTERNAL" --screenshot="$ROOT/.test/dashboard.png"
    expect_cmd "dashboard: a screenshot of it is in .test/dashboard.png" "a PNG over 50 KB" \
        bash -c "[ \$(stat -c %s '$ROOT/.test/dashboard.png' 2>/dev/null || echo 0) -gt 50000 ]"

    # a wrong key: the page says so and keeps nothing
    chromium_run "$WORK/dashboard-bad" "$GW/dashboard#key=lg_not_a_key" --dump-dom
    expect_eq "dashboard: with a wrong key the page says the key was refused" key-refused \
        "$(_dom_attr "$WORK/dashboard-bad.out" body data-state)"
    chromium_run "$WORK/dashboard-none" "$GW/dashboard" --dump-dom
    expect_eq "dashboard: without a key it asks for one" no-key "$(_dom_attr "$WORK/dashboard-none.out" body data-state)"
}
