# The cache of a user's reads in Redis, through GET /v1/me and the net
# worth: a read caches the profile, the next is answered from Redis with the
# same body and ETag;
# a write (PATCH, a password change) is never followed by a stale read, on
# either of two workers; Redis refusing North is a pass-through to
# PostgreSQL, and the invalidation it missed is made when the link is back;
# the net worth follows manual items, a bank's sync (a job) and its unlinking;
# an erasure deletes what the cache holds; north_cache_ttl 0 caches nothing.
# Plain Test::More: one nginx of two workers across writes and a Redis
# outage.
use strict;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;

# X-Worker names the worker that answered
my ($port, $prefix) = north_nginx(name => 'cache', workers => 2,
                                  server => 'add_header X-Worker $pid always;');
my $pw = 'maple syrup & snow 42';
my $n = 0;

sub call { north_http($port, @_) }

sub register {
    my $r = north_register($port, {
        email => sprintf('cache%d.%d@north.example.ca', $$, ++$n), password => $pw,
        consents => ['terms', 'privacy_policy'] });
    die "register: $r->{code} $r->{body}" unless $r->{code} == 201;
    return ($r->{json}{access_token}, $r->{json}{user}{id});
}

sub entry { redis_cli(redis_password(), 'HGET', "north:{$_[0]}:cache", 'profile') }

sub counter {
    my ($name) = @_;
    my $m = call(GET => '/metrics')->{body};
    return $m =~ /^$name (\d+)$/m ? $1 : 0;
}

# --- a read caches, the next one hits ----------------------------------------

