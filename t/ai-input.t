# Bad input to the assistant, as blocks: each request and its checks
# through the shipped routes, as a user of this file. The flows (figures
# equal to the analytics endpoints', follow-ups, PostgreSQL down) are in
# ai.t, affordability's projections in ai-afford.t, the model backend in
# ai-model.t; the parser against its labelled questions in
# t/unit/test_ai.c.
use lib 't/lib';
use North::Test;
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_root_location();

run_tests();

__DATA__

=== TEST 1: without the analytics consent: 403 naming it
--- north_api
--- north_user: alex
--- request
POST /v1/ai/ask
{"question": "How much did I spend last month?"}
--- more_headers
Content-Type: application/json
--- error_code: 403
--- response_body_like: "type":"https://north.ca/problems/consent-missing".*"field":"analytics"



=== TEST 2: the consent granted
--- north_api
--- north_user: alex
--- request
PUT /v1/privacy/consents/analytics
{"granted": true}
--- more_headers
Content-Type: application/json
--- error_code: 200



=== TEST 3: a question of the wrong type and an unknown member: each named
--- north_api
--- north_user: alex
--- request
POST /v1/ai/ask
{"question": 42, "user_id": "someone"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "errors":\[(?=.*"field":"question")(?=.*"field":"user_id")



=== TEST 4: malformed JSON
--- north_api
--- north_user: alex
--- request
POST /v1/ai/ask
{"question":
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "type":"https://north.ca/problems/invalid-json"



=== TEST 5: a question as a form
--- north_api
--- north_user: alex
--- request
POST /v1/ai/ask
question=hello
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 415
--- response_body_like: "type":"https://north.ca/problems/unsupported-media-type"



=== TEST 6: an empty question, a conversation id North did not make
--- north_api
--- north_user: alex
--- request
POST /v1/ai/ask
{"question": "", "conversation_id": "../../etc/passwd"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "errors":\[(?=.*"field":"question")(?=.*"field":"conversation_id")



=== TEST 7: off-topic: understood as nothing, no figure, examples offered
--- north_api
--- north_user: alex
--- request
POST /v1/ai/ask
{"question": "Tell me a joke about the Maple Leafs"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body_like: (?=.*"intent":"unknown")(?=.*"figures":\{\})(?=.*"examples":\[")



=== TEST 8: a French question gets a French answer
--- north_api
--- north_user: alex
--- request
POST /v1/ai/ask
{"question": "Combien j'ai dépensé le mois dernier ?"}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body_like: (?=.*"language":"fr")(?=.*"answer":"Vous avez d.{1,2}pens.{1,2} 0,00)(?=.*"spent_cents":0)



=== TEST 9: affordability: an amount as text, a weekly commitment: each named
--- north_api
--- north_user: alex
--- request
POST /v1/ai/affordability
{"amount_cents": "1500", "recurring": "weekly"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "errors":\[(?=.*"field":"amount_cents")(?=.*"field":"recurring")



=== TEST 10: affordability more than a year ahead
--- north_api
--- north_user: alex
--- request
POST /v1/ai/affordability
{"amount_cents": 1500, "date": "2999-01-01"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "field":"date","message":"must be from today to a year from today"



=== TEST 11: affordability with no money at all: no
--- north_api
--- north_user: alex
--- request
POST /v1/ai/affordability
{"amount_cents": 1500, "buffer_cents": 0}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body_like: (?=.*"verdict":"no")(?=.*"lowest_balance_cents":-1500)(?=.*"balance_cents":0)
