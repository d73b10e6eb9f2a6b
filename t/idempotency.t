# Idempotency-Key on the API's POSTs: the same key and body replay the
# stored response, another body is a 422, a request still running a 409;
# keys expire after 24 hours; server errors and credentials are not kept.
# Plain Test::More: a replay compares two answers, and a 409 needs a request
# still running while another arrives.
use strict;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;
use Time::HiRes qw(sleep);

my $port = north_nginx(name => 'idempotency');
my $pw = 'maple syrup & snow 42';

sub call { north_http($port, @_) }
sub ask1 { my ($tok, $key, $body) = @_;
    call(POST => '/v1/privacy/requests', token => $tok, json => $body // { kind => 'access' },
         headers => { defined $key ? ('Idempotency-Key' => $key) : () }) }
# as a client does: a 409 (the first request's response is still being
# kept, a millisecond after it was sent) is retried
sub ask { my $r;
    for (1 .. 20) { $r = ask1(@_); last unless $r->{code} == 409; sleep 0.1 }
    $r }

my $r = north_register($port, { email => "idem$$\@north.example.ca",
             password => $pw, consents => ['terms', 'privacy_policy'] });
my ($tok, $uid) = ($r->{json}{access_token}, $r->{json}{user}{id});
my $count = sub { psql("select count(*) from north.privacy_requests where user_id = :'a0'", $uid) };

my $first = ask($tok, 'key-1');
is($first->{code}, 201, 'first POST with a key: 201');
ok(!exists $first->{headers}{'idempotent-replayed'}, '... not a replay');
my $again = ask($tok, 'key-1');
is($again->{code}, 201, 'the same POST again: 201');
is($again->{headers}{'idempotent-replayed'}, 'true', '... marked a replay');
is($again->{body}, $first->{body}, '... the very same body');
is($again->{headers}{'content-type'}, 'application/json', '... and type');
is($count->(), 1, '... and only one request was made');

$r = ask($tok, 'key-1', { kind => 'deletion' });
is($r->{code}, 422, 'the key with another body: 422');
is($r->{json}{type}, 'https://north.ca/problems/idempotency-key-reused', '... says why');
is($count->(), 1, '... and made nothing');

is(ask($tok, 'key-2')->{code}, 201, 'another key: a new request');
is(ask($tok)->{code}, 201, 'no key: a new request');
is($count->(), 3, '... each made once');

# a client error is kept too: the same bad request gets the same answer
my $bad = ask($tok, 'key-3', { kind => 'complaint' });
is($bad->{code}, 400, 'a bad request under a key: 400');
$r = ask($tok, 'key-3', { kind => 'complaint' });
is($r->{headers}{'idempotent-replayed'}, 'true', '... replayed');
is($r->{body}, $bad->{body}, '... as it was');

# one user's key is not another's
my $r2 = north_register($port, { email => "idem2.$$\@north.example.ca",
              password => $pw, consents => ['terms', 'privacy_policy'] });
my $other = ask($r2->{json}{access_token}, 'key-1');
is($other->{code}, 201, "another user's same key: their own request");
ok(!$other->{headers}{'idempotent-replayed'}, '... not a replay of mine');

# a request still running under the key
psql("insert into north.idempotency_keys (user_id, key, request_hash)
      values (:'a0', 'key-busy', 'x')", $uid);
$r = ask1($tok, 'key-busy');
is($r->{code}, 409, 'a key whose request is still running: 409');
is($r->{headers}{'retry-after'}, '1', '... with Retry-After');
psql("update north.idempotency_keys set created_at = now() - interval '6 minutes'
      where user_id = :'a0' and key = 'key-busy'", $uid);
is(ask($tok, 'key-busy')->{code}, 201, 'a claim abandoned for 5 minutes is taken over');

# 24 hours
psql("update north.idempotency_keys set created_at = now() - interval '25 hours'
      where user_id = :'a0' and key = 'key-1'", $uid);
$r = ask($tok, 'key-1', { kind => 'deletion' });
is($r->{code}, 201, 'after 24 hours the key is free again');
ok(!$r->{headers}{'idempotent-replayed'}, '... not a replay');

for my $k ('', 'has space', 'x' x 256) {
    $r = ask($tok, $k);
    is($r->{code}, 400, sprintf('an Idempotency-Key of %d characters, "%.10s": 400', length $k, $k));
}
is($r->{json}{type}, 'https://north.ca/problems/invalid-idempotency-key', '... says why');
is(ask($tok, 'k' x 255)->{code}, 201, 'a key of 255 characters: 201');

# credentials are never stored: unauthenticated POSTs ignore the key
my $login = sub { call(POST => '/v1/auth/login', json => { email => "idem$$\@north.example.ca",
                        password => $pw }, headers => { 'Idempotency-Key' => 'login' }) };
my ($l1, $l2) = ($login->(), $login->());
isnt($l1->{json}{refresh_token}, $l2->{json}{refresh_token}, 'login ignores the key');
is(psql("select count(*) from north.idempotency_keys where key = 'login'"), 0,
   '... and no token is kept');
is(psql("select count(*) from north.idempotency_keys where body like '%\"refresh_token\":%'"), 0,
   'no stored response holds a token');

# a server error is not kept: the retry runs
north_stack('pg-stop');
is(ask($tok, 'key-down')->{code}, 503, 'PostgreSQL down: 503');
north_stack('pg-start');
is(ask($tok, 'key-down')->{code}, 201, '... the retry under the same key runs');

done_testing();
