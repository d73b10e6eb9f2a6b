# Bad input to registration, its code and login, as blocks: each request
# and its checks through the shipped routes. The flows (codes mailed and
# spent, lockout, rotation, biometric login, PostgreSQL down) are in auth.t.
use lib 't/lib';
use North::Test;
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_root_location();

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('more_headers', "Content-Type: application/json\n"
                                      . ($block->more_headers // ''));
});

run_tests();

__DATA__

=== TEST 1: register without privacy_policy: consents named
--- north_api
--- request
POST /v1/auth/register
{"email": "a1@north.example.ca", "password": "maple syrup & snow 42", "consents": ["terms"]}
--- error_code: 400
--- response_body_like: "errors":\[\{"field":"consents","message":"must include terms and privacy_policy"\}\]



=== TEST 2: register with an unknown purpose
--- north_api
--- request
POST /v1/auth/register
{"email": "a2@north.example.ca", "password": "maple syrup & snow 42", "consents": ["terms", "privacy_policy", "spam"]}
--- error_code: 400
--- response_body_like: "errors":\[\{"field":"consents","message":"names an unknown purpose"\}\]



=== TEST 3: register with a password of 7 characters
--- north_api
--- request
POST /v1/auth/register
{"email": "a3@north.example.ca", "password": "short7!", "consents": ["terms", "privacy_policy"]}
--- error_code: 400
--- response_body_like: "field":"password","message":"[^"]*at least 8



=== TEST 4: register with a common password
--- north_api
--- request
POST /v1/auth/register
{"email": "a4@north.example.ca", "password": "password123", "consents": ["terms", "privacy_policy"]}
--- error_code: 400
--- response_body_like: "field":"password","message":"[^"]*too common



=== TEST 5: register with a password of 129 characters
--- north_api
--- request eval
"POST /v1/auth/register\n"
. qq({"email": "a5\@north.example.ca", "password": "${\ ('x' x 129)}", "consents": ["terms", "privacy_policy"]})
--- error_code: 400
--- response_body_like: "field":"password","message":"[^"]*at most 128



=== TEST 6: register with the e-mail as password
--- north_api
--- request
POST /v1/auth/register
{"email": "same.as.pw@north.example.ca", "password": "same.as.pw@north.example.ca", "consents": ["terms", "privacy_policy"]}
--- error_code: 400
--- response_body_like: "errors":\[\{"field":"password"



=== TEST 7: register with everything wrong: each field named
--- north_api
--- request
POST /v1/auth/register
{"email": "nope", "password": 42, "consents": "terms", "role": "admin", "device": {"id": ""}}
--- error_code: 400
--- response_body_like: ^(?=.*"field":"role")(?=.*"field":"email")(?=.*"field":"password")(?=.*"field":"consents")(?=.*"field":"device")



=== TEST 8: register with malformed JSON
--- north_api
--- request
POST /v1/auth/register
{"email": 
--- error_code: 400
--- response_body_like: "type":"https://north.ca/problems/invalid-json"



=== TEST 9: register with GET
--- north_api
--- request
GET /v1/auth/register
--- error_code: 405
--- response_body_like: "type":"https://north.ca/problems/method-not-allowed"



=== TEST 10: a code of other than digits
--- north_api
--- request
POST /v1/auth/register/verify
{"email": "a10@north.example.ca", "code": "12345a"}
--- error_code: 400
--- response_body_like: "errors":\[\{"field":"code","message":"must be the 6 digits e-mailed"\}\]



=== TEST 11: a long code and no e-mail: both named
--- north_api
--- request
POST /v1/auth/register/verify
{"code": "1234567"}
--- error_code: 400
--- response_body_like: ^(?=.*"field":"code")(?=.*"field":"email")



=== TEST 12: a code with a device that has no id
--- north_api
--- request
POST /v1/auth/register/verify
{"email": "a12@north.example.ca", "code": "123456", "device": {"name": "x"}}
--- error_code: 400
--- response_body_like: "errors":\[\{"field":"device.id"



=== TEST 13: a code in JSON that is not an object
--- north_api
--- request
POST /v1/auth/register/verify
[1]
--- error_code: 400
--- response_body_like: "type":"https://north.ca/problems/invalid-json"



=== TEST 14: register names a device as unknown: it goes with the code
--- north_api
--- request
POST /v1/auth/register
{"email": "a14@north.example.ca", "password": "maple syrup & snow 42", "consents": ["terms", "privacy_policy"], "device": {"id": "x"}}
--- error_code: 400
--- response_body_like: "errors":\[\{"field":"device","message":"is not a known field"\}\]



=== TEST 15: login without a password
--- north_api
--- request
POST /v1/auth/login
{"email": "a15@north.example.ca"}
--- error_code: 400
--- response_body_like: "errors":\[\{"field":"password"
