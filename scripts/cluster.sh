#!/usr/bin/env bash
# The throwaway PostgreSQL clusters of pg_leadgen, made one way for
# `make run`, the test suites and the benchmarks:
#
#   scripts/cluster.sh init DATADIR PORT DB [SOCKETDIR] <<CONF   (or </dev/null)
#   setting = value          (more settings, read from stdin; may be empty)
#   CONF
#   scripts/cluster.sh start DATADIR LOGFILE
#   scripts/cluster.sh stop DATADIR [fast|immediate]
#
# init runs initdb (UTF-8, C.UTF-8, trust for local connections) and writes
# what every pg_leadgen cluster has: listening on 127.0.0.1 and a socket in
# SOCKETDIR (DATADIR's parent by default), pg_leadgen and
# pg_stat_statements preloaded, the workers serving DB, every statement
# tracked, and log lines with time, pid and application. The caller's
# settings follow, and win where they name the same one (the last line of
# postgresql.conf does). stop does nothing when the cluster is not running.
#
# As root, the servers run as the postgres user, which must be able to
# write DATADIR's parent. PG_CONFIG picks the PostgreSQL (pg_config on the
# PATH by default). initdb's output goes to stderr when it fails.
set -euo pipefail

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

BINDIR=$("${PG_CONFIG:-pg_config}" --bindir)
AS_PG=()
[ "$(id -u)" -eq 0 ] && AS_PG=(runuser -u postgres --)

cmd=${1:-}
[ $# -ge 2 ] || usage
data=$2

case "$cmd" in
    init)
        [ $# -ge 4 ] || usage
        port=$3
        db=$4
        socket=${5:-$(dirname "$data")}
        extra=""
        [ -t 0 ] || extra=$(cat)
        if ! out=$("${AS_PG[@]}" "$BINDIR/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 \
                --locale=C.UTF-8 2>&1); then
            printf '%s\n' "$out" >&2
            exit 1
        fi
        "${AS_PG[@]}" tee -a "$data/postgresql.conf" >/dev/null <<CONF

# pg_leadgen throwaway cluster (scripts/cluster.sh)
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$socket'
shared_preload_libraries = 'pg_leadgen,pg_stat_statements'
leadgen.database = '$db'
pg_stat_statements.track = all
log_line_prefix = '%m [%p] %q%a '
$extra
CONF
        ;;
    start)
        [ $# -ge 3 ] || usage
        "${AS_PG[@]}" "$BINDIR/pg_ctl" -D "$data" -l "$3" -w start >/dev/null
        ;;
    stop)
        if [ -f "$data/postmaster.pid" ]; then
            "${AS_PG[@]}" "$BINDIR/pg_ctl" -D "$data" -m "${3:-fast}" -w stop >/dev/null 2>&1 || true
        fi
        ;;
    *)
        usage
        ;;
esac
