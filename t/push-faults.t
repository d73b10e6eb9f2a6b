# The push sender when things break, with the sweep an hour away so that
# only the sender's own wakes move deliveries: streams lost with their
# connection while FCM answers the others (the rest go at once; a lost one
# goes again in its batch, and if lost again, when its backoff is over, by
# a sender woken for that time), and a worker killed
# mid-batch (the batch is sent again when its lease runs out, once, and
# nothing that was recorded goes twice). Plain Test::More: flows across the
# job runner, psql, the simulator and a killed worker.
use strict;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;

my ($port, $prefix) = north_nginx(name => 'push-faults', workers => 2,
    expect_alerts => [qr/exited on signal 9\b/],
    http => "north_jobs_interval 200ms;
    north_jobs_sweep 1h;
    north_jobs_lease 3s;
    north_fcm_batch 2;
    north_fcm_timeout 2s;
    north_fcm_lease 5s;");
my $n = 0;

sub user {
    my $email = sprintf('push-faults%d.%d@north.example.ca', $$, ++$n);
    return psql_owner("insert into north.users (email, password_hash) values (:'a0', 'x')
                       returning id", $email);
}

sub devices {
    my ($uid, %tokens) = @_;
    psql("insert into north.push_tokens (user_id, device_id, token, platform)
          values (:'a0', :'a1', :'a2', 'android')", $uid, $_, $tokens{$_})
        for sort keys %tokens;
}

sub notice {
    my ($uid, $key) = @_;
    return psql("select north.notify(:'a0', 'security', 'new_device',
                 jsonb_build_object('device', 'Tablette'), :'a1', now())", $uid, $key);
}

# each device's "state attempts", by device
sub deliveries {
    my ($uid) = @_;
    return { map { split / /, $_, 2 } split /,/, psql(
        "select string_agg(device_id || ' ' || state || ' ' || attempts, ',')
         from north.push_deliveries where user_id = :'a0'", $uid) // '' };
}

# the messages FCM received for a token (on the connections up to session,
# the simulator's id of one)
sub received {
    my ($token, $session) = @_;
    return scalar grep { $_->{token} eq $token && (!$session || $_->{session} <= $session) }
        @{ fcm_sim('/__sim/messages') // [] };
}

fcm_sim('/__sim/reset', {});

# --- streams lost mid-batch: sent again at once, or when due ----------------------------------

my $u1 = user();
# batches of two, by device: each lost stream has an answered one beside it
my %t1 = map { ("d$_" => "good-f-$_-$u1") } 2, 4, 5, 6;
$t1{d1} = "flaky-1-$u1";               # its stream is reset once
$t1{d3} = "flaky-2-$u1";               # twice
devices($u1, %t1);
my $t0 = time;
ok(notice($u1, 'lost'), 'a notice to six devices, two a batch, two streams to be lost');
ok(wait_for(10, sub { (grep { $_ eq 'sent 1' } values %{ deliveries($u1) }) == 5 }),
   'the five others are sent at once, the sweep an hour away')
    or diag explain deliveries($u1);
is(received($t1{d1}), 2, '... the one lost once among them, sent again in its batch');
is(deliveries($u1)->{d3}, 'queued 1', 'the one lost twice waits for its retry');
cmp_ok(psql("select extract(epoch from not_before - now()) from north.push_deliveries
             where user_id = :'a0' and device_id = 'd3'", $u1), '>=', 5,
       '... after its backoff');
ok(wait_for(25, sub { deliveries($u1)->{d3} eq 'sent 2' }),
   '... and is sent when due, by a sender woken for that time')
    or diag explain deliveries($u1);
cmp_ok(time - $t0, '<', 30, '... long before the sweep');
is(received($t1{d3}), 3, 'FCM saw it three times (two resets, then the retry)');
is((grep { received($t1{$_}) == 1 } map { "d$_" } 2, 4, 5, 6), 4, '... and each other once');

# --- a worker killed mid-batch ------------------------------------------------------------------

my $u2 = user();
my %t2 = map { ("k$_" => "good-k-$_-$u2") } 1 .. 6;
devices($u2, %t2);
fcm_sim('/__sim/config', { delay_ms => 1500 });   # the answers are slow
ok(notice($u2, 'killed'), 'a notice to six devices, FCM slow to answer');
ok(wait_for(10, sub { grep { received($_) } values %t2 }), '... a batch reaches FCM');
# the workers' connections are those opened so far; the workers that replace
# them open their own
my $opened = fcm_sim('/__sim/stats')->{last_session};
my @workers = nginx_workers($prefix);
is(scalar(grep { kill 'KILL', $_ } @workers), 2, 'both workers killed before it is answered');
sleep 1;   # a record they had sent commits
my %recorded = map { ($_ => 1) } grep { deliveries($u2)->{$_} =~ /^sent/ } keys %t2;
fcm_sim('/__sim/config', { delay_ms => 0 });
ok(wait_for(30, sub { (grep { /^sent/ } values %{ deliveries($u2) }) == 6 }),
   'every delivery is sent in the end, by the workers that replace them')
    or diag explain deliveries($u2);
my %before = map { ($_ => received($t2{$_}, $opened)) } keys %t2;
my @twice = grep { received($t2{$_}) == 2 } sort keys %t2;
ok(@twice >= 1, "the batch in flight at the kill went again (@twice)");
is_deeply([grep { received($t2{$_}) > 2 } sort keys %t2], [], '... no device got a third copy');
is_deeply([grep { !$before{$_} || $recorded{$_} } @twice], [],
          '... and only what FCM had received unrecorded at the kill went twice');
is_deeply([sort { $a cmp $b } grep { received($t2{$_}) == 1 } keys %t2],
          [sort { $a cmp $b } grep { !$before{$_} || $recorded{$_} } keys %t2],
          'everything else went once')
    or diag explain { before => \%before, recorded => \%recorded,
                      after => { map { ($_ => received($t2{$_})) } keys %t2 } };

done_testing();
