# Bad input to the goals service, as blocks: each request and its checks
# through the shipped routes, as a user of this file. The flows (progress,
# contributions, other users' goals, PostgreSQL down) are in goals.t.
use lib 't/lib';
use North::Test;
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_root_location();

run_tests();

__DATA__

=== TEST 1: a bad goal: each field named
--- north_api
--- north_user: ana
--- request
POST /v1/goals
{"name": "", "kind": "lottery", "purpose": "yacht", "target_cents": 0,
 "target_date": "2026-02-30", "account_id": "x", "extra": 1}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: ^(?=.*"field":"account_id")(?=.*"field":"extra")(?=.*"field":"kind")(?=.*"field":"name")(?=.*"field":"purpose")(?=.*"field":"target_cents")(?=.*"field":"target_date")



=== TEST 2: an empty goal: the required fields named, and only they
--- north_api
--- north_user: ana
--- request
POST /v1/goals
{}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "errors":\[(?=.*"field":"kind")(?=.*"field":"name")(?=.*"field":"target_cents")(?!(?:[^\]]*"field"){4})



=== TEST 3: cents as a string
--- north_api
--- north_user: ana
--- request
POST /v1/goals
{"name": "x", "kind": "savings", "target_cents": "100"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "errors":\[\{"field":"target_cents"[^\]]*\}\]



=== TEST 4: cents past a trillion dollars
--- north_api
--- north_user: ana
--- request
POST /v1/goals
{"name": "x", "kind": "savings", "target_cents": 1000000000000000}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "errors":\[\{"field":"target_cents"[^\]]*\}\]



=== TEST 5: malformed JSON
--- north_api
--- north_user: ana
--- request
POST /v1/goals
[1,
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "type":"https://north.ca/problems/invalid-json"



=== TEST 6: no token
--- north_api
--- request
GET /v1/goals
--- error_code: 401
--- response_body_like: "type":"https://north.ca/problems/unauthorized"



=== TEST 7: none of those goals was kept
--- north_api
--- north_user: ana
--- request
GET /v1/goals
--- response_body_like: ^\{"goals" ?: ?\[\]
