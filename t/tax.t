# Tax through the real stack: the tax profile (PUT, GET, every bad input),
# a year's TFSA, RRSP and FHSA room from transactions the Plaid simulator
# puts into the registered accounts (transfers count, interest and fees do
# not, pending waits), the excesses CRA charges 1% a month for, the RRSP's
# 60-day rule, French, another user's accounts, and the refund estimate of
# an RRSP contribution for every jurisdiction at two incomes in 2025 and
# 2026, each worked out by hand below; PostgreSQL down. Plain Test::More:
# flows across requests, the simulator and psql.
use strict;
use utf8;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;

my ($port) = north_nginx(name => 'tax', workers => 1);
my $n = 0;

sub call { north_http($port, @_) }

sub register {
    my $r = north_register($port, {
        email => sprintf('tax%d.%d@north.example.ca', $$, ++$n),
        password => 'maple syrup & snow 42', consents => ['terms', 'privacy_policy'] });
    die "register: $r->{code} $r->{body}" unless $r->{code} == 201;
    return ($r->{json}{access_token}, $r->{json}{user}{id});
}

sub summary {
    my ($tok, $year, %o) = @_;
    return call(GET => '/v1/tax/summary' . ($year ? "?year=$year" : ''), token => $tok, %o);
}
sub profile { call(PUT => '/v1/tax/profile', token => $_[0], json => $_[1]) }
sub codes { [ map { $_->{code} } @{ $_[0]{json}{warnings} } ] }

my ($tok, $uid) = register();
my ($otok, $ouid) = register();

# --- the tax profile ------------------------------------------------------------------

my $r = call(GET => '/v1/tax/profile', token => $tok);
is($r->{code}, 200, 'a new user\'s tax profile: 200');
is($r->{json}{birth_year}, undef, '... nothing given');
is($r->{json}{in_effect}{province}, undef, '... no province in effect');

$r = summary($tok, 2025);
is($r->{code}, 200, 'a summary with nothing known: 200');
is($r->{json}{tfsa}{basis}, 'unknown', '... TFSA room unknown');
is($r->{json}{rrsp}{basis}, 'unknown', '... RRSP room unknown');
is($r->{json}{rrsp}{room_cents}, undef, '... no RRSP room');
is($r->{json}{fhsa}, undef, '... no FHSA');
is($r->{json}{marginal_rate_bp}, undef, '... no marginal rate');
is_deeply(codes($r), ['birth-year-needed', 'rrsp-room-unknown', 'income-needed'],
          '... each missing figure named');

my %good = (birth_year => 1985, province => 'ON', prior_year_earned_income_cents => 9000000,
            pension_adjustment_cents => 0);
$r = profile($tok, \%good);
is($r->{code}, 200, 'PUT a tax profile: 200');
is_deeply([@{ $r->{json} }{qw(birth_year province prior_year_earned_income_cents)}],
          [1985, 'ON', 9000000], '... as given');
is($r->{json}{in_effect}{province}, 'ON', '... its province in effect');
is_deeply(call(GET => '/v1/tax/profile', token => $tok)->{json}{birth_year}, 1985, '... and read back');

for my $case (
    [{ birth_year => '1985' }, ['birth_year'], 'a year as a string'],
    [{ birth_year => 1899 }, ['birth_year'], 'a birth year before 1900'],
    [{ province => 'XX' }, ['province'], 'no such province'],
    [{ salary => 1 }, ['salary'], 'an unknown member'],
    [{ tfsa_room_cents => 700000 }, ['tfsa_room_year'], 'TFSA room without its year'],
    [{ rrsp_deduction_limit_year => 2026 }, ['rrsp_deduction_limit_cents'],
     'an RRSP limit\'s year without the limit'],
    [{ birth_year => 1990, resident_since_year => 1989 }, ['resident_since_year'],
     'resident before being born'],
    [{ fhsa_opened_year => 2022 }, ['fhsa_opened_year'], 'an FHSA before 2023'],
    [{ pension_adjustment_cents => -1, tfsa_room_cents => 1.5, tfsa_room_year => 2026 },
     ['pension_adjustment_cents', 'tfsa_room_cents'], 'a negative and a fractional amount'],
    [{ prior_year_earned_income_cents => 100000000001 }, ['prior_year_earned_income_cents'],
     'an income over $1 billion'],
) {
    my $r = profile($tok, $case->[0]);
    problem_ok($r, 400, 'validation-failed', "PUT $case->[2]");
    is_deeply(fields_of($r), $case->[1], '... the member named');
}
problem_ok(call(PUT => '/v1/tax/profile', token => $tok, body => '{"birth_year":',
                headers => { 'Content-Type' => 'application/json' }),
           400, 'invalid-json', 'PUT malformed JSON');
is(call(PUT => '/v1/tax/profile', json => \%good)->{code}, 401, 'PUT without a token: 401');
is(call(GET => '/v1/tax/summary')->{code}, 401, 'the summary without a token: 401');
is(call(DELETE => '/v1/tax/profile', token => $tok)->{code}, 405, 'DELETE the profile: 405');
is(call(GET => '/v1/tax/profile', token => $tok)->{json}{province}, 'ON',
   'no bad PUT changed the profile');

problem_ok(summary($tok, 2024), 422, 'unsupported-year', 'a summary of 2024');
problem_ok(summary($tok, 'abc'), 400, 'validation-failed', 'a summary of year abc');
problem_ok(summary($tok, 20255), 400, 'validation-failed', 'a summary of year 20255');

# --- the registered accounts' movements -------------------------------------------------

