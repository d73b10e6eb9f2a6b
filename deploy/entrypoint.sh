#!/usr/bin/env bash
# The container's entrypoint: North's nginx from the environment, as the
# task definition (ECS) or compose.yaml gives it.
#   entrypoint.sh [serve]   writes the configuration, tests it, runs nginx in
#                           the foreground (logs to stdout and stderr)
#   entrypoint.sh check     writes the configuration and runs nginx -t
#   entrypoint.sh migrate   applies the migrations as DATABASE_OWNER_URL
#   entrypoint.sh reload    nginx -s reload of the running nginx
# FCM_SERVICE_ACCOUNT, when set, is the service account key's JSON text,
# written to GOOGLE_APPLICATION_CREDENTIALS (0600). The image's layout: NORTH_HOME (/opt/north) holds nginx.conf.d/, sql/,
# deploy/, build.sh and the module; nginx runs under NORTH_PREFIX
# (/var/lib/north/nginx). Tested outside Docker by t/deploy.t.
set -euo pipefail

NORTH_HOME=${NORTH_HOME:-/opt/north}
NORTH_PREFIX=${NORTH_PREFIX:-/var/lib/north/nginx}
NGINX=${NGINX:-nginx}

# shellcheck source=deploy/local-conf.sh
. "$NORTH_HOME/deploy/local-conf.sh"

say() { printf '%s\n' "north: $*" >&2; }
die() { say "$*"; exit 1; }

# What a node cannot start without: every one missing is named at once.
require() {
    local v missing=()
    for v in "$@"; do [ -n "${!v:-}" ] || missing+=("$v"); done
    [ ${#missing[@]} -eq 0 ] || die "not set: ${missing[*]} (see docs/operations.md)"
}

configure() {
    require DATABASE_URL REDIS_URL JWT_SECRET DATA_ENCRYPTION_KEY AUDIT_CHAIN_KEY \
        PLAID_CLIENT_ID PLAID_SECRET MAIL_URL MAIL_API_KEY NORTH_PUBLIC_ORIGIN
    export DATA_REGION=${DATA_REGION:-ca-central-1}
    export PIPEDA_COMPLIANCE=${PIPEDA_COMPLIANCE:-true}
    export PLAID_ENV=${PLAID_ENV:-production}
    # shellcheck disable=SC2034 # read by north_local_conf
    NORTH_MODULE_SO=${NORTH_MODULE_SO:-$NORTH_HOME/ngx_http_north_module.so}
    LISTEN_ADDR=${NORTH_LISTEN_ADDR:-0.0.0.0}
    HTTP_PORT=${NORTH_HTTP_PORT:-8080}
    HTTPS_PORT=${NORTH_HTTPS_PORT:-8443}
    PUBLIC_ORIGIN=$NORTH_PUBLIC_ORIGIN
    PLAID_WEBHOOK=${PLAID_WEBHOOK:-$NORTH_PUBLIC_ORIGIN/v1/webhooks/plaid}
    PLAID_BASE_URL=${PLAID_BASE_URL:-}
    FETCH_CA=${FETCH_CA:-}
    FCM_CREDENTIALS=${GOOGLE_APPLICATION_CREDENTIALS:-/run/secrets/fcm-service-account.json}
    FCM_URL=${FCM_URL:-https://fcm.googleapis.com}
    # the key given as a secret's text (ECS): written where nginx reads it
    if [ -n "${FCM_SERVICE_ACCOUNT:-}" ]; then
        ( umask 077; printf '%s\n' "$FCM_SERVICE_ACCOUNT" > "$FCM_CREDENTIALS.new" )
        mv -f "$FCM_CREDENTIALS.new" "$FCM_CREDENTIALS"
    fi
    [ -r "$FCM_CREDENTIALS" ] \
        || die "the FCM service account $FCM_CREDENTIALS is not readable (GOOGLE_APPLICATION_CREDENTIALS)"

    mkdir -p "$NORTH_PREFIX/conf" "$NORTH_PREFIX/logs" "$NORTH_PREFIX/tmp"
    local f
    for f in "$NORTH_HOME"/nginx.conf.d/*; do ln -sfn "$f" "$NORTH_PREFIX/conf/"; done
    north_local_conf "$NORTH_PREFIX/conf" "$NORTH_HOME/nginx.conf.d"
    # the container's logs are its standard streams; the audit spool and
    # its checkpoints stay files under logs/ (a volume keeps them)
    ln -sfn /dev/stderr "$NORTH_PREFIX/logs/error.log"
    ln -sfn /dev/stdout "$NORTH_PREFIX/logs/access.log"
    ln -sfn /dev/stdout "$NORTH_PREFIX/logs/events.log"
}

# -e stderr: nothing is written to the image's default log path
nginx_cmd() { "$NGINX" -e stderr -p "$NORTH_PREFIX/" -c "$NORTH_PREFIX/conf/nginx.conf" "$@"; }

case "${1:-serve}" in
    serve)   configure; nginx_cmd -t -q; exec "$NGINX" -e stderr -p "$NORTH_PREFIX/" \
                 -c "$NORTH_PREFIX/conf/nginx.conf" -g 'daemon off;' ;;
    check)   configure; nginx_cmd -t ;;
    migrate) require DATABASE_URL DATABASE_OWNER_URL
             NORTH_VAR=${NORTH_VAR:-/tmp/north} exec "$NORTH_HOME/build.sh" migrate ;;
    reload)  nginx_cmd -s reload ;;
    *)       sed -n '4,8p' "$0" >&2; exit 2 ;;
esac
