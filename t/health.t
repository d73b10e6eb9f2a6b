# Health and readiness, including PostgreSQL and Redis going away and
# coming back while nginx keeps running.
use lib 't/lib';
use North::Test;
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: healthz answers without touching any dependency
--- http_config
north_database "host=127.0.0.1 port=1 dbname=none";
north_redis redis://127.0.0.1:1;
--- config
location = /healthz { north_api health.live; }
--- request
GET /healthz
--- response_headers
Content-Type: application/json
Cache-Control: no-store
--- response_body chomp
{"status":"ok"}
--- no_error_log
[alert]
[crit]



=== TEST 2: readyz makes a round trip to PostgreSQL and Redis
--- config
location = /readyz { north_api health.ready; }
--- request
GET /readyz
--- response_body chomp
{"status":"ready","checks":{"postgresql":"ok","redis":"ok"}}
--- no_error_log
[error]
[alert]



=== TEST 3: readyz is 503 naming PostgreSQL when it is down
--- init
North::Test::north_stack('pg-stop');
--- config
location = /readyz { north_api health.ready; }
--- request
GET /readyz
--- error_code: 503
--- response_headers
Content-Type: application/problem+json
Retry-After: 1
Cache-Control: no-store
--- response_body_like: ^\{"type":"https://north.ca/problems/not-ready","title":"Not ready","status":503,"instance":"[0-9a-f]{32}","detail":"postgresql: the database is unavailable"\}$
--- no_error_log
[alert]
[crit]



=== TEST 4: readyz is 503 naming Redis when it is down
--- init
North::Test::north_stack('pg-start');
North::Test::north_stack('redis-stop');
North::Test::wait_answer('/readyz', qr/"detail":"redis: redis is unavailable"/);
--- config
location = /readyz { north_api health.ready; }
--- request
GET /readyz
--- error_code: 503
--- response_body_like: "detail":"redis: redis is unavailable"
--- no_error_log
[alert]
[crit]



=== TEST 5: readyz names both when both are down
--- init
North::Test::north_stack('pg-stop');
North::Test::north_stack('redis-stop');
--- config
location = /readyz { north_api health.ready; }
--- request
GET /readyz
--- error_code: 503
--- response_body_like: "detail":"postgresql: the database is unavailable; redis: redis is unavailable"
--- no_error_log
[alert]
[emerg]




=== TEST 6: back to ready once both return
--- init
North::Test::north_stack('pg-start');
North::Test::north_stack('redis-start');
North::Test::wait_answer('/readyz', 200);
--- config
location = /readyz { north_api health.ready; }
--- request
GET /readyz
--- response_body_like: "status":"ready"
--- no_error_log
[alert]
[emerg]

