# Prometheus metrics: counters move as requests are made, every worker's
# in one place; the endpoint is for allow-listed addresses only.
use lib 't/lib';
use North::Test;
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
run_tests();

__DATA__

=== TEST 1: requests are counted by route and status class
--- config
location = /healthz { north_api health.live; }
location = /metrics { allow 127.0.0.1; deny all; north_api platform.metrics; }
location = /nothing { north_api health.live; }
--- request eval
["GET /healthz", "GET /healthz", "POST /nothing", "GET /metrics"]
--- error_code eval
[200, 200, 405, 200]
--- response_body_like eval
[".", ".", ".", qr/north_http_requests_total\{route="health.live",status="2xx"\} 2\n(.|\n)*north_http_requests_total\{route="health.live",status="4xx"\} 1\n/]
--- response_headers eval
["", "", "", "Content-Type: text/plain; version=0.0.4"]



=== TEST 2: the latency histogram is cumulative, one a route
--- config
location = /healthz { north_api health.live; }
location = /metrics { north_api platform.metrics; }
--- request eval
["GET /healthz", "GET /metrics"]
--- response_body_like eval
[".", qr/north_http_request_duration_seconds_bucket\{route="health.live",le="0.005"\} 1\n(.|\n)*north_http_request_duration_seconds_bucket\{route="health.live",le="\+Inf"\} 1\nnorth_http_request_duration_seconds_sum\{route="health.live"\} [\d.]+\nnorth_http_request_duration_seconds_count\{route="health.live"\} 1\n/]



=== TEST 3: the PostgreSQL pool shows open connections (some may still be connecting; the listener is one more)
--- http_config
north_database_pool_size 3;
north_jobs_interval 0;
--- config
location = /readyz { north_api health.ready; }
location = /metrics { north_api platform.metrics; }
--- request eval
["GET /readyz", "GET /metrics"]
--- response_body_like eval
[".", qr/\nnorth_pg_connections_open [1234]\n(.|\n)*\nnorth_pg_connections_busy 0\n(.|\n)*\nnorth_pg_queries_waiting 0\n/]



=== TEST 4: rate-limit rejections are counted
--- http_config
north_limit_zone name=m1 size=1m rate=1r/m burst=1;
--- config
location = /l { north_limit zone=m1; north_api health.live; }
location = /metrics { north_api platform.metrics; }
--- request eval
["GET /l", "GET /l", "GET /l", "GET /metrics"]
--- error_code eval
[200, 429, 429, 200]
--- response_body_like eval
[".", ".", ".", qr/\nnorth_rate_limited_total 2\n/]



=== TEST 5: another address is refused
--- config
location = /metrics { allow 192.0.2.1; deny all; north_api platform.metrics; }
--- request
GET /metrics
--- error_code: 403
--- error_log
access forbidden by rule

