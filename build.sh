#!/usr/bin/env bash
# North: dependencies, build, the local stack, migrations and tests.
# Usage: ./build.sh {deps|build [--asan]|up|down|migrate|test [--asan]|
#                   unit|stack-up|stack-down|status}
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VAR=${NORTH_VAR:-$ROOT/var}
BUILD=$ROOT/build
NGINX_SRC=/usr/share/nginx/src

PG_BIN=/usr/lib/postgresql/15/bin
PG_PORT=${NORTH_PG_PORT:-55432}
REDIS_PORT=${NORTH_REDIS_PORT:-56379}
HTTP_PORT=${NORTH_HTTP_PORT:-8080}
HTTPS_PORT=${NORTH_HTTPS_PORT:-8443}
LISTEN_ADDR=${NORTH_LISTEN_ADDR:-127.0.0.1}
PG_USER=north_pg          # the unprivileged owner of the embedded cluster

PACKAGES=(build-essential nginx-core nginx-dev libpcre3-dev zlib1g-dev
    libssl-dev libpq-dev libjansson-dev libhiredis-dev libcmocka-dev
    postgresql-15 postgresql-client-15 redis-server openssl curl wrk
    libtest-base-perl libtext-diff-perl libtest-longstring-perl
    libipc-run-perl liburi-perl libwww-perl)

say() { printf '%s\n' "north: $*" >&2; }
die() { say "$*"; exit 1; }

# --- deps -------------------------------------------------------------------

cmd_deps() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' \
            || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        die "missing packages; run: sudo apt-get install -y ${missing[*]}"
    fi
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # the packages' own services are not ours: keep them from starting
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    rm -f /usr/sbin/policy-rc.d
}

# --- build ------------------------------------------------------------------

cmd_build() {
    local asan=0 flags cc_opt ld_opt out
    [ "${1:-}" = "--asan" ] && asan=1
    [ -d "$NGINX_SRC" ] || die "$NGINX_SRC missing: run ./build.sh deps"

    out=$BUILD/nginx; [ $asan -eq 1 ] && out=$BUILD/nginx-asan
    cc_opt="-g -O2 -fPIC -Wall -Wextra -Wno-unused-parameter -Werror"
    ld_opt="-fPIC"
    if [ $asan -eq 1 ]; then
        cc_opt="-g -O1 -fPIC -fno-omit-frame-pointer -fsanitize=address -Wall -Wextra -Wno-unused-parameter -Werror"
        ld_opt="-fPIC -fsanitize=address"
    fi

    if [ ! -f "$out/objs/Makefile" ] || [ "$ROOT/config" -nt "$out/objs/Makefile" ]; then
        rm -rf "$out"; mkdir -p "$out"
        cp -r "$NGINX_SRC/." "$out/"
        # shellcheck disable=SC1091
        . "$NGINX_SRC/conf_flags"
        (cd "$out" && ./configure "${NGX_CONF_FLAGS[@]}" \
            --with-cc-opt="$cc_opt" --with-ld-opt="$ld_opt" \
            --add-dynamic-module="$ROOT" >"$out/configure.log" 2>&1) \
            || { tail -20 "$out/configure.log"; die "configure failed"; }
    fi
    make -s -C "$out" -f objs/Makefile modules >/dev/null
    mkdir -p "$BUILD"
    if [ $asan -eq 1 ]; then
        cp "$out/objs/ngx_http_north_module.so" "$BUILD/ngx_http_north_module.asan.so"
        say "built $BUILD/ngx_http_north_module.asan.so"
    else
        cp "$out/objs/ngx_http_north_module.so" "$BUILD/ngx_http_north_module.so"
        say "built $BUILD/ngx_http_north_module.so"
    fi
}

case "${1:-}" in
    deps)  cmd_deps ;;
    build) shift; cmd_build "$@" ;;
    *)     sed -n '2,4p' "$0"; exit 2 ;;
esac
