# Analytics: categorisation at every level of precedence (the C tables and
# the SQL that applies them agree), "apply to similar" applied to the past,
# transfers between own accounts, spending for a period against the one
# before, net worth with credit, loans, USD and manual items, its history
# without gaps, manual items, other users' ids, PostgreSQL down: flows over
# one user's data, which a block (one request and its checks, on a fresh
# nginx) cannot build. Bad input is a block each, in analytics-input.t.
use strict;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;
use JSON::PP ();
use Encode ();

# the file writes balances and snapshots in SQL, as a sync would: its reads
# go to PostgreSQL (the cache's invalidation by a sync is in cache.t)
my ($port) = north_nginx(name => 'analytics', http => 'north_cache_ttl 0;');
my $n = 0;

sub call { north_http($port, @_) }

sub register {
    my $r = north_register($port, {
        email => sprintf('analytics%d.%d@north.example.ca', $$, ++$n),
        password => 'maple syrup & snow 42', consents => ['terms', 'privacy_policy'] });
    die "register: $r->{code} $r->{body}" unless $r->{code} == 201;
    return ($r->{json}{access_token}, $r->{json}{user}{id});
}

my ($tok, $uid) = register();
my ($otok, $ouid) = register();
psql("update north.users set time_zone = 'America/Toronto' where id = :'a0'", $uid);
my $today = psql("select north.user_today(:'a0')", $uid);

# an item of the user's, as a sync leaves it: accounts, then transactions
my $item = psql("insert into north.plaid_items (user_id, plaid_item_id, institution_id,
                 institution_name, access_token, token_key_id)
                 values (:'a0', 'item-' || gen_random_uuid(), 'ins_43',
                         'Tartan-Dominion Bank of Canada', 'sealed', 'k')
                 returning id", $uid);
my %acct;
for (['chequing', 'depository', 'checking', 'CAD', 250000],
     ['savings', 'depository', 'savings', 'CAD', 1000000],
     ['tfsa', 'investment', 'tfsa', 'CAD', 2000000],
     ['usd', 'depository', 'checking', 'USD', 100000],
     ['visa', 'credit', 'credit card', 'CAD', 75000],
     ['loan', 'loan', 'student', 'CAD', 1500000]) {
    my ($name, $type, $sub, $cur, $bal) = @$_;
    $acct{$name} = psql("insert into north.accounts (user_id, item_id, plaid_account_id, name,
                         type, subtype, currency, balance_cents)
                         values (:'a0', :'a1', :'a2', :'a2', :'a3', :'a4', :'a5', :'a6')
                         returning id", $uid, $item, $name, $type, $sub, $cur, $bal);
}

