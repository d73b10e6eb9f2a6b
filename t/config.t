# Configuration errors fail `nginx -t` with a message naming the directive
# and the value.
use lib 't/lib';
use North::Test;
use Test::Nginx::Socket 'no_plan';

no_shuffle();
# read by block 17's env=NORTH_TEST_PIPEDA when its nginx starts (before any init)
$ENV{NORTH_TEST_PIPEDA} = 'true';

run_tests();

__DATA__

=== TEST 1: an unknown handler name
--- config
location = /x { north_api auth.nope; }
--- must_die
--- error_log
unknown handler "auth.nope" in "north_api"



=== TEST 2: a malformed DSN
--- http_config
north_database "host=127.0.0.1 port";
--- config
location = /healthz { north_api health.live; }
--- must_die
--- error_log eval
qr/invalid DSN "host=127.0.0.1 port" in "north_database": missing "=" after "port"/



=== TEST 3: a DSN from an environment variable that is not set
--- http_config
north_database env=NORTH_NO_SUCH_VARIABLE;
--- config
location = /healthz { north_api health.live; }
--- must_die
--- error_log
"north_database" directive: environment variable "NORTH_NO_SUCH_VARIABLE" is not set



=== TEST 4: a DSN with a password is never echoed
--- http_config
north_database "postgresql://north:s3cret@127.0.0.1:5432/north?bogus=1";
--- config
location = /healthz { north_api health.live; }
--- must_die
--- error_log
invalid DSN "(a value with credentials)" in "north_database"
--- no_error_log
s3cret



=== TEST 5: a host that cannot be resolved fails at configuration time
--- http_config
north_database "host=no-such-host.invalid dbname=north";
--- config
location = /healthz { north_api health.live; }
--- must_die
--- error_log
host "no-such-host.invalid" in "north_database" could not be resolved



=== TEST 6: a Redis URL of another scheme is refused with the forms it may take
--- http_config
north_redis http://127.0.0.1:6380;
--- config
location = /healthz { north_api health.live; }
--- must_die
--- error_log
invalid URL "http://127.0.0.1:6380" in "north_redis": expected redis[s]://[[USER]:PASSWORD@]HOST[:PORT][/DB], unix://[[USER]:PASSWORD@]/PATH[?db=DB] or unix:/PATH



=== TEST 7: a Redis socket URL whose password lacks its colon
--- http_config
north_redis unix://s3cret@/run/redis/redis.sock;
--- config
location = /healthz { north_api health.live; }
--- must_die
--- error_log
invalid URL "(a value with credentials)" in "north_redis": give a password as [USER]:PASSWORD@ before the host or path
--- no_error_log
s3cret



=== TEST 8: a Redis socket URL names its database as ?db=
--- http_config
north_redis unix:///run/redis/redis.sock?database=2;
--- config
location = /healthz { north_api health.live; }
--- must_die
--- error_log
invalid URL "unix:///run/redis/redis.sock?database=2" in "north_redis": expected



=== TEST 9: a Redis database number out of range
--- http_config
north_redis unix://:s3cret@/run/redis/redis.sock?db=65536;
--- config
location = /healthz { north_api health.live; }
--- must_die
--- error_log
invalid database number in "(a value with credentials)" of "north_redis"
--- no_error_log
s3cret



=== TEST 10: a Redis URL with a missing variable
--- http_config
north_redis env=NORTH_NO_SUCH_REDIS;
--- config
location = /healthz { north_api health.live; }
--- must_die
--- error_log
"north_redis" directive: environment variable "NORTH_NO_SUCH_REDIS" is not set



=== TEST 11: a pool size out of bounds
--- http_config
north_database_pool_size 0;
--- config
location = /healthz { north_api health.live; }
--- must_die
--- error_log
value must be between 1 and 256



=== TEST 11b: a pipeline depth out of bounds
--- http_config
north_database_pipeline 65;
--- config
location = /healthz { north_api health.live; }
--- must_die
--- error_log
value must be between 1 and 64



=== TEST 12: an undeclared thread pool
--- http_config
north_thread_pool nowhere;
--- config
location = /healthz { north_api health.live; }
--- must_die
--- error_log
unknown thread pool "nowhere"



=== TEST 13: north_jwt on without any key
--- config
location = /p { north_jwt on; return 204; }
--- must_die
--- error_log
"north_jwt" is on but no "north_jwt_key" is configured



=== TEST 14: an HS256 secret shorter than 32 bytes
--- http_config
north_jwt_key kid=k1 alg=HS256 secret=short;
--- config
location = /p { north_jwt on; return 204; }
--- must_die
--- error_log
the HS256 secret of kid "k1" in "north_jwt_key" is 5 bytes: 32 or more are needed



=== TEST 15: a JWT secret from a missing environment variable
--- http_config
north_jwt_key kid=k1 alg=HS256 env=NORTH_NO_SUCH_SECRET;
--- config
location = /p { north_jwt on; return 204; }
--- must_die
--- error_log
"north_jwt_key" directive: environment variable "NORTH_NO_SUCH_SECRET" is not set



