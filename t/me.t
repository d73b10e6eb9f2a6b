# GET and PATCH /v1/me as blocks: a request and its checks each, through the
# shipped routes (--- north_api) as a user of this file (--- north_user).
# The flows that span requests (ETags, the e-mail change, the correction
# log, PostgreSQL down) are in users.t.
use lib 't/lib';
use North::Test;
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
# the shipped routes have a location / of their own
no_root_location();

# made before the blocks are read, so that their eval sections can name it
our $Jeanne = North::Test::block_user('jeanne');

run_tests();

__DATA__

=== TEST 1: GET /v1/me: the caller's profile, never its password hash
--- north_api
--- north_user: jeanne
--- request
GET /v1/me
--- response_headers_like
ETag: "[0-9a-f]{32}"
Cache-Control: no-store
--- response_body_like eval
qr/^\{(?=.*"id": ?"\Q$main::Jeanne->{id}\E")(?=.*"email": ?"\Q$main::Jeanne->{email}\E")(?!.*password)/s



=== TEST 2: GET without a token
--- north_api
--- request
GET /v1/me
--- error_code: 401
--- response_headers
Content-Type: application/problem+json
--- response_body_like: "type":"https://north.ca/problems/unauthorized"



=== TEST 3: GET with a token that is not one
--- north_api
--- request
GET /v1/me
--- more_headers
Authorization: Bearer not.a.token
--- error_code: 401
--- response_body_like: "type":"https://north.ca/problems/unauthorized"



=== TEST 4: POST is not a method of /v1/me
--- north_api
--- north_user: jeanne
--- request
POST /v1/me
{}
--- more_headers
Content-Type: application/json
--- error_code: 405
--- response_body_like: "type":"https://north.ca/problems/method-not-allowed"



=== TEST 5: PATCH with unknown fields: each named
--- north_api
--- north_user: jeanne
--- request
PATCH /v1/me
{"nickname": "x", "role": "admin"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: ^(?=.*validation-failed")(?=.*"field":"nickname")(?=.*"field":"role")



=== TEST 6: PATCH with every field invalid: every field named
--- north_api
--- north_user: jeanne
--- request
PATCH /v1/me
{"display_name": "", "time_zone": "EST", "birth_year": 1800, "annual_income_cents": -1,
 "employment_status": "astronaut", "province": "ZZ", "locale": "de-DE", "email": null}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: ^(?=.*"field":"display_name")(?=.*"field":"time_zone")(?=.*"field":"birth_year")(?=.*"field":"annual_income_cents")(?=.*"field":"employment_status")(?=.*"field":"province")(?=.*"field":"locale")(?=.*"field":"email")



=== TEST 7: PATCH with wrong types: each named
--- north_api
--- north_user: jeanne
--- request
PATCH /v1/me
{"display_name": 42, "birth_year": "1990", "annual_income_cents": 1.5, "time_zone": ["America/Toronto"]}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: ^(?=.*"field":"display_name")(?=.*"field":"birth_year")(?=.*"field":"annual_income_cents")(?=.*"field":"time_zone")



=== TEST 8: PATCH with a 101-character name
--- north_api
--- north_user: jeanne
--- request eval
"PATCH /v1/me\n" . '{"display_name": "' . ('x' x 101) . '"}'
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "errors":\[\{"field":"display_name"



=== TEST 9: PATCH with a zone PostgreSQL does not know
--- north_api
--- north_user: jeanne
--- request
PATCH /v1/me
{"time_zone": "America/Atlantis"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "errors":\[\{"field":"time_zone","message":"is not a time zone the server knows"\}\]



=== TEST 10: PATCH with malformed JSON
--- north_api
--- north_user: jeanne
--- request
PATCH /v1/me
{"display_name": 
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "type":"https://north.ca/problems/invalid-json"



=== TEST 11: PATCH with an array
--- north_api
--- north_user: jeanne
--- request
PATCH /v1/me
[]
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "type":"https://north.ca/problems/invalid-json"



=== TEST 12: PATCH with a form
--- north_api
--- north_user: jeanne
--- request
PATCH /v1/me
display_name=x
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 415
--- response_body_like: "type":"https://north.ca/problems/unsupported-media-type"



=== TEST 13: PATCH without a token
--- north_api
--- request
PATCH /v1/me
{"display_name": "x"}
--- more_headers
Content-Type: application/json
--- error_code: 401
--- response_body_like: "type":"https://north.ca/problems/unauthorized"



=== TEST 14: errors in French for fr-CA
--- north_api
--- north_user: jeanne
--- request
PATCH /v1/me
{"birth_year": "x"}
--- more_headers
Content-Type: application/json
Accept-Language: fr-CA
--- error_code: 400
--- response_headers
Content-Language: fr-CA
--- response_body_like: "message":"doit être un entier"
