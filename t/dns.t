# A fail-over moves the data stores' host name: PostgreSQL's and Redis's
# links fail, each worker asks nginx's resolver again (never a blocking
# call), and connects to the new address, without a reload. The name is
# "localhost" (resolved at configuration time as always); a DNS server of
# the test's own then moves it from forwarder A (the address the system
# gave) to forwarder B (127.0.0.2), both piping to the test stack's
# PostgreSQL and Redis, and A is closed with every link through it.
# Plain Test::More: a simulator, a running nginx, and no reload.
use strict;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;
use IO::Socket::INET;
use Socket qw(getaddrinfo getnameinfo SOCK_STREAM NI_NUMERICHOST);
use JSON::PP;
use HTTP::Tiny;

sub free_port {
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0) or die $!;
    my $p = $s->sockport; close $s; $p
}
my ($dns_port, $control, $pg_port, $redis_port) = map { free_port() } 1 .. 4;

# the address configuration time gives "localhost", as nginx's master will
my ($err, @ai) = getaddrinfo('localhost', '', { socktype => SOCK_STREAM });
die "localhost does not resolve: $err\n" if $err;
my (undef, $a_host) = getnameinfo($ai[0]{addr}, NI_NUMERICHOST);
my $b_host = '127.0.0.2';

my $sim = fork // die $!;
if (!$sim) {
    open STDOUT, '>', ($ENV{NORTH_VAR} // north_root() . '/t/var') . '/dns-sim.log' or die $!;
    exec 'node', north_root() . '/t/dns-sim/sim.js', $dns_port, $control or exit 127;
}
END { kill 'TERM', $sim if $sim }
my $http = HTTP::Tiny->new(timeout => 5);
sub sim {
    my ($method, $path, $body) = @_;
    my $r = $http->request($method, "http://127.0.0.1:$control$path",
        $body ? { content => encode_json($body), headers => { 'Content-Type' => 'application/json' } } : {});
    return $r->{success} ? decode_json($r->{content}) : die "dns sim $path: $r->{status} $r->{content}\n";
}
wait_for(10, sub { eval { sim(GET => '/forwards'); 1 } }) or die "the DNS simulator did not start\n";

# where the test stack's PostgreSQL and Redis are: a socket's path, or host:port
my ($pg_to, $pg_pass) = $ENV{DATABASE_URL} =~ m{^postgresql://north_app:([^@]+)\@/north\?host=([^&]+)&port=(\d+)}
    ? ("$2/.s.PGSQL.$3", $1)
    : $ENV{DATABASE_URL} =~ m{^postgresql://north_app:([^@]+)\@([^/]+)/north} ? ($2, $1)
    : die "DATABASE_URL: neither a socket nor a host\n";
my $redis_to = $ENV{REDIS_URL} =~ m{^unix://[^@]*\@(/[^?]+)} ? $1
    : $ENV{REDIS_URL} =~ m{\@([^/]+)/} ? $1 : die "REDIS_URL: neither a socket nor a host\n";
my $redis_pass = redis_password();

for my $host ($a_host, $b_host) {
    sim(POST => '/forward', { host => $host, port => $pg_port, to => $pg_to });
    sim(POST => '/forward', { host => $host, port => $redis_port, to => $redis_to });
}
sim(POST => '/dns', { name => 'localhost', ip => $a_host });

my ($port, $prefix) = north_nginx(name => 'dns', api => 0, workers => 2,
    http => "resolver 127.0.0.1:$dns_port ipv6=off valid=1s;
    resolver_timeout 2s;
    north_database \"host=localhost port=$pg_port dbname=north user=north_app password=$pg_pass\";
    north_database_connect_timeout 1s;
    north_redis redis://:$redis_pass\@localhost:$redis_port/0;
    north_redis_timeout 500ms;",
    server => 'location = /readyz { north_api health.ready; }');

sub accepted {
    my ($host, $p) = @_;
    my ($f) = grep { $_->{host} eq $host && $_->{port} == $p } @{ sim(GET => '/forwards') };
    return $f ? $f->{accepted} : 0;
}
sub ready { north_http($port, GET => '/readyz')->{code} }

ok(wait_for(10, sub { ready() == 200 }), "ready through A ($a_host)");
cmp_ok(accepted($a_host, $pg_port), '>=', 2, '... PostgreSQL\'s links go to A');
cmp_ok(accepted($a_host, $redis_port), '>=', 1, '... and Redis\'s');
is(accepted($b_host, $pg_port) + accepted($b_host, $redis_port), 0, '... none to B');

# the fail-over: the name moves to B, and A goes with every link through it
my @workers = nginx_workers($prefix);
sim(POST => '/dns', { name => 'localhost', ip => $b_host });
sim(POST => '/forward/close', { host => $a_host, port => $_ }) for $pg_port, $redis_port;

ok(wait_for(20, sub { ready() == 200 && accepted($b_host, $pg_port) >= 2
                      && accepted($b_host, $redis_port) >= 2 }),
   'ready again, through B, with no reload: both workers\' PostgreSQL and Redis links moved')
    or diag(explain(sim(GET => '/forwards')));
is(ready(), 200, '... and it stays ready');
my $log = do { local (@ARGV, $/) = "$prefix/logs/error.log"; <> };
like($log, qr/north: localhost now resolves to \Q$b_host\E \(was \Q$a_host\E\)/,
     'the log says where the name moved');
like($log, qr/north redis: connected to \Q$b_host\E:$redis_port/, '... and Redis\'s new address');
is_deeply([ nginx_workers($prefix) ], \@workers, 'the same workers throughout: no reload, no restart');

done_testing();
