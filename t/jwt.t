# The edge's token checks: the attack matrix, the session check, and the
# variables it sets. Nothing here reaches a handler unless the token holds.
use lib 't/lib';
use North::Test;
use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();

our $Secret = jwt_secret();
our $EsKey = es256_key();
our ($User, $Sid) = new_session('edge@north.ca');
our ($RevokedUser, $RevokedSid) = new_session('revoked@north.ca');
psql("update north.sessions set revoked_at = now() where id = :'a0'",
     $RevokedSid);

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', <<"CONF" . ($block->http_config // ''));
north_jwt_key kid=t1 alg=HS256 secret=$Secret;
north_jwt_key kid=e1 alg=ES256 file=$EsKey;
CONF
    $block->set_value('config', <<'CONF') unless defined $block->config;
location = /p { north_jwt on; return 200 "$north_user_id $north_session_id"; }
location = /o { north_jwt optional; return 200 "[$north_user_id]"; }
CONF
});

run_tests();

__DATA__

=== TEST 1: a valid token of a live session passes, with the caller's ids
--- request
GET /p
--- more_headers eval
"Authorization: Bearer " . main::jwt(claims => { sub => $main::User, sid => $main::Sid })
--- response_body eval
"$main::User $main::Sid"
--- no_error_log
[error]



=== TEST 2: no token is 401 with a Bearer challenge
--- request
GET /p
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="north"
Content-Type: application/problem+json
--- response_body_like: "detail":"an access token is required"



=== TEST 3: another scheme is 401 invalid_request
--- request
GET /p
--- more_headers
Authorization: Basic dXNlcjpwYXNz
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="north", error="invalid_request"



=== TEST 4: alg none is refused, signed
--- more_headers eval
"Authorization: Bearer " . main::jwt(header => { alg => 'none', kid => 't1' }, claims => { sub => $main::User, sid => $main::Sid })
--- request
GET /p
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="north", error="invalid_token"
--- error_log
north jwt: token refused: alg does not match the key



=== TEST 4b: alg none is refused, unsigned
--- more_headers eval
"Authorization: Bearer " . main::jwt(header => { alg => 'none', kid => 't1' }, claims => { sub => $main::User, sid => $main::Sid }, sig => '')
--- request
GET /p
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="north", error="invalid_token"
--- error_log
north jwt: token refused: not a signed JWT (three non-empty parts)



=== TEST 5: HS256 signed with the ES256 public key is refused
--- request
GET /p
--- more_headers eval
"Authorization: Bearer " . main::jwt(header => { alg => 'HS256', kid => 'e1' }, claims => { sub => $main::User, sid => $main::Sid }, key => main::es256_public_pem())
--- error_code: 401
--- error_log
north jwt: token refused: alg does not match the key



=== TEST 6: an unknown kid is refused
--- request
GET /p
--- more_headers eval
"Authorization: Bearer " . main::jwt(header => { alg => 'HS256', kid => 't9' }, claims => { sub => $main::User, sid => $main::Sid })
--- error_code: 401
--- error_log
north jwt: token refused: unknown kid



=== TEST 7: a kid with path characters is just unknown
--- request
GET /p
--- more_headers eval
"Authorization: Bearer " . main::jwt(header => { alg => 'HS256', kid => '../../../../etc/passwd' }, claims => { sub => $main::User, sid => $main::Sid })
--- error_code: 401
--- error_log
north jwt: token refused: unknown kid



=== TEST 8: a tampered payload fails the signature
--- request
GET /p
--- more_headers eval
my ($h, $c, $s) = split /\./, main::jwt(claims => { sub => $main::User, sid => $main::Sid });
my $other = (split /\./, main::jwt(claims => { sub => '00000000-0000-0000-0000-000000000000', sid => $main::Sid }))[1];
"Authorization: Bearer $h.$other.$s"
--- error_code: 401
--- error_log
north jwt: token refused: bad signature



=== TEST 9: an expired token is refused (past the 30 s leeway)
--- request
GET /p
--- more_headers eval
"Authorization: Bearer " . main::jwt(claims => { sub => $main::User, sid => $main::Sid, iat => time - 1000, exp => time - 31 })
--- error_code: 401
--- error_log
north jwt: token refused: expired



