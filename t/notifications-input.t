# Bad input to the notifications service, as blocks: each request and its
# checks through the shipped routes, as a user of this file. The flows
# (push tokens across users, consent, quiet hours, security notices, the
# inbox, PostgreSQL down) are in notifications.t; the pure parts in
# notifications-rules.t.
use lib 't/lib';
use North::Test;
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_root_location();

run_tests();

__DATA__

=== TEST 1: a push token for a device the session is not on
--- north_api
--- north_user: noa
--- request
PUT /v1/devices/someone-elses/push-token
{"token": "fcm-1", "platform": "ios"}
--- more_headers
Content-Type: application/json
--- error_code: 404
--- response_body_like: "type":"https://north.ca/problems/not-found"



=== TEST 2: a push token of the wrong types: each member named
--- north_api
--- north_user: noa
--- request
PUT /v1/devices/someone-elses/push-token
{"token": 42, "platform": "blackberry", "app_version": "", "x": 1}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "errors":\[(?=.*"field":"app_version")(?=.*"field":"platform")(?=.*"field":"token")(?=.*"field":"x")



=== TEST 3: preferences of the wrong shape: each member named
--- north_api
--- north_user: noa
--- request
PUT /v1/notifications/preferences
{"categories": ["goals"], "quiet_hours": {"start": "9pm"}, "large_transaction_cents": 0, "x": 1}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "errors":\[(?=.*"field":"categories")(?=.*"field":"large_transaction_cents")(?=.*"field":"quiet_hours")(?=.*"field":"x")



=== TEST 4: preferences of malformed JSON
--- north_api
--- north_user: noa
--- request
PUT /v1/notifications/preferences
{"categories":
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body_like: "type":"https://north.ca/problems/invalid-json"



=== TEST 5: the preferences are the defaults still
--- north_api
--- north_user: noa
--- request
GET /v1/notifications/preferences
--- response_body_like: "quiet_hours" ?: ?\{"start" ?: ?"21:00", ?"end" ?: ?"08:00"\}



=== TEST 6: the inbox without a token
--- north_api
--- request
GET /v1/notifications
--- error_code: 401
--- response_body_like: "type":"https://north.ca/problems/unauthorized"



=== TEST 7: an inbox page of 0 and a cursor the list never gave
--- north_api
--- north_user: noa
--- request
GET /v1/notifications?limit=0&cursor=1
--- error_code: 400
--- response_body_like: "errors":\[(?=.*"field":"cursor")(?=.*"field":"limit")



=== TEST 8: a notification of no one's, in French
--- north_api
--- north_user: noa
--- request
POST /v1/notifications/00000000-0000-4000-8000-000000000000/read
--- more_headers
Accept-Language: fr-CA
--- error_code: 404
--- response_body_like: notification introuvable



=== TEST 9: the inbox is empty
--- north_api
--- north_user: noa
--- request
GET /v1/notifications
--- response_body_like: ^\{"notifications" ?: ?\[\], ?"next_cursor" ?: ?null\}$
