#!/usr/bin/env bash
# Run every pg_leadgen test suite and print one summary line:
#   N passed, N failed
# Suites: layout (the tree's layout rules, test/layout), unit (the rules
# engine, plain C), regress (pg_regress in a
# temporary instance with the library preloaded), tap (clusters started and
# crashed by PostgreSQL::Test::Cluster), timetravel (clusters, workers and
# clients on a fake clock: month and year ends, leap days, daylight saving
# changes), sqlsmith (random queries as the gateway's role and a reader; no
# backend may die of a signal), gateway (when built).
#
# PostgreSQL refuses to run as root, so the servers run as the postgres
# user. Their inputs are staged in a folder of their own under /tmp, so the
# checkout may live anywhere and stays clean.
#
# LEADGEN_SUITES="regress tap" limits the run; PROVE_TESTS / REGRESS pick
# single tests (REGRESS="00_setup schema 99_cleanup").
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PG_CONFIG=${PG_CONFIG:-pg_config}
BINDIR=$($PG_CONFIG --bindir)
PGXS_DIR=$(dirname "$($PG_CONFIG --pgxs)")/..
SUITES=${LEADGEN_SUITES:-layout unit regress tap timetravel sqlsmith gateway}
RUNAS=()
[ "$(id -u)" -eq 0 ] && RUNAS=(runuser -u postgres --)

STAGE=$(mktemp -d /tmp/pg_leadgen-test.XXXXXX)
trap 'rm -rf "$STAGE"' EXIT
cp -r "$ROOT/sql" "$ROOT/expected" "$ROOT/test" "$ROOT/docs" "$ROOT/META.json" "$ROOT/pg_leadgen.control" "$STAGE/"
[ -d "$ROOT/gateway" ] && cp -r "$ROOT/gateway" "$STAGE/"
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$STAGE"
LOGDIR=$ROOT/.test
mkdir -p "$LOGDIR"

total_pass=0
total_fail=0
report() {	# suite passed failed
    printf '%-8s %d passed, %d failed\n' "$1:" "$2" "$3"
    total_pass=$((total_pass + $2))
    total_fail=$((total_fail + $3))
}

# A suite whose runner prints "N passed, N failed" as its closing line.
run_counted() {	# name logfile command...
    local name=$1 out=$2
    shift 2
    "$@" >"$out" 2>&1
    local rc=$?
    local line
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -1)
    if [ -n "$line" ]; then
        set -- $line
        local p=$1 f=$3
        [ $rc -ne 0 ] && [ "$f" -eq 0 ] && f=1
        report "$name" "$p" "$f"
    else
        report "$name" 0 1
    fi
    [ $rc -ne 0 ] && tail -40 "$out"
}

# The tree's layout rules (file sizes, no circles of C files, wrappers in
# api.c, one place per list of insurance types, no route in http.c).
run_layout() {
    run_counted layout "$LOGDIR/layout.log" env PG_CONFIG="$PG_CONFIG" "$ROOT/test/layout/run.sh"
}

run_unit() {
    [ -f "$ROOT/test/unit/Makefile" ] || return 0
    run_counted unit "$LOGDIR/unit.log" make -s -C "$ROOT/test/unit" check
}

run_regress() {
    local tests
    tests=${REGRESS:-$(make -s -C "$ROOT" --no-print-directory print-regress 2>/dev/null)}
    local out=$LOGDIR/regress.log
    (cd "$STAGE" && "${RUNAS[@]}" "$PGXS_DIR/test/regress/pg_regress" \
        --inputdir="$STAGE" --outputdir="$STAGE/regress" \
        --temp-instance="$STAGE/regress/tmp_check" --temp-config="$STAGE/test/regress.conf" \
        --bindir="$BINDIR" --load-extension=plpgsql --dbname=contrib_regression \
        --port="${LEADGEN_REGRESS_PORT:-24432}" $tests) >"$out" 2>&1
    local rc=$?
    local p f
    p=$(grep -cE '\.\.\. ok|^ok ' "$out")
    f=$(grep -cE '\.\.\. FAILED|^not ok ' "$out")
    [ $rc -ne 0 ] && [ "$f" -eq 0 ] && f=1
    report regress "$p" "$f"
    if [ $rc -ne 0 ]; then
        cat "$out"
        rm -rf "$LOGDIR/results" && cp -r "$STAGE/regress/results" "$LOGDIR/results" 2>/dev/null
        [ -f "$STAGE/regress/regression.diffs" ] && cp "$STAGE/regress/regression.diffs" "$LOGDIR/" && head -150 "$LOGDIR/regression.diffs"
        [ -f "$STAGE/regress/log/postmaster.log" ] && cp "$STAGE/regress/log/postmaster.log" "$LOGDIR/regress-postmaster.log"
    fi
}