my ($tok, $uid) = register();
my $first = call(GET => '/v1/me', token => $tok);
is($first->{code}, 200, 'GET /v1/me: 200');
like(entry($uid), qr/^0 \d+\n"[0-9a-f]{32}"\n\{/,
     '... cached as "GEN EXPIRES", the ETag and the profile');
my $hits = counter('north_cache_hits_total');
my $again = call(GET => '/v1/me', token => $tok);
is(counter('north_cache_hits_total'), $hits + 1, 'the next read is a hit');
is($again->{body}, $first->{body}, '... with the same body');
is($again->{headers}{etag}, $first->{headers}{etag}, '... and the same ETag');
is(call(GET => '/v1/me', token => $tok,
        headers => { 'If-None-Match' => $first->{headers}{etag} })->{code},
   304, '... which a conditional GET matches: 304');

# --- writes: no stale read after the answer, on either worker ------------------

my (%workers, @stale);
for my $i (1 .. 40) {
    call(GET => '/v1/me', token => $tok);                 # cached again
    my $w = call(PATCH => '/v1/me', token => $tok, json => { display_name => "n$i" });
    push @stale, "PATCH $i: $w->{code}" unless $w->{code} == 200;
    for (1 .. 2) {
        my $r = call(GET => '/v1/me', token => $tok);
        $workers{ $r->{headers}{'x-worker'} // '' }++;
        push @stale, "read after PATCH $i: $r->{json}{display_name}"
            unless ($r->{json}{display_name} // '') eq "n$i"
                   && $r->{headers}{etag} eq $w->{headers}{etag};
    }
}
is_deeply(\@stale, [], '40 PATCHes, each followed by 2 reads: none stale');
is(scalar(grep { /^\d+$/ } keys %workers), 2, '... reads answered by both workers');

my $before = call(GET => '/v1/me', token => $tok);
is(call(POST => '/v1/auth/password', token => $tok,
        json => { current_password => $pw, new_password => 'a new long secret' })->{code},
   204, 'a password change: 204');
$pw = 'a new long secret';
my $after = call(GET => '/v1/me', token => $tok);
isnt($after->{headers}{etag}, $before->{headers}{etag},
     '... the next read has the new updated_at and ETag');
isnt($after->{json}{updated_at}, $before->{json}{updated_at}, '... not the cached one');

# --- Redis refusing North: PostgreSQL answers, the invalidation waits -----------

my $pass = redis_password();
call(GET => '/v1/me', token => $tok);
redis_cli($pass, qw(CONFIG SET requirepass rotated-password));
redis_cli('rotated-password', qw(CLIENT KILL TYPE normal));
my $w = call(PATCH => '/v1/me', token => $tok, json => { display_name => 'while away' });
is($w->{code}, 200, 'Redis away: a PATCH is still 200');
my @names = map { call(GET => '/v1/me', token => $tok)->{json}{display_name} // '' } 1 .. 4;
is_deeply(\@names, [('while away') x 4], '... and reads come from PostgreSQL');
like(redis_cli('rotated-password', 'HGET', "north:{$uid}:cache", 'profile'), qr/"n40"/,
     '... while Redis still holds the old entry');
redis_cli('rotated-password', 'CONFIG', 'SET', 'requirepass', $pass);
ok(wait_for(10, sub { call(GET => '/readyz')->{code} == 200 }), 'Redis takes North back');
# both workers' links are back once each has served a read
@names = map { call(GET => '/v1/me', token => $tok)->{json}{display_name} // '' } 1 .. 8;
is_deeply(\@names, [('while away') x 8],
          '... and the old entry is never served: the missed invalidation was made');
# once each worker's link is back (a request, or its backoff of 5 s at most)
ok(wait_for(12, sub { call(GET => '/v1/me', token => $tok); entry($uid) =~ /"while away"/ }),
   '... and the profile cached anew');
is(call(GET => '/metrics')->{body} =~ /^north_cache_invalidations_pending 0$/m ? 1 : 0, 1,
   '... no invalidation left waiting');

# --- net worth: manual items and a bank's sync invalidate it -------------------------

my $nw = call(GET => '/v1/analytics/net-worth', token => $tok);
is("$nw->{code} $nw->{json}{net_worth}", '200 0', 'net worth: 0 without accounts');
like(redis_cli($pass, 'HKEYS', "north:{$uid}:cache"), qr/^net-worth:1m:\d{4}-\d\d-\d\d$/m,
     '... cached for its range and day');
is(call(POST => '/v1/analytics/manual-items', token => $tok,
        json => { name => 'Cash', type => 'cash', value_cents => 12345 })->{code}, 201,
   'a manual item: 201');
is(call(GET => '/v1/analytics/net-worth', token => $tok)->{json}{net_worth}, 12345,
   '... counts at once');
my ($item) = plaid_link($port, $tok);
# the job has no answer to hold back: its invalidation follows its commit
ok(wait_for(5, sub { call(GET => '/v1/analytics/net-worth', token => $tok)->{json}{net_worth} != 12345 }),
   'a bank linked and synced by a job: counts once the job is done');
is(call(DELETE => "/v1/plaid/items/$item", token => $tok)->{code}, 204, 'the bank unlinked: 204');
is(call(GET => '/v1/analytics/net-worth', token => $tok)->{json}{net_worth}, 12345,
   '... and it no longer counts');

# --- erasure -----------------------------------------------------------------------

is(call(DELETE => '/v1/me', token => $tok, json => { password => $pw })->{code}, 202,
   'DELETE /v1/me: 202');
ok(wait_for(5, sub { redis_cli($pass, 'EXISTS', "north:{$uid}:cache") eq '0' }),
   '... and the cache holds nothing of the user');

# --- north_cache_ttl 0 --------------------------------------------------------------

{
    my ($p0) = north_nginx(name => 'cache-off', http => 'north_cache_ttl 0;');
    my ($t0, $u0) = register();
    is(north_http($p0, GET => '/v1/me', token => $t0)->{code}, 200, 'north_cache_ttl 0: GET 200');
    is(redis_cli($pass, 'EXISTS', "north:{$u0}:cache"), '0', '... and nothing cached');
}

done_testing();
