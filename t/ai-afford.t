# Affordability through the real stack, for a household whose cash is
# known to the cent: chequing and savings as the Plaid simulator opens them
# ($2,450.17 + $12,500), pay of $2,000 every two weeks (the last three days
# ago), rent of $1,500 on each 1st, and one goal. Each answer's projection
# is worked out here, day by day, the way a person would on paper, and must
# match: the verdict, the lowest balance and its day, with and without the
# purchase, and what covering it from savings would cost the goal. Then
# the same through POST /v1/ai/ask, bad input and the buffer's default.
# Plain Test::More.
use strict;
use utf8;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;
use POSIX ();
use Time::Local qw(timegm);

my ($port) = north_nginx(name => 'ai-afford', workers => 1);

sub call { north_http($port, @_) }
sub days_of { my ($y, $m, $d) = split /-/, $_[0]; int(timegm(0, 0, 0, $d, $m - 1, $y) / 86400) }
sub iso_of { POSIX::strftime('%Y-%m-%d', gmtime($_[0] * 86400)) }

my $r = north_register($port, {
    email => "afford$$\@north.example.ca", password => 'maple syrup & snow 42',
    consents => ['terms', 'privacy_policy'] });
my ($tok, $uid) = ($r->{json}{access_token}, $r->{json}{user}{id});
call(PUT => '/v1/privacy/consents/analytics', token => $tok, json => { granted => JSON::PP::true });

plaid_sim('/__sim/config', { initial_transactions => 0 });
my ($item, $plaid) = plaid_link($port, $tok);
plaid_sim('/__sim/config', { initial_transactions => 120 });     # the default again

my $today = psql("select north.user_today(:'a0')", $uid);
my $t = days_of($today);
my ($ty, $tm) = split /-/, $today;

# eight pays, every 14 days, the last 3 days ago; six rents, on each 1st
my @tx;
for my $k (0 .. 7) {
    push @tx, { account => 'checking', amount => -2000.00, date => iso_of($t - 3 - 14 * $k),
                name => 'MAPLE EMPLOYER PAYROLL', merchant_name => 'Maple Employer',
                primary => 'INCOME', detailed => 'INCOME_WAGES' };
}
for my $k (0 .. 5) {
    my ($y, $m) = ($ty, $tm - $k);
    while ($m < 1) { $m += 12; $y-- }
    push @tx, { account => 'checking', amount => 1500.00, date => sprintf('%04d-%02d-01', $y, $m),
                name => 'MAPLE PROPERTY MGMT RENT', merchant_name => 'Maple Property',
                primary => 'RENT_AND_UTILITIES', detailed => 'RENT_AND_UTILITIES_RENT' };
}
plaid_sim('/__sim/add_transactions', { item_id => $plaid, transactions => \@tx });
call(POST => "/v1/plaid/items/$item/sync", token => $tok);
ok(wait_for(30, sub { psql(q{select count(*) from north.transactions where item_id = :'a0'
                               and merchant_name in ('Maple Employer', 'Maple Property')}, $item) == 14 }),
   'eight pays and six rents synced');

my $liquid = psql(q{select sum(balance_cents) from north.accounts where user_id = :'a0'
                    and type = 'depository' and currency = 'CAD'}, $uid);
is($liquid, 1495017, 'chequing and savings: $14,950.17');

# a goal of $5,000 in six months, 90 days old, $900 put in 10 days ago
my $when = iso_of($t + 183);
my $goal = call(POST => '/v1/goals', token => $tok, json => {
    name => 'Vacation', kind => 'savings', target_cents => 500000, target_date => $when })->{json}{id};
psql_owner("update north.goals set created_on = created_on - 90 where id = :'a0'", $goal);
call(POST => "/v1/goals/$goal/contributions", token => $tok,
     json => { amount_cents => 90000, date => iso_of($t - 10) });
my $progress = call(GET => "/v1/goals/$goal", token => $tok)->{json}{progress};
my $goal_monthly = $progress->{monthly_cents};
ok($goal_monthly > 0, "the goal plans \$$goal_monthly cents a month");
is($progress->{pace_cents}, 90000, '... at a pace of $900 over its 90 days');

