# The PostgreSQL pool: per-query timeout and recovery after it.
use lib 't/lib';
use North::Test;
use Test::Nginx::Socket 'no_plan';

repeat_each(2);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: a query answers through the pool
--- config
location = /sleep { north_api selftest.sleep; }
--- request
GET /sleep?ms=5
--- response_body chomp
{"slept_ms":5}
--- no_error_log
[error]



=== TEST 2: a query that outlives the timeout is a 503 problem, not a hang
--- http_config
north_database_timeout 300ms;
--- config
location = /sleep { north_api selftest.sleep; }
--- request
GET /sleep?ms=2000
--- error_code: 503
--- response_headers
Content-Type: application/problem+json
Retry-After: 1
--- response_body_like: "type":"https://north.ca/problems/database-unavailable".*"detail":"the database did not answer in time"
--- error_log eval
qr/north pg: (query timed out failed|"north_selftest_sleep" stopped by statement_timeout)/



=== TEST 3: the pool serves again right after a timeout
--- http_config
north_database_timeout 300ms;
north_database_pool_size 1;
--- config
location = /sleep { north_api selftest.sleep; }
--- request eval
["GET /sleep?ms=2000", "GET /sleep?ms=10"]
--- error_code eval
[503, 200]
--- response_body_like eval
["did not answer in time", '^\{"slept_ms":10\}$']
--- no_error_log
[alert]
[emerg]




=== TEST 4: with the database unreachable, a query is a 503 at once
--- http_config
north_database "host=127.0.0.1 port=1 dbname=north connect_timeout=2";
--- config
location = /sleep { north_api selftest.sleep; }
--- request
GET /sleep?ms=1
--- error_code: 503
--- response_body_like: "detail":"the database is unavailable"
--- no_error_log
[alert]
[crit]



=== TEST 5: bad input to a handler is a 400 problem
--- config
location = /sleep { north_api selftest.sleep; }
--- request
GET /sleep?ms=abc
--- error_code: 400
--- response_body_like: "type":"https://north.ca/problems/validation-failed"
