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

# psql on the bench's database: quiet, tuples only, stops at an error
psql_q() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -tA -v ON_ERROR_STOP=1 "$DATABASE_URL" "$@"; }

# The heavy user of the analytics benches, made anew under e-mail $1: 12
# accounts at 4 institutions, N transactions (BENCH_TRANSACTIONS, 100,000
# by default) over 5 years, a balance snapshot a day for each account. Sets
# user and sid (a session).
bench_heavy_user() {
local N=${BENCH_TRANSACTIONS:-100000} from to acct
user=$(psql_q <<SQL
delete from north.users where email = '$1';
insert into north.users (email, password_hash, province)
values ('$1', 'x', 'ON') returning id;
SQL
)
sid=$(psql_q -c "insert into north.sessions (user_id, auth_method)
                 values ('$user', 'password') returning id")
psql_q >/dev/null <<SQL
select north.fx_rate_set('USD', 1.3950, current_date - 1, 'bench');

insert into north.plaid_items (user_id, plaid_item_id, institution_id,
    institution_name, access_token, token_key_id)
select '$user', 'bench-' || g || '-' || gen_random_uuid(), 'ins_' || g,
       'Bench Bank ' || g, 'sealed', 'k'
from generate_series(1, 4) g;

insert into north.accounts (user_id, item_id, plaid_account_id, name, type,
    subtype, currency, balance_cents)
select '$user', (select id from north.plaid_items where user_id = '$user'
                 order by institution_id offset (a.n - 1) / 3 limit 1),
       'acct-' || a.n, a.name, a.type, a.subtype, a.currency, a.balance
from (values (1, 'Chequing', 'depository', 'checking', 'CAD', 420000),
             (2, 'Savings', 'depository', 'savings', 'CAD', 1500000),
             (3, 'Visa', 'credit', 'credit card', 'CAD', 180000),
             (4, 'Joint chequing', 'depository', 'checking', 'CAD', 230000),
             (5, 'RRSP', 'investment', 'rrsp', 'CAD', 4500000),
             (6, 'TFSA', 'investment', 'tfsa', 'CAD', 3100000),
             (7, 'USD chequing', 'depository', 'checking', 'USD', 90000),
             (8, 'Mastercard', 'credit', 'credit card', 'CAD', 60000),
             (9, 'Car loan', 'loan', 'auto', 'CAD', 1400000),
             (10, 'FHSA', 'investment', 'fhsa', 'CAD', 800000),
             (11, 'Line of credit', 'loan', 'line of credit', 'CAD', 500000),
             (12, 'High interest', 'depository', 'savings', 'CAD', 2200000))
     as a(n, name, type, subtype, currency, balance);

SQL

# in chunks, each analysed: the categorising trigger's plans are made for
# the table as it is, and a single statement would plan them for it empty
for ((from = 1; from <= N; from += 10000)); do
    to=$((from + 9999 < N ? from + 9999 : N))
    psql_q -v ON_ERROR_STOP=1 >/dev/null <<SQL
insert into north.transactions (user_id, account_id, item_id,
    plaid_transaction_id, amount_cents, currency, date, name, merchant_name,
    pfc_primary, pfc_detailed)
select '$user', a.id, a.item_id, 'bench-' || g,
       case when g % 31 = 0 then 310000 else -(g * 7919 % 20000 + 100) end,
       a.currency, current_date - (g % 1826),
       m.name || ' #' || (g % 997), m.merchant, m.pfc, m.pfc_detailed
from generate_series($from, $to) g
join lateral (select * from north.accounts
              where user_id = '$user' and type in ('depository', 'credit')
              order by plaid_account_id
              offset g % 7 limit 1) a on true
join lateral (select * from (values
        (0, 'TIM HORTONS', 'Tim Hortons', 'FOOD_AND_DRINK', 'FOOD_AND_DRINK_COFFEE'),
        (1, 'LOBLAWS', 'Loblaws', 'FOOD_AND_DRINK', 'FOOD_AND_DRINK_GROCERIES'),
        (2, 'METRO', 'Metro', 'FOOD_AND_DRINK', 'FOOD_AND_DRINK_GROCERIES'),
        (3, 'PETRO-CANADA', 'Petro-Canada', 'TRANSPORTATION', 'TRANSPORTATION_GAS'),
        (4, 'PRESTO FARE', null, 'TRANSPORTATION', 'TRANSPORTATION_PUBLIC_TRANSIT'),
        (5, 'HYDRO ONE', 'Hydro One', 'RENT_AND_UTILITIES', 'RENT_AND_UTILITIES_GAS_AND_ELECTRICITY'),
        (6, 'ROGERS', 'Rogers', 'RENT_AND_UTILITIES', 'RENT_AND_UTILITIES_TELEPHONE'),
        (7, 'SHOPPERS DRUG MART', 'Shoppers Drug Mart', 'MEDICAL', 'MEDICAL_PHARMACIES_AND_SUPPLEMENTS'),
        (8, 'CANADIAN TIRE', 'Canadian Tire', 'GENERAL_MERCHANDISE', 'GENERAL_MERCHANDISE_OTHER'),
        (9, 'RESTO CHEZ LUC', null, 'FOOD_AND_DRINK', 'FOOD_AND_DRINK_RESTAURANT'),
        (10, 'NETFLIX.COM', 'Netflix', 'ENTERTAINMENT', 'ENTERTAINMENT_TV_AND_MOVIES'),
        (11, 'SAQ', 'SAQ', 'FOOD_AND_DRINK', 'FOOD_AND_DRINK_BEER_WINE_AND_LIQUOR'),
        (12, 'AMAZON.CA', 'Amazon', 'GENERAL_MERCHANDISE', 'GENERAL_MERCHANDISE_ONLINE_MARKETPLACES'),
        (13, 'LOCAL SHOP', null, null, null),
        (14, 'PAYROLL DEPOSIT', null, 'INCOME', 'INCOME_WAGES'),
        (15, 'CINEPLEX', 'Cineplex', 'ENTERTAINMENT', 'ENTERTAINMENT_TV_AND_MOVIES'))
        as m(n, name, merchant, pfc, pfc_detailed)
        where m.n = case when g % 31 = 0 then 14 else g % 16 end) m on true;
analyze north.transactions;
SQL
done

# a snapshot a day for 5 years, each account's balance wandering; an
# account at a time, analysed between, for the same reason
for acct in $(psql_q -c "select id from north.accounts where user_id = '$user'"); do
    psql_q >/dev/null <<SQL
insert into north.balance_snapshots (source_id, day, user_id, account_id,
    liability, cents, currency)
select a.id, current_date - d, a.user_id, a.id,
       north.account_is_liability(a.type),
       (case when north.account_is_liability(a.type) then -1 else 1 end)
       * greatest(0, a.balance_cents - d * (a.balance_cents / 2000)
                     + (d * 7919 % 5000)),
       a.currency
from north.accounts a cross join generate_series(1, 1825) d
where a.id = '$acct'
on conflict (source_id, day) do nothing;
analyze north.balance_snapshots;
SQL
done
psql_q -c "vacuum analyze north.transactions" -c "vacuum analyze north.balance_snapshots" >/dev/null

printf 'user: %s transactions, %s snapshots, %s accounts\n' \
    "$(psql_q -c "select count(*) from north.transactions where user_id = '$user'")" \
    "$(psql_q -c "select count(*) from north.balance_snapshots where user_id = '$user'")" \
    "$(psql_q -c "select count(*) from north.accounts where user_id = '$user'")"

}
