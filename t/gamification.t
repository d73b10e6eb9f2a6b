# Gamification through the real events: a user registers, checks in (twice
# a day, from two devices at once), completes the profile, links a bank
# through the Plaid simulator, sorts a transaction with a rule, creates and
# funds a goal to each milestone; the ledger, the total, the level, the
# streaks and the achievements follow, each award once, and handing every
# event to the consumer again changes nothing. Streaks over days the test
# sets (a freeze, a break), a move between zones, the ledger's pages, other
# users, French, PostgreSQL down. Plain Test::More: flows across requests,
# the job runner and psql.
use strict;
use utf8;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;
use Encode ();
use POSIX ();

my ($port) = north_nginx(name => 'gamification', workers => 2,
                         http => 'north_jobs_interval 200ms;');
my $n = 0;

sub call { north_http($port, @_) }

sub register {
    my $r = north_register($port, {
        email => sprintf('game%d.%d@north.example.ca', $$, ++$n),
        password => 'maple syrup & snow 42', consents => ['terms', 'privacy_policy'] });
    die "register: $r->{code} $r->{body}" unless $r->{code} == 201;
    return ($r->{json}{access_token}, $r->{json}{user}{id});
}

sub summary { call(GET => '/v1/gamification', token => $_[0])->{json} }
sub points_of { psql("select coalesce(sum(points), 0) from north.points_ledger
                      where user_id = :'a0'", $_[0]) }
sub reasons {
    my ($uid) = @_;
    my %n;
    $n{$_}++ for psql("select reason from north.points_ledger where user_id = :'a0'", $uid);
    return \%n;
}
# the consumer has handed on every event written so far
sub settled {
    return wait_for(10, sub {
        psql("select not exists (select 1 from north.events e, north.event_consumers c
              where c.name = 'gamification' and (e.xid, e.id) > (c.after_xid, c.after_id))") eq 't' });
}

my ($tok, $uid) = register();
my ($otok, $ouid) = register();

# --- a new user -----------------------------------------------------------------------

my $s = summary($tok);
is($s->{points}, 0, 'a new user: 0 points');
is_deeply([@{ $s->{level} }{qw(level name points_to_next percent)}], [1, 'Newcomer', 100, 0],
          '... level 1, 100 points to the next');
is($s->{streaks}{checkin}{current}, 0, '... no streak');
is_deeply($s->{recent}, [], '... no award');
is_deeply($s->{achievements}, { earned => 0, total => 7 }, '... 0 of 7 achievements');

# --- the daily check-in ---------------------------------------------------------------

my $today = psql("select north.user_today(:'a0')", $uid);
my $r = call(POST => '/v1/gamification/check-in', token => $tok);
is($r->{code}, 201, 'a check-in: 201');
is($r->{json}{day}, $today, '... for the user\'s today');
is($r->{json}{already_checked_in}, JSON::PP::false(), '... not already');
is($r->{json}{points_awarded}, 10, '... 10 points');
is($r->{json}{streak}{current}, 1, '... a streak of 1');

$r = call(POST => '/v1/gamification/check-in', token => $tok, json => {});
is($r->{code}, 200, 'again the same day, with {}: 200');
is($r->{json}{already_checked_in}, JSON::PP::true(), '... already_checked_in');
is($r->{json}{points_awarded}, 0, '... nothing awarded');
is(points_of($uid), 10, '... the ledger holds one award');

# two devices at once: one check-in counts
my @pids;
for my $i (1 .. 8) {
    my $pid = fork // die;
    if (!$pid) {
        my $r = call(POST => '/v1/gamification/check-in', token => $otok);
        POSIX::_exit($r->{code} == 201 ? 1 : $r->{code} == 200 ? 2 : 3);
    }
    push @pids, $pid;
}
my %codes;
for (@pids) { waitpid $_, 0; $codes{$? >> 8}++ }
is_deeply(\%codes, { 1 => 1, 2 => 7 }, '8 check-ins at once: one 201, seven 200');
is(psql("select count(*) || ' ' || sum(points) from north.points_ledger
         where user_id = :'a0'", $ouid), '1 10', '... one award of 10');

# --- bad input ------------------------------------------------------------------------

$r = call(POST => '/v1/gamification/check-in', token => $tok, json => { day => '2020-01-01' });
problem_ok($r, 400, 'validation-failed', 'a check-in that names its day');
is_deeply(fields_of($r), ['day'], '... the member named');
problem_ok(call(POST => '/v1/gamification/check-in', token => $tok, body => '{"x',
                headers => { 'Content-Type' => 'application/json' }),
           400, 'invalid-json', 'a check-in of malformed JSON');
problem_ok(call(POST => '/v1/gamification/check-in', token => $tok, body => '[]',
                headers => { 'Content-Type' => 'application/json' }),
           400, 'invalid-json', 'a check-in of an array');
is(call(POST => '/v1/gamification/check-in')->{code}, 401, 'a check-in without a token: 401');
is(call(GET => '/v1/gamification')->{code}, 401, 'the summary without a token: 401');
is(call(DELETE => '/v1/gamification', token => $tok)->{code}, 405, 'DELETE the summary: 405');
is(points_of($uid), 10, 'no bad request awarded anything');

# --- the services' events -------------------------------------------------------------

is(call(PATCH => '/v1/me', token => $tok, json => { province => 'QC' })->{code}, 200,
   'a province alone');
call(PATCH => '/v1/me', token => $tok, json => { time_zone => 'America/Toronto' });
call(PATCH => '/v1/me', token => $tok, json => { display_name => 'Jeanne' });
settled();
is(reasons($uid)->{profile_completed}, 1, 'the profile completed (province, zone): awarded once');

my ($item) = plaid_link($port, $tok);
plaid_link($port, $tok, institution => 'ins_north_2');
settled();
is(reasons($uid)->{bank_linked}, 1, 'two banks linked: the first one awarded');

my $tx = psql("select id from north.transactions where user_id = :'a0'
               and merchant_name is not null order by id limit 1", $uid);
$r = call(PATCH => "/v1/transactions/$tx", token => $tok,
          json => { category => 'dining', apply_to_similar => JSON::PP::true() });
is($r->{code}, 200, 'a transaction sorted with a rule');
settled();
is(reasons($uid)->{rule_created}, 1, '... the rule awarded');

$r = call(POST => '/v1/goals', token => $tok, json => {
    name => 'Trip', kind => 'savings', target_cents => 120000 });
my $goal = $r->{json}{id};
for my $cents (30000, 30000, 30000, 30000) {
    call(POST => "/v1/goals/$goal/contributions", token => $tok,
         json => { amount_cents => $cents });
}
settled();
my $got = reasons($uid);
is($got->{goal_created}, 1, 'a goal created: awarded');
is($got->{goal_contribution}, 4, 'four contributions: four awards');
is($got->{goal_milestone}, 4, 'the 25, 50, 75 and 100% milestones: four awards');
is(psql("select string_agg(ref, ',' order by event_key) from north.points_ledger
         where user_id = :'a0' and reason = 'goal_milestone'", $uid),
   join(',', ($goal) x 4), '... each of the goal');

# sorting one transaction left none uncategorised, or not: the award says so
my $sorted = psql("select not exists (select 1 from north.transactions
                   where user_id = :'a0' and not hidden and category = 'uncategorised')", $uid);
is(reasons($uid)->{all_categorised} // 0, $sorted eq 't' ? 1 : 0,
   'every transaction categorised by the user\'s sorting: awarded, or not, as it is');

my $total = points_of($uid);
$s = summary($tok);
is($s->{points}, $total, 'the total is the ledger\'s sum');
is(psql("select points from north.points_totals where user_id = :'a0'", $uid), $total,
   '... and the kept total too');
is($total, 10 + 50 + 100 + 10 + 50 + 4 * 15 + 4 * 50 + ($sorted eq 't' ? 20 : 0),
   '... 480 in all, and 20 if everything is sorted');
is_deeply([@{ $s->{level} }{qw(level name min_points next_level_points points_into_level
                                points_to_next percent)}],
          [3, 'Planner', 300, 700, $total - 300, 700 - $total, int(($total - 300) / 4)],
          '... level 3, on the way to 4');
is(psql("select string_agg(subject, ',' order by id) from north.events
         where user_id = :'a0' and kind = 'level_up'", $uid), '2,3',
   '... each level reached is an event, once');
is($s->{streaks}{savings}{current}, 1, 'a contribution this week: a weekly streak of 1');
is($s->{streaks}{savings}{this_week}, JSON::PP::true(), '... this week counted');
is(scalar @{ $s->{recent} }, 5, 'the summary shows the five latest awards');
$r = call(GET => '/v1/gamification/achievements', token => $tok);
my %a = map { $_->{id} => $_ } @{ $r->{json}{achievements} };
# one earned stays earned when its measure falls later (the balances of a
# second bank can lower the emergency fund's months): earned, not met, counts
my @met = sort grep { $a{$_}{current} >= $a{$_}{target} } keys %a;
my @earned = sort grep { $a{$_}{earned} } keys %a;
is_deeply([grep { !$a{$_}{earned} } @met], [], 'every achievement met is earned');
is(scalar(grep { !$a{$_}{earned_at} } @earned), 0, '... each earned one with its time');
is($s->{achievements}{earned}, scalar @earned, '... as many as the summary counts');
ok($a{first_goal_reached}{earned} && $a{first_goal_reached}{earned_at}, 'first goal reached: earned, with its time');
ok($a{saved_1000}{earned}, '$1,000 saved: earned');
is_deeply([@{ $a{streak_7} }{qw(earned current target)}], [JSON::PP::false(), 1, 7],
          'a 7-day streak: locked, 1 of 7');
is_deeply([@{ $a{rules_10} }{qw(current target)}], [1, 10], '10 rules: 1 of 10');

# --- replays: every event handed to the consumer again ---------------------------------

my $events = psql("select count(*) from north.events where user_id = :'a0'", $uid);
my $awards = psql("select count(*) from north.points_ledger where user_id = :'a0'", $uid);
psql_owner("update north.event_consumers set after_xid = '0', after_id = 0
            where name = 'gamification'");
settled();
is(points_of($uid), $total, 'every event handed again: the total is unchanged');
is(psql("select count(*) from north.events where user_id = :'a0'", $uid), $events,
   '... and no event is written twice');
is(psql("select count(*) from north.points_ledger where user_id = :'a0'", $uid), $awards,
   '... nor any award');
is(psql("select handled >= 2 * :'a0' from north.event_consumers
         where name = 'gamification'", $events), 't', '... though all were handed twice');
call(GET => "/v1/goals/$goal", token => $tok);
settled();
is(points_of($uid), $total, 'a goal read again records no milestone twice');
is(psql("select count(*) from north.user_achievements where user_id = :'a0'", $uid),
   scalar @earned, 'achievements evaluated again: none twice');

# --- the ledger, page by page -------------------------------------------------------------

my @all;
my $cursor;
my $pages = 0;
do {
    $r = call(GET => '/v1/gamification/ledger?limit=4' . ($cursor ? "&cursor=$cursor" : ''),
              token => $tok);
    push @all, @{ $r->{json}{entries} };
    $cursor = $r->{json}{next_cursor};
    $pages++;
} while ($cursor && $pages < 10);
is(scalar @all, psql("select count(*) from north.points_ledger where user_id = :'a0'", $uid),
   'the ledger in pages of 4: every award once');
is_deeply([map { $_->{id} } @all], [sort { $b <=> $a } map { $_->{id} } @all],
          '... newest first');
like($all[0]{at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, '... times in RFC 3339');
problem_ok(call(GET => '/v1/gamification/ledger?limit=0', token => $tok), 400,
           'validation-failed', 'a page of 0');
problem_ok(call(GET => '/v1/gamification/ledger?limit=101', token => $tok), 400,
           'validation-failed', 'a page of 101');
problem_ok(call(GET => '/v1/gamification/ledger?cursor=abc', token => $tok), 400,
           'validation-failed', 'a cursor the list never gave');

# --- other users, French ------------------------------------------------------------------

$r = call(GET => '/v1/gamification/ledger', token => $otok);
is(scalar @{ $r->{json}{entries} }, 1, 'another user sees only their own award');
is(summary($otok)->{points}, 10, '... and their own total');
$r = call(GET => '/v1/gamification', token => $tok, headers => { 'Accept-Language' => 'fr-CA' });
is($r->{json}{level}{name}, 'Planificateur', 'in French: the level\'s name');
is($r->{json}{recent}[0]{label}, Encode::decode_utf8(psql("select label_fr
    from north.points_rules where reason = :'a0'", $r->{json}{recent}[0]{reason})),
   '... and the awards\'');
$r = call(GET => '/v1/gamification/achievements', token => $tok,
          headers => { 'Accept-Language' => 'fr-CA' });
is($r->{json}{achievements}[0]{name}, 'Série de 7 jours', '... and the achievements\'');

# --- streaks over days --------------------------------------------------------------------

# the user's streak as of days ago: current, last day, the last freeze
sub streak_at {
    my ($current, $ago, $freeze_ago) = @_;
    psql_owner("delete from north.checkins where user_id = :'a0'", $uid);
    psql_owner("update north.streaks set current = :'a1', longest = :'a1',
                last_period = north.user_today(:'a0') - :'a2'::int,
                freeze_on = north.user_today(:'a0') - nullif(:'a3', '')::int
                where user_id = :'a0' and kind = 'checkin'",
               $uid, $current, $ago, $freeze_ago // '');
}

streak_at(6, 1);
$r = call(POST => '/v1/gamification/check-in', token => $tok);
is($r->{json}{streak}{current}, 7, 'checked in yesterday: the streak goes on, 7');
is(psql("select count(*) from north.user_achievements where user_id = :'a0'
         and achievement = 'streak_7'", $uid), 1, '... and the 7-day achievement is earned');

streak_at(9, 2);
is(summary($tok)->{streaks}{checkin}{current}, 9,
   'one day missed: the streak still shows, a freeze can cover it');
$r = call(POST => '/v1/gamification/check-in', token => $tok);
is($r->{json}{streak}{current}, 10, '... a check-in today: the freeze covers yesterday');
is($r->{json}{streak}{freeze}{last_used_on}, psql("select (north.user_today(:'a0') - 1)::text", $uid),
   '... and is shown used, for yesterday');
is($r->{json}{streak}{freeze}{available}, JSON::PP::false(), '... none left for 30 days');

streak_at(10, 2, 10);
is(summary($tok)->{streaks}{checkin}{current}, 0, 'one day missed, a freeze 10 days ago: broken');
$r = call(POST => '/v1/gamification/check-in', token => $tok);
is($r->{json}{streak}{current}, 1, '... a check-in starts again at 1');
is($r->{json}{streak}{longest}, 10, '... the longest is kept');

streak_at(4, 3);
$r = call(POST => '/v1/gamification/check-in', token => $tok);
is($r->{json}{streak}{current}, 1, 'two days missed: no freeze covers them, 1');

# a move from Vancouver to Halifax neither breaks nor doubles a day (the
# rule's table of cases over instants is in gamification-rules.t)
call(PATCH => '/v1/me', token => $tok, json => { time_zone => 'America/Vancouver' });
streak_at(3, 1);
psql_owner("update north.streaks set last_zone = 'America/Vancouver'
            where user_id = :'a0' and kind = 'checkin'", $uid);
call(PATCH => '/v1/me', token => $tok, json => { time_zone => 'America/Halifax' });
$r = call(POST => '/v1/gamification/check-in', token => $tok);
is($r->{json}{streak}{current}, 4, 'checked in yesterday in Vancouver, today in Halifax: 4');
# while Halifax's date is already Vancouver's next one (04:00 to 08:00
# UTC), the first check-in counted Vancouver's day, which had not ended,
# and Halifax's own day is then a day of its own: once only after that
if (psql("select (now() at time zone 'America/Halifax')::date
              > (now() at time zone 'America/Vancouver')::date") eq 't') {
    is(call(POST => '/v1/gamification/check-in', token => $tok)->{json}{streak}{current}, 5,
       '... Halifax\'s own date begun: it counts too, 5');
}
is(call(POST => '/v1/gamification/check-in', token => $tok)->{json}{already_checked_in},
   JSON::PP::true(), '... and once only');

# --- PostgreSQL down ------------------------------------------------------------------------

north_stack('pg-stop');
problem_ok(call(GET => '/v1/gamification', token => $tok), 503, 'database-unavailable',
           'PostgreSQL down: the summary');
problem_ok(call(POST => '/v1/gamification/check-in', token => $otok), 503,
           'database-unavailable', 'PostgreSQL down: a check-in');
north_stack('pg-start');
is(call(GET => '/v1/gamification/ledger', token => $otok)->{code}, 200, 'PostgreSQL back: 200');
is(points_of($ouid), 10, '... and nothing was half-written');

done_testing();
