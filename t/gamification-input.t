# Bad input to the gamification service, as blocks: each request and its
# checks through the shipped routes, as a user of this file. The flows
# (events, awards, streaks, replays, PostgreSQL down) are in
# gamification.t; the arithmetic in gamification-rules.t.
use lib 't/lib';
use North::Test;
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_root_location();

run_tests();

__DATA__

=== TEST 1: a check-in that names its own day: the member named
--- north_api
--- north_user: gil
--- request
POST /v1/gamification/check-in
{"day": "2020-01-01", "points": 1000}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "errors":\[(?=.*"field":"day")(?=.*"field":"points")



=== TEST 2: a check-in of malformed JSON
--- north_api
--- north_user: gil
--- request
POST /v1/gamification/check-in
{"day":
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "type":"https://north.ca/problems/invalid-json"



=== TEST 3: a check-in of another type than JSON
--- north_api
--- north_user: gil
--- request
POST /v1/gamification/check-in
day=2020-01-01
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 415
--- response_body_like: "type":"https://north.ca/problems/unsupported-media-type"



=== TEST 4: none of those checked in
--- north_api
--- north_user: gil
--- request
GET /v1/gamification
--- response_body_like: ^\{"points" ?: ?0,



=== TEST 5: a check-in without a token
--- north_api
--- request
POST /v1/gamification/check-in
--- error_code: 401
--- response_body_like: "type":"https://north.ca/problems/unauthorized"



=== TEST 6: the ledger without a token
--- north_api
--- request
GET /v1/gamification/ledger
--- error_code: 401
--- response_body_like: "type":"https://north.ca/problems/unauthorized"



=== TEST 7: a ledger page of 0 and a cursor the list never gave
--- north_api
--- north_user: gil
--- request
GET /v1/gamification/ledger?limit=0&cursor=x1
--- error_code: 400
--- response_body_like: "errors":\[(?=.*"field":"cursor")(?=.*"field":"limit")



=== TEST 8: the same in French
--- north_api
--- north_user: gil
--- request
GET /v1/gamification/ledger?limit=1000
--- more_headers
Accept-Language: fr-CA
--- error_code: 400
--- response_body_like: doit être entre 1 et 100



=== TEST 9: the achievements, in French, none earned
--- north_api
--- north_user: gil
--- request
GET /v1/gamification/achievements
--- more_headers
Accept-Language: fr-CA
--- response_body_like: "name" ?: ?"Série de 7 jours".*"earned" ?: ?false



=== TEST 10: a check-in, then the summary counts it
--- north_api
--- north_user: gil
--- request eval
["POST /v1/gamification/check-in", "GET /v1/gamification"]
--- error_code eval
[201, 200]
--- response_body_like eval
['"already_checked_in" ?: ?false', '^\{"points" ?: ?10,']