=== TEST 16: an ES256 key that is not P-256
--- http_config
north_jwt_key kid=e1 alg=ES256 file=/etc/hostname;
--- config
location = /p { north_jwt on; return 204; }
--- must_die
--- error_log
"/etc/hostname" in "north_jwt_key" is not a P-256 key in PEM



=== TEST 17: PIPEDA compliance refuses a region outside Canada
--- http_config
north_pipeda_compliance on;
north_data_region us-east-1;
north_data_key MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=;
north_audit_chain_key MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=;
--- config
location = /healthz { north_api health.live; }
--- must_die
--- error_log
PIPEDA compliance is on but the data region "us-east-1" is not in Canada (ca-central-1 or ca-west-1)



=== TEST 18: PIPEDA compliance refuses a missing data key
--- http_config
north_pipeda_compliance on;
north_data_region ca-west-1;
--- config
location = /healthz { north_api health.live; }
--- must_die
--- error_log
PIPEDA compliance is on but no data encryption key ("north_data_key") is set



=== TEST 19: a data key that is not 32 bytes
--- http_config
north_data_key c2hvcnQ=;
--- config
location = /healthz { north_api health.live; }
--- must_die
--- error_log
the key of "north_data_key" must be 32 bytes in base64



=== TEST 20: PIPEDA compliance refuses an unaudited personal-data route
--- http_config
north_pipeda_compliance env=NORTH_TEST_PIPEDA;
north_data_region ca-central-1;
north_data_key MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=;
north_audit_chain_key MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=;
north_privacy_officer "Chief Privacy Officer";
north_privacy_email privacy@north.example;
--- main_config
env NORTH_TEST_PIPEDA;
--- config
location = /me {
    north_audit off;
    north_audit_category identity;
    north_api health.live;
}
--- must_die
--- error_log
PIPEDA compliance is on but "north_audit off" covers a location that touches personal information ("identity")



=== TEST 21: a compliant configuration starts
--- http_config
north_pipeda_compliance on;
north_data_region ca-central-1;
north_data_key MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=;
north_audit_chain_key MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=;
north_privacy_officer "Chief Privacy Officer";
north_privacy_email privacy@north.example;
--- config
location = /me {
    north_audit_category identity;
    north_api health.live;
}
--- request
GET /me
--- response_body chomp
{"status":"ok"}



=== TEST 22: test-only handlers are refused where PIPEDA compliance is on
--- http_config
north_pipeda_compliance on;
north_data_region ca-central-1;
north_data_key MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=;
north_audit_chain_key MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=;
north_privacy_officer "Chief Privacy Officer";
north_privacy_email privacy@north.example;
--- config
location = /echo { north_api selftest.echo; }
--- must_die
--- error_log
handler "selftest.echo" in "north_api" is for tests only and PIPEDA compliance is on



=== TEST 23: PIPEDA compliance refuses a configuration that names no privacy officer
--- http_config
north_pipeda_compliance on;
north_data_region ca-central-1;
north_data_key MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=;
north_audit_chain_key MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=;
north_privacy_email privacy@north.example;
--- config
location = /healthz { north_api health.live; }
--- must_die
--- error_log
PIPEDA compliance is on but no privacy officer ("north_privacy_officer" and "north_privacy_email") is named



=== TEST 24: PIPEDA compliance refuses an audit log without a chain key
--- http_config
north_pipeda_compliance on;
north_data_region ca-central-1;
north_data_key MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=;
north_privacy_officer "Chief Privacy Officer";
north_privacy_email privacy@north.example;
--- config
location = /healthz { north_api health.live; }
--- must_die
--- error_log
PIPEDA compliance is on but the audit log has no chain key ("north_audit_chain_key")



=== TEST 25: an audit chain key shorter than 32 bytes
--- http_config
north_audit_chain_key c2hvcnQ=;
--- config
location = /healthz { north_api health.live; }
--- must_die
--- error_log
the key of "north_audit_chain_key" must be 32 bytes or more in base64



=== TEST 26: north_plaid_env names one of Plaid's environments
--- http_config
north_plaid_env staging;
--- config
location = /healthz { north_api health.live; }
--- must_die
--- error_log
invalid value "staging" in "north_plaid_env": sandbox, development or production



=== TEST 27: Link shows at most 30 characters of our name
--- http_config
north_plaid_client_name "North Financial Incorporated of Canada";
--- config
location = /healthz { north_api health.live; }
--- must_die
--- error_log
"north_plaid_client_name" "North Financial Incorporated of Canada" is longer than Plaid's 30 characters



=== TEST 28: a Plaid secret from an unset variable fails nginx -t
--- http_config
north_plaid_secret env=NORTH_TEST_UNSET_PLAID_SECRET;
--- config
location = /healthz { north_api health.live; }
--- must_die
--- error_log
NORTH_TEST_UNSET_PLAID_SECRET



=== TEST 29: a push lease no longer than twice the FCM timeout
--- http_config
north_fcm_timeout 10s;
north_fcm_lease 20s;
--- config
location = /healthz { north_api health.live; }
--- must_die
--- error_log
north_fcm_lease must be more than twice north_fcm_timeout
