# Shared by the benches: the stack, the shipped rate-limit zones opened
# wide, and the check of a bench's nginx configuration. Sourced with ROOT
# set to the project's root.

export NORTH_VAR=${BENCH_VAR:-$ROOT/bench/var} \
    NORTH_PG_PORT=${BENCH_PG_PORT:-15434} NORTH_REDIS_PORT=${BENCH_REDIS_PORT:-16381} \
    NORTH_PLAID_SIM_PORT=${BENCH_PLAID_SIM_PORT:-18091} \
    NORTH_FCM_SIM_PORT=${BENCH_FCM_SIM_PORT:-18093}
MODULE=${NORTH_MODULE:-$ROOT/build/ngx_http_north_module.so}

# Builds the module, brings the bench's own stack up and exports its
# environment. Skipped when BENCH_CONFIG_TEST is set (t/bench.t): then the
# caller's environment names the data stores.
bench_stack() {
    [ -n "${BENCH_CONFIG_TEST:-}" ] && return 0
    "$ROOT/build.sh" build >/dev/null
    "$ROOT/build.sh" stack-up >/dev/null
    local k v   # values hold "?" and "&" (a socket's URL): never eval them
    while IFS='=' read -r k v; do export "$k=$v"; done < <("$ROOT/build.sh" env)
}

# The shipped zones (nginx.conf.d/north-limits.conf), every one of them, with
# rates a benchmark never reaches: a zone added to the shipped routes is
# declared here too.
bench_zones() {
    sed -E 's/rate=[0-9]+r\/[sm]/rate=1000000r\/s/; s/burst=[0-9]+/burst=1000000/' \
        "$ROOT/nginx.conf.d/north-limits.conf"
}

# The stack's mail relay (the simulator's, build.sh env): main-context
# lines, then http-context lines, for a bench's nginx.conf.
bench_mail_env() { printf 'env MAIL_URL;\nenv MAIL_API_KEY;\n'; }
bench_mail() { printf '    north_mail_url env=MAIL_URL;\n    north_mail_key env=MAIL_API_KEY;\n'; }

# Registers e-mail $1 (password $2, consents $3 as a JSON list) through the
# bench's nginx on $PORT, as the app does: the code mailed to the address,
# read back from the simulated relay, then /v1/auth/register/verify. Prints
# the access token.
bench_register() {
    local code n
    bench_mails() {
        curl -s -X POST -H 'Content-Type: application/json' -d "{\"to\":\"$1\"}" \
            "http://127.0.0.1:$NORTH_PLAID_SIM_PORT/__sim/mail" \
            | grep -o ': [0-9]\{6\}\\n' | tr -dc '0-9\n'
    }
    n=$(bench_mails "$1" | wc -l)
    curl -s -o /dev/null -H 'Content-Type: application/json' \
        -d "{\"email\":\"$1\",\"password\":\"$2\",\"consents\":$3}" \
        "http://127.0.0.1:$PORT/v1/auth/register"
    for _ in $(seq 100); do
        code=$(bench_mails "$1" | sed -n "$((n + 1))p")
        [ -n "$code" ] && break
        sleep 0.1
    done
    curl -s -H 'Content-Type: application/json' \
        -d "{\"email\":\"$1\",\"code\":\"$code\"}" \
        "http://127.0.0.1:$PORT/v1/auth/register/verify" \
        | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p'
}

# nginx -t on the configuration under prefix $1; with BENCH_CONFIG_TEST set,
# the bench ends there.
bench_config_check() {
    nginx -t -q -p "$1/" -c "$1/conf/nginx.conf" || exit 1
    if [ -n "${BENCH_CONFIG_TEST:-}" ]; then exit 0; fi
}

# A signed access token for user $1's session $2, of the key the benches
# configure (north_jwt_key kid=b1 ... secret=bench-secret-...).
BENCH_JWT_SECRET=bench-secret-0123456789abcdef0123456789
bench_token() {
    perl -MMIME::Base64 -MDigest::SHA=hmac_sha256 -e '
        sub b { (my $s = encode_base64($_[0], "")) =~ tr{+/}{-_}; $s =~ s/=+$//; $s }
        my $h = b(q({"alg":"HS256","typ":"JWT","kid":"b1"}));
        my $c = b(sprintf(q({"iss":"north","aud":"north-app","sub":"%s","sid":"%s","iat":%d,"exp":%d}),
                          $ARGV[0], $ARGV[1], time, time + 3600));
        print "$h.$c." . b(hmac_sha256("$h.$c", $ARGV[2]))' "$1" "$2" "$BENCH_JWT_SECRET"
}

# wrk on the bench's nginx ($PORT) with $token (none when empty): $1
# connections, URI $2, more wrk options after; prints: req/s p50_ms p99_ms
bench_wrk() {
    local c=$1 uri=$2 auth=()
    shift 2
    [ -n "${token:-}" ] && auth=(-H "Authorization: Bearer $token")
    wrk -t1 -c"$c" -d"$DURATION" --latency "${auth[@]}" "$@" \
        "http://127.0.0.1:$PORT$uri" \
        | awk 'function ms(v) { if (v ~ /us$/) { sub(/us/, "", v); return v / 1000 }
                                if (v ~ /ms$/) { sub(/ms/, "", v); return v }
                                sub(/s/, "", v); return v * 1000 }
               /Requests\/sec/ {rps=$2} /^ +50%/ {p50=ms($2)} /^ +99%/ {p99=ms($2)}
               END { printf "%s %s %s\n", rps, p50, p99 }'
}

# The median of SQL_RUNS runs of $1 through psql, as psql's \timing has it
# (a first round warms the caches).
bench_psql_median() {
    { echo '\timing on'; for _ in $(seq "$SQL_RUNS"); do echo "$1;"; done; } \
        | psql -X -q "$DATABASE_URL" 2>&1 >/dev/null | cat >/dev/null
    { echo '\timing on'; for _ in $(seq "$SQL_RUNS"); do echo "$1;"; done; } \
        | psql -X "$DATABASE_URL" 2>/dev/null \
        | awk '/^Time: / {print $2}' | sort -n \
        | awk '{v[NR]=$1} END {print v[int((NR + 1) / 2)]}'
}
