# Shared by the benches: the stack, the shipped rate-limit zones opened
# wide, and the check of a bench's nginx configuration. Sourced with ROOT
# set to the project's root.

export NORTH_VAR=${BENCH_VAR:-$ROOT/bench/var} NORTH_PG_PORT=55434 \
    NORTH_REDIS_PORT=56381 NORTH_PLAID_SIM_PORT=18091
MODULE=${NORTH_MODULE:-$ROOT/build/ngx_http_north_module.so}

# Builds the module, brings the bench's own stack up and exports its
# environment. Skipped when BENCH_CONFIG_TEST is set (t/bench.t): then the
# caller's environment names the data stores.
bench_stack() {
    [ -n "${BENCH_CONFIG_TEST:-}" ] && return 0
    "$ROOT/build.sh" build >/dev/null
    "$ROOT/build.sh" stack-up >/dev/null
    eval "$("$ROOT/build.sh" env | sed 's/^/export /')"
}

# The shipped zones (nginx.conf.d/north-limits.conf), every one of them, with
# rates a benchmark never reaches: a zone added to the shipped routes is
# declared here too.
bench_zones() {
    sed -E 's/rate=[0-9]+r\/[sm]/rate=1000000r\/s/; s/burst=[0-9]+/burst=1000000/' \
        "$ROOT/nginx.conf.d/north-limits.conf"
}

# nginx -t on the configuration under prefix $1; with BENCH_CONFIG_TEST set,
# the bench ends there.
bench_config_check() {
    nginx -t -q -p "$1/" -c "$1/conf/nginx.conf" || exit 1
    if [ -n "${BENCH_CONFIG_TEST:-}" ]; then exit 0; fi
}
