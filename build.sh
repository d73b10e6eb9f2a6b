#!/usr/bin/env bash
# North: dependencies, build, the local stack, migrations and tests.
# Usage: ./build.sh {deps [--build]|build [--test|--asan]|up|down|reload|migrate|audit-verify|check|
#          test [--asan]|lint-openapi|unit|catalog|stack-up|stack-down|pg-start|pg-stop|
#          redis-start|redis-stop|plaid-sim-start|plaid-sim-stop|fcm-sim-start|fcm-sim-stop|
#          psql-admin [psql args]}
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VAR=${NORTH_VAR:-$ROOT/var}
BUILD=$ROOT/build
NGINX_SRC=/usr/share/nginx/src

PG_BIN=/usr/lib/postgresql/15/bin
# every default port lies below Linux's ephemeral range (32768-60999), where
# an outgoing connection could hold it
PG_PORT=${NORTH_PG_PORT:-15432}
REDIS_PORT=${NORTH_REDIS_PORT:-16379}
HTTP_PORT=${NORTH_HTTP_PORT:-8080}
HTTPS_PORT=${NORTH_HTTPS_PORT:-8443}
LISTEN_ADDR=${NORTH_LISTEN_ADDR:-127.0.0.1}
PUBLIC_HOST=${NORTH_PUBLIC_HOST:-$LISTEN_ADDR}   # where HTTP redirects to
PLAID_SIM_PORT=${NORTH_PLAID_SIM_PORT:-8090}
FCM_SIM_PORT=${NORTH_FCM_SIM_PORT:-8092}
PG_USER=north_pg          # the unprivileged owner of the embedded cluster

# what building the module takes (deps --build: the container's build stage)
# and what the stack and the tests take besides; NORTH_NGINX_VERSION pins
# nginx-core and nginx-dev to a Debian version (the image does)
BUILD_PACKAGES=(build-essential nginx-core nginx-dev libpcre3-dev zlib1g-dev
    libssl-dev libpq-dev libjansson-dev libhiredis-dev libargon2-dev
    libcurl4-openssl-dev)
PACKAGES=("${BUILD_PACKAGES[@]}" libcmocka-dev nodejs
    postgresql-15 postgresql-client-15 redis-server openssl curl wrk python3
    libtest-base-perl libtext-diff-perl libtest-longstring-perl
    libipc-run-perl liburi-perl libwww-perl liblist-moreutils-perl
    libhttp-message-perl procps iproute2)

# shellcheck source=deploy/local-conf.sh
. "$ROOT/deploy/local-conf.sh"

say() { printf '%s\n' "north: $*" >&2; }
die() { say "$*"; exit 1; }

# --- deps -------------------------------------------------------------------

cmd_deps() {
    local missing=() p want=("${PACKAGES[@]}")
    [ "${1:-}" = --build ] && want=("${BUILD_PACKAGES[@]}")
    for p in "${want[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' \
            || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        die "missing packages; run: sudo apt-get install -y ${missing[*]}"
    fi
    if [ -n "${NORTH_NGINX_VERSION:-}" ]; then
        missing=("${missing[@]/#nginx-core/nginx-core=$NORTH_NGINX_VERSION}")
        missing=("${missing[@]/#nginx-dev/nginx-dev=$NORTH_NGINX_VERSION}")
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

# The shipped module (build/ngx_http_north_module.so); --test adds the
# suites' selftest endpoints (.test.so); --asan is the test module under
# AddressSanitizer (.asan.so). Each has its own nginx tree under build/.
cmd_build() {
    local variant=${1:-} cc_opt ld_opt out name selftest=no
    [ -d "$NGINX_SRC" ] || die "$NGINX_SRC missing: run ./build.sh deps"

    cc_opt="-g -O2 -fPIC -Wall -Wextra -Wno-unused-parameter -Werror"
    ld_opt="-fPIC"
    case "$variant" in
        "")     out=$BUILD/nginx; name=ngx_http_north_module.so ;;
        --test) out=$BUILD/nginx-test; name=ngx_http_north_module.test.so
                selftest=yes ;;
        --asan) out=$BUILD/nginx-asan; name=ngx_http_north_module.asan.so
                selftest=yes
                cc_opt="-g -O1 -fPIC -fno-omit-frame-pointer -fsanitize=address -DNORTH_ASAN_PALLOC=1 -Wall -Wextra -Wno-unused-parameter -Werror"
                ld_opt="-fPIC -fsanitize=address" ;;
        *)      die "build: unknown option $variant" ;;
    esac

    # the release events name: the git revision (NORTH_RELEASE in an image
    # built without .git), rewritten only when it changes
    local release
    release=${NORTH_RELEASE:-$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}
    mkdir -p "$BUILD"
    printf '/* written by build.sh */\nconst char ngx_http_north_release[] = "%s";\n' \
        "${release//[^0-9A-Za-z._-]/}" > "$BUILD/north_release.c.new"
    if cmp -s "$BUILD/north_release.c.new" "$BUILD/north_release.c"; then
        rm -f "$BUILD/north_release.c.new"
    else
        mv -f "$BUILD/north_release.c.new" "$BUILD/north_release.c"
    fi

    # configured again when the addon's config or the flags changed
    if [ ! -f "$out/objs/Makefile" ] || [ "$ROOT/config" -nt "$out/objs/Makefile" ] \
        || [ "$(cat "$out/.cc_opt" 2>/dev/null)" != "$cc_opt" ]; then
        rm -rf "$out"; mkdir -p "$out"
        cp -r "$NGINX_SRC/." "$out/"
        # shellcheck disable=SC1091
        . "$NGINX_SRC/conf_flags"
        (cd "$out" && NORTH_SELFTEST=$selftest ./configure "${NGX_CONF_FLAGS[@]}" \
            --with-cc-opt="$cc_opt" --with-ld-opt="$ld_opt" \
            --add-dynamic-module="$ROOT" >"$out/configure.log" 2>&1) \
            || { tail -20 "$out/configure.log"; die "configure failed"; }
        echo "$cc_opt" > "$out/.cc_opt"
    fi
    make -s -C "$out" -f objs/Makefile modules >/dev/null
    mkdir -p "$BUILD"
    install_module "$out" "$BUILD/$name"
}

