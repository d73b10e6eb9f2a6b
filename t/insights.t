# Insights through the real stack: a two-year household history from the
# Plaid simulator (pay every second Friday, rent, bills, subscriptions with
# a price increase and an end, two at one merchant, groceries, a TFSA
# transfer); the recurring charges, the increase, the end, the month's
# pace, the 30-day cash forecast, an unusual month of groceries, each with
# its figures; dismissing (stays dismissed until the finding grows),
# French, another user, bad ids, PostgreSQL down. Plain Test::More: flows
# across requests, the simulator and psql.
use strict;
use utf8;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;

my ($port) = north_nginx(name => 'insights', workers => 1);
my $n = 0;
my ($tok, $uid);

sub call { north_http($port, @_) }

sub register {
    my $r = north_register($port, {
        email => sprintf('insight%d.%d@north.example.ca', $$, ++$n),
        password => 'maple syrup & snow 42', consents => ['terms', 'privacy_policy'] });
    die "register: $r->{code} $r->{body}" unless $r->{code} == 201;
    return ($r->{json}{access_token}, $r->{json}{user}{id});
}

sub insights { call(GET => '/v1/insights', token => $_[0], @_[1 .. $#_]) }
sub of_kind {
    my ($r, $kind) = @_;
    return grep { $_->{kind} eq $kind } @{ $r->{json}{insights} };
}
# syncs the item and waits until North holds what the simulator does
sub synced {
    my ($item, $plaid) = @_;
    my $want = @{ plaid_sim('/__sim/state', { item_id => $plaid })->{item}{transactions} };
    call(POST => "/v1/plaid/items/$item/sync", token => $tok);
    return wait_for(30, sub { psql("select count(*) from north.transactions where item_id = :'a0'",
                                   $item) == $want });
}
sub merchant {
    my ($r, $name) = @_;
    return grep { $_->{figures}{merchant} eq $name } of_kind($r, 'recurring-charge');
}

($tok, $uid) = register();
my ($otok) = register();

my $r = insights($tok);
is($r->{code}, 200, 'a new user\'s insights: 200');
is_deeply($r->{json}{insights}, [], '... none');
is(call(GET => '/v1/insights')->{code}, 401, 'insights without a token: 401');
is(call(DELETE => '/v1/insights', token => $tok)->{code}, 405, 'DELETE insights: 405');

# --- two years of a household --------------------------------------------------------

plaid_sim('/__sim/config', { initial_transactions => 0 });
my (undef, $plaid) = plaid_link($port, $tok);
plaid_sim('/__sim/config', { initial_transactions => 120 });
my $made = plaid_sim('/__sim/history', { item_id => $plaid, days => 730 })->{added};
ok($made > 400, "the simulator wrote $made transactions");
my $item = psql("select id from north.plaid_items where user_id = :'a0'", $uid);
ok(synced($item, $plaid), '... all synced');

$r = insights($tok);
is($r->{code}, 200, 'insights over two years: 200');
my @sev = map { $_->{severity} } @{ $r->{json}{insights} };
my %rank = (warning => 0, notice => 1, info => 2);
is_deeply(\@sev, [sort { $rank{$a} <=> $rank{$b} } @sev], '... most severe first');

my ($netflix) = merchant($r, 'Netflix');
ok($netflix, 'Netflix found recurring');
is_deeply([@{ $netflix->{figures} }{qw(period amount_cents status)}], ['monthly', 1899, 'active'],
          '... monthly at $18.99, active');
like($netflix->{figures}{next_date}, qr/^\d{4}-\d{2}-12$/, '... next on a 12th');
is($netflix->{title}, 'Netflix: $18.99 monthly', '... titled');

my ($raise) = grep { $_->{figures}{merchant} eq 'Netflix' } of_kind($r, 'price-increase');
ok($raise, 'the Netflix price increase found');
is_deeply([@{ $raise->{figures} }{qw(previous_cents amount_cents yearly_increase_cents)}],
          [1699, 1899, 2400], '... 16.99 to 18.99: $24.00 a year');
like($raise->{body}, qr/^It was \$16\.99 until \w+ \d+, \d{4}: \$24\.00 more a year\.$/, '... in words');

my ($spotify) = merchant($r, 'Spotify');
is($spotify->{figures}{status}, 'ended', 'Spotify, not charged for 75 days: ended');
like($spotify->{body}, qr/^No charge since /, '... said so');
is($spotify->{figures}{next_date}, undef, '... no next date');

my @apple = sort { $a->{figures}{amount_cents} <=> $b->{figures}{amount_cents} } merchant($r, 'Apple');
is_deeply([map { $_->{figures}{amount_cents} } @apple], [299, 1399],
          'two subscriptions at Apple: 2.99 and 13.99, each its own');
isnt($apple[0]{id}, $apple[1]{id}, '... with ids of their own');

my ($rent) = merchant($r, 'Maple Property');
is_deeply([@{ $rent->{figures} }{qw(period amount_cents)}], ['monthly', 180000], 'rent: monthly $1,800');
ok(!merchant($r, 'Loblaws'), 'groceries every four days of varying amounts: no subscription');
ok(!merchant($r, 'Northwind Corp'), 'pay is income, not a charge');

my ($cash) = of_kind($r, 'cash-flow');
ok($cash, 'a 30-day cash forecast');
is($cash->{figures}{balance_cents}, 1495017, '... from chequing and savings ($2,450.17 + $12,500)');
ok($cash->{figures}{income_cents} >= 500000, '... two pays or more of $2,500 ahead');
ok($cash->{figures}{bills_cents} >= 180000, '... rent among the bills');
is($cash->{figures}{end_cents},
   $cash->{figures}{balance_cents} + $cash->{figures}{income_cents} - $cash->{figures}{bills_cents},
   '... its end is the balance, plus income, less bills');
like($cash->{figures}{lowest_date}, qr/^\d{4}-\d{2}-\d{2}$/, '... the lowest point dated');

my ($pace) = of_kind($r, 'month-pace');
ok($pace, 'the month\'s pace');
is($pace->{figures}{months_compared}, 6, '... against six months');
like($pace->{figures}{state}, qr/^(ahead|behind|on_pace)$/, "... $pace->{figures}{state}");

# --- an unusual month of groceries -----------------------------------------------------

my $today = psql("select north.user_today(:'a0')", $uid);
plaid_sim('/__sim/add_transactions', { item_id => $plaid, transactions => [
    { account => 'credit card', amount => 1450.00, date => $today, name => 'LOBLAWS #1234',
      merchant_name => 'Loblaws', primary => 'FOOD_AND_DRINK', detailed => 'FOOD_AND_DRINK_GROCERIES' } ] });
ok(synced($item, $plaid), 'a $1,450 grocery bill today, synced');

$r = insights($tok);
my ($groceries) = grep { $_->{figures}{category} eq 'groceries' && $_->{figures}{period} eq 'so_far' }
                  of_kind($r, 'unusual-spending');
ok($groceries, 'groceries so far this month: unusual');
my $g = $groceries->{figures};
ok($g->{amount_cents} >= 145000 && $g->{amount_cents} > $g->{threshold_cents},
   '... above its threshold');
ok($g->{typical_cents} < 145000, "... against a typical $g->{typical_cents} cents by this day");
is($groceries->{severity}, 'warning', '... more than twice the typical: a warning');
like($groceries->{body}, qr/^You have spent \$[\d,]+\.\d\d on Groceries so far this month, against a typical \$/,
     '... in words');

# --- French ------------------------------------------------------------------------------

my $fr = insights($tok, headers => { 'Accept-Language' => 'fr-CA' });
my ($nf) = merchant($fr, 'Netflix');
is($nf->{title}, "Netflix : 18,99\x{a0}\$ par mois", 'in French: Netflix : 18,99 $ par mois');
is($nf->{id}, $netflix->{id}, '... the same id');
($groceries) = grep { $_->{figures}{category} eq 'groceries' } of_kind($fr, 'unusual-spending');
like($groceries->{title}, qr/^Épicerie : plus que d'habitude$/, '... the category in French');

# --- dismissing ----------------------------------------------------------------------------

($raise) = of_kind(insights($tok), 'price-increase');
is(call(POST => "/v1/insights/$raise->{id}/dismiss", token => $tok)->{code}, 204,
   'dismiss the price increase: 204');
ok(!grep({ $_->{id} eq $raise->{id} } @{ insights($tok)->{json}{insights} }), '... no longer listed');
is(call(POST => "/v1/insights/$raise->{id}/dismiss", token => $tok)->{code}, 204, '... again: 204');

my $gid = (grep { $_->{figures}{category} eq 'groceries' && $_->{figures}{period} eq 'so_far' }
           of_kind(insights($tok), 'unusual-spending'))[0]{id};
is(call(POST => "/v1/insights/$gid/dismiss", token => $tok)->{code}, 204, 'dismiss the groceries');
ok(!grep({ $_->{id} eq $gid } @{ insights($tok)->{json}{insights} }), '... gone');
is(psql("select magnitude_cents >= 145000 from north.insight_dismissals
         where user_id = :'a0' and insight_id = :'a1'", $uid, $gid), 't',
   '... its size then kept');
# $100 more is not a material change; another $1,000 is
plaid_sim('/__sim/add_transactions', { item_id => $plaid, transactions => [
    { account => 'credit card', amount => 100.00, date => $today, name => 'LOBLAWS #1234',
      merchant_name => 'Loblaws', primary => 'FOOD_AND_DRINK', detailed => 'FOOD_AND_DRINK_GROCERIES' } ] });
synced($item, $plaid);
ok(!grep({ $_->{id} eq $gid } @{ insights($tok)->{json}{insights} }), '$100 more: still dismissed');
plaid_sim('/__sim/add_transactions', { item_id => $plaid, transactions => [
    { account => 'credit card', amount => 1000.00, date => $today, name => 'LOBLAWS #1234',
      merchant_name => 'Loblaws', primary => 'FOOD_AND_DRINK', detailed => 'FOOD_AND_DRINK_GROCERIES' } ] });
synced($item, $plaid);
ok(scalar(grep { $_->{id} eq $gid } @{ insights($tok)->{json}{insights} }),
   'another $1,000: the finding grew, it is back');

problem_ok(call(POST => '/v1/insights/price-increase-0123456789abcdef/dismiss', token => $tok),
           404, 'not-found', 'dismiss an id that is no finding');
problem_ok(call(POST => '/v1/insights/DROP%20TABLE/dismiss', token => $tok),
           404, 'not-found', 'dismiss a malformed id');
problem_ok(call(POST => "/v1/insights/$netflix->{id}/dismiss", token => $otok),
           404, 'not-found', 'dismiss another user\'s finding');
is(call(POST => "/v1/insights/$netflix->{id}/dismiss")->{code}, 401, 'dismiss without a token: 401');
is(call(GET => "/v1/insights/$netflix->{id}/dismiss", token => $tok)->{code}, 405, 'GET a dismiss: 405');
is_deeply(insights($otok)->{json}{insights}, [], 'another user sees nothing of it');

# --- PostgreSQL down ---------------------------------------------------------------------

north_stack('pg-stop');
problem_ok(insights($tok), 503, 'database-unavailable', 'PostgreSQL down: insights');
problem_ok(call(POST => "/v1/insights/$netflix->{id}/dismiss", token => $tok), 503,
           'database-unavailable', 'PostgreSQL down: a dismissal');
north_stack('pg-start');
ok(wait_for(10, sub { insights($tok)->{code} == 200 }), 'PostgreSQL back: 200');
ok(scalar(merchant(insights($tok), 'Netflix')), '... nothing lost');

done_testing();
