# The PostgreSQL pipeline: statements sent on a busy connection behind the
# ones running there, each answered with its own result; an SQL error, a
# client that leaves and a timeout touch no other request's answer.
# Test::Nginx sends a block's requests one after another, so this file drives
# its own nginx (one worker, one connection, a pipeline four deep).
use strict;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;
use Time::HiRes qw(sleep time);

my $routes = 'location = /sleep { north_api selftest.sleep; }
        location = /metrics { north_api platform.metrics; }';

my $port = north_nginx(
    name => 'pipeline', api => 0,
    http => "north_database_pool_size 1;\n    north_database_pipeline 4;",
    server => $routes);

sub at_once { north_answers(20, north_send_all(@_)) }

sub metric {
    my ($port, $name) = @_;
    my ($m) = at_once($port, '/metrics');
    return $m->[1] =~ /^$name (\d+)$/m ? $1 : -1;
}

# --- twelve requests at once on one connection --------------------------------
{
    my $before = metric($port, 'north_pg_pipelined_total');
    my @ms = map { 100 + $_ } 1 .. 12;
    my @r = at_once($port, map { "/sleep?ms=$_" } @ms);
    my @own = grep { $r[$_][0] == 200 && $r[$_][1] eq "{\"slept_ms\":$ms[$_]}" }
              0 .. $#ms;
    is(scalar @own, 12, '12 at once on one connection: each answered 200 with its own result');
    my $pipelined = metric($port, 'north_pg_pipelined_total') - $before;
    cmp_ok($pipelined, '>=', 3, "... $pipelined of them sent while others ran there");
}

# --- an SQL error in the middle of a pipeline ----------------------------------
{
    my @r = at_once($port, '/sleep?ms=200', '/sleep?ms=1&fail=1', '/sleep?ms=50');
    is($r[0][0], 200, 'an error between two: the one before answers 200');
    is($r[0][1], '{"slept_ms":200}', '... with its own result');
    is($r[1][0], 500, 'the refused statement is a 500');
    unlike($r[1][1], qr/slept_ms/, '... with no result of another');
    is($r[2][0], 200, 'the one behind it answers 200');
    is($r[2][1], '{"slept_ms":50}', '... with its own result');
}

# --- a client that leaves while its statement waits in the pipeline --------------
{
    my ($a, $b, $c) = north_send_all($port, '/sleep?ms=300', '/sleep?ms=300', '/sleep?ms=20');
    sleep 0.1;
    close $b;
    my @r = north_answers(20, $a, $c);
    is_deeply([map { $_->[0] } @r], [200, 200], 'a client left mid-pipeline: the others answer 200');
    is($r[0][1], '{"slept_ms":300}', '... the one before it with its own result');
    is($r[1][1], '{"slept_ms":20}', '... the one behind it with its own, not the result left behind');
    my ($after) = at_once($port, '/sleep?ms=5');
    is($after->[1], '{"slept_ms":5}', '... and the connection serves on');
}

# --- a statement that outlives the timeout, with others behind it ---------------
{
    my $short = north_nginx(
        name => 'pipeline-timeout', api => 0,
        http => "north_database_pool_size 1;\n    north_database_pipeline 4;\n"
              . "    north_database_timeout 500ms;",
        server => $routes);
    my @r = at_once($short, '/sleep?ms=3000', '/sleep?ms=10', '/sleep?ms=20');
    is($r[0][0], 503, 'the statement that outlives the timeout is a 503');
    like($r[0][1], qr/"type":"https:\/\/north\.ca\/problems\/database-unavailable"/,
         '... database-unavailable');
    # the server's statement_timeout and ours end it at the same time: those
    # behind run on when the server's comes first, or are lost with the link
    for my $i (1, 2) {
        my $ms = (10, 20)[$i - 1];
        ok($r[$i][0] == 200 && $r[$i][1] eq "{\"slept_ms\":$ms}"
           || $r[$i][0] == 503 && $r[$i][1] =~ /database-unavailable/,
           "the one behind it (#$i) answers its own result or a 503 problem, nothing else");
    }
    my ($after) = at_once($short, '/sleep?ms=5');
    is_deeply($after, [200, '{"slept_ms":5}'], 'the pool serves right after');
}

done_testing();
