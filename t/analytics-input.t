# Bad input to the analytics service, as blocks: each request and its checks
# through the shipped routes, as a user of this file. Categorisation,
# spending, net worth and its history over a user's data, PostgreSQL down,
# and the shipped body limit (a block's server has the harness's own
# client_max_body_size), are in analytics.t.
use lib 't/lib';
use North::Test;
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_root_location();

run_tests();

__DATA__

=== TEST 1: spending for a bad period and a date that does not exist: each named
--- north_api
--- north_user: ines
--- request
GET /v1/analytics/spending?period=decade&date=2026-02-30
--- error_code: 400
--- response_headers
Content-Type: application/problem+json
--- response_body_like: "type":"https://north.ca/problems/validation-failed".*"errors":\[(?=.*"field":"date")(?=.*"field":"period")



=== TEST 2: a week of spending, today's week by default, for a user without data
--- north_api
--- north_user: ines
--- request
GET /v1/analytics/spending?period=week
--- response_body_like: ^\{(?=.*"period" ?: ?"week")(?=.*"spending_cents" ?: ?0\b)



=== TEST 3: net worth over a range it does not know
--- north_api
--- north_user: ines
--- request
GET /v1/analytics/net-worth?range=5y
--- error_code: 400
--- response_body_like: "errors":\[\{"field":"range"



=== TEST 4: a user without accounts is worth nothing, in CAD
--- north_api
--- north_user: ines
--- request
GET /v1/analytics/net-worth
--- response_body_like: ^\{(?=.*"net_worth" ?: ?0\b)(?=.*"currency" ?: ?"CAD")



=== TEST 5: no token: 401 on every analytics read
--- north_api
--- request eval
["GET /v1/analytics/net-worth", "GET /v1/analytics/spending",
 "GET /v1/analytics/manual-items", "GET /v1/categories"]
--- error_code eval
[401, 401, 401, 401]
--- response_body_like eval
[("\"type\":\"https://north.ca/problems/unauthorized\"") x 4]



=== TEST 6: a bad manual item: each field named, and nothing kept
--- north_api
--- north_user: ines
--- request eval
["POST /v1/analytics/manual-items\n"
 . '{"name": "", "type": "yacht", "value_cents": -5, "currency": "EUR", "extra": 1}',
 "GET /v1/analytics/manual-items"]
--- more_headers
Content-Type: application/json
--- error_code eval
[400, 200]
--- response_body_like eval
['"errors":\[(?=.*"field":"currency")(?=.*"field":"extra")(?=.*"field":"name")(?=.*"field":"type")(?=.*"field":"value_cents")',
 '^\{"items" ?: ?\[\]\}$']



=== TEST 7: an empty manual item: the required fields named, and only they
--- north_api
--- north_user: ines
--- request
POST /v1/analytics/manual-items
{}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "errors":\[(?=.*"field":"name")(?=.*"field":"type")(?=.*"field":"value_cents")(?!(?:[^\]]*"field"){4})



=== TEST 8: cents as a string
--- north_api
--- north_user: ines
--- request
POST /v1/analytics/manual-items
{"name": "x", "type": "cash", "value_cents": "5"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "errors":\[\{"field":"value_cents"[^\]]*\}\]



=== TEST 9: malformed JSON
--- north_api
--- north_user: ines
--- request
POST /v1/analytics/manual-items
{"name":
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "type":"https://north.ca/problems/invalid-json"



=== TEST 10: a malformed id is not found, in each method
--- north_api
--- north_user: ines
--- request eval
["GET /v1/analytics/manual-items/not-a-uuid",
 "PATCH /v1/analytics/manual-items/not-a-uuid\n{\"value_cents\": 1}",
 "DELETE /v1/analytics/manual-items/not-a-uuid"]
--- more_headers
Content-Type: application/json
--- error_code eval
[404, 404, 404]
--- response_body_like eval
[("\"type\":\"https://north.ca/problems/not-found\"") x 3]



=== TEST 11: the category tree in French
--- north_api
--- north_user: ines
--- request
GET /v1/categories
--- more_headers
Accept-Language: fr-CA
--- response_body_like: "id" ?: ?"groceries", ?"name" ?: ?"Épicerie"



=== TEST 12: a rule of no one's cannot be deleted
--- north_api
--- north_user: ines
--- request
DELETE /v1/categories/rules/00000000-0000-4000-8000-000000000000
--- error_code: 404
--- response_body_like: "type":"https://north.ca/problems/not-found"
