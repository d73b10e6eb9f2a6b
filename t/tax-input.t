# Bad input to the tax service, as blocks: each request and its checks
# through the shipped routes, as a user of this file. The flows (room from
# the registered accounts, excesses, the estimate in every jurisdiction,
# PostgreSQL down) are in tax.t; the arithmetic in t/unit/test_tax.c.
use lib 't/lib';
use North::Test;
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_root_location();

run_tests();

__DATA__

=== TEST 1: a tax profile of wrong types and unknown members: each named
--- north_api
--- north_user: tess
--- request
PUT /v1/tax/profile
{"birth_year": "1985", "province": "ZZ", "salary": 1, "fhsa_opened_year": 2020}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "errors":\[(?=.*"field":"birth_year")(?=.*"field":"province")(?=.*"field":"salary")(?=.*"field":"fhsa_opened_year")



=== TEST 2: TFSA room without the year CRA gave it for
--- north_api
--- north_user: tess
--- request
PUT /v1/tax/profile
{"tfsa_room_cents": 700000}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "field":"tfsa_room_year","message":"is required with the other figure of its year"



=== TEST 3: a tax profile of malformed JSON
--- north_api
--- north_user: tess
--- request
PUT /v1/tax/profile
{"birth_year":
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "type":"https://north.ca/problems/invalid-json"



=== TEST 4: a tax profile as a form
--- north_api
--- north_user: tess
--- request
PUT /v1/tax/profile
birth_year=1985
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 415
--- response_body_like: "type":"https://north.ca/problems/unsupported-media-type"



=== TEST 5: none of that was kept
--- north_api
--- north_user: tess
--- request
GET /v1/tax/profile
--- response_body_like: "birth_year" ?: ?null



=== TEST 6: a summary of a year North has no figures for
--- north_api
--- north_user: tess
--- request
GET /v1/tax/summary?year=2019
--- error_code: 422
--- response_body_like: "type":"https://north.ca/problems/unsupported-year".*"detail":"North has the figures of 2025, 2026



=== TEST 7: a summary of a year that is not one
--- north_api
--- north_user: tess
--- request
GET /v1/tax/summary?year=next
--- error_code: 400
--- response_body_like: "field":"year"



=== TEST 8: an estimate without an amount, with a string income
--- north_api
--- north_user: tess
--- request
POST /v1/tax/rrsp-estimate
{"income_cents": "60000"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "errors":\[(?=.*"field":"amount_cents")(?=.*"field":"income_cents")



=== TEST 9: an estimate with no income anywhere
--- north_api
--- north_user: tess
--- request
POST /v1/tax/rrsp-estimate
{"amount_cents": 500000}
--- more_headers
Content-Type: application/json
--- error_code: 422
--- response_body_like: "type":"https://north.ca/problems/income-needed"



=== TEST 10: the summary without a token
--- north_api
--- request
GET /v1/tax/summary
--- error_code: 401
--- response_body_like: "type":"https://north.ca/problems/unauthorized"



=== TEST 11: the profile's DELETE is not a method it takes
--- north_api
--- north_user: tess
--- request
DELETE /v1/tax/profile
--- error_code: 405
--- response_headers
Allow: GET, HEAD, PUT
