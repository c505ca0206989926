#!/usr/bin/env bash
# Install what pg_leadgen needs to build, run and test, when it is missing.
# Debian 12, as root. Idempotent: a second run installs nothing and says so.
set -euo pipefail

PKGS=(
    make gcc perl curl ca-certificates
    postgresql-15 postgresql-server-dev-15 postgresql-15-partman postgresql-15-hypopg postgresql-15-pg-qualstats
    postgresql-15-auto-failover
    libipc-run-perl libmicrohttpd-dev libcurl4-openssl-dev zlib1g-dev
    jq clang libclang-rt-14-dev sqlsmith
    # the gateway behind a pooler and a proxy, its unit, its alerts, its dashboard page
    pgbouncer nginx systemd prometheus chromium fonts-dejavu-core
)
# Node.js and npm for the gateway suite's OpenAPI check (ajv), unless the
# machine has them already
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || PKGS+=(nodejs npm)
[ -n "${LEADGEN_EXTRA_PKGS:-}" ] && PKGS+=(${LEADGEN_EXTRA_PKGS})

missing=()
for p in "${PKGS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "pg_leadgen: missing packages: ${missing[*]}" >&2
    echo "Run as root (or install them with apt-get) and try again." >&2
    exit 1
fi

echo "pg_leadgen: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