my (undef, $plaid) = plaid_link($port, $tok);
sub movement {
    my ($account, $cents, $date, $primary, %o) = @_;
    # Plaid's sign: money into the account is negative
    return { account => $account, amount => -$cents / 100, date => $date,
             name => "$primary $date", primary => $primary, %o };
}
my $added = plaid_sim('/__sim/add_transactions', { item_id => $plaid, transactions => [
    movement('tfsa', 700000, '2025-02-03', 'TRANSFER_IN'),
    movement('tfsa', 4817, '2025-06-30', 'INCOME'),            # interest: not a contribution
    movement('tfsa', -2500, '2025-07-02', 'BANK_FEES'),        # a fee: not a withdrawal
    movement('tfsa', -200000, '2025-09-30', 'TRANSFER_OUT'),
    movement('tfsa', 100000, '2026-01-15', 'TRANSFER_IN'),
    movement('tfsa', 900000, '2026-01-20', 'TRANSFER_IN', pending => JSON::PP::true),
    movement('rrsp', 500000, '2025-03-05', 'TRANSFER_IN'),
    movement('rrsp', 300000, '2026-02-10', 'TRANSFER_IN'),     # day 41 of 2026: for 2025
    movement('rrsp', 200000, '2026-03-10', 'TRANSFER_IN'),
] });
is(scalar @{ $added->{added} // [] }, 9, 'nine movements at the simulator');
my $item = psql("select id from north.plaid_items where user_id = :'a0'", $uid);
call(POST => "/v1/plaid/items/$item/sync", token => $tok);
ok(wait_for(20, sub { psql("select count(*) from north.transactions t join north.accounts a
                            on a.id = t.account_id where a.user_id = :'a0'
                            and a.subtype in ('tfsa', 'rrsp')", $uid) == 9 }),
   '... synced');

# born 1985: eligible since 2009, $102,000 of room by January 2025
$r = summary($tok, 2025);
is($r->{code}, 200, 'the 2025 summary: 200');
my $t = $r->{json}{tfsa};
is_deeply([@$t{qw(basis eligible_since room_jan1_cents contributed_cents withdrawn_cents
                  remaining_cents excess_cents room_back_next_year_cents accounts)}],
          ['computed', 2009, 10200000, 700000, 200000, 9500000, 0, 200000, 1],
          '... TFSA: 102,000 at January 1, 7,000 in, 2,000 out (interest and fee left out), 95,000 left, 2,000 back next year');
my $rr = $r->{json}{rrsp};
# 18% of $90,000 = $16,200 (under the $32,490 limit); 5,000 in March 2025
# and 3,000 in February 2026 count for 2025
is_deeply([@$rr{qw(basis room_cents contributed_cents first_60_days_cents remaining_cents
                   dollar_limit_cents)}],
          ['estimate', 1620000, 800000, 300000, 820000, 3249000],
          '... RRSP: 16,200 estimated, 8,000 counted (3,000 of it in 2026\'s first 60 days), 8,200 left');
like($rr->{explanation}, qr/^Contributions from March 2, 2025 to March 1, 2026 count for 2025/,
     '... the 60-day rule explained');
like($rr->{explanation}, qr/estimated from last year's earned income/, '... and the estimate');
is($r->{json}{marginal_rate_bp}, undef, '... no annual income in the profile: no marginal rate');

$r = summary($tok, 2026);
$t = $r->{json}{tfsa};
is_deeply([@$t{qw(room_jan1_cents new_room_cents contributed_cents remaining_cents)}],
          [10400000, 700000, 100000, 10300000],
          '2026: 95,000 + 7,000 new + 2,000 withdrawn = 104,000; 1,000 in (the pending 9,000 waits)');
is($r->{json}{rrsp}{contributed_cents}, 200000, '... RRSP: only March 10 counts for 2026');
is($r->{json}{rrsp}{room_cents}, 1620000, '... against 18% of $90,000');

call(PATCH => '/v1/me', token => $tok, json => { annual_income_cents => 9000000 });
$r = summary($tok, 2026);
# $90,000 in Ontario in 2026: 20.5% federal + 9.15% Ontario; the health
# premium is at its $750 cap (72,000 + 600 / 25% = 74,400)
is($r->{json}{marginal_rate_bp}, 2965, '... with the profile\'s income: a marginal rate of 29.65%');
is($r->{json}{province}, 'ON', '... in Ontario');

# another user sees none of it
$r = summary($otok, 2025);
is($r->{json}{rrsp}{contributed_cents}, 0, 'another user: no RRSP contribution');
is($r->{json}{tfsa}{accounts}, 0, '... and no TFSA account');

# --- excesses ---------------------------------------------------------------------------

# CRA says $5,000 of TFSA room at January 1 2025: 7,000 on February 3 is
# 2,000 over from February to September, when the 2,000 withdrawal cures
# it: 8 months x 1% x 2,000 = $160, and none of the withdrawal comes back.
# The NOA's RRSP limit for 2025 is $5,000: 8,000 is 3,000 over, 1,000 past
# the $2,000 buffer: $10 a month.
profile($tok, { %good, tfsa_room_cents => 500000, tfsa_room_year => 2025,
                rrsp_deduction_limit_cents => 500000, rrsp_deduction_limit_year => 2025,
                fhsa_opened_year => 2025 });
$r = summary($tok, 2025);
$t = $r->{json}{tfsa};
is_deeply([@$t{qw(basis room_jan1_cents excess_cents excess_cost_cents room_back_next_year_cents)}],
          ['cra', 500000, 0, 16000, 0],
          'TFSA over CRA\'s $5,000: $160 for eight months, cured by the withdrawal');
$rr = $r->{json}{rrsp};
is_deeply([@$rr{qw(basis room_cents excess_cents penalized_cents monthly_cost_cents remaining_cents)}],
          ['notice_of_assessment', 500000, 300000, 100000, 1000, 0],
          'RRSP over the NOA\'s $5,000: 1,000 past the buffer, $10 a month');
my %w = map { $_->{code} => $_ } @{ $r->{json}{warnings} };
is($w{'tfsa-over-contribution'}{figures}{cost_cents}, 16000, '... a TFSA warning with its cost');
like($w{'tfsa-over-contribution'}{message}, qr/by up to \$2,000\.00 .* \$160\.00 so far/,
     '... in words');
is($w{'rrsp-over-contribution'}{figures}{monthly_cost_cents}, 1000, '... an RRSP warning');

# the FHSA opened in 2025: 8,000 then, 8,000 + 8,000 carried in 2026
my $f = $r->{json}{fhsa};
is_deeply([@$f{qw(opened_year room_jan1_cents remaining_cents must_close_by)}],
          [2025, 800000, 800000, '2040-12-31'], 'FHSA opened 2025: $8,000, to close by 2040');
$f = summary($tok, 2026)->{json}{fhsa};
is($f->{room_jan1_cents}, 1600000, '... $16,000 in 2026 with the carry-forward');
is($f->{lifetime_left_cents}, 4000000, '... the $40,000 lifetime untouched');

# French
$r = summary($tok, 2025, headers => { 'Accept-Language' => 'fr-CA' });
%w = map { $_->{code} => $_ } @{ $r->{json}{warnings} };
like($w{'tfsa-over-contribution'}{message},
     qr/^Vos cotisations au CELI ont dépassé vos droits d'au plus 2\x{a0}000,00\x{a0}\$ .* 1 % par mois .* 160,00\x{a0}\$/,
     'in French: the TFSA warning, amounts as French writes them');
like($r->{json}{rrsp}{explanation}, qr/^Les cotisations du 2 mars 2025 au 1er mars 2026 comptent pour 2025/,
     '... and the 60-day rule');

# --- the RRSP refund estimate ---------------------------------------------------------------

problem_ok(call(POST => '/v1/tax/rrsp-estimate', token => $otok, json => { amount_cents => 500000 }),
           422, 'income-needed', 'an estimate with no income known');
problem_ok(call(POST => '/v1/tax/rrsp-estimate', token => $otok,
                json => { amount_cents => 500000, income_cents => 6000000 }),
           422, 'province-needed', 'an estimate with no province known');
$r = call(POST => '/v1/tax/rrsp-estimate', token => $otok, json => { amount_cents => 500000 },
          headers => { 'Accept-Language' => 'fr-CA' });
is_deeply([@{ $r->{json} }{qw(title detail)}],
          ['Revenu requis', 'donnez income_cents, ou ajoutez votre revenu annuel à votre profil'],
          '... in French');
$r = summary($otok, 2024, headers => { 'Accept-Language' => 'fr-CA' });
is($r->{json}{detail}, 'North a les chiffres de 2025, 2026', 'a summary of 2024 in French: the years named');
$r = profile($otok, { birth_year => 1990, resident_since_year => 1980, tfsa_room_year => 2025 });
is_deeply([sort map { "$_->{field}: $_->{message}" } @{ $r->{json}{errors} }],
          ['resident_since_year: must not be before birth_year',
           'tfsa_room_cents: is required with the other figure of its year'],
          'a PUT\'s errors say what is wrong');
for my $case (
    [{}, ['amount_cents'], 'no amount'],
    [{ amount_cents => 0 }, ['amount_cents'], 'an amount of 0'],
    [{ amount_cents => '5000' }, ['amount_cents'], 'an amount as a string'],
    [{ amount_cents => 1, income_cents => -1, year => 1999, tip => 1 },
     ['income_cents', 'tip', 'year'], 'a negative income, year 1999, a stray member'],
) {
    my $r = call(POST => '/v1/tax/rrsp-estimate', token => $tok, json => $case->[0]);
    problem_ok($r, 400, 'validation-failed', "an estimate with $case->[2]");
    is_deeply(fields_of($r), $case->[1], '... the members named');
}
problem_ok(call(POST => '/v1/tax/rrsp-estimate', token => $tok,
                json => { amount_cents => 100, year => 2024 }),
           422, 'unsupported-year', 'an estimate for 2024');
is(call(POST => '/v1/tax/rrsp-estimate', json => { amount_cents => 100 })->{code}, 401,
   'an estimate without a token: 401');

# the profile's income ($90,000) and province; the NOA's 2025 room is used up
$r = call(POST => '/v1/tax/rrsp-estimate', token => $tok, json => { amount_cents => 500000, year => 2025 });
is($r->{code}, 200, 'an estimate from the profile: 200');
is($r->{json}{income_cents}, 9000000, '... its income');
is_deeply(codes($r), ['over-rrsp-room'], '... warned: 2025\'s room is used up');
is($r->{json}{refund_cents}, $r->{json}{before}{total_cents} - $r->{json}{after}{total_cents},
   '... the refund is the difference');
like($r->{json}{explanation}, qr/^An RRSP deduction of \$5,000\.00 on \$90,000\.00 of income in 2025/,
     '... explained');

# Each jurisdiction at $60,000 and $150,000, a $5,000 deduction. Amounts in
# dollars; each line rounded to the cent; BPA: the basic personal amount.
my @cases = (
    # AB 2025, $60,000:
    #   federal 14.5% x 57375.00 + 20.5% x 2625.00 = 8857.50, less 14.5% x BPA 16129.00 = 2338.71: 6518.79
    #   AB 8% x 60000.00 = 4800.00, less 8% x BPA 22323.00 = 1785.84: 3014.16
    #   total 6518.79 + 3014.16 = 9532.95
    #   less $5,000 ($55,000): 5636.29 + 2614.16 = 8250.45
    ['AB', 2025, 6000000, 953295, 825045],
    # AB 2025, $150,000:
    #   federal 14.5% x 57375.00 + 20.5% x 57375.00 + 26% x 35250.00 = 29246.25, less 14.5% x BPA 16129.00 = 2338.71: 26907.54
    #   AB 8% x 60000.00 + 10% x 90000.00 = 13800.00, less 8% x BPA 22323.00 = 1785.84: 12014.16
    #   total 26907.54 + 12014.16 = 38921.70
    #   less $5,000 ($145,000): 25607.54 + 11514.16 = 37121.70
    ['AB', 2025, 15000000, 3892170, 3712170],
    # BC 2025, $60,000:
    #   federal 14.5% x 57375.00 + 20.5% x 2625.00 = 8857.50, less 14.5% x BPA 16129.00 = 2338.71: 6518.79
    #   BC 5.06% x 49279.00 + 7.7% x 10721.00 = 3319.03, less 5.06% x BPA 12932.00 = 654.36: 2664.67
    #   total 6518.79 + 2664.67 = 9183.46
    #   less $5,000 ($55,000): 5636.29 + 2279.67 = 7915.96
    ['BC', 2025, 6000000, 918346, 791596],
    # BC 2025, $150,000:
    #   federal 14.5% x 57375.00 + 20.5% x 57375.00 + 26% x 35250.00 = 29246.25, less 14.5% x BPA 16129.00 = 2338.71: 26907.54
    #   BC 5.06% x 49279.00 + 7.7% x 49281.00 + 10.5% x 14598.00 + 12.29% x 24249.00 + 14.7% x 12593.00 = 12652.32, less 5.06% x BPA 12932.00 = 654.36: 11997.96
    #   total 26907.54 + 11997.96 = 38905.50
    #   less $5,000 ($145,000): 25607.54 + 11262.96 = 36870.50
    ['BC', 2025, 15000000, 3890550, 3687050],
    # MB 2025, $60,000:
    #   federal 14.5% x 57375.00 + 20.5% x 2625.00 = 8857.50, less 14.5% x BPA 16129.00 = 2338.71: 6518.79
    #   MB 10.8% x 47000.00 + 12.75% x 13000.00 = 6733.50, less 10.8% x BPA 15780.00 = 1704.24: 5029.26
    #   total 6518.79 + 5029.26 = 11548.05
    #   less $5,000 ($55,000): 5636.29 + 4391.76 = 10028.05
    ['MB', 2025, 6000000, 1154805, 1002805],
    # MB 2025, $150,000:
    #   federal 14.5% x 57375.00 + 20.5% x 57375.00 + 26% x 35250.00 = 29246.25, less 14.5% x BPA 16129.00 = 2338.71: 26907.54
    #   MB 10.8% x 47000.00 + 12.75% x 53000.00 + 17.4% x 50000.00 = 20533.50, less 10.8% x BPA 15780.00 = 1704.24: 18829.26
    #   total 26907.54 + 18829.26 = 45736.80
    #   less $5,000 ($145,000): 25607.54 + 17959.26 = 43566.80
    ['MB', 2025, 15000000, 4573680, 4356680],
    # NB 2025, $60,000:
    #   federal 14.5% x 57375.00 + 20.5% x 2625.00 = 8857.50, less 14.5% x BPA 16129.00 = 2338.71: 6518.79
    #   NB 9.4% x 51306.00 + 14% x 8694.00 = 6039.92, less 9.4% x BPA 13396.00 = 1259.22: 4780.70
    #   total 6518.79 + 4780.70 = 11299.49
    #   less $5,000 ($55,000): 5636.29 + 4080.70 = 9716.99
    ['NB', 2025, 6000000, 1129949, 971699],
    # NB 2025, $150,000:
    #   federal 14.5% x 57375.00 + 20.5% x 57375.00 + 26% x 35250.00 = 29246.25, less 14.5% x BPA 16129.00 = 2338.71: 26907.54
    #   NB 9.4% x 51306.00 + 14% x 51308.00 + 16% x 47386.00 = 19587.64, less 9.4% x BPA 13396.00 = 1259.22: 18328.42
    #   total 26907.54 + 18328.42 = 45235.96
    #   less $5,000 ($145,000): 25607.54 + 17528.42 = 43135.96
    ['NB', 2025, 15000000, 4523596, 4313596],
    # NL 2025, $60,000:
    #   federal 14.5% x 57375.00 + 20.5% x 2625.00 = 8857.50, less 14.5% x BPA 16129.00 = 2338.71: 6518.79
    #   NL 8.7% x 44192.00 + 14.5% x 15808.00 = 6136.86, less 8.7% x BPA 11067.00 = 962.83: 5174.03
    #   total 6518.79 + 5174.03 = 11692.82
    #   less $5,000 ($55,000): 5636.29 + 4449.03 = 10085.32
    ['NL', 2025, 6000000, 1169282, 1008532],
    # NL 2025, $150,000:
    #   federal 14.5% x 57375.00 + 20.5% x 57375.00 + 26% x 35250.00 = 29246.25, less 14.5% x BPA 16129.00 = 2338.71: 26907.54
    #   NL 8.7% x 44192.00 + 14.5% x 44190.00 + 15.8% x 61618.00 = 19987.90, less 8.7% x BPA 11067.00 = 962.83: 19025.07
    #   total 26907.54 + 19025.07 = 45932.61
    #   less $5,000 ($145,000): 25607.54 + 18235.07 = 43842.61
    ['NL', 2025, 15000000, 4593261, 4384261],
    # NS 2025, $60,000:
    #   federal 14.5% x 57375.00 + 20.5% x 2625.00 = 8857.50, less 14.5% x BPA 16129.00 = 2338.71: 6518.79
    #   NS 8.79% x 30507.00 + 14.95% x 29493.00 = 7090.77, less 8.79% x BPA 11744.00 = 1032.30: 6058.47
    #   total 6518.79 + 6058.47 = 12577.26
    #   less $5,000 ($55,000): 5636.29 + 5310.97 = 10947.26
    ['NS', 2025, 6000000, 1257726, 1094726],
    # NS 2025, $150,000:
    #   federal 14.5% x 57375.00 + 20.5% x 57375.00 + 26% x 35250.00 = 29246.25, less 14.5% x BPA 16129.00 = 2338.71: 26907.54
    #   NS 8.79% x 30507.00 + 14.95% x 30508.00 + 16.67% x 34868.00 + 17.5% x 54117.00 = 22525.48, less 8.79% x BPA 11744.00 = 1032.30: 21493.18
    #   total 26907.54 + 21493.18 = 48400.72
    #   less $5,000 ($145,000): 25607.54 + 20618.18 = 46225.72
    ['NS', 2025, 15000000, 4840072, 4622572],
    # NT 2025, $60,000:
    #   federal 14.5% x 57375.00 + 20.5% x 2625.00 = 8857.50, less 14.5% x BPA 16129.00 = 2338.71: 6518.79
    #   NT 5.9% x 51964.00 + 8.6% x 8036.00 = 3756.97, less 5.9% x BPA 17842.00 = 1052.68: 2704.29
    #   total 6518.79 + 2704.29 = 9223.08
    #   less $5,000 ($55,000): 5636.29 + 2274.29 = 7910.58
    ['NT', 2025, 6000000, 922308, 791058],
    # NT 2025, $150,000:
    #   federal 14.5% x 57375.00 + 20.5% x 57375.00 + 26% x 35250.00 = 29246.25, less 14.5% x BPA 16129.00 = 2338.71: 26907.54
    #   NT 5.9% x 51964.00 + 8.6% x 51966.00 + 12.2% x 46070.00 = 13155.49, less 5.9% x BPA 17842.00 = 1052.68: 12102.81
    #   total 26907.54 + 12102.81 = 39010.35
    #   less $5,000 ($145,000): 25607.54 + 11492.81 = 37100.35
    ['NT', 2025, 15000000, 3901035, 3710035],
    # NU 2025, $60,000:
    #   federal 14.5% x 57375.00 + 20.5% x 2625.00 = 8857.50, less 14.5% x BPA 16129.00 = 2338.71: 6518.79
    #   NU 4% x 54707.00 + 7% x 5293.00 = 2558.79, less 4% x BPA 19274.00 = 770.96: 1787.83
    #   total 6518.79 + 1787.83 = 8306.62
    #   less $5,000 ($55,000): 5636.29 + 1437.83 = 7074.12
    ['NU', 2025, 6000000, 830662, 707412],
    # NU 2025, $150,000:
    #   federal 14.5% x 57375.00 + 20.5% x 57375.00 + 26% x 35250.00 = 29246.25, less 14.5% x BPA 16129.00 = 2338.71: 26907.54
    #   NU 4% x 54707.00 + 7% x 54706.00 + 9% x 40587.00 = 9670.53, less 4% x BPA 19274.00 = 770.96: 8899.57
    #   total 26907.54 + 8899.57 = 35807.11
    #   less $5,000 ($145,000): 25607.54 + 8449.57 = 34057.11
    ['NU', 2025, 15000000, 3580711, 3405711],
    # ON 2025, $60,000:
    #   federal 14.5% x 57375.00 + 20.5% x 2625.00 = 8857.50, less 14.5% x BPA 16129.00 = 2338.71: 6518.79
    #   ON 5.05% x 52886.00 + 9.15% x 7114.00 = 3321.67, less 5.05% x BPA 12747.00 = 643.72: 2677.95; health premium 600.00
    #   total 6518.79 + 3277.95 = 9796.74
    #   less $5,000 ($55,000): 5636.29 + 2820.45 = 8456.74
    ['ON', 2025, 6000000, 979674, 845674],
    # ON 2025, $150,000:
    #   federal 14.5% x 57375.00 + 20.5% x 57375.00 + 26% x 35250.00 = 29246.25, less 14.5% x BPA 16129.00 = 2338.71: 26907.54
    #   ON 5.05% x 52886.00 + 9.15% x 52889.00 + 11.16% x 44225.00 = 12445.60, less 5.05% x BPA 12747.00 = 643.72: 11801.88; surtax 20% x (11801.88 - 5710.00) + 36% x (11801.88 - 7307.00) = 2836.53; health premium 750.00
    #   total 26907.54 + 15388.41 = 42295.95
    #   less $5,000 ($145,000): 25607.54 + 14517.93 = 40125.47
    ['ON', 2025, 15000000, 4229595, 4012547],
    # PE 2025, $60,000:
    #   federal 14.5% x 57375.00 + 20.5% x 2625.00 = 8857.50, less 14.5% x BPA 16129.00 = 2338.71: 6518.79
    #   PE 9.5% x 33328.00 + 13.47% x 26672.00 = 6758.88, less 9.5% x BPA 14650.00 = 1391.75: 5367.13
    #   total 6518.79 + 5367.13 = 11885.92
    #   less $5,000 ($55,000): 5636.29 + 4693.63 = 10329.92
    ['PE', 2025, 6000000, 1188592, 1032992],
    # PE 2025, $150,000:
    #   federal 14.5% x 57375.00 + 20.5% x 57375.00 + 26% x 35250.00 = 29246.25, less 14.5% x BPA 16129.00 = 2338.71: 26907.54
    #   PE 9.5% x 33328.00 + 13.47% x 31328.00 + 16.6% x 40344.00 + 17.62% x 35000.00 + 19% x 10000.00 = 22150.15, less 9.5% x BPA 14650.00 = 1391.75: 20758.40
    #   total 26907.54 + 20758.40 = 47665.94
    #   less $5,000 ($145,000): 25607.54 + 19808.40 = 45415.94
    ['PE', 2025, 15000000, 4766594, 4541594],
    # QC 2025, $60,000:
    #   federal 14.5% x 57375.00 + 20.5% x 2625.00 = 8857.50, less 14.5% x BPA 16129.00 = 2338.71, less abatement 16.5% x 6518.79 = 1075.60: 5443.19
    #   QC 14% x 53255.00 + 19% x 6745.00 = 8737.25, less 14% x BPA 18571.00 = 2599.94: 6137.31
    #   total 5443.19 + 6137.31 = 11580.50
    #   less $5,000 ($55,000): 4706.30 + 5187.31 = 9893.61
    ['QC', 2025, 6000000, 1158050, 989361],
    # QC 2025, $150,000:
    #   federal 14.5% x 57375.00 + 20.5% x 57375.00 + 26% x 35250.00 = 29246.25, less 14.5% x BPA 16129.00 = 2338.71, less abatement 16.5% x 26907.54 = 4439.74: 22467.80
    #   QC 14% x 53255.00 + 19% x 53240.00 + 24% x 23095.00 + 25.75% x 20410.00 = 28369.68, less 14% x BPA 18571.00 = 2599.94: 25769.74
    #   total 22467.80 + 25769.74 = 48237.54
    #   less $5,000 ($145,000): 21382.30 + 24482.24 = 45864.54
    ['QC', 2025, 15000000, 4823754, 4586454],
    # SK 2025, $60,000:
    #   federal 14.5% x 57375.00 + 20.5% x 2625.00 = 8857.50, less 14.5% x BPA 16129.00 = 2338.71: 6518.79
    #   SK 10.5% x 53463.00 + 12.5% x 6537.00 = 6430.74, less 10.5% x BPA 19491.00 = 2046.56: 4384.18
    #   total 6518.79 + 4384.18 = 10902.97
    #   less $5,000 ($55,000): 5636.29 + 3759.18 = 9395.47
    ['SK', 2025, 6000000, 1090297, 939547],
    # SK 2025, $150,000:
    #   federal 14.5% x 57375.00 + 20.5% x 57375.00 + 26% x 35250.00 = 29246.25, less 14.5% x BPA 16129.00 = 2338.71: 26907.54
    #   SK 10.5% x 53463.00 + 12.5% x 96537.00 = 17680.74, less 10.5% x BPA 19491.00 = 2046.56: 15634.18
    #   total 26907.54 + 15634.18 = 42541.72
    #   less $5,000 ($145,000): 25607.54 + 15009.18 = 40616.72
    ['SK', 2025, 15000000, 4254172, 4061672],
    # YT 2025, $60,000:
    #   federal 14.5% x 57375.00 + 20.5% x 2625.00 = 8857.50, less 14.5% x BPA 16129.00 = 2338.71: 6518.79
    #   YT 6.4% x 57375.00 + 9% x 2625.00 = 3908.25, less 6.4% x BPA 16129.00 = 1032.26: 2875.99
    #   total 6518.79 + 2875.99 = 9394.78
    #   less $5,000 ($55,000): 5636.29 + 2487.74 = 8124.03
    ['YT', 2025, 6000000, 939478, 812403],
    # YT 2025, $150,000:
    #   federal 14.5% x 57375.00 + 20.5% x 57375.00 + 26% x 35250.00 = 29246.25, less 14.5% x BPA 16129.00 = 2338.71: 26907.54
    #   YT 6.4% x 57375.00 + 9% x 57375.00 + 10.9% x 35250.00 = 12678.00, less 6.4% x BPA 16129.00 = 1032.26: 11645.74
    #   total 26907.54 + 11645.74 = 38553.28
    #   less $5,000 ($145,000): 25607.54 + 11100.74 = 36708.28
    ['YT', 2025, 15000000, 3855328, 3670828],
    # AB 2026, $60,000:
    #   federal 14% x 58523.00 + 20.5% x 1477.00 = 8496.01, less 14% x BPA 16452.00 = 2303.28: 6192.73
    #   AB 8% x 60000.00 = 4800.00, less 8% x BPA 22769.00 = 1821.52: 2978.48
    #   total 6192.73 + 2978.48 = 9171.21
    #   less $5,000 ($55,000): 5396.72 + 2578.48 = 7975.20
    ['AB', 2026, 6000000, 917121, 797520],
    # AB 2026, $150,000:
    #   federal 14% x 58523.00 + 20.5% x 58522.00 + 26% x 32955.00 = 28758.53, less 14% x BPA 16452.00 = 2303.28: 26455.25
    #   AB 8% x 61200.00 + 10% x 88800.00 = 13776.00, less 8% x BPA 22769.00 = 1821.52: 11954.48
    #   total 26455.25 + 11954.48 = 38409.73
    #   less $5,000 ($145,000): 25155.25 + 11454.48 = 36609.73
    ['AB', 2026, 15000000, 3840973, 3660973],
    # BC 2026, $60,000:
    #   federal 14% x 58523.00 + 20.5% x 1477.00 = 8496.01, less 14% x BPA 16452.00 = 2303.28: 6192.73
    #   BC 5.06% x 50363.00 + 7.7% x 9637.00 = 3290.42, less 5.06% x BPA 13216.00 = 668.73: 2621.69
    #   total 6192.73 + 2621.69 = 8814.42
    #   less $5,000 ($55,000): 5396.72 + 2236.69 = 7633.41
    ['BC', 2026, 6000000, 881442, 763341],
    # BC 2026, $150,000:
    #   federal 14% x 58523.00 + 20.5% x 58522.00 + 26% x 32955.00 = 28758.53, less 14% x BPA 16452.00 = 2303.28: 26455.25
    #   BC 5.06% x 50363.00 + 7.7% x 50365.00 + 10.5% x 14920.00 + 12.29% x 24782.00 + 14.7% x 9570.00 = 12445.57, less 5.06% x BPA 13216.00 = 668.73: 11776.84
    #   total 26455.25 + 11776.84 = 38232.09
    #   less $5,000 ($145,000): 25155.25 + 11041.84 = 36197.09
    ['BC', 2026, 15000000, 3823209, 3619709],
    # MB 2026, $60,000:
    #   federal 14% x 58523.00 + 20.5% x 1477.00 = 8496.01, less 14% x BPA 16452.00 = 2303.28: 6192.73
    #   MB 10.8% x 47000.00 + 12.75% x 13000.00 = 6733.50, less 10.8% x BPA 15780.00 = 1704.24: 5029.26
    #   total 6192.73 + 5029.26 = 11221.99
    #   less $5,000 ($55,000): 5396.72 + 4391.76 = 9788.48
    ['MB', 2026, 6000000, 1122199, 978848],
    # MB 2026, $150,000:
    #   federal 14% x 58523.00 + 20.5% x 58522.00 + 26% x 32955.00 = 28758.53, less 14% x BPA 16452.00 = 2303.28: 26455.25
    #   MB 10.8% x 47000.00 + 12.75% x 53000.00 + 17.4% x 50000.00 = 20533.50, less 10.8% x BPA 15780.00 = 1704.24: 18829.26
    #   total 26455.25 + 18829.26 = 45284.51
    #   less $5,000 ($145,000): 25155.25 + 17959.26 = 43114.51
    ['MB', 2026, 15000000, 4528451, 4311451],
    # NB 2026, $60,000:
    #   federal 14% x 58523.00 + 20.5% x 1477.00 = 8496.01, less 14% x BPA 16452.00 = 2303.28: 6192.73
    #   NB 9.4% x 52333.00 + 14% x 7667.00 = 5992.68, less 9.4% x BPA 13664.00 = 1284.42: 4708.26
    #   total 6192.73 + 4708.26 = 10900.99
    #   less $5,000 ($55,000): 5396.72 + 4008.26 = 9404.98
    ['NB', 2026, 6000000, 1090099, 940498],
    # NB 2026, $150,000:
    #   federal 14% x 58523.00 + 20.5% x 58522.00 + 26% x 32955.00 = 28758.53, less 14% x BPA 16452.00 = 2303.28: 26455.25
    #   NB 9.4% x 52333.00 + 14% x 52333.00 + 16% x 45334.00 = 19499.36, less 9.4% x BPA 13664.00 = 1284.42: 18214.94
    #   total 26455.25 + 18214.94 = 44670.19
    #   less $5,000 ($145,000): 25155.25 + 17414.94 = 42570.19
    ['NB', 2026, 15000000, 4467019, 4257019],
    # NL 2026, $60,000:
    #   federal 14% x 58523.00 + 20.5% x 1477.00 = 8496.01, less 14% x BPA 16452.00 = 2303.28: 6192.73
    #   NL 8.7% x 44678.00 + 14.5% x 15322.00 = 6108.68, less 8.7% x BPA 11188.00 = 973.36: 5135.32
    #   total 6192.73 + 5135.32 = 11328.05
    #   less $5,000 ($55,000): 5396.72 + 4410.32 = 9807.04
    ['NL', 2026, 6000000, 1132805, 980704],
    # NL 2026, $150,000:
    #   federal 14% x 58523.00 + 20.5% x 58522.00 + 26% x 32955.00 = 28758.53, less 14% x BPA 16452.00 = 2303.28: 26455.25
    #   NL 8.7% x 44678.00 + 14.5% x 44676.00 + 15.8% x 60646.00 = 19947.07, less 8.7% x BPA 11188.00 = 973.36: 18973.71
    #   total 26455.25 + 18973.71 = 45428.96
    #   less $5,000 ($145,000): 25155.25 + 18183.71 = 43338.96
    ['NL', 2026, 15000000, 4542896, 4333896],
    # NS 2026, $60,000:
    #   federal 14% x 58523.00 + 20.5% x 1477.00 = 8496.01, less 14% x BPA 16452.00 = 2303.28: 6192.73
    #   NS 8.79% x 30995.00 + 14.95% x 29005.00 = 7060.71, less 8.79% x BPA 11932.00 = 1048.82: 6011.89
    #   total 6192.73 + 6011.89 = 12204.62
    #   less $5,000 ($55,000): 5396.72 + 5264.39 = 10661.11
    ['NS', 2026, 6000000, 1220462, 1066111],
    # NS 2026, $150,000:
    #   federal 14% x 58523.00 + 20.5% x 58522.00 + 26% x 32955.00 = 28758.53, less 14% x BPA 16452.00 = 2303.28: 26455.25
    #   NS 8.79% x 30995.00 + 14.95% x 30996.00 + 16.67% x 35426.00 + 17.5% x 52583.00 = 22465.90, less 8.79% x BPA 11932.00 = 1048.82: 21417.08
    #   total 26455.25 + 21417.08 = 47872.33
    #   less $5,000 ($145,000): 25155.25 + 20542.08 = 45697.33
    ['NS', 2026, 15000000, 4787233, 4569733],
    # NT 2026, $60,000:
    #   federal 14% x 58523.00 + 20.5% x 1477.00 = 8496.01, less 14% x BPA 16452.00 = 2303.28: 6192.73
    #   NT 5.9% x 53003.00 + 8.6% x 6997.00 = 3728.92, less 5.9% x BPA 18198.00 = 1073.68: 2655.24
    #   total 6192.73 + 2655.24 = 8847.97
    #   less $5,000 ($55,000): 5396.72 + 2225.24 = 7621.96
    ['NT', 2026, 6000000, 884797, 762196],
    # NT 2026, $150,000:
    #   federal 14% x 58523.00 + 20.5% x 58522.00 + 26% x 32955.00 = 28758.53, less 14% x BPA 16452.00 = 2303.28: 26455.25
    #   NT 5.9% x 53003.00 + 8.6% x 53006.00 + 12.2% x 43991.00 = 13052.60, less 5.9% x BPA 18198.00 = 1073.68: 11978.92
    #   total 26455.25 + 11978.92 = 38434.17
    #   less $5,000 ($145,000): 25155.25 + 11368.92 = 36524.17
    ['NT', 2026, 15000000, 3843417, 3652417],
    # NU 2026, $60,000:
    #   federal 14% x 58523.00 + 20.5% x 1477.00 = 8496.01, less 14% x BPA 16452.00 = 2303.28: 6192.73
    #   NU 4% x 55801.00 + 7% x 4199.00 = 2525.97, less 4% x BPA 19659.00 = 786.36: 1739.61
    #   total 6192.73 + 1739.61 = 7932.34
    #   less $5,000 ($55,000): 5396.72 + 1413.64 = 6810.36
    ['NU', 2026, 6000000, 793234, 681036],
    # NU 2026, $150,000:
    #   federal 14% x 58523.00 + 20.5% x 58522.00 + 26% x 32955.00 = 28758.53, less 14% x BPA 16452.00 = 2303.28: 26455.25
    #   NU 4% x 55801.00 + 7% x 55801.00 + 9% x 38398.00 = 9593.93, less 4% x BPA 19659.00 = 786.36: 8807.57
    #   total 26455.25 + 8807.57 = 35262.82
    #   less $5,000 ($145,000): 25155.25 + 8357.57 = 33512.82
    ['NU', 2026, 15000000, 3526282, 3351282],
    # ON 2026, $60,000:
    #   federal 14% x 58523.00 + 20.5% x 1477.00 = 8496.01, less 14% x BPA 16452.00 = 2303.28: 6192.73
    #   ON 5.05% x 53891.00 + 9.15% x 6109.00 = 3280.47, less 5.05% x BPA 12989.00 = 655.94: 2624.53; health premium 600.00
    #   total 6192.73 + 3224.53 = 9417.26
    #   less $5,000 ($55,000): 5396.72 + 2767.03 = 8163.75
    ['ON', 2026, 6000000, 941726, 816375],
    # ON 2026, $150,000:
    #   federal 14% x 58523.00 + 20.5% x 58522.00 + 26% x 32955.00 = 28758.53, less 14% x BPA 16452.00 = 2303.28: 26455.25
    #   ON 5.05% x 53891.00 + 9.15% x 53894.00 + 11.16% x 42215.00 = 12363.99, less 5.05% x BPA 12989.00 = 655.94: 11708.05; surtax 20% x (11708.05 - 5818.00) + 36% x (11708.05 - 7446.00) = 2712.35; health premium 750.00
    #   total 26455.25 + 15170.40 = 41625.65
    #   less $5,000 ($145,000): 25155.25 + 14299.92 = 39455.17
    ['ON', 2026, 15000000, 4162565, 3945517],
    # PE 2026, $60,000:
    #   federal 14% x 58523.00 + 20.5% x 1477.00 = 8496.01, less 14% x BPA 16452.00 = 2303.28: 6192.73
    #   PE 9.5% x 33928.00 + 13.47% x 26072.00 = 6735.06, less 9.5% x BPA 15000.00 = 1425.00: 5310.06
    #   total 6192.73 + 5310.06 = 11502.79
    #   less $5,000 ($55,000): 5396.72 + 4636.56 = 10033.28
    ['PE', 2026, 6000000, 1150279, 1003328],
    # PE 2026, $150,000:
    #   federal 14% x 58523.00 + 20.5% x 58522.00 + 26% x 32955.00 = 28758.53, less 14% x BPA 16452.00 = 2303.28: 26455.25
    #   PE 9.5% x 33928.00 + 13.47% x 31892.00 + 16.6% x 41070.00 + 17.62% x 35360.00 + 19% x 7750.00 = 22039.56, less 9.5% x BPA 15000.00 = 1425.00: 20614.56
    #   total 26455.25 + 20614.56 = 47069.81
    #   less $5,000 ($145,000): 25155.25 + 19664.56 = 44819.81
    ['PE', 2026, 15000000, 4706981, 4481981],
    # QC 2026, $60,000:
    #   federal 14% x 58523.00 + 20.5% x 1477.00 = 8496.01, less 14% x BPA 16452.00 = 2303.28, less abatement 16.5% x 6192.73 = 1021.80: 5170.93
    #   QC 14% x 54345.00 + 19% x 5655.00 = 8682.75, less 14% x BPA 18952.00 = 2653.28: 6029.47
    #   total 5170.93 + 6029.47 = 11200.40
    #   less $5,000 ($55,000): 4506.26 + 5079.47 = 9585.73
    ['QC', 2026, 6000000, 1120040, 958573],
    # QC 2026, $150,000:
    #   federal 14% x 58523.00 + 20.5% x 58522.00 + 26% x 32955.00 = 28758.53, less 14% x BPA 16452.00 = 2303.28, less abatement 16.5% x 26455.25 = 4365.12: 22090.13
    #   QC 14% x 54345.00 + 19% x 54335.00 + 24% x 23565.00 + 25.75% x 17755.00 = 28159.46, less 14% x BPA 18952.00 = 2653.28: 25506.18
    #   total 22090.13 + 25506.18 = 47596.31
    #   less $5,000 ($145,000): 21004.63 + 24218.68 = 45223.31
    ['QC', 2026, 15000000, 4759631, 4522331],
    # SK 2026, $60,000:
    #   federal 14% x 58523.00 + 20.5% x 1477.00 = 8496.01, less 14% x BPA 16452.00 = 2303.28: 6192.73
    #   SK 10.5% x 54532.00 + 12.5% x 5468.00 = 6409.36, less 10.5% x BPA 20381.00 = 2140.01: 4269.35
    #   total 6192.73 + 4269.35 = 10462.08
    #   less $5,000 ($55,000): 5396.72 + 3644.35 = 9041.07
    ['SK', 2026, 6000000, 1046208, 904107],
    # SK 2026, $150,000:
    #   federal 14% x 58523.00 + 20.5% x 58522.00 + 26% x 32955.00 = 28758.53, less 14% x BPA 16452.00 = 2303.28: 26455.25
    #   SK 10.5% x 54532.00 + 12.5% x 95468.00 = 17659.36, less 10.5% x BPA 20381.00 = 2140.01: 15519.35
    #   total 26455.25 + 15519.35 = 41974.60
    #   less $5,000 ($145,000): 25155.25 + 14894.35 = 40049.60
    ['SK', 2026, 15000000, 4197460, 4004960],
    # YT 2026, $60,000:
    #   federal 14% x 58523.00 + 20.5% x 1477.00 = 8496.01, less 14% x BPA 16452.00 = 2303.28: 6192.73
    #   YT 6.4% x 58523.00 + 9% x 1477.00 = 3878.40, less 6.4% x BPA 16452.00 = 1052.93: 2825.47
    #   total 6192.73 + 2825.47 = 9018.20
    #   less $5,000 ($55,000): 5396.72 + 2467.07 = 7863.79
    ['YT', 2026, 6000000, 901820, 786379],
    # YT 2026, $150,000:
    #   federal 14% x 58523.00 + 20.5% x 58522.00 + 26% x 32955.00 = 28758.53, less 14% x BPA 16452.00 = 2303.28: 26455.25
    #   YT 6.4% x 58523.00 + 9% x 58522.00 + 10.9% x 32955.00 = 12604.55, less 6.4% x BPA 16452.00 = 1052.93: 11551.62
    #   total 26455.25 + 11551.62 = 38006.87
    #   less $5,000 ($145,000): 25155.25 + 11006.62 = 36161.87
    ['YT', 2026, 15000000, 3800687, 3616187],
);
for my $c (@cases) {
    my ($prov, $year, $income, $before, $after) = @$c;
    profile($tok, { %good, province => $prov });
    my $r = call(POST => '/v1/tax/rrsp-estimate', token => $tok,
                 json => { amount_cents => 500000, income_cents => $income, year => $year });
    is_deeply([@{ $r->{json} }{qw(province deduction_cents refund_cents)},
               $r->{json}{before}{total_cents}, $r->{json}{after}{total_cents}],
              [$prov, 500000, $before - $after, $before, $after],
              sprintf('%s %d, $%d: tax %.2f, %.2f after the deduction', $prov, $year,
                      $income / 100, $before / 100, $after / 100));
}

# a deduction larger than the income deducts the income
$r = call(POST => '/v1/tax/rrsp-estimate', token => $tok,
          json => { amount_cents => 900000, income_cents => 500000, year => 2026 });
is_deeply([@{ $r->{json} }{qw(deduction_cents refund_cents)}], [500000, 0],
          'a deduction over an income under the BPA: the income, no refund');

# --- PostgreSQL down ---------------------------------------------------------------------------

north_stack('pg-stop');
problem_ok(summary($tok, 2025), 503, 'database-unavailable', 'PostgreSQL down: the summary');
problem_ok(profile($tok, \%good), 503, 'database-unavailable', 'PostgreSQL down: PUT the profile');
problem_ok(call(POST => '/v1/tax/rrsp-estimate', token => $tok, json => { amount_cents => 100 }),
           503, 'database-unavailable', 'PostgreSQL down: an estimate');
north_stack('pg-start');
ok(wait_for(10, sub { call(GET => '/v1/tax/profile', token => $tok)->{code} == 200 }),
   'PostgreSQL back: 200');

done_testing();
