#!/usr/bin/env bash
# Before `make installcheck`: is the running server one the regression
# suite can use? Stops at once with one message naming what to change,
# instead of tests failing (or waiting) one by one.
#
#   make installcheck PGHOST=/path/to/socket PGPORT=5499 PGUSER=postgres
set -uo pipefail
PG_CONFIG=${PG_CONFIG:-pg_config}
PSQL="$($PG_CONFIG --bindir)/psql"
want_version=$1
where="PGHOST=${PGHOST:-(default)} PGPORT=${PGPORT:-(default)} PGUSER=${PGUSER:-$(id -un)}"

stop() {
    echo "make installcheck: $1" >&2
    echo "  (server: $where)" >&2
    exit 1
}

if ! facts=$("$PSQL" -X -A -t -q -d postgres -F '|' -c "
    SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
           current_setting('shared_preload_libraries'),
           coalesce(current_setting('leadgen.database', true), ''),
           coalesce(current_setting('leadgen.workers', true), '0'),
           coalesce((SELECT string_agg(version, ',') FROM pg_available_extension_versions WHERE name = 'pg_leadgen'), '')" 2>&1); then
    stop "cannot connect to the server: $(echo "$facts" | head -1)
  Give its address and a superuser: make installcheck PGHOST=... PGPORT=... PGUSER=postgres"
fi
IFS='|' read -r super preload database workers versions <<<"$facts"

[ "$super" = t ] || stop "PGUSER must be a superuser (the suite creates roles, databases and extensions)."
case ",${preload// /}," in
    *,pg_leadgen,*) ;;
    *) stop "shared_preload_libraries is '$preload': set shared_preload_libraries = 'pg_leadgen,pg_stat_statements' and restart the server." ;;
esac
case ",${preload// /}," in
    *,pg_stat_statements,*) ;;
    *) stop "shared_preload_libraries is '$preload': add pg_stat_statements (shared_preload_libraries = 'pg_leadgen,pg_stat_statements') and restart the server." ;;
esac
case ",$versions," in
    *,"$want_version",*) ;;
    *) stop "pg_leadgen $want_version is not installed on the server (it has: ${versions:-none}): run make install first." ;;
esac
if [ "$database" = contrib_regression ] && [ "$workers" != 0 ]; then
    stop "leadgen.database is 'contrib_regression' with leadgen.workers = $workers: those workers would drain the leads the tests process themselves. Run against a server whose leadgen.database names another database, or set leadgen.workers = 0."
fi
exit 0
