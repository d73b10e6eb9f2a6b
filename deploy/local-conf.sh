# The machine's part of nginx's configuration: the local-*.conf files that
# nginx.conf.d/nginx.conf includes, the service's environment file
# conf/north.env (north_env_file) and a self-signed certificate when none is
# there. Sourced by build.sh (the local stack) and by the container's
# entrypoint (deploy/entrypoint.sh), so both write the same files from:
#   NORTH_MODULE_SO                        the module's path
#   LISTEN_ADDR, HTTP_PORT, HTTPS_PORT     where nginx listens
#   PUBLIC_ORIGIN                          the https origin HTTP redirects to
#   PLAID_WEBHOOK                          the URL Plaid's webhooks come to
#   PLAID_BASE_URL, FETCH_CA               optional: Plaid's API address, and
#                                          a CA file for outbound TLS (the
#                                          simulators')
#   FCM_CREDENTIALS, FCM_URL               the Firebase service account, FCM
#   REDIS_CA                               optional: the CAs of a rediss://
#                                          server (else the system's)
#   NORTH_RESOLVER                         optional: the DNS server the data
#                                          stores' names are asked of again
#                                          after a failed link (fail-over)
#   NORTH_PROXY_PROTOCOL, NORTH_TRUSTED_PROXIES   behind a load balancer
#   NORTH_LOG_FORMAT                       text (default) or json: the form of
#                                          logs/access.log's lines
#   SENTRY_DSN, NORTH_ENVIRONMENT          optional: error events to that
#                                          Sentry project, named with that
#                                          environment (production)
# and, for north.env, the variables nginx.conf passes on (env NAME;).

north_local_conf() {   # CONF_DIR NGINX_CONF_D
    local conf=$1 shipped=$2 v pp=""
    mkdir -p "$conf/tls"
    # the service's environment: what nginx.conf names, for every nginx that
    # parses the configuration (an operator's nginx -t too); 0600
    ( umask 077
      for v in $(sed -n 's/^env \([A-Z_]*\);$/\1/p' "$shipped/nginx.conf"); do
          [ -z "${!v:-}" ] || printf '%s=%s\n' "$v" "${!v}"
      done > "$conf/north.env.new" )
    mv -f "$conf/north.env.new" "$conf/north.env"
    echo "load_module $NORTH_MODULE_SO;" > "$conf/local-module.conf"
    # behind an NLB: the PROXY protocol on both listeners
    [ "${NORTH_PROXY_PROTOCOL:-off}" = on ] && pp=" proxy_protocol"
    echo "listen $LISTEN_ADDR:$HTTP_PORT$pp;" > "$conf/local-listen-http.conf"
    echo "listen $LISTEN_ADDR:$HTTPS_PORT ssl http2$pp;" > "$conf/local-listen-https.conf"
    {
        echo "map \$host \$north_public_origin { default $PUBLIC_ORIGIN; }"
        north_realip_conf "$pp"
        # buffered: a write(2) a request cost the mix 14 % (bench/observe)
        case "${NORTH_LOG_FORMAT:-text}" in
            text) echo "access_log logs/access.log north buffer=64k flush=1s;" ;;
            json) echo "access_log logs/access.log north_json buffer=64k flush=1s;" ;;
            *)    echo "north: NORTH_LOG_FORMAT is text or json, not $NORTH_LOG_FORMAT" >&2
                  return 1 ;;
        esac
        echo "north_plaid_webhook $PLAID_WEBHOOK;"
        [ -z "${PLAID_BASE_URL:-}" ] || echo "north_plaid_base_url $PLAID_BASE_URL;"
        printf 'north_fcm_credentials %s;\nnorth_fcm_url %s;\n' "$FCM_CREDENTIALS" "$FCM_URL"
        [ -z "${FETCH_CA:-}" ] || echo "north_fetch_ca $FETCH_CA;"
        [ -z "${REDIS_CA:-}" ] || echo "north_redis_ca $REDIS_CA;"
        [ -z "${NORTH_RESOLVER:-}" ] || echo "resolver $NORTH_RESOLVER valid=5s;"
        [ -z "${SENTRY_DSN:-}" ] \
            || echo "north_sentry dsn=env=SENTRY_DSN environment=${NORTH_ENVIRONMENT:-production};"
    } > "$conf/local-http.conf"
    if [ ! -f "$conf/tls/server.crt" ]; then
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
            -nodes -days 825 -subj "/CN=localhost" \
            -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
            -keyout "$conf/tls/server.key" -out "$conf/tls/server.crt" 2>/dev/null
        chmod 600 "$conf/tls/server.key"
    fi
}

# The client's address as the load balancer names it, for the limiter and
# the audit log: taken only from the proxies NORTH_TRUSTED_PROXIES lists
# (addresses or CIDRs, e.g. the VPC's range), from the PROXY protocol's
# line when it is on, else from X-Forwarded-For (an ALB; the last address
# no trusted proxy added). Nothing listed: the connection's address.
north_realip_conf() {   # " proxy_protocol" or ""
    local from
    [ -n "${NORTH_TRUSTED_PROXIES:-}" ] || return 0
    for from in ${NORTH_TRUSTED_PROXIES//,/ }; do echo "set_real_ip_from $from;"; done
    if [ -n "$1" ]; then
        echo "real_ip_header proxy_protocol;"
    else
        printf 'real_ip_header X-Forwarded-For;\nreal_ip_recursive on;\n'
    fi
}
