# The JSON layer: bodies, validation, problem+json for our errors and for
# nginx's own, request ids.
use lib 't/lib';
use North::Test;
use Test::Nginx::Socket 'no_plan';

repeat_each(2);
no_shuffle();

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('config', <<'CONF') unless defined $block->config;
location = /echo {
    client_max_body_size 1k;
    client_body_buffer_size 1k;
    north_api selftest.echo;
}
location = /missing { return 404; }
error_page 400 404 405 413 500 502 503 @problem;
location @problem { north_api platform.error; }
CONF
});

run_tests();

__DATA__

=== TEST 1: a valid body is accepted and echoed
--- request
POST /echo
{"name": "Émilie", "email": "e@north.ca", "id": "123e4567-e89b-12d3-a456-426614174000", "kind": "savings", "count": 3}
--- more_headers
Content-Type: application/json; charset=utf-8
--- response_body_json_sort
--- response_body
{"count":3,"email":"e@north.ca","id":"123e4567-e89b-12d3-a456-426614174000","kind":"savings","name":"Émilie"}
--- response_headers
Content-Type: application/json
--- no_error_log
[error]



=== TEST 2: malformed JSON names the line and column
--- request
POST /echo
{"name": "x",
 "count": }
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_headers
Content-Type: application/problem+json
--- response_body_like: ^\{"type":"https://north.ca/problems/invalid-json","title":"Malformed JSON","status":400,"instance":"[^"]+","detail":"line 2, column \d+: [^"]+"\}$



=== TEST 3: a body that is not an object is refused
--- request
POST /echo
[1, 2, 3]
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "detail":"the body must be a JSON object"



=== TEST 4: wrong content type is 415
--- request
POST /echo
name=x
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 415
--- response_body_like: "type":"https://north.ca/problems/unsupported-media-type"



=== TEST 5: a missing content type is 415
--- request
POST /echo
{"name": "x"}
--- error_code: 415
--- response_body_like: "status":415



=== TEST 6: an oversize body is 413 problem+json
--- request eval
"POST /echo\n{\"name\": \"" . ("x" x 2000) . "\"}"
--- more_headers
Content-Type: application/json
--- error_code: 413
--- response_headers
Content-Type: application/problem+json
--- response_body_like: "type":"https://north.ca/problems/payload-too-large"
--- error_log
client intended to send too large body




=== TEST 7: nesting deeper than the limit is refused before parsing
--- request eval
"POST /echo\n" . ("[" x 40) . ("]" x 40)
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "detail":"objects and arrays nest deeper than 32"



=== TEST 8: invalid UTF-8 is refused
--- request eval
"POST /echo\n{\"name\": \"\xc3\x28\"}"
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "type":"https://north.ca/problems/invalid-utf8"



=== TEST 9: an empty body is refused
--- request
POST /echo
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "detail":"the request body is empty"



=== TEST 10: every invalid field is named
--- request
POST /echo
{"email": "not-an-email", "id": "42", "kind": "cash", "count": 5000, "extra": true}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: ^\{"type":"https://north.ca/problems/validation-failed",.*"errors":\[\{"field":"extra","message":"is not a known field"\},\{"field":"name","message":"is required"\},\{"field":"email","message":"must be an e-mail address"\},\{"field":"id","message":"must be a UUID"\},\{"field":"kind","message":"must be one of: savings, debt"\},\{"field":"count","message":"must be between 0 and 1000"\}\]\}$



=== TEST 11: wrong types are named
--- request
POST /echo
{"name": 42, "count": "3"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: \[\{"field":"name","message":"must be a string"\},\{"field":"count","message":"must be an integer"\}\]



=== TEST 12: duplicate keys are refused
--- request
POST /echo
{"name": "a", "name": "b"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "type":"https://north.ca/problems/invalid-json".*duplicate



=== TEST 13: a method the route does not take is 405 with Allow
--- request
GET /echo
--- error_code: 405
--- response_headers
Allow: POST
Content-Type: application/problem+json
--- response_body_like: "type":"https://north.ca/problems/method-not-allowed"



=== TEST 14: nginx's own 404 is problem+json
--- request
GET /missing
--- error_code: 404
--- response_headers
Content-Type: application/problem+json
--- response_body_like: ^\{"type":"https://north.ca/problems/not-found","title":"Not found","status":404,"instance":"[0-9a-f]{32}"\}$



=== TEST 15: a well-formed client request id is kept and echoed
--- request
GET /missing
--- more_headers
X-Request-Id: app-7f3a.42
--- error_code: 404
--- response_headers
X-Request-Id: app-7f3a.42
--- response_body_like: "instance":"app-7f3a.42"



=== TEST 16: a malformed client request id is replaced
--- request
GET /missing
--- more_headers
X-Request-Id: <script>
--- error_code: 404
--- response_headers_like
X-Request-Id: [0-9a-f]{32}



=== TEST 17: the request id is available to log_format
--- http_config
log_format rid '$north_request_id';
--- config
access_log logs/rid.log rid;
location = /t { return 204; }
--- request
GET /t
--- more_headers
X-Request-Id: trace-1
--- error_code: 204
--- response_headers
X-Request-Id: trace-1



=== TEST 18: French problems for a client that asks (Accept-Language: fr-CA)
--- request
POST /echo
{"name": 42, "count": 5000, "zz": 1}
--- more_headers
Content-Type: application/json
Accept-Language: fr-CA,fr;q=0.9,en;q=0.5
--- error_code: 400
--- response_headers
Content-Language: fr-CA
--- response_body_like: ^\{"type":"https://north.ca/problems/validation-failed","title":"Requête invalide",.*"detail":"des champs sont manquants ou invalides","errors":\[\{"field":"zz","message":"n'est pas un champ connu"\},\{"field":"name","message":"doit être une chaîne"\},\{"field":"count","message":"doit être entre 0 et 1000"\}\]\}$



=== TEST 19: French for malformed JSON and nginx's own errors
--- request eval
["POST /echo\n{\"name\": ", "GET /missing"]
--- more_headers eval
["Content-Type: application/json\nAccept-Language: fr", "Accept-Language: fr-CA"]
--- error_code eval
[400, 404]
--- response_body_like eval
['"title":"JSON mal formé",.*"detail":"ligne 1, colonne \d+ : ', '"title":"Introuvable"']



=== TEST 20: English first stays English
--- request
GET /missing
--- more_headers
Accept-Language: en-CA, fr-CA;q=0.8
--- error_code: 404
--- response_headers
! Content-Language
--- response_body_like: "title":"Not found"
