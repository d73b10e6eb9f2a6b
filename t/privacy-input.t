# Bad input to the privacy endpoints (consents, requests, access log,
# export), as blocks: each request and its checks through the shipped
# routes. The flows (withdrawals that hold, paging, deadlines, the export's
# content, PostgreSQL down) are in privacy.t.
use lib 't/lib';
use North::Test;
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_root_location();

run_tests();

__DATA__

=== TEST 1: a consent to an unknown purpose
--- north_api
--- north_user: paul
--- request
PUT /v1/privacy/consents/spam
{"granted": true}
--- more_headers
Content-Type: application/json
--- error_code: 404
--- response_body_like: "type":"https://north.ca/problems/not-found"



=== TEST 2: a consent to a long unknown purpose
--- north_api
--- north_user: paul
--- request
PUT /v1/privacy/consents/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
{"granted": true}
--- more_headers
Content-Type: application/json
--- error_code: 404
--- response_body_like: "type":"https://north.ca/problems/not-found"



=== TEST 3: granted as a string: names granted
--- north_api
--- north_user: paul
--- request
PUT /v1/privacy/consents/analytics
{"granted": "yes"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "errors":\[\{"field":"granted"[^\]]*\}\]



=== TEST 4: an unknown field and no granted: both named
--- north_api
--- north_user: paul
--- request
PUT /v1/privacy/consents/analytics
{"on": true}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: ^(?=.*"field":"granted")(?=.*"field":"on")



=== TEST 5: a consent in malformed JSON
--- north_api
--- north_user: paul
--- request
PUT /v1/privacy/consents/analytics
{
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "type":"https://north.ca/problems/invalid-json"



=== TEST 6: a consent without a token
--- north_api
--- request
PUT /v1/privacy/consents/analytics
{"granted": true}
--- more_headers
Content-Type: application/json
--- error_code: 401
--- response_body_like: "type":"https://north.ca/problems/unauthorized"



=== TEST 7: the consents without a token
--- north_api
--- request
GET /v1/privacy/consents
--- error_code: 401
--- response_body_like: "type":"https://north.ca/problems/unauthorized"



=== TEST 8: requests with a bad limit and cursor: both named
--- north_api
--- north_user: paul
--- request
GET /v1/privacy/requests?limit=0&cursor=nope
--- error_code: 400
--- response_body_like: ^(?=.*"field":"cursor")(?=.*"field":"limit")



=== TEST 9: a bad request: each field named
--- north_api
--- north_user: paul
--- request
POST /v1/privacy/requests
{"kind": "complaint", "details": 42, "x": 1}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: ^(?=.*"field":"details")(?=.*"field":"kind")(?=.*"field":"x")



=== TEST 10: details over 4000 characters
--- north_api
--- north_user: paul
--- request eval
"POST /v1/privacy/requests\n" . '{"kind": "access", "details": "' . ('x' x 4001) . '"}'
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "errors":\[\{"field":"details"[^\]]*\}\]



=== TEST 11: the access log with a bad limit and cursor: both named
--- north_api
--- north_user: paul
--- request
GET /v1/privacy/access-log?limit=1000&cursor=-1
--- error_code: 400
--- response_body_like: ^(?=.*"field":"cursor")(?=.*"field":"limit")



=== TEST 12: the access log without a token
--- north_api
--- request
GET /v1/privacy/access-log
--- error_code: 401
--- response_body_like: "type":"https://north.ca/problems/unauthorized"



=== TEST 13: an export without a token
--- north_api
--- request
POST /v1/privacy/export
--- error_code: 401
--- response_body_like: "type":"https://north.ca/problems/unauthorized"



=== TEST 14: an export with GET
--- north_api
--- north_user: paul
--- request
GET /v1/privacy/export
--- error_code: 405
--- response_body_like: "type":"https://north.ca/problems/method-not-allowed"
