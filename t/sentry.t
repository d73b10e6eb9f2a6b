# Error tracking over the Sentry protocol (north_sentry), against a receiver
# of the test's own (t/sentry-sim) that checks each envelope as Sentry's
# ingestion would: a 5xx answered, an SQL error reaching a handler, a job
# that failed and a worker that died on a signal each become one event,
# with the request id, route, trace, release and environment; what would be
# personal is scrubbed; a slow tracker holds up no request; the rate caps
# the events. Plain Test::More: it reads the receiver's record.
use strict;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;
use IO::Socket::INET;
use JSON::PP;
use HTTP::Tiny;
use Time::HiRes qw(time sleep);

sub free_port {
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0) or die $!;
    my $p = $s->sockport; close $s; $p
}

my ($sport, $key) = (free_port(), "k$$");
my $sim = fork // die $!;
if (!$sim) {
    open STDOUT, '>', ($ENV{NORTH_VAR} // north_root() . '/t/var') . '/sentry-sim.log' or die $!;
    exec 'node', north_root() . '/t/sentry-sim/sim.js', $sport, $key or exit 127;
}
END { kill 'TERM', $sim if $sim }
my $http = HTTP::Tiny->new(timeout => 10);
wait_for(10, sub { $http->get("http://127.0.0.1:$sport/__sim/events")->{success} })
    or die "the Sentry receiver did not start\n";
sub received { decode_json($http->get("http://127.0.0.1:$sport/__sim/events")->{content}) }
sub sim { $http->post("http://127.0.0.1:$sport/__sim/$_[0]", { content => encode_json($_[1] // {}) }) }
sub events_of {
    my ($kind, $n) = @_;
    my @e;
    wait_for(10, sub { @e = grep { $_->{tags}{kind} eq $kind } @{ received()->{events} }; @e >= ($n // 1) });
    return @e;
}

my ($port, $prefix) = north_nginx(name => 'sentry', workers => 1,
    http => "north_sentry dsn=http://$key\@127.0.0.1:$sport/42 environment=ci rate=30;\n"
          . "    north_jobs_interval 200ms;",
    server => 'location = /sleep { north_api selftest.sleep; }
               location = /crash { north_api selftest.crash; }
               location = /metrics-t { north_api platform.metrics; }',
    expect_alerts => [qr/exited on signal 6\b/]);

my $release = `git -C @{[ north_root() ]} rev-parse --short=12 HEAD 2>/dev/null` // '';
chomp $release;

# --- an SQL error reaching a handler, and the 500 it becomes ------------------------------
my $r = north_http($port, GET => '/sleep?ms=1&fail=1', headers => { 'X-Request-Id' => "sentry-$$-1" });
is($r->{code}, 500, 'an SQL error: 500');
my ($sql) = events_of('postgresql.error');
my ($five) = events_of('http.5xx');
ok($sql, 'the SQL error is an event');
like($sql->{message}{formatted}, qr/^SQLSTATE 22P02: invalid input syntax for type integer/,
     '... its SQLSTATE and message');
is($sql->{tags}{request_id}, "sentry-$$-1", '... the request id');
is($sql->{tags}{route}, 'selftest.sleep', '... the route');
is($sql->{contexts}{trace}{trace_id}, substr($r->{headers}{traceparent}, 3, 32), '... the trace');
ok($five, 'the 500 is an event too');
is($five->{message}{formatted}, 'GET selftest.sleep answered 500', '... naming the route, not the URI');
is_deeply([@$five{qw(level environment project)}], ['error', 'ci', '42'],
          '... level error, the environment, to the DSN\'s project');
is($five->{release}, $release || $five->{release}, "... the build's release ($five->{release})");
like($five->{release}, qr/^[0-9a-f]{12}$|^unknown$/, '... a git revision');
is_deeply(received()->{refused}, [], 'every envelope passed the receiver\'s checks');

# --- the scrubber, through the whole path -----------------------------------------------------------
sim('reset');
for my $text ('jeanne.tremblay@example.ca', '4111111111111111', '$1,234.56',
              'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlMTIz') {
    my $q = $text =~ s/([^A-Za-z0-9._-])/sprintf '%%%02X', ord $1/ger;
    is(north_http($port, GET => "/sleep?ms=1&failwith=$q")->{code}, 500, "an error naming $text");
}
my @sql = events_of('postgresql.error', 4);
my $all = join "\n", map { $_->{message}{formatted} } @sql;
is(scalar @sql, 4, 'four events');
unlike($all, qr/jeanne|example\.ca|4111|1,234|eyJ/, 'none holds the e-mail, the card, the amount or the token');
like($all, qr/\[email\](.|\n)*\[number\](.|\n)*\[amount\](.|\n)*\[token\]/, '... each replaced by its kind');

# --- a job that failed ---------------------------------------------------------------------------------
sim('reset');
my $job = psql("insert into north.jobs (kind) values ('sentry.t.$$') returning id");
my ($failed) = events_of('job.failed');
like($failed->{message}{formatted}, qr/^job \Q$job\E \(unknown\) failed at attempt 1: unknown kind$/,
     'a failed job is an event: its id, kind, attempt and error');
psql("delete from north.jobs where id = :'a0'", $job);

# --- a worker that died on a signal -------------------------------------------------------------------
sim('reset');
my @before = nginx_workers($prefix);
north_http($port, GET => '/crash');
my @after;
ok(wait_for(10, sub { @after = nginx_workers($prefix); @after && "@after" ne "@before" }),
   'a worker crashed and another took its place');
my ($died) = events_of('worker.died');
ok($died, 'the next worker reported the death');
like($died->{message}{formatted} // '',
     qr/^a worker \(pid $before[0]\) died (on signal 6|without exiting)/,
     '... naming the worker and its signal');
is($died->{level}, 'fatal', '... as fatal');
ok(!-e "$prefix/logs/north-worker-$before[0].alive", '... and took its marker');
ok(-e "$prefix/logs/north-worker-$after[0].alive", 'the new worker keeps a marker of its own');

# --- a slow tracker holds up no request -------------------------------------------------------------
sim('reset');
sim('mode', { status => 200, delay_ms => 3000 });
my $t0 = time;
is(north_http($port, GET => '/sleep?ms=1&fail=1')->{code}, 500, 'with the tracker answering in 3 s');
cmp_ok(time - $t0, '<', 1, '... the request is answered at once');
sim('mode', { status => 200, delay_ms => 0 });

# --- the rate: at most 30 events a minute a worker ----------------------------------------------------
sleep 4;
sub counter {
    my ($body, $name) = @_;
    return $body =~ /^north_sentry_events_${name}_total (\d+)$/m ? $1 : -1;
}
my $m = north_http($port, GET => '/metrics-t')->{body};
my %before = (sent => counter($m, 'sent'), dropped => counter($m, 'dropped'));
north_http($port, GET => '/sleep?ms=1&fail=1') for 1 .. 40;
sleep 3;
$m = north_http($port, GET => '/metrics-t')->{body};
my $sent = counter($m, 'sent') - $before{sent};
my $dropped = counter($m, 'dropped') - $before{dropped};
cmp_ok($sent, '<=', 30, "80 events at once: no more than the rate are sent ($sent)");
cmp_ok($sent + $dropped, '==', 80, "... the rest dropped and counted ($dropped)");

done_testing();