# A running nginx maps its module: writing into that file would change the
# code under its master and every worker it forks (a respawn, a reload). The
# new module is written beside it and renamed into place, so a running
# nginx keeps the old file until its reload loads the new one.
install_module() {
    local objs=$1 dest=$2
    cp "$objs/objs/ngx_http_north_module.so" "$dest.new.$$"
    mv -f "$dest.new.$$" "$dest"
    say "built $dest"
}

# --- the embedded stack: PostgreSQL, Redis, certificate, nginx -------------

as_pg() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi
}

secret() { openssl rand -hex 24; }
b64_secret() { openssl rand -base64 "$1" | tr -d '\n'; }

# PostgreSQL and Redis listen on Unix-domain sockets under $VAR (faster, and
# no port to collide) when a socket's path fits in sun_path (108 bytes),
# needs no escaping in a URL, and nginx's workers (nobody, when started as
# root) can reach it; else on TCP ports of 127.0.0.1. NORTH_SOCKETS=off
# forces TCP.
sockets_usable() {
    [ "${NORTH_SOCKETS:-on}" != off ] || return 1
    [ ${#VAR} -le 80 ] || return 1
    [[ $VAR =~ ^/[A-Za-z0-9/._-]*$ ]] || return 1
    [ "$(id -u)" -ne 0 ] || runuser -u nobody -- test -x "$VAR"
}

# A secret: the environment's when the operator set it, else the one kept
# in $VAR/env (0600), else one made now (COMMAND's output) and kept there.
# GENERATED collects the names of those made.
keep_secret() {   # NAME COMMAND...
    local name=$1 v; shift
    [ -n "${!name:-}" ] && return 0
    v=$(sed -n "s/^$name=//p" "$VAR/env" 2>/dev/null | tail -1) || v=
    if [ -z "$v" ]; then
        v=$("$@")
        ( umask 077; echo "$name=$v" >> "$VAR/env" )
        GENERATED+=("$name")
    fi
    printf -v "$name" '%s' "$v"
    export "${name?}"
}

# The stack's settings: what the operator set wins; what is missing is made
# once, kept in $VAR/env, and named.
load_env() {
    [ -n "${NORTH_ENV_LOADED:-}" ] && return 0
    mkdir -p "$VAR"
    GENERATED=()
    keep_secret NORTH_PG_PASSWORD secret
    keep_secret NORTH_APP_PG_PASSWORD secret
    keep_secret NORTH_REDIS_PASSWORD secret
    keep_secret JWT_SECRET b64_secret 48
    keep_secret DATA_ENCRYPTION_KEY b64_secret 32
    keep_secret AUDIT_CHAIN_KEY b64_secret 32
    [ ${#GENERATED[@]} -eq 0 ] \
        || say "generated ${GENERATED[*]} (kept in $VAR/env, mode 0600)"
    EMBEDDED_PG=0; EMBEDDED_REDIS=0; SOCKETS=0
    if sockets_usable; then SOCKETS=1; fi
    # two roles: nginx runs as north_app (DATABASE_URL), which cannot change
    # the audit log; migrations run as its owner north (DATABASE_OWNER_URL)
    if [ -z "${DATABASE_URL:-}" ]; then
        EMBEDDED_PG=1
        local at="127.0.0.1:$PG_PORT/north"
        [ $SOCKETS -eq 1 ] && at="/north?host=$VAR/pg/run&port=$PG_PORT"
        DATABASE_URL="postgresql://north_app:$NORTH_APP_PG_PASSWORD@$at"
        DATABASE_OWNER_URL="postgresql://north:$NORTH_PG_PASSWORD@$at"
    fi
    DATABASE_OWNER_URL=${DATABASE_OWNER_URL:-$DATABASE_URL}
    if [ -z "${REDIS_URL:-}" ]; then
        EMBEDDED_REDIS=1
        REDIS_URL="redis://:$NORTH_REDIS_PASSWORD@127.0.0.1:$REDIS_PORT/0"
        [ $SOCKETS -eq 1 ] \
            && REDIS_URL="unix://:$NORTH_REDIS_PASSWORD@$VAR/redis/redis.sock?db=0"
    fi
    # no Plaid credentials: the local simulator stands in for Plaid's sandbox
    EMBEDDED_PLAID=0
    if [ -z "${PLAID_CLIENT_ID:-}" ]; then
        EMBEDDED_PLAID=1
        PLAID_CLIENT_ID=north-sim-client PLAID_SECRET=north-sim-secret
    fi
    # no mail relay: the simulator plays one (its mails at /__sim/mail)
    EMBEDDED_MAIL=0
    if [ -z "${MAIL_URL:-}" ]; then
        EMBEDDED_MAIL=1
        MAIL_URL="http://127.0.0.1:$PLAID_SIM_PORT/__mail/send"
        MAIL_API_KEY=north-sim-mail-key
    fi
    # no FCM service account: the FCM simulator stands in, with one made here
    EMBEDDED_FCM=0
    if [ -z "${GOOGLE_APPLICATION_CREDENTIALS:-}" ]; then
        EMBEDDED_FCM=1
        FCM_CREDENTIALS=$VAR/fcm/service-account.json
        FCM_URL=https://127.0.0.1:$FCM_SIM_PORT
        FCM_CA=$VAR/fcm/ca.pem
    else
        FCM_CREDENTIALS=$GOOGLE_APPLICATION_CREDENTIALS
        FCM_URL=${FCM_URL:-https://fcm.googleapis.com}
        FCM_CA=
    fi
    export PLAID_CLIENT_ID PLAID_SECRET EMBEDDED_PLAID MAIL_URL MAIL_API_KEY \
        EMBEDDED_MAIL EMBEDDED_FCM FCM_CREDENTIALS FCM_URL FCM_CA
    export DATABASE_URL DATABASE_OWNER_URL REDIS_URL JWT_SECRET \
        DATA_ENCRYPTION_KEY AUDIT_CHAIN_KEY
    export DATA_REGION=${DATA_REGION:-ca-central-1}
    export PIPEDA_COMPLIANCE=${PIPEDA_COMPLIANCE:-true}
    export PLAID_ENV=${PLAID_ENV:-sandbox}
    export NORTH_ENV_LOADED=1 EMBEDDED_PG EMBEDDED_REDIS SOCKETS
}

psql_admin() {
    as_pg psql -X -q -v ON_ERROR_STOP=1 -h "$VAR/pg/run" -p "$PG_PORT" -U postgres "$@"
}

psql_app() {
    PGOPTIONS="-c client_min_messages=warning" \
        psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" "$@"
}

psql_owner() {   # a caller's PGOPTIONS come after ours
    PGOPTIONS="-c client_min_messages=warning ${PGOPTIONS:-}" \
        psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_OWNER_URL" "$@"
}

pg_running() {
    [ -f "$VAR/pg/data/postmaster.pid" ] \
        && as_pg "$PG_BIN/pg_ctl" -D "$VAR/pg/data" status >/dev/null 2>&1
}

# A port the stack is to listen on must be free: else an error naming it
# and the variable that moves it (not a daemon's own failure to bind).
port_free() {   # PORT NAME (PG_PORT: NORTH_PG_PORT, NORTH_TEST_PG_PORT for tests)
    local who
    # a listener, or a connection's end (TIME-WAIT does not stop a bind)
    who=$(ss -Htanp exclude time-wait "sport = :$1" 2>/dev/null | head -1)
    [ -z "$who" ] && return 0
    die "port $1 is taken ($(echo "$who" | awk '{print $1, $4, $6}')): set NORTH_$2 (NORTH_TEST_$2 for the test stack, BENCH_$2 for the benches) to a free port"
}

cmd_pg_start() {
    load_env
    [ $EMBEDDED_PG -eq 1 ] || return 0
    if [ "$(id -u)" -eq 0 ] && ! id "$PG_USER" >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER"
    fi
    mkdir -p "$VAR/pg/run"
    if [ "$(id -u)" -eq 0 ]; then chown -R "$PG_USER" "$VAR/pg"; fi
    # workers pass through to the socket; pg_hba.conf decides who gets in
    chmod 0711 "$VAR/pg/run"
    if [ ! -f "$VAR/pg/data/PG_VERSION" ]; then
        say "initdb $VAR/pg/data"
        as_pg "$PG_BIN/initdb" -D "$VAR/pg/data" -U postgres -E UTF8 \
            --locale=C.UTF-8 --auth-local=trust --auth-host=scram-sha-256 \
            >"$VAR/pg/initdb.log" 2>&1 \
            || { cat "$VAR/pg/initdb.log"; die "initdb failed"; }
    fi
    # terse: an error's DETAIL (a conflicting key, so an e-mail) stays out
    # of the server log; on RDS set the same in the parameter group
    pg_hba
    if pg_running; then
        as_pg "$PG_BIN/pg_ctl" -D "$VAR/pg/data" reload >/dev/null
    else
        local tcp=127.0.0.1
        if [ $SOCKETS -eq 1 ]; then tcp="''"; else port_free "$PG_PORT" PG_PORT; fi
        as_pg "$PG_BIN/pg_ctl" -D "$VAR/pg/data" -l "$VAR/pg/postgresql.log" -w \
            -o "-p $PG_PORT -k $VAR/pg/run -c listen_addresses=$tcp -c max_connections=200 -c log_error_verbosity=terse" \
            start >/dev/null \
            || { tail -20 "$VAR/pg/postgresql.log"; die "PostgreSQL did not start"; }
    fi
    # the application's role and database, made once
    psql_admin -d postgres -tAc "select 1 from pg_roles where rolname = 'north'" | grep -q 1 \
        || psql_admin -d postgres -c "create role north login password '$NORTH_PG_PASSWORD'"
    psql_admin -d postgres -tAc "select 1 from pg_roles where rolname = 'north_app'" | grep -q 1 \
        || psql_admin -d postgres -c "create role north_app login password '$NORTH_APP_PG_PASSWORD'"
    psql_admin -d postgres -tAc "select 1 from pg_database where datname = 'north'" | grep -q 1 \
        || psql_admin -d postgres -c "create database north owner north"
}

# Who may connect, rewritten at every start: the administrator as the
# cluster's own system user (peer), North's two roles by password.
pg_hba() {
    local os_user=$PG_USER
    [ "$(id -u)" -eq 0 ] || os_user=$(id -un)
    printf '%s\n' "# written by build.sh at every start" \
        "local  all  postgres         peer  map=north_admin" \
        "local  all  north,north_app  scram-sha-256" \
        "host   all  north,north_app  127.0.0.1/32  scram-sha-256" \
        "host   all  north,north_app  ::1/128       scram-sha-256" \
        | as_pg tee "$VAR/pg/data/pg_hba.conf" >/dev/null
    echo "north_admin $os_user postgres" \
        | as_pg tee "$VAR/pg/data/pg_ident.conf" >/dev/null
}

cmd_pg_stop() {
    load_env
    if pg_running; then
        as_pg "$PG_BIN/pg_ctl" -D "$VAR/pg/data" -m fast -w stop >/dev/null
    fi
}

redis_running() {
    [ -f "$VAR/redis/redis.pid" ] && kill -0 "$(cat "$VAR/redis/redis.pid")" 2>/dev/null
}

cmd_redis_start() {
    load_env
    [ $EMBEDDED_REDIS -eq 1 ] || return 0
    if redis_running; then
        [ $SOCKETS -eq 0 ] || [ -S "$VAR/redis/redis.sock" ] && return 0
        cmd_redis_stop   # started on a port before: move it to its socket
    fi
    local listen=("bind 127.0.0.1" "port $REDIS_PORT") at=(-p "$REDIS_PORT")
    if [ $SOCKETS -eq 1 ]; then
        # the password guards the socket, as it guards the port
        listen=("port 0" "unixsocket $VAR/redis/redis.sock" "unixsocketperm 777")
        at=(-s "$VAR/redis/redis.sock")
    else
        port_free "$REDIS_PORT" REDIS_PORT
    fi
    mkdir -p "$VAR/redis"
    ( umask 077
      printf '%s\n' "${listen[@]}" "daemonize yes" \
        "pidfile $VAR/redis/redis.pid" "logfile $VAR/redis/redis.log" \
        "dir $VAR/redis" "requirepass $NORTH_REDIS_PASSWORD" 'save ""' \
        "appendonly no" > "$VAR/redis/redis.conf" )
    redis-server "$VAR/redis/redis.conf"
    for _ in $(seq 50); do
        redis-cli "${at[@]}" --no-auth-warning -a "$NORTH_REDIS_PASSWORD" ping \
            2>/dev/null | grep -q PONG && return 0
        sleep 0.1
    done
    die "Redis did not start (see $VAR/redis/redis.log)"
}

cmd_redis_stop() {
    if redis_running; then
        local pid; pid=$(cat "$VAR/redis/redis.pid")
        kill "$pid"
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        rm -f "$VAR/redis/redis.pid"
    fi
}

# A simulator NAME (plaid-sim, fcm-sim): running; started (node ARGS...,
# ready once its log says READY, as "LABEL simulator"); stopped.
sim_running() {
    [ -f "$VAR/$1.pid" ] && kill -0 "$(cat "$VAR/$1.pid")" 2>/dev/null
}

sim_start() {   # NAME READY LABEL ARGS...
    local name=$1 ready=$2 label=$3; shift 3
    nohup node "$@" >"$VAR/$name.log" 2>&1 &
    echo $! > "$VAR/$name.pid"
    for _ in $(seq 50); do
        grep -q "$ready" "$VAR/$name.log" 2>/dev/null && return 0
        sleep 0.1
    done
    die "the $label simulator did not start (see $VAR/$name.log)"
}

sim_stop() {
    if sim_running "$1"; then
        kill "$(cat "$VAR/$1.pid")"
        rm -f "$VAR/$1.pid"
    fi
}

cmd_plaid_sim_start() {
    load_env
    [ $EMBEDDED_PLAID -eq 1 ] || [ $EMBEDDED_MAIL -eq 1 ] || return 0
    sim_running plaid-sim && return 0
    port_free "$PLAID_SIM_PORT" PLAID_SIM_PORT
    mkdir -p "$VAR"
    PLAID_CLIENT_ID=$PLAID_CLIENT_ID PLAID_SECRET=$PLAID_SECRET \
        MAIL_API_KEY=$MAIL_API_KEY \
        sim_start plaid-sim 'plaid simulator on' Plaid \
        "$ROOT/t/plaid-sim/sim.js" "$PLAID_SIM_PORT"
}

# The simulator, its TLS certificate from a test CA, and its service
# account (an RSA key made once, its token endpoint the simulator's own).
cmd_fcm_sim_start() {
    load_env
    [ "$EMBEDDED_FCM" -eq 1 ] || return 0
    sim_running fcm-sim && return 0
    port_free "$FCM_SIM_PORT" FCM_SIM_PORT
    local d=$VAR/fcm
    mkdir -p "$d"
    if [ ! -f "$d/sim.crt" ]; then
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -days 3650 -subj "/CN=North test CA" -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -subj "/CN=127.0.0.1" -keyout "$d/sim.key" -out "$d/sim.csr" 2>/dev/null
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$d/sim.ext"
        openssl x509 -req -in "$d/sim.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
            -CAcreateserial -days 825 -extfile "$d/sim.ext" -out "$d/sim.crt.tmp" 2>/dev/null
        rm -f "$d/sim.csr" "$d/sim.ext" "$d/ca.key"
        mv "$d/sim.crt.tmp" "$d/sim.crt"
    fi
    # what nginx trusts of the local stack: the system's CAs and the test CA
    cat /etc/ssl/certs/ca-certificates.crt "$d/ca.pem" > "$d/trust.pem" 2>/dev/null \
        || cp "$d/ca.pem" "$d/trust.pem"
    if [ ! -f "$FCM_CREDENTIALS" ]; then
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
            -out "$d/key.pem" 2>/dev/null
        python3 - "$d/key.pem" > "$FCM_CREDENTIALS.tmp" <<'PY'
import json, sys
print(json.dumps({"type": "service_account", "project_id": "north-sim",
                  "private_key_id": "sim", "private_key": open(sys.argv[1]).read(),
                  "client_email": "north-push@north-sim.iam.gserviceaccount.com",
                  "token_uri": "https://127.0.0.1:PORT/token"}))
PY
        rm -f "$d/key.pem"
        chmod 600 "$FCM_CREDENTIALS.tmp"
        mv "$FCM_CREDENTIALS.tmp" "$FCM_CREDENTIALS"
    fi
    # the token endpoint follows the port the simulator is given
    sed -i -E "s#https://127\.0\.0\.1:[A-Z0-9]+/token#https://127.0.0.1:$FCM_SIM_PORT/token#" \
        "$FCM_CREDENTIALS"
    sim_start fcm-sim 'fcm simulator on' FCM \
        "$ROOT/t/fcm-sim/sim.js" "$FCM_SIM_PORT" "$FCM_CREDENTIALS" "$d/sim.crt" "$d/sim.key"
}

# --- migrations ---------------------------------------------------------------

cmd_migrate() {
    load_env
    local f name
    psql_owner -c "create schema if not exists north" \
        -c "create table if not exists north.schema_migrations (
                version    text primary key,
                applied_at timestamptz not null default now())" >/dev/null
    for f in "${NORTH_SQL:-$ROOT/sql}"/[0-9]*.sql; do
        name=$(basename "$f")
        if psql_owner -tA -c "select 1 from north.schema_migrations
                            where version = '$name'" | grep -q 1; then
            continue
        fi
        # the file and its record in one transaction: all or nothing
        if ! psql_owner -1 -f "$f" -c "insert into north.schema_migrations (version)
                                     values ('$name')" >/dev/null; then
            die "migration $name failed (file and line above); the schema is unchanged"
        fi
        say "applied $name"
    done
    migrate_functions "${NORTH_SQL:-$ROOT/sql}/functions"
    # the categorisation catalog: idempotent, so on every run
    psql_owner -q -f "${NORTH_SQL:-$ROOT/sql}/catalog.sql" >/dev/null \
        || die "loading sql/catalog.sql failed"
}

# Each SQL function has one file, sql/functions/NAME.sql (with its
# triggers and grants), applied after the migrations whenever it changed:
# its SHA-256 is not the one recorded in north.schema_functions. One
# transaction each; bodies are checked when called (check_function_bodies
# off), so the files need no order. A function whose file goes is dropped
# by a migration.
migrate_functions() {   # DIR
    local f name sum done=()
    declare -A applied=()
    psql_owner -c "create table if not exists north.schema_functions (
                file       text primary key,
                sha256     text not null,
                applied_at timestamptz not null default now())" >/dev/null
    while read -r name sum; do
        [ -n "$name" ] && applied[$name]=$sum
    done < <(psql_owner -tA -F ' ' -c "select file, sha256 from north.schema_functions")
    for f in "$1"/*.sql; do
        [ -e "$f" ] || continue
        name=$(basename "$f")
        sum=$(sha256sum "$f" | cut -d' ' -f1)
        [ "${applied[$name]:-}" = "$sum" ] && continue
        if ! PGOPTIONS="-c check_function_bodies=off" psql_owner -1 -f "$f" \
                -c "insert into north.schema_functions (file, sha256)
                    values ('$name', '$sum') on conflict (file) do update
                    set sha256 = excluded.sha256, applied_at = now()" >/dev/null
        then
            die "function file functions/$name failed (file and line above); the function is unchanged"
        fi
        done+=("$name")
    done
    # a new database takes them all: one line then
    if [ ${#done[@]} -gt 5 ]; then
        say "applied ${#done[@]} function files"
    elif [ ${#done[@]} -gt 0 ]; then
        say "applied $(printf 'functions/%s ' "${done[@]}")"
    fi
}

# Walks the audit log's chains, keyed ones by AUDIT_CHAIN_KEY, and checks
# each chain's last checkpoint (the writers' checkpoints.log files: those
# given, else the local stack's); fails naming the first broken row.
cmd_audit_verify() {
    load_env
    local broken cps="" f files=("$@")
    for f in "${files[@]}"; do
        [ -f "$f" ] || die "audit-verify: no checkpoints file $f"
    done
    # by default the local stack's, when it has written any
    if [ ${#files[@]} -eq 0 ] && [ -f "$NGINX_PREFIX/logs/audit-spool/checkpoints.log" ]; then
        files=("$NGINX_PREFIX/logs/audit-spool/checkpoints.log")
    fi
    # a chain's last checkpoint is the one that counts
    if [ ${#files[@]} -gt 0 ]; then
        cps=$(awk '{ last[$1] = $0 } END { for (c in last) print last[c] }' "${files[@]}")
    fi
    # the key on standard input, never on a command line
    broken=$(printf "select chain, seq, problem from north.audit_verify(
                         nullif(decode('%s', 'base64'), ''), \$cp\$%s\$cp\$)" \
                    "${AUDIT_CHAIN_KEY:-}" "$cps" | psql_app -tA -F ' ')
    if [ -n "$broken" ]; then
        printf '%s\n' "$broken" | sed 's/^/north: audit chain broken: /' >&2
        return 1
    fi
    say "audit log: $(psql_app -tA -c "select count(*) from north.audit_log") rows, every chain holds"
}

# --- nginx --------------------------------------------------------------------

NGINX_PREFIX=$VAR/nginx

# The shipped config plus what this machine supplies (deploy/local-conf.sh):
# the module's path, listen addresses, north.env, a self-signed certificate.
nginx_conf() {
    nginx_links
    # shellcheck disable=SC2034 # read by north_local_conf
    (   NORTH_MODULE_SO=$BUILD/ngx_http_north_module.so
        PUBLIC_ORIGIN=https://$PUBLIC_HOST:$HTTPS_PORT
        PLAID_WEBHOOK=https://$LISTEN_ADDR:$HTTPS_PORT/v1/webhooks/plaid
        PLAID_BASE_URL=; FETCH_CA=
        [ "$EMBEDDED_PLAID" -eq 1 ] && PLAID_BASE_URL=http://127.0.0.1:$PLAID_SIM_PORT
        [ "$EMBEDDED_FCM" -eq 1 ] && FETCH_CA=$VAR/fcm/trust.pem
        north_local_conf "$NGINX_PREFIX/conf" "$ROOT/nginx.conf.d" )
}

# conf/ holds the shipped files as links: one added to nginx.conf.d/ too
nginx_links() {
    local f
    mkdir -p "$NGINX_PREFIX/conf/tls" "$NGINX_PREFIX/logs" "$NGINX_PREFIX/tmp"
    for f in "$ROOT"/nginx.conf.d/*; do ln -sfn "$f" "$NGINX_PREFIX/conf/"; done
}

nginx_cmd() {
    nginx -p "$NGINX_PREFIX/" -c "$NGINX_PREFIX/conf/nginx.conf" "$@"
}

nginx_master() { cat "$NGINX_PREFIX/logs/nginx.pid" 2>/dev/null; }

# A master killed a moment ago is a zombie until reaped: not running.
nginx_running() {
    local pid; pid=$(nginx_master)
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null \
        && [ "$(ps -o stat= -p "$pid" | cut -c1)" != Z ]
}

nginx_workers() { ps -o pid= --ppid "$(nginx_master)" 2>/dev/null | sort | tr -d ' ' | tr '\n' ' '; }

# nginx's master is alive and /healthz answers 200 within 5 s; else fails
# loudly with the log's end.
nginx_answers() {
    for _ in $(seq 50); do
        if nginx_running && [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 \
                "http://$LISTEN_ADDR:$HTTP_PORT/healthz")" = 200 ]; then
            return 0
        fi
        sleep 0.1
    done
    tail -5 "$NGINX_PREFIX/logs/error.log" >&2
    die "nginx does not answer on http://$LISTEN_ADDR:$HTTP_PORT (see $NGINX_PREFIX/logs/error.log)"
}

# A reload, then its new workers in place of the old, answering.
nginx_reload() {
    local before; before=$(nginx_workers)
    nginx_cmd -s reload
    for _ in $(seq 50); do
        nginx_running || break
        [ "$(nginx_workers)" != "$before" ] && break
        sleep 0.1
    done
    nginx_answers
}

cmd_check() {
    load_env
    nginx_conf
    nginx_cmd -t
}

# The running stack's nginx on its configuration as it stands: tested, then
# reloaded, then answering; the environment it reads is conf/north.env as
# `up` wrote it (this shell's is not needed).
cmd_reload() {
    nginx_running || die "nginx is not running: ./build.sh up starts it"
    nginx_links
    nginx_cmd -t -q
    nginx_reload
    say "reloaded: workers $(nginx_workers)"
}

cmd_up() {
    cmd_deps
    cmd_build
    cmd_stack_up
    nginx_conf
    nginx_cmd -t -q
    if nginx_running; then nginx_reload; else nginx_cmd; nginx_answers; fi
    say "listening on http://$LISTEN_ADDR:$HTTP_PORT and https://$LISTEN_ADDR:$HTTPS_PORT"
    say "try: curl -k https://$LISTEN_ADDR:$HTTPS_PORT/readyz"
}

cmd_down() {
    load_env
    if nginx_running; then
        local pid; pid=$(cat "$NGINX_PREFIX/logs/nginx.pid")
        nginx_cmd -s quit
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    cmd_stack_down
}

cmd_stack_up() {
    cmd_pg_start
    cmd_redis_start
    cmd_plaid_sim_start
    cmd_fcm_sim_start
    cmd_migrate
}

cmd_stack_down() {
    sim_stop fcm-sim
    sim_stop plaid-sim
    cmd_redis_stop
    cmd_pg_stop
}

# --- tests --------------------------------------------------------------------

cmd_unit() {
    local t
    mkdir -p "$BUILD/unit"
    for t in "$ROOT"/t/unit/test_*.c; do
        gcc -g -O1 -Wall -Wextra -Wno-unused-parameter -Werror -fsanitize=address,undefined \
            -I "$ROOT/ngx_north_module" -I "$ROOT/handlers/plaid" \
            -I "$ROOT/handlers/analytics" -I "$ROOT/handlers/goals" \
            -I "$ROOT/handlers/tax" -I "$ROOT/handlers/insights" \
            -I "$ROOT/handlers/ai" -I "$ROOT/handlers/sync" \
            -DNORTH_TEST_DIR="\"$ROOT/t/unit\"" \
            -o "$BUILD/unit/$(basename "$t" .c)" \
            "$t" "$ROOT"/ngx_north_module/north_*.c "$ROOT"/handlers/*/north_*.c \
            -ljansson -lcrypto -lcmocka
    done
}

# Writes sql/catalog.sql from the categorisation tables (north_category.c).
cmd_catalog() {
    cmd_unit
    "$BUILD/unit/test_category" --sql > "$ROOT/sql/catalog.sql"
    say "wrote sql/catalog.sql"
}

# What a run of the suites says: each file's count of assertions (a file
# that stops early shows), every failed assertion with its diagnostics, and
# prove's summary. The whole verbose output stays in the file $1.
test_report() {
    awk '
        function count() { if (file != "") printf "%-22s %5d assertions\n", file, n }
        /^t\/.*\.t \.+ *$/ { count(); file = $1; n = 0; show = 0; next }
        /^(not )?ok [0-9]+/ { n++; show = 0 }
        /^not ok/ { print file ": " $0; show = 1; next }
        show && /^#/ { print }
        /^(Test Summary Report|All tests successful)/ { count(); file = ""; tail = 1 }
        tail { print }
    ' "$1"
    echo "(the whole output: $1)"
}

# docs/openapi.yaml under Redocly's recommended rules and Spectral's OAS
# ruleset (.spectral.yaml): any error or warning fails. The linters, pinned,
# come from the npm registry into build/npm, once; without the registry the
# check is skipped with a message.
OPENAPI_LINTERS="@redocly/cli@2.77.0 @stoplight/spectral-cli@6.16.3"

cmd_lint_openapi() {
    local dir=$BUILD/npm problems
    if [ "$(cat "$dir/pinned" 2>/dev/null)" != "$OPENAPI_LINTERS" ]; then
        rm -rf "$dir"; mkdir -p "$dir"
        # shellcheck disable=SC2086
        if ! command -v npm >/dev/null \
            || ! (cd "$dir" && npm install --no-audit --no-fund --prefix . \
                  $OPENAPI_LINTERS) >"$dir/install.log" 2>&1; then
            say "OpenAPI lint skipped: npm could not install $OPENAPI_LINTERS (see $dir/install.log)"
            return 0
        fi
        echo "$OPENAPI_LINTERS" > "$dir/pinned"
    fi
    problems=$(cd "$ROOT" && {
        REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
            "$dir/node_modules/.bin/redocly" lint docs/openapi.yaml \
            --extends recommended --format stylish 2>&1
        "$dir/node_modules/.bin/spectral" lint docs/openapi.yaml \
            --fail-severity warn 2>&1
    } | grep -E '^ *[0-9]+:[0-9]+ +(error|warning) ' || true)
    if [ -n "$problems" ]; then
        say "docs/openapi.yaml: $(echo "$problems" | wc -l) problems"
        echo "$problems" >&2
        return 1
    fi
    say "docs/openapi.yaml: Redocly (recommended) and Spectral (oas) find nothing"
}

cmd_test() {
    local asan=0 rc=0
    [ "${1:-}" = "--asan" ] && asan=1
    cmd_deps
    # the shipped module too: shipped.t and the benches' checks load it
    cmd_build
    if [ $asan -eq 1 ]; then
        cmd_build --asan
        export NORTH_MODULE=$BUILD/ngx_http_north_module.asan.so
        rm -f "$ROOT"/t/asan.log*
        # nginx itself is not instrumented: preload the runtime into it
        export NORTH_LD_PRELOAD; NORTH_LD_PRELOAD=$(gcc -print-file-name=libasan.so)
        export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:log_path=$ROOT/t/asan.log}
    else
        cmd_build --test
        export NORTH_MODULE=$BUILD/ngx_http_north_module.test.so
    fi
    cmd_unit
    export TEST_NGINX_BINARY=${TEST_NGINX_BINARY:-/usr/sbin/nginx}
    cmd_lint_openapi || rc=1
    # the suites' own stack, apart from the one `up` runs (NORTH_TEST_* move
    # it: two checkouts can run their suites side by side)
    export NORTH_VAR=${NORTH_TEST_VAR:-$ROOT/t/var} \
        NORTH_PG_PORT=${NORTH_TEST_PG_PORT:-15433} \
        NORTH_REDIS_PORT=${NORTH_TEST_REDIS_PORT:-16380} \
        NORTH_PLAID_SIM_PORT=${NORTH_TEST_PLAID_SIM_PORT:-18090} \
        NORTH_FCM_SIM_PORT=${NORTH_TEST_FCM_SIM_PORT:-18092}
    # every run starts from an empty database: no state of an earlier run
    "$0" pg-start
    "$0" psql-admin -d postgres -c "drop database if exists north" >/dev/null
    # the test stack nginx's audit spool and checkpoints were of that database
    rm -rf "$NORTH_VAR/nginx/logs/audit-spool"
    "$0" stack-up
    (cd "$ROOT" && prove -v -I t/lib -r t/ >"$NORTH_VAR/prove.log" 2>&1) || rc=$?
    test_report "$NORTH_VAR/prove.log"
    "$0" stack-down || true
    if [ $asan -eq 1 ] && ls "$ROOT"/t/asan.log* >/dev/null 2>&1; then
        cat "$ROOT"/t/asan.log*; rc=1
    fi
    return $rc
}

case "${1:-}" in
    deps)        shift; cmd_deps "$@" ;;
    build)       shift; cmd_build "$@" ;;
    up)          cmd_up ;;
    down)        cmd_down ;;
    reload)      cmd_reload ;;
    migrate)     cmd_migrate ;;
    audit-verify) shift; cmd_audit_verify "$@" ;;
    psql-admin)  shift; load_env; psql_admin -d north "$@" ;;
    check)       cmd_check ;;
    test)        shift; cmd_test "$@" ;;
    lint-openapi) cmd_lint_openapi ;;
    unit)        cmd_unit ;;
    catalog)     cmd_catalog ;;
    stack-up)    cmd_stack_up ;;
    stack-down)  cmd_stack_down ;;
    env)         load_env; echo "DATABASE_URL=$DATABASE_URL"; echo "REDIS_URL=$REDIS_URL"
                 echo "DATABASE_OWNER_URL=$DATABASE_OWNER_URL"; echo "AUDIT_CHAIN_KEY=$AUDIT_CHAIN_KEY"
                 echo "PLAID_CLIENT_ID=$PLAID_CLIENT_ID"; echo "PLAID_SECRET=$PLAID_SECRET"
                 echo "MAIL_URL=$MAIL_URL"; echo "MAIL_API_KEY=$MAIL_API_KEY"
                 echo "FCM_CREDENTIALS=$FCM_CREDENTIALS"; echo "FCM_URL=$FCM_URL"
                 echo "FCM_CA=$FCM_CA" ;;
    plaid-sim-start) cmd_plaid_sim_start ;;
    plaid-sim-stop)  sim_stop plaid-sim ;;
    fcm-sim-start) cmd_fcm_sim_start ;;
    fcm-sim-stop)  sim_stop fcm-sim ;;
    pg-start)    cmd_pg_start ;;
    pg-stop)     cmd_pg_stop ;;
    redis-start) cmd_redis_start ;;
    redis-stop)  cmd_redis_stop ;;
    *)           sed -n '2,5p' "$0"; exit 2 ;;
esac