# --- the projection on paper ---------------------------------------------------------------------------

# the next 1st after day d
sub next_first {
    my ($d) = @_;
    my ($y, $m) = (gmtime($d * 86400))[5, 4];
    ($y, $m) = ($y + 1900, $m + 2);
    if ($m > 12) { $m = 1; $y++ }
    return days_of(sprintf('%04d-%02d-01', $y, $m));
}

# [lowest, its day, income, bills] from today to $to, with what leaves on @out ([day, cents])
sub project {
    my ($to, @out) = @_;
    my %delta;
    my ($in, $bills) = (0, 0);
    for (my $d = $t - 3 + 14; $d <= $to; $d += 14) { $delta{$d} += 200000; $in += 200000 }
    for (my $d = next_first($t); $d <= $to; $d = next_first($d)) {
        $delta{$d} -= 150000 + $goal_monthly;
        $bills += 150000 + $goal_monthly;
    }
    $delta{$_->[0]} -= $_->[1] for grep { $_->[0] <= $to } @out;
    my ($bal, $low, $low_day) = ($liquid, $liquid, $t);
    for my $d ($t + 1 .. $to) {
        $bal += $delta{$d} // 0;
        ($low, $low_day) = ($bal, $d) if $bal < $low;
    }
    return ($low, $low_day, $in, $bills);
}

sub afford { call(POST => '/v1/ai/affordability', token => $tok, json => { @_ }) }

sub check {
    my ($name, $amount, $when, $buffer, %o) = @_;
    my $d = days_of($when);
    my $to = $d + ($o{monthly} ? 365 : 30);
    my @out = $o{monthly} ? map { my $k = $_; [month_day($d, $k), $amount] } 0 .. 12 : ([$d, $amount]);
    my ($low, $low_day, $in, $bills) = project($to);
    my ($with, $with_day) = project($to, @out);
    my $verdict = $with < 0 ? 'no' : $with < $buffer ? 'tight' : 'yes';
    my $r = afford(amount_cents => $amount, date => $when, buffer_cents => $buffer,
                   ($o{monthly} ? (recurring => 'monthly') : ()));
    is($r->{code}, 200, "$name: 200");
    my $f = $r->{json};
    is($f->{verdict}, $verdict, "... $verdict");
    is_deeply([@$f{qw(lowest_balance_cents lowest_balance_date lowest_without_cents lowest_without_date)}],
              [$with, iso_of($with_day), $low, iso_of($low_day)],
              sprintf('... lowest %.2f on %s with it, %.2f on %s without', $with / 100, iso_of($with_day),
                      $low / 100, iso_of($low_day)));
    is_deeply([@$f{qw(income_cents bills_cents projected_to balance_cents buffer_cents)}],
              [$in, $bills, iso_of($to), $liquid, $buffer], '... income, bills, horizon, balance, buffer');
    my $short = ($buffer > $with ? $buffer - $with : 0) - ($buffer > $low ? $buffer - $low : 0);
    $short = $amount if $short > $amount || ($o{monthly} && $short > 0);
    is($f->{shortfall_cents}, $short, "... a shortfall of $short cents");
    my ($g) = grep { $_->{goal_id} eq $goal } @{ $f->{goals} };
    # a one-off: the days of the goal's saving ($900 over 90 days) it equals
    my $delay = $short <= 0 ? 0 : POSIX::ceil($short * 90 / 90000);
    is($g->{delay_days}, $delay, "... the goal $delay days later if savings covered it")
        unless $o{monthly};
    return $f;
}

# the same day of month $k months after day $d (clamped to the month's end)
sub month_day {
    my ($d, $k) = @_;
    my ($dd, $m, $y) = (gmtime($d * 86400))[3, 4, 5];
    ($y, $m) = ($y + 1900, $m + 1 + $k);
    while ($m > 12) { $m -= 12; $y++ }
    my $last = (gmtime((days_of(sprintf('%04d-%02d-01', $y + ($m == 12), $m % 12 + 1)) - 1) * 86400))[3];
    return days_of(sprintf('%04d-%02d-%02d', $y, $m, $dd < $last ? $dd : $last));
}