# prove, as the postgres user, in a folder of the stage: run_prove NAME DIR TESTS
run_prove() {
    local name=$1 dir=$2 tests=$3
    local out=$LOGDIR/$name.log
    (cd "$dir" && "${RUNAS[@]}" env PERL5LIB="$PGXS_DIR/test/perl:$STAGE/test" \
        TESTDIR="$STAGE/test" PATH="$BINDIR:$PATH" PG_REGRESS="$PGXS_DIR/test/regress/pg_regress" \
        prove -v $tests) >"$out" 2>&1
    local rc=$?
    local p f
    p=$(grep -cE '^[[:space:]]*ok [0-9]+' "$out")
    # a failure a test marks TODO (a known limitation of a component, with
    # the evidence the test checked) is printed, not counted
    f=$(grep -E '^[[:space:]]*not ok [0-9]+' "$out" | grep -cv '# TODO')
    [ $rc -ne 0 ] && [ "$f" -eq 0 ] && f=1
    report "$name" "$p" "$f"
    grep -E '^[[:space:]]*not ok [0-9]+.*# TODO' "$out" | sed "s/^[[:space:]]*/$name: known, not counted: /"
    if [ $rc -ne 0 ]; then
        tail -60 "$out"
        rm -rf "$LOGDIR/$name-logs"
        cp -r "$STAGE/test/tmp_check/log" "$LOGDIR/$name-logs" 2>/dev/null
    fi
}

run_tap() {
    run_prove tap "$STAGE/test" "${PROVE_TESTS:-t/*.pl}"
}

# The time-travel suite: its clock library is built first, so that every
# process of its clusters can preload it.
run_timetravel() {
    local tt=$STAGE/test/timetravel
    if ! gcc -std=gnu11 -Wall -Wextra -Werror -O2 -shared -fPIC -o "$tt/fakeclock.so" "$tt/fakeclock.c" -ldl \
            >"$LOGDIR/timetravel.log" 2>&1; then
        report timetravel 0 1
        cat "$LOGDIR/timetravel.log"
        return
    fi
    [ "$(id -u)" -eq 0 ] && chown postgres: "$tt/fakeclock.so"
    run_prove timetravel "$tt" "${TIMETRAVEL_TESTS:-t/*.pl}"
}

run_sqlsmith() {
    run_counted sqlsmith "$LOGDIR/sqlsmith.log" env PG_CONFIG="$PG_CONFIG" "$ROOT/test/sqlsmith/run.sh"
}

run_gateway() {
    [ -x "$ROOT/gateway/tests/run.sh" ] || return 0
    run_counted gateway "$LOGDIR/gateway.log" "$ROOT/gateway/tests/run.sh"
}

start=$(date +%s)
for s in $SUITES; do
    "run_$s"
done
echo "(logs in $LOGDIR, $(( $(date +%s) - start )) s)"
# The failures by name, last, where a CI page that shows only the end of
# the output still has them.
if [ "$total_fail" -gt 0 ]; then
    echo "failed:"
    for s in $SUITES; do
        [ -f "$LOGDIR/$s.log" ] || continue
        # the gateway suite writes what it expected and got under the name
        a=0; [ "$s" = gateway ] && a=2
        # (prove's summary names a script that died before its plan)
        grep -E -A$a '^FAIL |^[[:space:]]*not ok |\.\.\. FAILED|^t/[^ ]+ \(Wstat: ' "$LOGDIR/$s.log" | grep -v '^--$'
    done \
        | sed 's/^[[:space:]]*/  /' | cut -c1-200 | head -30
fi
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ] && [ "$total_pass" -gt 0 ]
