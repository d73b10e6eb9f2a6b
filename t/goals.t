# Goals: savings by contributions, savings on an account, debt payoff on a
# credit card; progress, the monthly amount, the projection from the last
# 90 days, status, milestones recorded once each; edits, deletion, other
# users' ids, bad input to an existing goal, PostgreSQL down: flows over one
# user's goals and transactions, which a block cannot build (a new goal's
# bad input is a block each, in goals-input.t).
use strict;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;
use JSON::PP ();

my ($port) = north_nginx(name => 'goals');
my $n = 0;

sub call { north_http($port, @_) }

sub register {
    my $r = north_register($port, {
        email => sprintf('goals%d.%d@north.example.ca', $$, ++$n),
        password => 'maple syrup & snow 42', consents => ['terms', 'privacy_policy'] });
    die "register: $r->{code} $r->{body}" unless $r->{code} == 201;
    return ($r->{json}{access_token}, $r->{json}{user}{id});
}

my ($tok, $uid) = register();
my ($otok, $ouid) = register();
my $today = psql("select north.user_today(:'a0')", $uid);
sub day { psql("select (:'a0'::date + :'a1'::int)::text", $today, $_[0]) }

sub account {
    my ($type, $balance) = @_;
    return psql("insert into north.accounts (user_id, name, type, balance_cents)
                 values (:'a0', :'a1', :'a1', :'a2') returning id", $uid, $type, $balance);
}

# --- savings by contributions ------------------------------------------------------

my $r = call(POST => '/v1/goals', token => $tok, json => {
    name => 'Emergency fund', kind => 'savings', purpose => 'emergency_fund',
    target_cents => 1000000, target_date => day(365) });
is($r->{code}, 201, 'a savings goal: 201');
my $g = $r->{json};
my $goal = $g->{id};
is($g->{tracking}, 'contributions', '... tracked by contributions');
is_deeply([@{ $g->{progress} }{qw(saved_cents percent remaining_cents status)}],
          [0, 0, 1000000, 'behind'], '... nothing saved yet: behind');
is($g->{progress}{monthly_cents}, int((1000000 * 146097 + 365 * 4800 - 1) / (365 * 4800)),
   '... the monthly amount to the date');
is($g->{progress}{projected_date}, undef, '... no pace, no projection');
is_deeply($g->{milestones}, [], '... no milestone');

$r = call(POST => "/v1/goals/$goal/contributions", token => $tok,
          json => { amount_cents => 250000, note => 'Bonus' });
is($r->{code}, 201, 'a contribution: 201');
is($r->{json}{progress}{percent}, 25, '... 25%');
is_deeply([map { $_->{percent} } @{ $r->{json}{milestones} }], [25], '... the 25% milestone');
is(psql("select count(*) from north.goal_milestones where goal_id = :'a0'", $goal), 1, '... recorded');
my $first = psql("select reached_at from north.goal_milestones where goal_id = :'a0'", $goal);

# pace: 2,500 in a goal 1 day old; the window is the goal's age
is($r->{json}{progress}{pace_days}, 1, '... the window is the goal\'s age');
is($r->{json}{progress}{projected_date}, day(3), '... 7,500 left at 2,500 a day: 3 days');
is($r->{json}{progress}{status}, 'on_track', '... on track');

call(POST => "/v1/goals/$goal/contributions", token => $tok, json => { amount_cents => 10000 });
$r = call(GET => "/v1/goals/$goal", token => $tok);
is(psql("select count(*) from north.goal_milestones where goal_id = :'a0'", $goal), 1,
   'the 25% milestone is recorded once');
is(psql("select reached_at from north.goal_milestones where goal_id = :'a0'", $goal), $first,
   '... at its first time');
is($r->{json}{progress}{saved_cents}, 260000, 'saved is the sum of contributions');

# a withdrawal lowers it; milestones stay reached
$r = call(POST => "/v1/goals/$goal/contributions", token => $tok, json => { amount_cents => -100000 });
is($r->{json}{progress}{saved_cents}, 160000, 'a withdrawal lowers what is saved');
is(scalar @{ $r->{json}{milestones} }, 1, '... and the milestone stays');

# an older goal: the pace is the last 90 days only
psql("update north.goals set created_on = :'a1'::date - 400 where id = :'a0'", $goal, $today);
psql("update north.goal_contributions set made_on = :'a1'::date - 200 where goal_id = :'a0'", $goal, $today);
call(POST => "/v1/goals/$goal/contributions", token => $tok,
     json => { amount_cents => 90000, date => day(-10) });
$r = call(GET => "/v1/goals/$goal", token => $tok);
my $p = $r->{json}{progress};
is("$p->{pace_cents} $p->{pace_days}", '90000 90', 'the pace: what came in over the last 90 days');
is($p->{projected_date}, day(750), '... 7,500 left at 1,000 a day: 750 days');
is($p->{status}, 'behind', '... past the target date: behind');

# all of it: 50, 75 and 100 at once, each once
$r = call(POST => "/v1/goals/$goal/contributions", token => $tok, json => { amount_cents => 750000 });
is($r->{json}{progress}{status}, 'achieved', 'the target reached: achieved');
is($r->{json}{progress}{percent}, 100, '... 100%');
is_deeply([map { $_->{percent} } @{ $r->{json}{milestones} }], [25, 50, 75, 100], '... every milestone');
is(psql("select string_agg(percent::text, ',' order by percent) from north.goal_milestones
         where goal_id = :'a0'", $goal), '25,50,75,100', '... recorded');
call(GET => '/v1/goals', token => $tok);
is(psql("select count(*) from north.goal_milestones where goal_id = :'a0'", $goal), 4, '... once each');

# --- savings on an account, debt payoff on a card ----------------------------------

my $savings = account('depository', 300000);
$r = call(POST => '/v1/goals', token => $tok, json => {
    name => 'Down payment', kind => 'savings', purpose => 'down_payment',
    target_cents => 1200000, account_id => $savings });
is($r->{code}, 201, 'a goal on a savings account: 201');
is("$r->{json}{tracking} $r->{json}{progress}{saved_cents} $r->{json}{progress}{percent}",
   'account 300000 25', '... its balance is what is saved');
is($r->{json}{progress}{monthly_cents}, undef, '... no date, no monthly amount');
my $dp = $r->{json}{id};
problem_ok(call(POST => "/v1/goals/$dp/contributions", token => $tok, json => { amount_cents => 5 }),
           409, 'goal-tracks-account', 'contributions to an account goal');
psql("update north.balance_snapshots set day = day - 30 where source_id = :'a0'", $savings);
psql("update north.accounts set balance_cents = 700000 where id = :'a0'", $savings);
psql("update north.goals set created_on = created_on - 30 where id = :'a0'", $dp);
$r = call(GET => "/v1/goals/$dp", token => $tok);
is("$r->{json}{progress}{saved_cents} $r->{json}{progress}{pace_cents} $r->{json}{progress}{pace_days}",
   '700000 400000 31', 'the balance rose 4,000 over the goal\'s 31 days');
is($r->{json}{progress}{projected_date}, day(39), '... 5,000 left: 39 days at that pace');

my $card = account('credit', 500000);
$r = call(POST => '/v1/goals', token => $tok, json => {
    name => 'Visa to zero', kind => 'debt_payoff', purpose => 'credit_card', account_id => $card,
    target_date => day(100) });
is($r->{code}, 201, 'a debt payoff goal on a card: 201');
is("$r->{json}{progress}{target_cents} $r->{json}{progress}{saved_cents}", '500000 0',
   '... the target is what it owes today');
my $debt = $r->{json}{id};
psql("update north.accounts set balance_cents = 250000 where id = :'a0'", $card);
$r = call(GET => "/v1/goals/$debt", token => $tok);
is("$r->{json}{progress}{saved_cents} $r->{json}{progress}{percent}", '250000 50',
   '... half paid off: 50%');
is_deeply([map { $_->{percent} } @{ $r->{json}{milestones} }], [25, 50], '... its milestones');
problem_ok(call(POST => '/v1/goals', token => $tok, json => {
    name => 'x', kind => 'savings', target_cents => 5, account_id => $card }),
    422, 'wrong-account-kind', 'a savings goal on a card');
problem_ok(call(POST => '/v1/goals', token => $tok, json => {
    name => 'x', kind => 'debt_payoff', account_id => $savings }),
    422, 'wrong-account-kind', 'a debt goal on a savings account');
my $other_acct = psql("insert into north.accounts (user_id, name, type, balance_cents)
                       values (:'a0', 'theirs', 'depository', 1) returning id", $ouid);
problem_ok(call(POST => '/v1/goals', token => $tok, json => {
    name => 'x', kind => 'savings', target_cents => 5, account_id => $other_acct }),
    422, 'no-such-account', "another user's account");
is_deeply(fields_of(call(POST => '/v1/goals', token => $tok, json => {
    name => 'x', kind => 'debt_payoff' })), ['target_cents'], 'a debt without an account needs its amount');
$r = call(POST => '/v1/goals', token => $tok, json => {
    name => 'Student loan', kind => 'debt_payoff', target_cents => 2000000 });
is("$r->{code} $r->{json}{tracking}", '201 contributions', 'a debt tracked by payments');

# --- the list, edits, deletion ---------------------------------------------------------

$r = call(GET => '/v1/goals', token => $tok);
is(scalar @{ $r->{json}{goals} }, 4, 'the list: every goal');
is(scalar @{ call(GET => '/v1/goals', token => $otok)->{json}{goals} }, 0, "... another user's is empty");
$r = call(PATCH => "/v1/goals/$goal", token => $tok,
          json => { name => 'Rainy day', target_cents => 2000000, target_date => undef });
is("$r->{code} $r->{json}{name} $r->{json}{progress}{status}", '200 Rainy day on_track',
   'a new target: no longer achieved, on track without a date');
is($r->{json}{target_date}, undef, '... the date cleared');
is(scalar @{ $r->{json}{milestones} }, 4, '... milestones reached stay recorded');
# a goal has no ETag: conditional headers are ignored, never judged after the write
for my $h (['If-Match' => '"stale"'], ['If-Unmodified-Since' => 'Mon, 01 Jan 2001 00:00:00 GMT']) {
    $r = call(PATCH => "/v1/goals/$goal", token => $tok, json => { name => "Rainy day $h->[0]" },
              headers => { @$h });
    is("$r->{code} $r->{json}{name}", "200 Rainy day $h->[0]", "PATCH with $h->[0]: 200, the answer of the change made");
}
problem_ok(call(GET => "/v1/goals/$goal", token => $otok), 404, 'not-found', "another user's goal");
problem_ok(call(PATCH => "/v1/goals/$goal", token => $otok, json => { name => 'Mine' }), 404, 'not-found',
           "... cannot be changed");
problem_ok(call(POST => "/v1/goals/$goal/contributions", token => $otok, json => { amount_cents => 1 }),
           404, 'not-found', '... nor contributed to');
problem_ok(call(DELETE => "/v1/goals/$goal", token => $otok), 404, 'not-found', '... nor deleted');
problem_ok(call(GET => '/v1/goals/not-a-uuid', token => $tok), 404, 'not-found', 'a malformed id');
problem_ok(call(POST => '/v1/goals/not-a-uuid/contributions', token => $tok, json => { amount_cents => 1 }),
           404, 'not-found', '... in a contribution');

# --- bad input -------------------------------------------------------------------------

# (a new goal's bad input: blocks in goals-input.t)
is_deeply(fields_of(call(PATCH => "/v1/goals/$goal", token => $tok, json => { kind => 'savings' })),
          ['kind'], 'the kind cannot change');
is(call(PATCH => "/v1/goals/$goal", token => $tok, json => {})->{code}, 400, 'an empty edit: 400');
is_deeply(fields_of(call(POST => "/v1/goals/$goal/contributions", token => $tok,
                         json => { amount_cents => 0, date => 'today', note => 'x' x 501 })),
          [qw(amount_cents date note)], 'a bad contribution: each field named');
is_deeply(fields_of(call(POST => "/v1/goals/$goal/contributions", token => $tok,
                         json => { amount_cents => 1.5 })), ['amount_cents'], 'a fraction of a cent');
problem_ok(call(POST => "/v1/goals/$goal/contributions", token => $tok,
                json => { amount_cents => 100, date => day(2) }), 422, 'future-contribution',
           'a contribution dated after today');
problem_ok(call(POST => '/v1/goals', token => $tok, json => { name => 'x' x 2000000 }), 413,
           'payload-too-large', 'an oversize body');

is(psql("select count(*) from north.goals where user_id = :'a0'", $uid), 4, 'no bad goal was kept');

# --- deletion, PostgreSQL down -----------------------------------------------------------

is(call(DELETE => "/v1/goals/$debt", token => $tok)->{code}, 204, 'a goal deleted: 204');
is(psql("select count(*) from north.goal_milestones where goal_id = :'a0'", $debt), 0,
   '... its milestones with it');
problem_ok(call(DELETE => "/v1/goals/$debt", token => $tok), 404, 'not-found', '... once');

north_stack('pg-stop');
problem_ok(call(GET => '/v1/goals', token => $tok), 503, 'database-unavailable', 'PostgreSQL down: the list');
problem_ok(call(POST => "/v1/goals/$goal/contributions", token => $tok, json => { amount_cents => 1 }),
           503, 'database-unavailable', 'PostgreSQL down: a contribution');
north_stack('pg-start');
is(call(GET => "/v1/goals/$goal", token => $tok)->{json}{progress}{saved_cents}, 1000000,
   'PostgreSQL back: nothing was half-written');

done_testing();