my $f = check('$1,000 in five days, a $1,000 buffer', 100000, iso_of($t + 5), 100000);
like($f->{answer}, qr/^Yes: with \$1,000\.00 on /, '... said yes');
ok(scalar @{ $f->{reasons} } >= 5, '... with its reasons');

$f = check('$13,000 in five days', 1300000, iso_of($t + 5), 300000);
$f = check('$14,500 tomorrow', 1450000, iso_of($t + 1), 100000);
$f = check('$20,000 tomorrow', 2000000, iso_of($t + 1), 100000);
like($f->{answer}, qr/^No: /, '... said no');
$f = check('$400 a month from next week, for a year', 40000, iso_of($t + 7), 100000, monthly => 1);
$f = check('$2,500 a month from tomorrow', 250000, iso_of($t + 1), 100000, monthly => 1);
is($f->{recurring}, 'monthly', '... monthly');

# the buffer by default: a month of the last 90 days' essentials (the rent here)
my $essential = psql(q{select div(coalesce(-sum(amount_cents), 0), 3) from north.transactions
                       where user_id = :'a0' and category = 'rent'
                         and date between date :'a1' - 90 and date :'a1' - 1}, $uid, $today);
$r = afford(amount_cents => 100000);
is($r->{json}{buffer_cents}, $essential, "the default buffer: a month of essential spending ($essential)");
is($r->{json}{date}, $today, '... the date by default: today');
like($r->{json}{reasons}[-1] // '', qr/essential/, '... and said so')
    if grep { /essential/ } @{ $r->{json}{reasons} };

# in French
$r = call(POST => '/v1/ai/affordability', token => $tok, json => { amount_cents => 100000, buffer_cents => 0 },
          headers => { 'Accept-Language' => 'fr-CA' });
like($r->{json}{answer}, qr/^Oui : avec 1\x{a0}000,00\x{a0}\$ le /, 'in French: Oui');

# --- the same through the assistant ------------------------------------------------------------------

my $ask = call(POST => '/v1/ai/ask', token => $tok, json => { question => 'Can I afford $14,500 tomorrow?' });
is($ask->{json}{intent}, 'afford', 'asked in words');
is_deeply($ask->{json}{slots}, { amount_cents => 1450000, date => iso_of($t + 1) }, '... its slots');
my $direct = afford(amount_cents => 1450000, date => iso_of($t + 1));
is($direct->{code}, 200, '... asked directly: 200') or diag($direct->{body});
is_deeply([@{ $ask->{json}{figures} }{qw(verdict lowest_balance_cents lowest_balance_date buffer_cents)}],
          [@{ $direct->{json} }{qw(verdict lowest_balance_cents lowest_balance_date buffer_cents)}],
          '... the figures of POST /v1/ai/affordability');

# --- bad input -------------------------------------------------------------------------------------------

for my $case ([{}, ['amount_cents'], 'no amount'],
              [{ amount_cents => 0 }, ['amount_cents'], 'a zero amount'],
              [{ amount_cents => '100' }, ['amount_cents'], 'an amount as text'],
              [{ amount_cents => 100, date => 'tomorrow' }, ['date'], 'a date in words'],
              [{ amount_cents => 100, date => '2026-02-30' }, ['date'], 'a date that is none'],
              [{ amount_cents => 100, date => iso_of($t - 1) }, ['date'], 'yesterday'],
              [{ amount_cents => 100, date => iso_of($t + 366) }, ['date'], 'more than a year ahead'],
              [{ amount_cents => 100, recurring => 'weekly' }, ['recurring'], 'weekly'],
              [{ amount_cents => 100, buffer_cents => -1 }, ['buffer_cents'], 'a negative buffer'],
              [{ amount_cents => 100, extra => 1 }, ['extra'], 'an unknown member']) {
    $r = call(POST => '/v1/ai/affordability', token => $tok, json => $case->[0]);
    problem_ok($r, 400, 'validation-failed', $case->[2]);
    is_deeply(fields_of($r), $case->[1], '... naming ' . join(', ', @{ $case->[1] }));
}

done_testing();
