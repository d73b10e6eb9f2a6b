# Domain events and their consumers: a request that makes an event wakes
# the job runner, so the event is handed on at once whatever
# north_jobs_interval (here an hour); and the consumers' position never
# skips an event whose transaction commits after a later one's. Plain
# Test::More: a transaction held open in a second session.
use strict;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;
use POSIX ();
use Time::HiRes qw(time sleep);

my $port = north_nginx(name => 'events', http => 'north_jobs_interval 1h;');

sub call { north_http($port, @_) }

my $r = north_register($port, {
    email => "events$$\@north.example.ca", password => 'maple syrup & snow 42',
    consents => ['terms', 'privacy_policy'] });
my ($tok, $uid) = ($r->{json}{access_token}, $r->{json}{user}{id});

# --- at once, whatever the interval -----------------------------------------------------

my $t0 = time;
is(call(POST => '/v1/goals', token => $tok,
        json => { name => 'Trip', kind => 'savings', target_cents => 1000 })->{code}, 201,
   'a goal created');
ok(wait_for(3, sub { psql("select count(*) from north.points_ledger where user_id = :'a0'
                           and reason = 'goal_created'", $uid) == 1 }),
   '... its award follows within 3 s, the runner\'s interval being an hour');
note(sprintf 'the award took %.2f s', time - $t0);

# --- commit order ------------------------------------------------------------------------

# writer A takes its event first and commits last; writer B in between
my $a_key = "order-a-$$";
my $b_key = "order-b-$$";
my $pid = fork // die;
if (!$pid) {
    psql("begin; select north.event_put(:'a0', 'test_order', null, :'a1');
          select pg_sleep(3); commit;", $uid, $a_key);
    POSIX::_exit(0);
}
ok(wait_for(5, sub { psql("select count(*) from pg_stat_activity
                           where query like '%pg_sleep(3)%' and state = 'active'") > 0 }),
   'writer A holds its event in an open transaction');
sleep 0.3;
psql("select north.event_put(:'a0', 'test_order', null, :'a1')", $uid, $b_key);
my $b_id = psql("select id from north.events where key = :'a0'", $b_key);
psql("select north.events_consume(500)");
is(psql("select ((after_xid, after_id) < (select xid, id from north.events where id = :'a0'))::text
         from north.event_consumers where name = 'gamification'", $b_id), 'true',
   'writer B committed first: its event is not handed while A\'s transaction runs');
waitpid $pid, 0;
my $a_id = psql("select id from north.events where key = :'a0'", $a_key);
cmp_ok($a_id, '<', $b_id, 'A\'s event took the smaller id');
psql("select north.events_consume(500)");
is(psql("select ((after_xid, after_id) >= all (select xid, id from north.events
                                                where id in (:'a0', :'a1')))::text
         from north.event_consumers where name = 'gamification'", $a_id, $b_id), 'true',
   'A committed: both events are handed, none skipped');

done_testing();