=== TEST 10: a token not valid before a future nbf is refused
--- request
GET /p
--- more_headers eval
"Authorization: Bearer " . main::jwt(claims => { sub => $main::User, sid => $main::Sid, nbf => time + 300 })
--- error_code: 401
--- error_log
north jwt: token refused: not yet valid (nbf)



=== TEST 11: another issuer is refused
--- request
GET /p
--- more_headers eval
"Authorization: Bearer " . main::jwt(claims => { sub => $main::User, sid => $main::Sid, iss => 'evil' })
--- error_code: 401
--- error_log
north jwt: token refused: wrong iss



=== TEST 12: another audience is refused
--- request
GET /p
--- more_headers eval
"Authorization: Bearer " . main::jwt(claims => { sub => $main::User, sid => $main::Sid, aud => 'other-app' })
--- error_code: 401
--- error_log
north jwt: token refused: wrong aud



=== TEST 13: a token without a session id is refused
--- request
GET /p
--- more_headers eval
"Authorization: Bearer " . main::jwt(claims => { sub => $main::User })
--- error_code: 401
--- error_log
north jwt: token refused: sub or sid missing or not a UUID



=== TEST 14: a token too old by its iat is refused
--- request
GET /p
--- more_headers eval
"Authorization: Bearer " . main::jwt(claims => { sub => $main::User, sid => $main::Sid, iat => time - 3600, exp => time + 600 })
--- error_code: 401
--- error_log
north jwt: token refused: too old (iat)



=== TEST 15: garbage is refused, never a 500
--- request eval
["GET /p", "GET /p", "GET /p"]
--- more_headers eval
["Authorization: Bearer not.a.jwt", "Authorization: Bearer ...", "Authorization: Bearer " . ("A" x 5000)]
--- error_code eval
[401, 401, 401]



=== TEST 16: a well-signed token of a revoked session is refused
--- request
GET /p
--- more_headers eval
"Authorization: Bearer " . main::jwt(claims => { sub => $main::RevokedUser, sid => $main::RevokedSid })
--- error_code: 401
--- response_body_like: "detail":"the session has ended"



=== TEST 17: a session that does not exist is refused
--- request
GET /p
--- more_headers eval
"Authorization: Bearer " . main::jwt(claims => { sub => $main::User, sid => '11111111-2222-3333-4444-555555555555' })
--- error_code: 401
--- response_body_like: "detail":"the session has ended"



=== TEST 18: optional without a token is anonymous; headers cannot pose as a user
--- request
GET /o
--- more_headers
X-North-User-Id: 00000000-0000-0000-0000-000000000000
North-User-Id: 00000000-0000-0000-0000-000000000000
--- response_body chomp
[]



=== TEST 19: optional with a bad token is still a 401
--- request
GET /o
--- more_headers
Authorization: Bearer x.y.z
--- error_code: 401



=== TEST 20: with Redis down the session check asks PostgreSQL
--- init
North::Test::north_stack('redis-stop');
--- request
GET /p
--- more_headers eval
"Authorization: Bearer " . main::jwt(claims => { sub => $main::User, sid => $main::Sid })
--- response_body eval
"$main::User $main::Sid"
--- no_error_log
[alert]
[emerg]




=== TEST 21: with Redis and PostgreSQL down it is a 503, not a pass
--- init
North::Test::north_stack('pg-stop');
--- request
GET /p
--- more_headers eval
"Authorization: Bearer " . main::jwt(claims => { sub => $main::User, sid => $main::Sid })
--- error_code: 503
--- no_error_log
[alert]
[emerg]




=== TEST 22: both back
--- init
North::Test::north_stack('pg-start');
North::Test::north_stack('redis-start');
North::Test::wait_answer('/p', 200, token => main::jwt(claims => { sub => $main::User, sid => $main::Sid }));
--- request
GET /p
--- more_headers eval
"Authorization: Bearer " . main::jwt(claims => { sub => $main::User, sid => $main::Sid })
--- response_body eval
"$main::User $main::Sid"
--- no_error_log
[alert]
[emerg]

