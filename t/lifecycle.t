# What one nginx must survive without a restart: PostgreSQL and Redis going
# away and coming back, clients that leave while their query runs, and
# `nginx -s reload` with queries in flight. Test::Nginx restarts nginx for
# every block, so this file drives one nginx (master and worker) itself.
use strict;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;
use IO::Socket::INET;
use Time::HiRes qw(sleep time);

my ($port, $prefix, $nginx) = north_nginx(
    name => 'lifecycle', api => 0,
    http => 'north_database_pool_size 1;',
    server => 'location = /readyz { north_api health.ready; }
        location = /sleep { north_api selftest.sleep; }
        location = /spin { north_api selftest.spin; }
        location = /metrics { north_api platform.metrics; }
        location = /accounts { north_jwt on; north_api plaid.accounts; }');
my @nginx = @$nginx;

sub get {
    my ($uri) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Timeout => 5) or return (0, "connect: $!");
    print $s "GET $uri HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    local $/;
    my $resp = <$s> // '';
    my ($code) = $resp =~ m{^HTTP/1\.1 (\d+)};
    my ($body) = $resp =~ /\r\n\r\n(.*)\z/s;
    return ($code // 0, $body // '');
}

# The first 200 within a few seconds, as backoff allows.
sub ready_again {
    for (1 .. 50) {
        my ($code) = get('/readyz');
        return 1 if $code == 200;
        sleep 0.1;
    }
    return 0;
}

sub log_text {
    open my $l, '<', "$prefix/logs/error.log" or return '';
    local $/;
    return <$l>;
}

my ($code, $body) = get('/readyz');
is($code, 200, 'ready at start');

North::Test::north_stack('pg-stop');
($code, $body) = get('/readyz');
is($code, 503, 'PostgreSQL stopped: 503');
like($body, qr/"detail":"postgresql: /, '... naming PostgreSQL');
North::Test::north_stack('pg-start');
ok(ready_again(), 'ready again after PostgreSQL returns, nginx untouched');

North::Test::north_stack('redis-stop');
($code, $body) = get('/readyz');
is($code, 503, 'Redis stopped: 503');
like($body, qr/"detail":"redis: /, '... naming Redis');
North::Test::north_stack('redis-start');
ok(ready_again(), 'ready again after Redis returns, nginx untouched');

# Redis refuses North's password once (a rotation half done): a refused AUTH
# is a failed connection, tried again with backoff, not a link that answers
# NOAUTH to every command until a reload
{
    my ($pass) = redis_password();
    redis_cli($pass, qw(CONFIG SET requirepass rotated-password));
    redis_cli('rotated-password', qw(CLIENT KILL TYPE normal));
    ($code, $body) = get('/readyz');
    is($code, 503, "Redis refuses North's password: 503");
    like($body, qr/"detail":"redis: /, '... naming Redis');
    redis_cli('rotated-password', 'CONFIG', 'SET', 'requirepass', $pass);
    my $ready = 0;
    for (1 .. 100) { last if $ready = (get('/readyz'))[0] == 200; sleep 0.1 }
    ok($ready, 'the password back: ready again without a reload');
    like(log_text(), qr/AUTH\/SELECT on \S+ refused/, '... the refusal logged');
}

# A client leaves while its query runs on the only pooled connection: the
# connection finishes the query, drops the result, and serves the next.
{
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port)
        or die $!;
    print $s "GET /sleep?ms=600 HTTP/1.1\r\nHost: t\r\n\r\n";
    sleep 0.15;
    close $s;
    my $t0 = time;
    my @codes = map { (get('/sleep?ms=10'))[0] } 1 .. 3;
    is_deeply(\@codes, [200, 200, 200],
              'after a client aborts, the pool still serves');
    cmp_ok(time - $t0, '<', 3, '... without waiting for a timeout');
}

# A client leaves while its statement is being prepared (a lock holds the
# PREPARE): PostgreSQL has the statement once the lock goes, so the
# connection counts it as prepared and never prepares it again (42P05).
{
    my $tok = session_token("lifecycle$$\@north.example.ca");
    my $locker = fork // die "fork: $!";
    if (!$locker) {
        local $ENV{LD_PRELOAD};
        delete $ENV{LD_PRELOAD};
        exec 'psql', '-X', '-q', $ENV{DATABASE_URL}, '-c',
             'begin; lock table north.accounts in access exclusive mode;'
             . ' select pg_sleep(1.5); commit;';
    }
    sleep 0.3;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port)
        or die $!;
    print $s "GET /accounts HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer $tok\r\n\r\n";
    sleep 0.3;
    close $s;
    waitpid $locker, 0;
    my @codes = map { north_http($port, GET => '/accounts', token => $tok)->{code} } 1 .. 5;
    is_deeply(\@codes, [(200) x 5],
              'a statement prepared for a client that left serves the next ones');
    unlike(log_text(), qr/42P05/, '... never prepared twice');
}

# Work in the thread pool answers through the event loop.
($code, $body) = get('/spin?rounds=1000');
is($code, 200, 'thread-pool task answered');
like($body, qr/"rounds":1000,"result":"[0-9a-f]{16}"/, '... with its result');

sub sleeps_counted {
    my (undef, $m) = get('/metrics');
    return $m =~ /north_http_requests_total\{route="selftest.sleep",status="2xx"\} (\d+)/ ? $1 : 0;
}
my $before = sleeps_counted();
cmp_ok($before, '>=', 3, "metrics count the queries so far ($before)");

# Reload while queries are in flight: each one is answered in full.
{
    my @s = north_send_all($port, ('/sleep?ms=700') x 6);
    sleep 0.2;
    system(@nginx, '-s', 'reload') == 0 or die "reload failed";
    my @ok = grep { $_->[0] == 200 && $_->[1] =~ /"slept_ms":700/ } north_answers(10, @s);
    is(scalar @ok, 6, 'reload with 6 queries in flight: all 6 answered');
}

# The old worker leaves once its requests are done, leaving nothing behind.
my $exited = 0;
for (1 .. 50) {
    $exited = () = log_text() =~ /\[notice\] \d+#\d+: exit\b/g;
    last if $exited;
    sleep 0.1;
}
ok($exited, 'the old worker exited after the reload');
unlike(log_text(), qr/open socket #\d+ left|\[alert\]|\[crit\]/,
       'no socket left open, no alert');
($code) = get('/readyz');
is($code, 200, 'the new worker is ready');
is(sleeps_counted(), $before + 6, 'the metrics survive the reload and count on');

done_testing();
