# Bad input to the sync service, as blocks: each request and its checks
# through the shipped routes, as a user of this file. The flows (the feed,
# offline edits, conflicts, streams, PostgreSQL down) are in sync.t,
# sync-converge.t and sync-stream.t.
use lib 't/lib';
use North::Test;
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_root_location();

run_tests();

__DATA__

=== TEST 1: the first read: the user's state, then a cursor
--- north_api
--- north_user: ana
--- request
GET /v1/sync
--- error_code: 200
--- response_body_like: ^\{"changes":\[\{"entity" : "profile", .*\],"cursor":"[A-Za-z0-9_-]+","has_more":false\}$



=== TEST 2: a cursor that is none, a limit and a wait out of range
--- north_api
--- north_user: ana
--- request
GET /v1/sync?cursor=ZC4wMS4x&limit=1001&wait=0&full=2
--- error_code: 400
--- response_body_like: ^(?=.*"field":"cursor")(?=.*"field":"limit")(?=.*"field":"wait")(?=.*"field":"full")



=== TEST 3: a push that is no JSON
--- north_api
--- north_user: ana
--- request
POST /v1/sync
{"mutations": [
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "type":"https://north.ca/problems/invalid-json"



=== TEST 4: a push with no edits, and a member it does not take
--- north_api
--- north_user: ana
--- request
POST /v1/sync
{"mutations": [], "since": 1}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "errors":\[(?=.*"field":"mutations")(?=.*"field":"since")



=== TEST 5: an edit of the wrong types, each member named where it is
--- north_api
--- north_user: ana
--- request
POST /v1/sync
{"mutations": [{"client_mutation_id": 7, "entity": ["goal"], "id": "00000000-0000-0000-0000-00000000000g", "base_version": "1", "hlc": 1, "op": "replace", "fields": []}]}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: ^(?=.*"field":"mutations\[0\]\.client_mutation_id")(?=.*"field":"mutations\[0\]\.entity")(?=.*"field":"mutations\[0\]\.id")(?=.*"field":"mutations\[0\]\.base_version")(?=.*"field":"mutations\[0\]\.hlc")(?=.*"field":"mutations\[0\]\.op")(?=.*"field":"mutations\[0\]\.fields")



=== TEST 6: a clock that is no time
--- north_api
--- north_user: ana
--- request
POST /v1/sync
{"mutations": [{"client_mutation_id": "a", "entity": "goal", "id": "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0", "hlc": "2026-11-30T25:00:00.000Z-0000-0123456789abcdef", "fields": {"name": "x"}}]}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "errors":\[\{"field":"mutations\[0\]\.hlc"



=== TEST 7: a field's value an object, in French
--- north_api
--- north_user: ana
--- request
POST /v1/sync
{"mutations": [{"client_mutation_id": "a", "entity": "goal", "id": "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0", "hlc": "2026-11-30T12:00:00.000Z-0000-0123456789abcdef", "fields": {"name": {"en": "x"}}}]}
--- more_headers
Content-Type: application/json
Accept-Language: fr-CA
--- error_code: 400
--- response_body_like: "field":"mutations\[0\]\.fields","message":"chacun doit être une chaîne



=== TEST 8: an edit of nothing the user has: refused as such, 200
--- north_api
--- north_user: ana
--- request
POST /v1/sync
{"mutations": [{"client_mutation_id": "nothing-1", "entity": "transaction", "id": "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0", "hlc": "2026-11-30T12:00:00.000Z-0000-0123456789abcdef", "fields": {"notes": "x"}}]}
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_body_like: ^\{"applied": \[\], "rejected": \[\{.*"reason": "not-found".*\}\], "conflicts": \[\],"cursor":null\}$



=== TEST 9: no token
--- north_api
--- request
GET /v1/sync/stream
--- error_code: 401
--- response_body_like: "type":"https://north.ca/problems/unauthorized"



=== TEST 10: a method the feed does not take
--- north_api
--- north_user: ana
--- request
DELETE /v1/sync
--- error_code: 405
--- response_body_like: "type":"https://north.ca/problems/method-not-allowed"