my $t = 0;
sub tx {
    my (%o) = @_;
    return psql("insert into north.transactions (user_id, account_id, item_id,
                 plaid_transaction_id, amount_cents, currency, date, name, merchant_name,
                 pfc_primary, pfc_detailed, pending)
                 values (:'a0', :'a1', :'a2', :'a3', :'a4', :'a5', :'a6', :'a7',
                         nullif(:'a8', ''), nullif(:'a9', ''), nullif(:'a10', ''), false)
                 returning id || ' ' || category || ' ' || category_source",
                $uid, $acct{ $o{account} // 'chequing' }, $item, 'tx' . ++$t, $o{cents},
                $o{currency} // 'CAD', $o{date}, $o{name}, $o{merchant} // '',
                $o{pfc} // '', $o{pfc_detailed} // '');
}
sub cat_of { (split / /, $_[0])[1] . ' ' . (split / /, $_[0])[2] }
sub id_of { (split / /, $_[0])[0] }

# --- categorisation: each level, as the C tables say -------------------------------

my $month = substr($today, 0, 8) . '05';
my $coffee = tx(cents => -525, date => $month, name => 'TIM HORTONS #2231 TORONTO ON',
                pfc => 'FOOD_AND_DRINK', pfc_detailed => 'FOOD_AND_DRINK_RESTAURANT');
is(cat_of($coffee), 'coffee north', "North's rule beats Plaid's category");
is(cat_of(tx(cents => -4210, date => $month, name => 'CAFE DU COIN',
             pfc => 'FOOD_AND_DRINK', pfc_detailed => 'FOOD_AND_DRINK_RESTAURANT')),
   'dining plaid', "Plaid's detailed category, mapped");
is(cat_of(tx(cents => -1999, date => $month, name => 'SOMETHING NEW', pfc => 'ENTERTAINMENT',
             pfc_detailed => 'ENTERTAINMENT_SOMETHING_UNKNOWN')),
   'events plaid', "... else Plaid's primary");
is(cat_of(tx(cents => -999, date => $month, name => 'ZQX 9981')), 'uncategorised none',
   'nothing known: uncategorised');
is(cat_of(tx(cents => -8000, date => $month, name => 'Hydro-Québec', merchant => 'Hydro-Québec')),
   'electricity north', 'accents folded as the C key does');
is(cat_of(tx(cents => -6000, date => $month, name => 'CANADIAN TIRE GAS+ #455')), 'gas north',
   'the longest rule wins');
is(cat_of(tx(cents => -12000, date => $month, name => 'LOBLAWS 1012', merchant => 'Loblaws')),
   'groceries north', 'groceries');
is(cat_of(tx(cents => 310000, date => $month, name => 'PAYROLL DEPOSIT ACME', pfc => 'INCOME',
             pfc_detailed => 'INCOME_WAGES')), 'salary north', 'a paycheque');

# the C catalog and the SQL one agree, merchant by merchant
my $c_bin = north_root() . '/build/unit/test_category';
for my $m ('TIM HORTONS #1', 'STM-METRO BERRI', 'Hydro-Québec', 'McDonald’s 88', 'UBER EATS',
           'UBER TRIP', 'SAQ 23045', 'BELL CANADA', 'TACO BELL 9', 'WS RRSP CONTRIBUTION',
           'Cotisation CELI', 'PETRO-CANADA', 'Épicerie ESSO', 'nothing at all') {
    my $sql = psql("select coalesce((select category from north.category_rules
                    where position(' ' || pattern || ' ' in north.category_key(:'a0')) > 0
                    order by char_length(pattern) desc, ord limit 1), '-')", $m);
    local $ENV{LD_PRELOAD};
    delete $ENV{LD_PRELOAD};
    open my $fh, '-|', $c_bin, '--rule', $m or die "$c_bin: $!";
    chomp(my $c = <$fh> // '');
    close $fh;
    is($sql, $c, "C and SQL agree on $m: $c");
}

# the user's edit of one transaction beats everything
my $r = call(PATCH => '/v1/transactions/' . id_of($coffee), token => $tok,
             json => { category => 'gifts_donations' });
is($r->{code}, 200, "the user's edit: 200");
is("$r->{json}{category} $r->{json}{category_source}", 'gifts_donations user', '... wins');
is($r->{json}{rule}, undef, '... and makes no rule unless asked');
$r = call(PATCH => '/v1/transactions/' . id_of($coffee), token => $tok, json => { category => undef });
is("$r->{json}{category} $r->{json}{category_source}", 'coffee north', 'a null edit gives it back to the rules');

# "apply to similar": a rule, applied to past transactions in one statement
my @past = map { tx(cents => -700 - $_, date => "2025-0$_-1$_", name => "TIM HORTONS #99$_ MONTREAL QC",
                    merchant => 'Tim Hortons') } 1 .. 5;
my $edited = tx(cents => -450, date => '2025-07-01', name => 'TIM HORTONS #1', merchant => 'Tim Hortons');
call(PATCH => '/v1/transactions/' . id_of($edited), token => $tok, json => { category => 'coffee' });
$r = call(PATCH => '/v1/transactions/' . id_of($past[0]), token => $tok,
          json => { category => 'dining', apply_to_similar => JSON::PP::true });
is($r->{code}, 200, 'apply to similar: 200');
is($r->{json}{rule}{pattern}, 'tim hortons', '... the rule matches the merchant');
is($r->{json}{rule}{category}, 'dining', '... with the category');
is($r->{json}{rule}{recategorised}, 5, '... and it changed the other past ones (not the edited one)');
is(psql("select string_agg(category || '/' || category_source, ' ' order by date)
         from north.transactions where user_id = :'a0' and merchant_name = 'Tim Hortons'", $uid),
   'dining/user dining/user_rule dining/user_rule dining/user_rule dining/user_rule coffee/user',
   "... the rule beats North's, the user's own edit beats the rule");
is(cat_of(tx(cents => -300, date => $month, name => 'TIM HORTONS #7', merchant => 'Tim Hortons')),
   'dining user_rule', '... and applies to new ones');
$r = call(GET => '/v1/categories/rules', token => $tok);
is(scalar @{ $r->{json}{rules} }, 1, 'the rule is listed');
my $rule = $r->{json}{rules}[0]{id};
is(scalar @{ call(GET => '/v1/categories/rules', token => $otok)->{json}{rules} }, 0,
   "... not in another user's list");
problem_ok(call(DELETE => "/v1/categories/rules/$rule", token => $otok), 404, 'not-found',
           "another user's rule");
is(call(DELETE => "/v1/categories/rules/$rule", token => $tok)->{code}, 204, 'a rule deleted: 204');
is(psql("select count(*) from north.transactions where user_id = :'a0'
         and category_source = 'user_rule'", $uid), 0, "... its transactions go back to North's rules");
problem_ok(call(DELETE => "/v1/categories/rules/$rule", token => $tok), 404, 'not-found', '... once');
problem_ok(call(PATCH => '/v1/transactions/' . id_of(tx(cents => -1, date => $month, name => '12345 678')),
                token => $tok, json => { category => 'fees', apply_to_similar => JSON::PP::true }),
           422, 'no-similar-pattern', 'a description of numbers makes no rule');
$r = call(PATCH => '/v1/transactions/' . id_of($coffee), token => $tok,
          json => { category => 'no_such', apply_to_similar => 'yes' });
is_deeply(fields_of($r), [qw(apply_to_similar category)], 'bad edits: each named');
is_deeply(fields_of(call(PATCH => '/v1/transactions/' . id_of($coffee), token => $tok,
                         json => { apply_to_similar => JSON::PP::true })),
          ['apply_to_similar'], 'similar without a category');

# transfers between the user's own accounts: both sides, either order
my $out = tx(cents => -50000, date => $month, name => 'ONLINE BANKING TRANSFER 1');
my $in = tx(cents => 50000, date => $month, name => 'ONLINE TRANSFER IN', account => 'savings');
is(cat_of($in), 'transfers transfer', 'the second side of a transfer is one');
is(psql("select category || ' ' || category_source from north.transactions where id = :'a0'", id_of($out)),
   'transfers transfer', '... and the first becomes one');
is(cat_of(tx(cents => 50000, date => '2024-01-01', name => 'ONLINE TRANSFER IN', account => 'savings')),
   'uncategorised none', 'the same amount weeks apart is not a transfer');

# the category tree, in both languages
$r = call(GET => '/v1/categories', token => $tok);
my ($food) = grep { $_->{id} eq 'food' } @{ $r->{json}{categories} };
ok($food && grep({ $_->{id} eq 'groceries' && $_->{name} eq 'Groceries' } @{ $food->{children} }),
   'the tree: groceries under food');
$r = call(GET => '/v1/categories', token => $tok, headers => { 'Accept-Language' => 'fr-CA' });
($food) = grep { $_->{id} eq 'food' } @{ $r->{json}{categories} };
ok(grep({ Encode::encode_utf8($_->{name}) eq 'Épicerie' } @{ $food->{children} }), '... in French');

# --- spending ----------------------------------------------------------------------

my ($y, $m) = $today =~ /^(\d+)-(\d+)/;
my $prev = psql("select to_char(date_trunc('month', :'a0'::date) - interval '1 month', 'YYYY-MM-DD')", $today);
tx(cents => -10000, date => $prev, name => 'LOBLAWS 1', merchant => 'Loblaws');
tx(cents => -2000, date => $prev, name => 'STARBUCKS', merchant => 'Starbucks');
tx(cents => 2500, date => $month, name => 'LOBLAWS REFUND', merchant => 'Loblaws');
tx(cents => -1000, currency => 'USD', date => $month, name => 'AMAZON.COM', account => 'usd');
psql("insert into north.transactions (user_id, account_id, item_id, plaid_transaction_id,
      amount_cents, date, name, hidden) values (:'a0', :'a1', :'a2', 'hidden1', -99999, :'a3',
      'HIDDEN', true)", $uid, $acct{chequing}, $item, $month);
psql("select north.fx_rate_set('USD', 1.40, :'a0'::date - 3)", $today);

$r = call(GET => "/v1/analytics/spending?period=month&date=$month", token => $tok);
is($r->{code}, 200, 'spending for a month: 200');
my $s = $r->{json};
my %c = map { ($_->{id} => $_) } @{ $s->{categories} };
is($s->{start}, "$y-$m-01", '... from the first of the month');
is($c{groceries}{cents}, 12000 - 2500, '... a refund lowers its category');
is($c{groceries}{previous_cents}, 10000, '... next to the month before');
is($c{groceries}{change_cents}, -500, '... and the change');
is($c{general_merchandise}{cents}, 1400, '... USD at the stored rate');
ok(!$c{transfers}, '... transfers do not count');
is($s->{income_cents}, 310000, '... income');
my $want = psql("select -sum(round(t.amount_cents * case when t.currency = 'USD' then 1.40 else 1 end))
                 from north.transactions t join north.categories c on c.id = t.category
                 where t.user_id = :'a0' and c.kind = 'spending' and not t.hidden
                   and t.date between date_trunc('month', :'a1'::date)
                                  and date_trunc('month', :'a1'::date) + interval '1 month' - interval '1 day'",
                $uid, $month);
is($s->{spending_cents}, $want, "... the total is the categories' ($want), hidden ones left out");
is($s->{previous}{spending_cents}, 12000, "... the previous month's total");
is($s->{change}{spending_cents}, $want - 12000, '... the change');
is($s->{top_merchants}[0]{name}, 'Loblaws', '... top merchant first');
is(call(GET => "/v1/analytics/spending?period=month&date=$month", token => $otok)->{json}{spending_cents}, 0,
   "another user's spending is their own");
$r = call(GET => '/v1/analytics/spending?period=week', token => $tok);
is($r->{code}, 200, 'a week, today by default');
is(psql("select extract(isodow from :'a0'::date)", $r->{json}{start}), 1, '... from a Monday');

# --- net worth -------------------------------------------------------------------------

$r = call(GET => '/v1/analytics/net-worth', token => $tok);
is($r->{code}, 200, 'net worth: 200');
my $w = $r->{json};
# assets 2,500 + 10,000 + 20,000 + USD 1,000 * 1.40; owed 750 + 15,000
is($w->{assets}, 250000 + 1000000 + 2000000 + 140000, '... assets, USD converted');
is($w->{liabilities}, 75000 + 1500000, '... the card and the loan owed');
is($w->{net_worth}, $w->{assets} - $w->{liabilities}, '... net worth');
is($w->{currency}, 'CAD', '... in CAD');
is_deeply([map { "$_->{currency} $_->{rate}" } @{ $w->{fx} }], ['USD 1.4'], '... naming the rate used');
is($w->{fx}[0]{as_of}, psql("select (:'a0'::date - 3)::text", $today), '... and its date');
my %types = map { ("$_->{kind} $_->{type}" => $_) } @{ $w->{by_type} };
is($types{'asset investment'}{subtypes}[0]{subtype}, 'tfsa', '... a TFSA among investments');
is($types{'liability credit'}{cents}, 75000, '... credit by type');
is($w->{by_institution}[0]{name}, 'Tartan-Dominion Bank of Canada', '... by institution');

# manual items count, and their bad input
$r = call(POST => '/v1/analytics/manual-items', token => $tok,
          json => { name => 'House', type => 'real_estate', value_cents => 65000000 });
is($r->{code}, 201, 'a manual asset: 201');
is($r->{json}{kind}, 'asset', '... an asset by its type');
my $house = $r->{json}{id};
my $car_loan = call(POST => '/v1/analytics/manual-items', token => $tok,
                    json => { name => 'Car loan', type => 'loan', value_cents => 1200000,
                              notes => 'Dealer' })->{json}{id};
$r = call(GET => '/v1/analytics/net-worth', token => $tok);
is($r->{json}{net_worth}, $w->{net_worth} + 65000000 - 1200000, 'manual items count in net worth');
ok(grep({ $_->{institution_id} eq 'manual' } @{ $r->{json}{by_institution} }), '... under "manual"');
$r = call(PATCH => "/v1/analytics/manual-items/$house", token => $tok,
          json => { value_cents => 70000000, notes => undef });
is("$r->{code} $r->{json}{value_cents}", '200 70000000', 'a new value: 200');
is(call(GET => "/v1/analytics/manual-items/$house", token => $tok)->{json}{value_cents}, 70000000,
   '... read back');
is(scalar @{ call(GET => '/v1/analytics/manual-items', token => $tok)->{json}{items} }, 2, 'the list');
problem_ok(call(GET => "/v1/analytics/manual-items/$house", token => $otok), 404, 'not-found',
           "another user's item");
problem_ok(call(PATCH => "/v1/analytics/manual-items/$house", token => $otok, json => { value_cents => 1 }),
           404, 'not-found', "... cannot be changed");
problem_ok(call(DELETE => "/v1/analytics/manual-items/$house", token => $otok), 404, 'not-found',
           "... nor deleted");
problem_ok(call(POST => '/v1/analytics/manual-items', token => $tok,
                json => { name => 'x' x 2000000, type => 'cash', value_cents => 1 }),
           413, 'payload-too-large', 'an oversize body');
is(call(DELETE => "/v1/analytics/manual-items/$car_loan", token => $tok)->{code}, 204, 'deleted: 204');
problem_ok(call(DELETE => "/v1/analytics/manual-items/$car_loan", token => $tok), 404, 'not-found', '... once');

# --- history: every day, each source's last value carried ----------------------------

psql("update north.balance_snapshots set day = day - 40 where user_id = :'a0'", $uid);
psql("update north.accounts set balance_cents = balance_cents + 100000 where id = :'a0'", $acct{chequing});
$r = call(GET => '/v1/analytics/net-worth?range=3m', token => $tok);
my $pts = $r->{json}{history}{points};
is($r->{json}{history}{range}, '3m', 'history over 3 months');
is(scalar @$pts, 41, '... from the first snapshot 40 days ago, a point a day');
my $gaps = grep { psql("select :'a0'::date + 1 <> :'a1'::date", $pts->[$_ - 1]{date}, $pts->[$_]{date}) eq 't' } 1 .. $#$pts;
is($gaps, 0, '... without gaps');
is($pts->[-1]{net_worth}, $r->{json}{net_worth}, "... today's point is net worth now");
is($pts->[-2]{net_worth}, $r->{json}{net_worth} - 100000, "... yesterday's carries the old balance");
is($pts->[0]{net_worth}, $pts->[-2]{net_worth}, '... as far back as it goes');
$r = call(GET => '/v1/analytics/net-worth?range=1m', token => $tok);
is(scalar @{ $r->{json}{history}{points} }, psql("select :'a0'::date - (:'a0'::date - interval '1 month')::date + 1", $today),
   'one month: a point a day');
psql("delete from north.balance_snapshots where source_id = :'a0' and day = :'a1'", $acct{tfsa}, $today);
cmp_ok(psql("select north.balance_snapshots_daily()"), '>=', 1, 'the daily job snapshots what has no today');
is(psql("select count(*) from north.balance_snapshots where user_id = :'a0' and day = :'a1'", $uid, $today),
   7, '... so every source of the user has today');
is(psql("select north.balance_snapshots_daily() >= 0 and not exists (select 1 from north.accounts a
         where a.user_id = :'a0' and not exists (select 1 from north.balance_snapshots s
         where s.source_id = a.id and s.day = :'a1'))", $uid, $today), 't', '... once');
is(call(GET => '/v1/analytics/net-worth', token => $otok)->{json}{net_worth}, 0, "another user's is theirs");

# the export holds the new tables; snapshots page by (source, day)
psql("insert into north.balance_snapshots (source_id, day, user_id, manual_item_id, liability, cents,
      currency) select :'a1', :'a2'::date - 41 - g, :'a0', :'a1', false, 100, 'CAD'
      from generate_series(0, 1099) g", $uid, $house, $today);
$r = call(POST => '/v1/privacy/export', token => $tok, json => {});
my $snaps = $r->{json}{sections}{balance_snapshots} // [];
is(scalar @$snaps, psql("select count(*) from north.balance_snapshots where user_id = :'a0'", $uid),
   'the export has every snapshot, over pages');
my %seen;
is(scalar(grep { $seen{"$_->{source_id} $_->{day}"}++ } @$snaps), 0, '... none twice');
is(scalar @{ $r->{json}{sections}{manual_items} // [] }, 1, '... and the manual item');
is(psql("select sum(delta_cents) from north.balance_snapshots where source_id = :'a0'", $house), 70000000,
   "snapshots written out of order: the deltas still add up to today's value");
$r = call(GET => '/v1/analytics/net-worth?range=all', token => $tok);
$pts = $r->{json}{history}{points};
is(scalar @$pts, 40 + 1100 + 1, '... the whole history, a point a day');
is($pts->[-1]{net_worth}, $r->{json}{net_worth}, '... ending at net worth now');
is($pts->[0]{assets}, 100, '... starting from the house alone');

# --- PostgreSQL down --------------------------------------------------------------------

north_stack('pg-stop');
problem_ok(call(GET => '/v1/analytics/net-worth', token => $tok), 503, 'database-unavailable',
           'PostgreSQL down: net worth');
problem_ok(call(GET => '/v1/analytics/spending', token => $tok), 503, 'database-unavailable',
           'PostgreSQL down: spending');
problem_ok(call(POST => '/v1/analytics/manual-items', token => $tok,
                json => { name => 'Lost', type => 'cash', value_cents => 1 }),
           503, 'database-unavailable', 'PostgreSQL down: a manual item');
north_stack('pg-start');
ok(!grep({ $_->{name} eq 'Lost' } @{ call(GET => '/v1/analytics/manual-items', token => $tok)->{json}{items} }),
   'PostgreSQL back: nothing was half-written');

done_testing();
