# Rate limits: exact counts and headers, per user vs per address, refill,
# a global limit shared by two nginx on one Redis, and the local fallback
# when Redis is down. Plain Test::More: two nginx at once, and Redis stopped
# under a running one.
use strict;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;
use Time::HiRes qw(sleep);

my $z = "t$$";    # zone names of this run: Redis keeps buckets between runs

my $http = <<"CONF";
north_limit_zone name=${z}_user size=1m rate=1r/m burst=3;
north_limit_zone name=${z}_ip size=1m rate=1r/m burst=5 key=\$remote_addr;
north_limit_zone name=${z}_fast size=1m rate=10r/s burst=2;
north_limit_zone name=${z}_global size=1m rate=1r/m burst=4;
CONF

my $server = <<"CONF";
location = /user { north_jwt optional; north_limit zone=${z}_user; north_api health.live; }
location = /both {
    north_jwt optional;
    north_limit zone=${z}_user;
    north_limit zone=${z}_ip;
    north_api health.live;
}
location = /fast { north_limit zone=${z}_fast; north_api health.live; }
location = /global { north_limit zone=${z}_global scope=global; north_api health.live; }
location = /free { north_api health.live; }
CONF

my ($p1, $prefix1) = north_nginx(name => 'limit1', api => 0, http => $http,
                                 server => $server);

sub codes { my ($port, $path, $n, %o) = @_;
            [ map { north_http($port, GET => $path, %o)->{code} } 1 .. $n ] }

# --- exact count and headers ----------------------------------------------------

my @r = map { north_http($p1, GET => '/user') } 1 .. 4;
is_deeply([ map { $_->{code} } @r ], [200, 200, 200, 429], 'burst 3: three pass, the fourth is refused');
is_deeply([ map { $_->{headers}{'ratelimit-remaining'} } @r ], [2, 1, 0, 0],
          'RateLimit-Remaining counts down');
is($r[0]{headers}{'ratelimit-limit'}, 3, 'RateLimit-Limit is the burst');
cmp_ok($r[2]{headers}{'ratelimit-reset'}, '>=', 170, 'RateLimit-Reset: until the bucket is full');
is($r[3]{headers}{'content-type'}, 'application/problem+json', '429 is problem+json');
is($r[3]{json}{type}, 'https://north.ca/problems/rate-limited', '... rate-limited');
cmp_ok($r[3]{headers}{'retry-after'}, '>=', 55, 'Retry-After about a minute');
cmp_ok($r[3]{headers}{'retry-after'}, '<=', 60, '... not more');
ok(!exists north_http($p1, GET => '/free')->{headers}{'ratelimit-limit'},
   'no RateLimit headers where no limit applies');

# --- per user, per address ---------------------------------------------------------

my $alice = session_token('alice.limit@north.ca');
my $bob = session_token('bob.limit@north.ca');
is_deeply(codes($p1, '/user', 4, token => $alice), [200, 200, 200, 429],
          'a signed-in user has a bucket of her own');
is_deeply(codes($p1, '/user', 1, token => $bob), [200],
          '... and so has another, from the same address');
is_deeply(codes($p1, '/user', 1), [429], 'the anonymous bucket stays spent');

# /both: per user (3) and per address (5) at once, the tighter one shows
my $carol = session_token('carol.limit@north.ca');
my $dave = session_token('dave.limit@north.ca');
@r = map { north_http($p1, GET => '/both', token => $carol) } 1 .. 3;
is($r[0]{headers}{'ratelimit-remaining'}, 2, 'two zones: the tighter one in the headers');
is_deeply([ map { north_http($p1, GET => '/both', token => $dave)->{code} } 1 .. 3 ],
          [200, 200, 429], '... the address zone (5) ends the next user early');

# --- refill --------------------------------------------------------------------------

is_deeply(codes($p1, '/fast', 3), [200, 200, 429], '10r/s burst 2: the third waits');
sleep 0.25;
is_deeply(codes($p1, '/fast', 1), [200], '... and passes 100 ms later');

# --- reload keeps the buckets --------------------------------------------------------

system("$ENV{TEST_NGINX_BINARY} -p $prefix1/ -c $prefix1/conf/nginx.conf -s reload");
sleep 0.5;
is_deeply(codes($p1, '/user', 1), [429], 'a reload with the zone unchanged keeps its buckets');

# --- global: two nginx, one Redis ------------------------------------------------------

my ($p2, $prefix2) = north_nginx(name => 'limit2', api => 0, http => $http, server => $server);
is_deeply([ map { north_http($_ % 2 ? $p1 : $p2, GET => '/global')->{code} } 1 .. 5 ],
          [200, 200, 200, 200, 429], 'global burst 4 across two nginx: four in all');
is(north_http($p2, GET => '/global')->{headers}{'ratelimit-remaining'}, 0,
   '... both see the same bucket');

north_stack('redis-stop');
my @g = map { north_http($p2, GET => '/global') } 1 .. 5;
is_deeply([ map { $_->{code} } @g ], [200, 200, 200, 200, 429],
          'Redis down: each node enforces the zone itself, never open');
north_stack('redis-start');
my $log = do { local $/; open my $fh, '<', "$prefix2/logs/error.log" or die $!; <$fh> };
like($log, qr/north limit: Redis (unavailable|did not decide).*zone "${z}_global"/,
     '... and says so in the log');

done_testing();
