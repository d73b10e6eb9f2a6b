# Requests nginx itself refuses, however early it fails (the request line
# unparsed, a header too large, an HTTP version it does not speak): every
# answer is problem+json from the shipped error page, never nginx's HTML
# and never a 500 of its own making (a redirect to the error page that
# nginx could not make would log an [error] or a [crit]).
use lib 't/lib';
use North::Test;
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
no_root_location();

run_tests();

__DATA__

=== TEST 1: a lowercase method
--- north_api
--- raw_request eval
"get /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
--- error_code: 400
--- response_headers
Content-Type: application/problem+json
--- response_body_like: ^\{"type":"https://north\.ca/problems/



=== TEST 2: a method of symbols
--- north_api
--- raw_request eval
"G\@T /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
--- error_code: 400
--- response_headers
Content-Type: application/problem+json
--- response_body_like: ^\{"type":"https://north\.ca/problems/



=== TEST 3: the HTTP/2 preface over HTTP/1.1
--- north_api
--- raw_request eval
"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
--- error_code: 400
--- response_headers
Content-Type: application/problem+json
--- response_body_like: ^\{"type":"https://north\.ca/problems/



=== TEST 4: %00 in the path
--- north_api
--- raw_request eval
"GET /v1/%00 HTTP/1.1\r\nHost: t\r\n\r\n"
--- error_code: 400
--- response_headers
Content-Type: application/problem+json
--- response_body_like: ^\{"type":"https://north\.ca/problems/



=== TEST 5: /../ above the root
--- north_api
--- raw_request eval
"GET /../etc HTTP/1.1\r\nHost: t\r\n\r\n"
--- error_code: 400
--- response_headers
Content-Type: application/problem+json
--- response_body_like: ^\{"type":"https://north\.ca/problems/



=== TEST 6: a request line over 8 KB
--- north_api
--- raw_request eval
"GET /" . ('a' x 9000) . " HTTP/1.1\r\nHost: t\r\n\r\n"
--- error_code: 414
--- response_headers
Content-Type: application/problem+json
--- response_body_like: ^\{"type":"https://north\.ca/problems/



=== TEST 7: a header over 8 KB
--- north_api
--- raw_request eval
"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " . ('a' x 9000) . "\r\n\r\n"
--- error_code: 400
--- response_headers
Content-Type: application/problem+json
--- response_body_like: ^\{"type":"https://north\.ca/problems/



=== TEST 8: HTTP/3.0
--- north_api
--- raw_request eval
"GET /healthz HTTP/3.0\r\nHost: t\r\n\r\n"
--- error_code: 505
--- response_headers
Content-Type: application/problem+json
--- response_body_like: ^\{"type":"https://north\.ca/problems/



=== TEST 9: no Host
--- north_api
--- raw_request eval
"GET /healthz HTTP/1.1\r\n\r\n"
--- error_code: 400
--- response_headers
Content-Type: application/problem+json
--- response_body_like: ^\{"type":"https://north\.ca/problems/



=== TEST 10: an unknown Transfer-Encoding
--- north_api
--- raw_request eval
"POST /v1/goals HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n"
--- error_code: 501
--- response_headers
Content-Type: application/problem+json
--- response_body_like: ^\{"type":"https://north\.ca/problems/



=== TEST 11: If-Match on a GET without an ETag
--- north_api
--- raw_request eval
"GET /healthz HTTP/1.1\r\nHost: t\r\nIf-Match: \"x\"\r\nConnection: close\r\n\r\n"
--- error_code: 412
--- response_headers
Content-Type: application/problem+json
--- response_body_like: ^\{"type":"https://north\.ca/problems/



=== TEST 12: the error page asked for by name
--- north_api
--- raw_request eval
"GET /_north/problem HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
--- error_code: 404
--- response_headers
Content-Type: application/problem+json
--- response_body_like: ^\{"type":"https://north\.ca/problems/
