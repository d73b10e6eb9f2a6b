# Recommendations through the real stack, on two years of a household from
# the Plaid simulator: none without the analytics consent (403 naming it);
# then the card to pay first, the RRSP or the TFSA by the marginal rate, a
# subscription whose price rose and a goal behind schedule, ranked, each
# with why, the action and its figures; an emergency fund when cash is
# short, the TFSA when cash is spare and nothing is owed; dismissing and
# snoozing, French, bad input, PostgreSQL down. Plain Test::More.
use strict;
use utf8;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;
use POSIX ();

my ($port) = north_nginx(name => 'recommendations', workers => 1);
my $n = 0;

sub call { north_http($port, @_) }

sub register {
    my $r = north_register($port, {
        email => sprintf('recs%d.%d@north.example.ca', $$, ++$n),
        password => 'maple syrup & snow 42', consents => ['terms', 'privacy_policy'] });
    die "register: $r->{code} $r->{body}" unless $r->{code} == 201;
    return ($r->{json}{access_token}, $r->{json}{user}{id});
}

sub recs { call(GET => '/v1/recommendations', token => $_[0], @_[1 .. $#_]) }
sub rules { [ map { $_->{rule} } @{ $_[0]{json}{recommendations} } ] }
sub rule {
    my ($r, $rule) = @_;
    return (grep { $_->{rule} eq $rule } @{ $r->{json}{recommendations} })[0];
}

my ($tok, $uid) = register();

# --- the consent --------------------------------------------------------------------------

my $r = recs($tok);
problem_ok($r, 403, 'consent-missing', 'recommendations without the analytics consent');
is_deeply(fields_of($r), ['analytics'], '... the purpose named');
is(call(GET => '/v1/recommendations')->{code}, 401, 'without a token: 401');

call(PUT => '/v1/privacy/consents/analytics', token => $tok, json => { granted => JSON::PP::true });
$r = recs($tok);
is($r->{code}, 200, 'with the consent, a new user: 200');
is_deeply($r->{json}{recommendations}, [], '... nothing to recommend');

# --- a household --------------------------------------------------------------------------

plaid_sim('/__sim/config', { initial_transactions => 0 });
my (undef, $plaid) = plaid_link($port, $tok);
plaid_sim('/__sim/config', { initial_transactions => 120 });
plaid_sim('/__sim/history', { item_id => $plaid, days => 730 });
my $item = psql("select id from north.plaid_items where user_id = :'a0'", $uid);
my $want = @{ plaid_sim('/__sim/state', { item_id => $plaid })->{item}{transactions} };
call(POST => "/v1/plaid/items/$item/sync", token => $tok);
ok(wait_for(30, sub { psql("select count(*) from north.transactions where item_id = :'a0'", $item)
                      == $want }), 'two years synced');

call(PATCH => '/v1/me', token => $tok, json => { province => 'ON', annual_income_cents => 9000000 });
call(PUT => '/v1/tax/profile', token => $tok, json => { birth_year => 1985 });

# a $10,000 trip in six months, set up 90 days ago, $100 saved since: behind
my $when = POSIX::strftime('%Y-%m-%d', gmtime(time + 183 * 86400));
my $goal = call(POST => '/v1/goals', token => $tok, json => {
    name => 'Trip to Japan', kind => 'savings', target_cents => 1000000, target_date => $when })->{json}{id};
call(POST => "/v1/goals/$goal/contributions", token => $tok, json => { amount_cents => 10000 });
psql_owner("update north.goals set created_on = created_on - 90 where id = :'a0'", $goal);

$r = recs($tok);
is($r->{code}, 200, 'recommendations for the household: 200');
is_deeply(rules($r), ['pay-credit-card', 'goal-behind', 'rrsp-or-tfsa', 'review-subscription'],
          '... the card, the goal, RRSP or TFSA, the subscription: best first');
my @scores = map { $_->{score} } @{ $r->{json}{recommendations} };
is_deeply(\@scores, [sort { $b <=> $a } @scores], '... by score');

my $card = rule($r, 'pay-credit-card');
# $14,950.17 of chequing and savings is more than three months of spending:
# the whole $812.55 can be paid now
is_deeply([@{ $card->{figures} }{qw(account balance_cents pay_now_cents assumed_rate_bp)}],
          ['Visa Infinite', 81255, 81255, 2099], 'the card: $812.55, all of it payable now');
is($card->{figures}{yearly_interest_cents}, 17055, '... 20.99% of it is $170.55 a year');
like($card->{why}, qr/^Your Visa Infinite owes \$812\.55\. Credit cards commonly charge about 20\.99% a year \(about \$170\.55/,
     '... why, with the figures');
is($card->{action}, 'Pay $812.55 of it now from the savings above your emergency fund.', '... the action');
ok(!rule($r, 'emergency-fund'), '... no emergency fund: cash covers three months');
ok(!rule($r, 'use-tfsa-room'), '... no TFSA while a card owes');

my $tax = rule($r, 'rrsp-or-tfsa');
# $90,000 in Ontario in 2026: 20.5% + 9.15% = 29.65%, under 30%
is_deeply([@{ $tax->{figures} }{qw(choice marginal_rate_bp refund_per_1000_cents)}],
          ['tfsa', 2965, 29650], 'at 29.65%: the TFSA, $296.50 back on each $1,000 in an RRSP');

my $g = rule($r, 'goal-behind');
is($g->{figures}{goal_id}, $goal, 'the goal behind schedule');
is($g->{figures}{remaining_cents}, 990000, '... $9,900 to go');
ok($g->{figures}{monthly_cents} >= 990000 / 7 && $g->{figures}{monthly_cents} <= 990000 / 5,
   "... $g->{figures}{monthly_cents} cents a month");
like($g->{title}, qr/^Catch up on Trip to Japan$/, '... titled');

my $sub = rule($r, 'review-subscription');
is_deeply([@{ $sub->{figures} }{qw(merchant previous_cents amount_cents)}], ['Netflix', 1699, 1899],
          'Netflix, up from $16.99 to $18.99');
is($sub->{action}, 'Check whether Netflix is still worth $18.99.', '... the action');

# --- cash short; then cash spare with nothing owed -------------------------------------------

psql_owner("update north.accounts set balance_cents = case subtype when 'checking' then 100000 else 0 end
            where user_id = :'a0' and subtype in ('checking', 'savings')", $uid);
$r = recs($tok);
my $fund = rule($r, 'emergency-fund');
ok($fund, 'with $1,000 of cash: an emergency fund');
my $f = $fund->{figures};
is($f->{target_cents}, 3 * $f->{monthly_spending_cents}, '... the target is three months of spending');
is($f->{monthly_cents}, POSIX::ceil(($f->{target_cents} - 100000) / 12), '... reached in a year');
is($card->{figures}{pay_now_cents}, 81255, '(the card, before)');
is(rule($r, 'pay-credit-card')->{figures}{pay_now_cents}, 0, '... and the card: nothing spare to pay it now');
is($r->{json}{recommendations}[0]{rule}, 'emergency-fund', '... ranked first');

psql_owner("update north.accounts set balance_cents = case subtype when 'credit card' then 0 else 5000000 end
            where user_id = :'a0' and subtype in ('checking', 'savings', 'credit card')", $uid);
$r = recs($tok);
my $tfsa = rule($r, 'use-tfsa-room');
ok($tfsa, 'with $100,000 of cash and nothing owed: the TFSA');
$f = $tfsa->{figures};
is($f->{amount_cents}, $f->{spare_cents} < $f->{tfsa_room_cents} ? $f->{spare_cents} : $f->{tfsa_room_cents},
   '... the spare cash, up to the room');
is($f->{tfsa_room_cents}, call(GET => '/v1/tax/summary', token => $tok)->{json}{tfsa}{remaining_cents},
   '... the room of the tax summary');

# --- French ---------------------------------------------------------------------------------

my $fr = recs($tok, headers => { 'Accept-Language' => 'fr-CA' });
like(rule($fr, 'use-tfsa-room')->{action}, qr/^Versez [\d\x{a0}]+,\d\d\x{a0}\$ dans votre CELI/, 'in French');
like(rule($fr, 'rrsp-or-tfsa')->{why}, qr/^À votre taux marginal de 29,65\x{a0}%/, '... the rate as French writes it');

# --- dismissing and snoozing -----------------------------------------------------------------

my $id = $sub->{id};
is(call(POST => "/v1/recommendations/$id/dismiss", token => $tok)->{code}, 204, 'dismiss the subscription');
ok(!rule(recs($tok), 'review-subscription'), '... gone');
my $goal_id = rule(recs($tok), 'goal-behind')->{id};
my $soon = POSIX::strftime('%Y-%m-%d', gmtime(time + 7 * 86400));
is(call(POST => "/v1/recommendations/$goal_id/dismiss", token => $tok, json => { until => $soon })->{code},
   204, 'snooze the goal for a week');
ok(!rule(recs($tok), 'goal-behind'), '... gone');
psql_owner("update north.recommendation_dismissals set until = current_date - 1
            where user_id = :'a0' and recommendation_id = :'a1'", $uid, $goal_id);
ok(rule(recs($tok), 'goal-behind'), '... and back once the snooze is over');

for my $case (
    [{ until => '2020-01-01' }, 'a snooze in the past'],
    [{ until => POSIX::strftime('%Y-%m-%d', gmtime(time + 400 * 86400)) }, 'a snooze past a year'],
    [{ until => 'tomorrow' }, 'a snooze of a word'],
    [{ for => 7 }, 'an unknown member'],
) {
    problem_ok(call(POST => "/v1/recommendations/$goal_id/dismiss", token => $tok, json => $case->[0]),
               400, 'validation-failed', $case->[1]);
}
problem_ok(call(POST => "/v1/recommendations/$goal_id/dismiss", token => $tok, body => '{"until":',
                headers => { 'Content-Type' => 'application/json' }),
           400, 'invalid-json', 'a snooze of malformed JSON');
problem_ok(call(POST => '/v1/recommendations/goal-behind-0123456789abcdef/dismiss', token => $tok),
           404, 'not-found', 'dismiss what is not recommended');
my ($otok) = register();
call(PUT => '/v1/privacy/consents/analytics', token => $otok, json => { granted => JSON::PP::true });
problem_ok(call(POST => "/v1/recommendations/$goal_id/dismiss", token => $otok),
           404, 'not-found', 'dismiss another user\'s recommendation');

# the consent withdrawn: nothing is read
call(PUT => '/v1/privacy/consents/analytics', token => $tok, json => { granted => JSON::PP::false });
problem_ok(recs($tok), 403, 'consent-missing', 'the consent withdrawn: 403');
call(PUT => '/v1/privacy/consents/analytics', token => $tok, json => { granted => JSON::PP::true });

# --- PostgreSQL down ---------------------------------------------------------------------------

north_stack('pg-stop');
problem_ok(recs($tok), 503, 'database-unavailable', 'PostgreSQL down: recommendations');
north_stack('pg-start');
ok(wait_for(10, sub { recs($tok)->{code} == 200 }), 'PostgreSQL back: 200');

done_testing();
