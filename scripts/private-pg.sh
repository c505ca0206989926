#!/usr/bin/env bash
# A private copy of the installed PostgreSQL 15 (server, extensions,
# headers), so that two checkouts can build, install and test pg_leadgen at
# the same time without replacing each other's library:
#
#   scripts/private-pg.sh /work/pg-a      # prints the pg_config to use
#   PG_CONFIG=/work/pg-a/usr/lib/postgresql/15/bin/pg_config make test
#
# PostgreSQL finds its share and lib folders relative to its binaries, so
# the copy works where it lies. Run it again after installing a package
# (pg_qualstats, hypopg, ...) to refresh the copy.
set -euo pipefail
dest=${1:?usage: scripts/private-pg.sh DIR}
PG_CONFIG=${PG_CONFIG:-pg_config}
mkdir -p "$dest"
for d in "$($PG_CONFIG --bindir)/.." "$($PG_CONFIG --sharedir)" "$($PG_CONFIG --includedir)"; do
    d=$(cd "$d" && pwd)
    mkdir -p "$dest$(dirname "$d")"
    rm -rf "${dest:?}$d"
    cp -a "$d" "$dest$d"
done
[ "$(id -u)" -eq 0 ] && chmod 755 "$dest"
echo "$dest$($PG_CONFIG --bindir)/pg_config"
