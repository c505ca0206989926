#!/usr/bin/env bash
# The layout suite: compile the gateway's files one by one (the extension's
# objects come from make) and run check.pl over them.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PG_CONFIG=${PG_CONFIG:-pg_config}
OBJ=$(mktemp -d /tmp/pg_leadgen-layout.XXXXXX)
trap 'rm -rf "$OBJ"' EXIT
make -s -C "$ROOT" >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
make -s -C "$ROOT/gateway" build/openapi.c build/dashboard.c >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
for f in "$ROOT"/gateway/src/*.c "$ROOT"/gateway/build/*.c; do
    cc -std=c11 -D_GNU_SOURCE -c -I"$($PG_CONFIG --includedir)" -I"$ROOT/gateway/src" \
        -o "$OBJ/$(basename "$f" .c).o" "$f" || { echo "0 passed, 1 failed"; exit 1; }
done
exec perl "$ROOT/test/layout/check.pl" "$ROOT" "$OBJ"
