# Banking through Plaid, against the Plaid simulator (t/plaid-sim): linking
# and its errors, the sync loop (pages, mutation during pagination, pending
# to posted, removals, user edits kept, one sync at a time, a sync longer
# than its lease, a worker killed or reloaded mid-sync, a lease lost),
# verified webhooks, item health, unlinking, other users' ids, the access
# token sealed, and Plaid or PostgreSQL away. Plain Test::More: syncs span
# requests, jobs and killed or reloaded workers (reading a linked bank is a
# block each, in banking.t).
use strict;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;
use Time::HiRes qw(sleep time);
use JSON::PP ();

# alerts this file provokes: a sealed token moved to another item, and the
# worker it kills mid-sync (its pid is added below)
my @expected = (qr/the access token of Plaid item item-moved does not open/);
# a short job lease, so that a test outlives many of them
my ($port, $prefix, $nginx) = north_nginx(name => 'plaid', expect_alerts => \@expected,
                                          http => 'north_jobs_lease 5s;');
my $n = 0;
my $pw = 'maple syrup & snow 42';

sub call { north_http($port, @_) }

sub register {
    my (%o) = @_;
    my $r = north_register($port, {
        email => sprintf('plaid%d.%d@north.example.ca', $$, ++$n), password => $pw,
        consents => ['terms', 'privacy_policy'], %o });
    die "register: $r->{code} $r->{body}" unless $r->{code} == 201;
    return ($r->{json}{access_token}, $r->{json}{user}{id});
}

# our transactions of an item against the simulator's truth
sub truth { plaid_sim('/__sim/state', { item_id => $_[0] })->{item} }
sub same_as_truth {
    my ($item, $plaid, $name) = @_;
    my %want = map { $_->{transaction_id} => -int($_->{amount} * 100 + ($_->{amount} < 0 ? -0.5 : 0.5)) }
               @{ truth($plaid)->{transactions} };
    my %got = map { split /\|/ } psql("select plaid_transaction_id || '|' || amount_cents
                                       from north.transactions where item_id = :'a0'", $item);
    is_deeply(\%got, \%want, $name) or diag(scalar(keys %got) . ' rows, ' . scalar(keys %want) . ' wanted');
}
sub sync_now {
    my ($tok, $item) = @_;
    my $before = psql("select coalesce(max(id), 0) from north.jobs");
    my $r = call(POST => "/v1/plaid/items/$item/sync", token => $tok);
    # every job queued since has ended: done, or failed and waiting
    wait_for(30, sub { psql("select count(*) = 0 from north.jobs where kind = 'plaid.sync'
                             and ref = :'a0' and id > :'a1' and done_at is null
                             and (attempts = 0 or leased_until is not null)",
                            $item, $before) eq 't' });
    return $r;
}

my ($tok, $uid) = register(locale => 'fr-CA');
my ($otok, $ouid) = register();

# --- linking ---------------------------------------------------------------------

problem_ok(call(POST => '/v1/plaid/link-token', token => $tok, json => {}), 403,
           'consent-missing', 'link token without the bank_data consent');
my $r = call(POST => '/v1/plaid/items', token => $tok, json => { public_token => 'x' });
problem_ok($r, 403, 'consent-missing', 'link without the bank_data consent');
is_deeply(fields_of($r), ['bank_data'], '... names the consent');

call(PUT => '/v1/privacy/consents/bank_data', token => $tok, json => { granted => JSON::PP::true });
$r = call(POST => '/v1/plaid/link-token', token => $tok, json => {});
is($r->{code}, 200, 'link token: 200');
like($r->{json}{link_token}, qr/^link-sandbox-/, '... a link token');
ok($r->{json}{expiration}, '... and when it expires');
my $asked = plaid_sim('/__sim/state', {})->{link_tokens}[-1];
is_deeply($asked->{country_codes}, ['CA'], '... for Canadian institutions');
is($asked->{language}, 'fr', '... in French for a fr-CA user');
is($asked->{user}{client_user_id}, $uid, '... for the user');
is_deeply($asked->{products}, ['transactions'], '... transactions');
like($asked->{webhook}, qr{/v1/webhooks/plaid$}, '... with our webhook');
is($asked->{client_name}, 'North', '... as North');
problem_ok(call(POST => '/v1/plaid/link-token', token => $tok, json => { item_id => 'nope' }),
           400, 'validation-failed', 'link token for a malformed item id');
problem_ok(call(POST => '/v1/plaid/link-token', token => $tok,
                json => { item_id => '00000000-0000-0000-0000-000000000000' }),
           404, 'not-found', 'link token for an unknown item');
problem_ok(call(POST => '/v1/plaid/link-token', json => {}), 401, 'unauthorized',
           'link token without a token');

problem_ok(call(POST => '/v1/plaid/items', token => $tok, json => { public_token => 'public-sandbox-nope' }),
           400, 'invalid-public-token', 'a wrong public token');
$r = call(POST => '/v1/plaid/items', token => $tok, json => { public_token => 42, extra => 1 });
is_deeply(fields_of($r), [qw(extra public_token)], 'bad input: each field named');

plaid_sim('/__sim/config', { initial_transactions => 2000 });
my ($item, $plaid, $access) = plaid_link($port, $tok);
plaid_sim('/__sim/config', { initial_transactions => 120 });
ok($item, 'link: an item');
$r = call(GET => '/v1/plaid/items', token => $tok);
is($r->{json}{items}[0]{health}, 'good', 'items: healthy');
is($r->{json}{items}[0]{accounts}, 6, '... six accounts');
same_as_truth($item, $plaid, 'first sync: 2,003 transactions over 5 pages, exactly the truth');
is(psql("select count(*) from north.transactions where item_id = :'a0'", $item), 2003, '... 2,003 of them');

my $pub = plaid_sim('/sandbox/public_token/create', { institution_id => 'ins_43' })->{public_token};
problem_ok(call(POST => '/v1/plaid/items', token => $tok,
                json => { public_token => $pub, institution_id => 'ins_43' }),
           409, 'institution-already-linked', 'the same institution again, named');
$pub = plaid_sim('/sandbox/public_token/create', { institution_id => 'ins_43' })->{public_token};
problem_ok(call(POST => '/v1/plaid/items', token => $tok, json => { public_token => $pub }),
           409, 'institution-already-linked', 'the same institution again, learnt from Plaid');
is(psql("select count(*) from north.plaid_items where user_id = :'a0'", $uid), 1, '... never twice');
ok(wait_for(20, sub { psql("select count(*) from north.plaid_removals") == 0 }),
   '... and the second item made at Plaid is removed there');

# --- the access token, sealed --------------------------------------------------------

{
    local $ENV{LD_PRELOAD};
    delete $ENV{LD_PRELOAD};
    my $dump = `pg_dump --data-only '$ENV{DATABASE_URL}' 2>/dev/null`;
    ok(length $dump > 10000, 'a dump of the database');
    unlike($dump, qr/\Q$access\E/, 'the access token is nowhere in PostgreSQL in plain text');
}
like(psql("select token_key_id from north.plaid_items where id = :'a0'", $item), qr/^[0-9a-f]{16}$/,
     '... sealed under a named key');
psql("update north.plaid_items set plaid_item_id = 'item-moved' where id = :'a0'", $item);
my $before = psql("select count(*) from north.transactions where item_id = :'a0'", $item);
sync_now($tok, $item);
like(psql("select last_error from north.jobs where kind = 'plaid.sync' and ref = :'a0'
           order by id desc limit 1", $item), qr/does not open/,
     'a sealed token moved to another item does not open');
psql("update north.plaid_items set plaid_item_id = :'a1' where id = :'a0'", $item, $plaid);
psql("update north.jobs set done_at = now() where kind = 'plaid.sync' and done_at is null");

# --- accounts and transactions ----------------------------------------------------------

$r = call(GET => '/v1/accounts', token => $tok);
is(scalar @{ $r->{json}{accounts} }, 6, 'accounts: six');
my ($credit) = grep { $_->{type} eq 'credit' } @{ $r->{json}{accounts} };
is($credit->{balance_cents}, 81255, '... a credit card owes $812.55');
is($credit->{limit_cents}, 1000000, '... of a $10,000 limit');
my ($usd) = grep { $_->{currency} eq 'USD' } @{ $r->{json}{accounts} };
ok($usd, '... a USD account');
my ($rrsp) = grep { ($_->{subtype} // '') eq 'rrsp' } @{ $r->{json}{accounts} };
is($rrsp->{type}, 'investment', '... an RRSP');
is(scalar @{ call(GET => '/v1/accounts', token => $otok)->{json}{accounts} }, 0,
   "another user sees none of them");

$r = call(GET => '/v1/transactions?limit=50', token => $tok);
is(scalar @{ $r->{json}{transactions} }, 50, 'transactions: a page of 50');
my @all = @{ $r->{json}{transactions} };
my $cursor = $r->{json}{next_cursor};
for (1 .. 100) {
    last unless $cursor;
    $r = call(GET => "/v1/transactions?limit=500&cursor=$cursor", token => $tok);
    push @all, @{ $r->{json}{transactions} };
    $cursor = $r->{json}{next_cursor};
}
is(scalar @all, 2003, '... every one, page by page');
my %seen;
is(scalar(grep { $seen{ $_->{id} }++ } @all), 0, '... none twice');
is(scalar(grep { $all[$_]{date} lt $all[$_ + 1]{date} } 0 .. $#all - 1), 0, '... newest first');
my $payroll = (grep { $_->{name} =~ /PAYROLL/ } @all)[0];
cmp_ok($payroll->{amount_cents}, '>', 0, 'pay is money in (positive)');
cmp_ok((grep { $_->{merchant_name} && $_->{merchant_name} eq 'Loblaws' } @all)[0]{amount_cents}, '<', 0,
       'groceries are money out (negative)');

$r = call(GET => '/v1/transactions?q=tim%20hortons&limit=500', token => $tok);
ok(@{ $r->{json}{transactions} } && !grep({ $_->{merchant_name} ne 'Tim Hortons' } @{ $r->{json}{transactions} }),
   'search on the merchant: only Tim Hortons');
$r = call(GET => "/v1/transactions?account_id=$credit->{id}&limit=500", token => $tok);
ok(@{ $r->{json}{transactions} } && !grep({ $_->{account_id} ne $credit->{id} } @{ $r->{json}{transactions} }),
   'by account: only the card');
my $day = $all[100]{date};
$r = call(GET => "/v1/transactions?from=$day&to=$day&limit=500", token => $tok);
ok(@{ $r->{json}{transactions} } && !grep({ $_->{date} ne $day } @{ $r->{json}{transactions} }),
   'a date range of one day');
my ($cat) = map { $_->{category} } grep { $_->{category_source} eq 'north' } @all;
$r = call(GET => "/v1/transactions?category=$cat&limit=500", token => $tok);
ok(@{ $r->{json}{transactions} } && !grep({ $_->{category} ne $cat } @{ $r->{json}{transactions} }),
   "by category ($cat)");
$r = call(GET => '/v1/transactions?from=2026-13-01&account_id=x&limit=0&cursor=bad&include_hidden=maybe', token => $tok);
is_deeply(fields_of($r), [qw(account_id cursor from include_hidden limit)], 'bad filters: each named');
$r = call(GET => '/v1/transactions?from=2026-02-30&to=2025-02-29', token => $tok);
is_deeply(fields_of($r), [qw(from to)], 'days not in the calendar (Feb 30, Feb 29 of 2025): 400 naming each');
$r = call(GET => '/v1/transactions?cursor=2026-13-45_00000000-0000-0000-0000-000000000000', token => $tok);
is_deeply(fields_of($r), ['cursor'], 'a cursor with no real date: 400 naming it');
is(call(GET => '/v1/transactions?from=2024-02-29&limit=1', token => $tok)->{code}, 200,
   '... a leap day is one');
is(scalar @{ call(GET => '/v1/transactions', token => $otok)->{json}{transactions} }, 0,
   "another user's transactions list is empty");

# a user's edits, and Plaid's modification of the same transaction
my $tx = (grep { !$_->{pending} && $_->{merchant_name} } @all)[0];
$r = call(PATCH => "/v1/transactions/$tx->{id}", token => $tok,
          json => { category => 'gifts_donations', notes => 'Deductible', hidden => JSON::PP::false });
is($r->{code}, 200, 'edit a transaction: 200');
is($r->{json}{category}, 'gifts_donations', '... its category');
is($r->{json}{category_source}, 'user', '... said to be the user\'s');
my $ptx = psql("select plaid_transaction_id from north.transactions where id = :'a0'", $tx->{id});
plaid_sim('/__sim/modify', { item_id => $plaid, transaction_id => $ptx, changes => { amount => 99.99, name => 'RENAMED BY BANK' } });
sync_now($tok, $item);
is(psql("select amount_cents || ' ' || name || ' ' || user_category || ' ' || notes
         from north.transactions where id = :'a0'", $tx->{id}),
   '-9999 RENAMED BY BANK gifts_donations Deductible',
   "Plaid's modification lands, the user's edits stay");
problem_ok(call(PATCH => "/v1/transactions/$tx->{id}", token => $otok, json => { notes => 'x' }),
           404, 'not-found', "another user's transaction");
problem_ok(call(PATCH => '/v1/transactions/not-a-uuid', token => $tok, json => { notes => 'x' }),
           404, 'not-found', 'a malformed transaction id');
$r = call(PATCH => "/v1/transactions/$tx->{id}", token => $tok, json => { hidden => 'yes', category => 'Coffee with clients', x => 1 });
is_deeply(fields_of($r), [qw(category hidden x)], 'bad edits (an unknown category too): each named');
is(call(PATCH => "/v1/transactions/$tx->{id}", token => $tok, json => {})->{code}, 400, 'an empty edit: 400');
call(PATCH => "/v1/transactions/$tx->{id}", token => $tok, json => { hidden => JSON::PP::true });
ok(!grep({ $_->{id} eq $tx->{id} } @{ call(GET => '/v1/transactions?limit=500', token => $tok)->{json}{transactions} }),
   'a hidden transaction leaves the list');
ok(grep({ $_->{id} eq $tx->{id} } @{ call(GET => '/v1/transactions?limit=500&include_hidden=true', token => $tok)->{json}{transactions} }),
   '... unless asked for');

# pending to posted: the user's note follows
my $pending = psql("select id || ' ' || plaid_transaction_id from north.transactions
                    where item_id = :'a0' and pending limit 1", $item);
my ($pid, $pplaid) = split ' ', $pending;
call(PATCH => "/v1/transactions/$pid", token => $tok, json => { notes => 'Dinner with Marie' });
my $posted = plaid_sim('/__sim/post_pending', { item_id => $plaid, transaction_id => $pplaid })->{transaction_id};
sync_now($tok, $item);
is(psql("select count(*) from north.transactions where plaid_transaction_id = :'a0'", $pplaid), 0,
   'pending to posted: the pending one is gone');
is(psql("select pending::text || ' ' || pending_transaction_id || ' ' || notes from north.transactions
         where plaid_transaction_id = :'a0'", $posted), "false $pplaid Dinner with Marie",
   '... the posted one names it and keeps the note');

my $gone = psql("select plaid_transaction_id from north.transactions where item_id = :'a0'
                 and not pending order by date limit 1", $item);
plaid_sim('/__sim/remove', { item_id => $plaid, transaction_id => $gone });
sync_now($tok, $item);
is(psql("select count(*) from north.transactions where plaid_transaction_id = :'a0'", $gone), 0,
   'a transaction Plaid removed is removed');
same_as_truth($item, $plaid, '... and the rest is the truth');

# --- mutation during pagination --------------------------------------------------------

plaid_sim('/__sim/add_transactions', { item_id => $plaid, count => 1200 });
plaid_sim('/__sim/mutate_during_pagination', { item_id => $plaid });
sync_now($tok, $item);
same_as_truth($item, $plaid, 'data changed during pagination: the loop restarts and ends on the truth');
ok(grep({ /changed during pagination, restarting/ } do { local @ARGV = "$prefix/logs/error.log"; <> }),
   '... from its first cursor (logged)');

# --- one sync at a time: the item's lease is its sync job's ----------------------------------

# a sync job of another worker or node holds the item
my $holder = psql("insert into north.jobs (kind, ref, attempts, leased_until)
                   values ('plaid.sync', 'elsewhere', 1, now() + interval '1 hour') returning id");
psql("update north.plaid_items set sync_job = :'a1' where id = :'a0'", $item, $holder);
plaid_sim('/__sim/add_transactions', { item_id => $plaid, count => 10 });
$before = psql("select count(*) from north.transactions where item_id = :'a0'", $item);
is(call(GET => '/v1/plaid/items', token => $tok)->{json}{items}[0]{syncing}, JSON::PP::true,
   'an item whose sync job holds its lease: syncing');
sync_now($tok, $item);
is(psql("select count(*) from north.transactions where item_id = :'a0'", $item), $before,
   'while another sync holds the item, none runs');
like(psql("select last_error from north.jobs where kind = 'plaid.sync' and ref = :'a0'
           order by id desc limit 1", $item), qr/another sync/, '... the job waits its turn');
is(psql("select status from north.plaid_sync_begin(:'a0', 0)", $item), 'busy',
   '... the lease is in PostgreSQL: every worker and node sees it');
psql("update north.jobs set done_at = now() where id = :'a0'", $holder);
is(psql("select status from north.plaid_sync_begin(:'a0', 0)", $item), 'ok',
   '... and ends with the job that held it');
psql("update north.plaid_items set sync_job = null where id = :'a0'", $item);
psql("update north.jobs set done_at = now() where kind = 'plaid.sync' and done_at is null");

# A long sync: 20 pages, half a second each from Plaid. $job->() is its job's
# row: attempts, whether its lease runs, whether it is done.
my $sync_job = sub {
    my ($count) = @_;
    plaid_sim('/__sim/add_transactions', { item_id => $plaid, count => $count });
    plaid_sim('/__sim/config', { latency_ms => 500 });
    my $cursor0 = psql("select cursor from north.plaid_items where id = :'a0'", $item);
    my $first = psql("select coalesce(max(id), 0) from north.jobs");
    call(POST => "/v1/plaid/items/$item/sync", token => $tok);
    ok(wait_for(20, sub { psql("select cursor <> :'a1' from north.plaid_items where id = :'a0'",
                               $item, $cursor0) eq 't' }), 'a long sync has applied its first page');
    my $id = psql("select id from north.jobs where kind = 'plaid.sync' and ref = :'a0' and id > :'a1'
                   order by id limit 1", $item, $first);
    return ($id, sub { psql("select attempts || ' ' || coalesce(leased_until > now(), false)::text || ' '
                             || (done_at is not null)::text from north.jobs where id = :'a0'", $id) });
};
# waits for the job's end: how long after $since it came
my $to_the_end = sub {
    my ($id, $name, $since) = @_;
    ok(wait_for(30, sub { psql("select done_at is not null from north.jobs where id = :'a0'", $id) eq 't' }),
       $name);
    plaid_sim('/__sim/config', { latency_ms => 0 });
    return time - ($since // time);
};
my $applied = sub { psql("select count(*) from north.transactions where item_id = :'a0'", $item) };
my $log_has = sub { my ($re) = @_; scalar grep { /$re/ } do { local @ARGV = "$prefix/logs/error.log"; <> } };

# longer than its lease: the worker renews it
{
    my ($id, $job) = $sync_job->(10000);
    sleep 6;
    is($job->(), '1 true false', 'a sync runs past its 5-second lease: renewed, and no other attempt began');
    ok(psql("select leased_until < now() + interval '5.1 seconds' from north.jobs where id = :'a0'", $id) eq 't',
       '... by short renewals');
    is(call(GET => '/v1/plaid/items', token => $tok)->{json}{items}[0]{syncing}, JSON::PP::true,
       '... the item says it syncs');
    $to_the_end->($id, '... and it ends');
    is($job->(), '1 false true', '... in its first attempt');
    same_as_truth($item, $plaid, '... on the truth');
    is(call(GET => '/v1/plaid/items', token => $tok)->{json}{items}[0]{syncing}, JSON::PP::false,
       '... and the item no longer syncs');
}

# a worker killed mid-sync: its lease runs out within 5 seconds, and the
# new worker's runner takes the job over by itself
{
    my ($id, $job) = $sync_job->(10000);
    my ($worker) = nginx_workers($prefix);
    my $killed = time;
    ok($worker && kill('KILL', $worker), "the worker is killed mid-sync (pid $worker)");
    push @expected, qr/worker process $worker exited on signal 9\b/;
    cmp_ok($applied->(), '<', scalar @{ truth($plaid)->{transactions} }, '... with pages still to apply');
    my $took = $to_the_end->($id, 'another worker takes the job over by itself', $killed);
    note(sprintf 'the sync ended %.1f s after the kill (a 5 s lease, then 20 pages)', $took);
    is($job->(), '2 false true', '... once the lease ran out: a second attempt, and only one');
    same_as_truth($item, $plaid, '... on exactly the truth, nothing twice');
}

# a reload mid-sync: the leaving worker hands the job back after the page it
# applies, and a new worker goes on at once
{
    my ($id, $job) = $sync_job->(10000);
    my ($worker) = nginx_workers($prefix);
    my $reloaded = time;
    system(@$nginx, '-s', 'reload') == 0 or die "reload failed";
    ok(wait_for(5, sub { !kill 0, $worker }), 'a reload mid-sync: the old worker leaves within 5 s');
    note(sprintf 'it left %.1f s after the reload (a page applied, none fetched)', time - $reloaded);
    ok($log_has->(qr/job $id handed back \(attempt 1\)/), '... having handed the job back');
    cmp_ok($applied->(), '<', scalar @{ truth($plaid)->{transactions} }, '... with pages still to apply');
    my $took = $to_the_end->($id, 'a new worker goes on with it', $reloaded);
    note(sprintf 'the sync ended %.1f s after the reload (20 pages)', $took);
    is($job->(), '1 false true', '... at once, not after the lease: the handed-back attempt is not counted');
    same_as_truth($item, $plaid, '... on exactly the truth');
    ok(!$log_has->(qr/job $id failed/), '... and no attempt found the item busy');
}

# a lease lost (the worker stalled past it and another took the job): the
# stalled attempt applies no page more, at its next renewal or page
{
    my ($id, $job) = $sync_job->(10000);
    psql("update north.jobs set attempts = attempts + 1, leased_until = now() + interval '1 hour'
          where id = :'a0'", $id);
    ok(wait_for(5, sub { $log_has->(qr/job $id (lost its lease|failed) \(attempt 1\)/) }),
       'a lease taken by another attempt: the worker stops its sync');
    my $frozen = $applied->();
    sleep 1.5;
    is($applied->(), $frozen, '... and applies no page more');
    {
        open my $stderr, '>&', \*STDERR or die $!;
        open STDERR, '>', '/dev/null' or die $!;
        my $applies = eval { psql("select * from north.plaid_sync_page(:'a0', :'a1', 1, '{}')", $item, $id); 1 };
        open STDERR, '>&', $stderr or die $!;
        ok(!$applies, '... nor could it: PostgreSQL refuses its pages');
    }
    is($job->(), '2 true false', "... nor end the other attempt's job");
    # the other attempt's worker is gone too
    psql("update north.jobs set leased_until = now() where id = :'a0'", $id);
    $to_the_end->($id, 'the job runs again once that lease runs out');
    same_as_truth($item, $plaid, '... and ends on exactly the truth');
}

# --- errors of Plaid's -------------------------------------------------------------------

plaid_sim('/__sim/fail', { path => '/transactions/sync', status => 429, error_type => 'RATE_LIMIT_EXCEEDED',
                           error_code => 'TRANSACTIONS_SYNC_LIMIT', times => 1 });
call(POST => "/v1/plaid/items/$item/sync", token => $tok);
my $last = sub { psql("select coalesce(last_error, '-') || ' ' || (run_at > now())::text || ' '
                       || attempts || ' ' || (done_at is not null)::text from north.jobs
                       where kind = 'plaid.sync' and ref = :'a0' order by id desc limit 1", $item) };
ok(wait_for(20, sub { $last->() =~ /^TRANSACTIONS_SYNC_LIMIT true 1 false$/ }),
   'a rate limit: the job records it and waits before trying again') or diag($last->());
ok(wait_for(30, sub { $last->() =~ /^- \w+ 2 true$/ }), '... then its retry succeeds')
    or diag($last->());
plaid_sim('/__sim/fail', { path => '/link/token/create', status => 500, error_type => 'API_ERROR',
                           error_code => 'INTERNAL_SERVER_ERROR', times => 1 });
problem_ok(call(POST => '/v1/plaid/link-token', token => $tok, json => {}), 502, 'plaid-error',
           'Plaid fails a link token');
plaid_sim('/__sim/fail', { path => '/link/token/create', status => 503, error_type => 'INSTITUTION_ERROR',
                           error_code => 'INSTITUTION_DOWN', times => 1 });
problem_ok(call(POST => '/v1/plaid/link-token', token => $tok, json => {}), 503, 'plaid-unavailable',
           'the bank is down');

# --- webhooks ------------------------------------------------------------------------------

my $fire = sub { plaid_sim('/sandbox/item/fire_webhook', { access_token => $access, @_ })->{delivery} };
my $jobs = sub { psql("select count(*) from north.jobs where kind = 'plaid.sync' and ref = :'a0'", $item) };
my $j0 = $jobs->();
for my $t (['a bad signature', { badSignature => 1 }], ['an iat 6 minutes old', { age => 360 }],
           ['another body', { hashOf => '{"webhook_type":"TRANSACTIONS"}' }],
           ['an unknown kid', { kid => 'kid-unknown' }]) {
    is($fire->(tamper => $t->[1])->{status}, 401, "webhook with $t->[0]: 401");
}
is($jobs->(), $j0, '... and nothing was done');
# made-up kids cost Plaid one key fetch per 10 seconds, and one per kid
{
    my $fetches = sub { plaid_sim('/__sim/state', {})->{key_fetches} };
    my $later = sub { psql("update north.plaid_webhook_key_fetch set asked_at = '-infinity'") };
    $later->();
    my $f0 = $fetches->();
    my @codes = map { $fire->(tamper => { kid => "kid-made-up-$$-$_" })->{status} } 1 .. 10;
    is_deeply(\@codes, [(401) x 10], '10 webhooks with made-up kids: 401 each');
    is($fetches->() - $f0, 1, '... and Plaid was asked for one key');
    $later->();
    $fire->(tamper => { kid => "kid-made-up-$$-1" });
    is($fetches->() - $f0, 1, '... a kid asked about lately is not asked again');
    $later->();
}
{
    my $body = '{"webhook_type":"TRANSACTIONS","webhook_code":"SYNC_UPDATES_AVAILABLE","item_id":"x"}';
    is(call(POST => '/v1/webhooks/plaid', body => $body,
            headers => { 'Content-Type' => 'application/json' })->{code}, 401,
       'a webhook without Plaid-Verification: 401');
    is(call(POST => '/v1/webhooks/plaid', body => $body, headers => {
            'Content-Type' => 'application/json',
            'Plaid-Verification' => jwt(header => { alg => 'HS256', kid => 'k', typ => 'JWT' }) })->{code},
       401, 'a webhook signed HS256: 401');
}
plaid_sim('/__sim/add_transactions', { item_id => $plaid, count => 7 });
is($fire->(webhook_code => 'SYNC_UPDATES_AVAILABLE')->{status}, 200, 'SYNC_UPDATES_AVAILABLE: 200');
ok(wait_for(20, sub { psql("select count(*) = 0 from north.jobs where kind = 'plaid.sync' and done_at is null") eq 't'
                      && $jobs->() > $j0 }), '... a sync job runs');
same_as_truth($item, $plaid, '... and brings the new transactions');
my $keys = psql("select count(*) from north.plaid_webhook_keys");
$fire->(webhook_code => 'SYNC_UPDATES_AVAILABLE');
is(psql("select count(*) from north.plaid_webhook_keys"), $keys, "Plaid's key is kept after its first use");
# ten seconds on: the fetch slot is free for a new kid again
psql("update north.plaid_webhook_key_fetch set asked_at = '-infinity'");
plaid_sim('/__sim/config', { rotate_key => 1 });
is($fire->(webhook_code => 'SYNC_UPDATES_AVAILABLE')->{status}, 200, 'a rotated key is fetched by its kid');
psql("update north.plaid_webhook_key_fetch set asked_at = '-infinity'");
plaid_sim('/__sim/config', { rotate_key => 1, key_without_alg => 1 });
is($fire->(webhook_code => 'SYNC_UPDATES_AVAILABLE')->{status}, 401,
   'a key that Plaid sends without "alg": 401, and no worker dies');
# that kid is remembered as no key: Plaid's next key, fetched at once
plaid_sim('/__sim/config', { key_without_alg => 0, rotate_key => 1 });
psql("update north.plaid_webhook_key_fetch set asked_at = '-infinity'");

my $reset = plaid_sim('/sandbox/item/reset_login', { access_token => $access });
is($reset->{delivery}{status}, 200,
   'the bank asks for a new login: the webhook is taken') or diag(JSON::PP->new->encode($reset));
is(call(GET => '/v1/plaid/items', token => $tok)->{json}{items}[0]{health}, 'login_required',
   'ITEM_LOGIN_REQUIRED: the item says so');
problem_ok(call(POST => "/v1/plaid/items/$item/sync", token => $tok), 409, 'item-login-required',
           '... a sync asks for the login first');
is(call(POST => '/v1/plaid/link-token', token => $tok, json => { item_id => $item })->{code}, 200,
   '... a link token in update mode');
is(plaid_sim('/__sim/state', {})->{link_tokens}[-1]{access_token}, $access,
   "... for the item's own access token");
# a sync that began before the login error ends with it: let it end first
wait_for(20, sub { psql("select count(*) = 0 from north.jobs where kind = 'plaid.sync'
                         and done_at is null and (attempts = 0 or leased_until > now())") eq 't' });
$fire->(webhook_code => 'PENDING_DISCONNECT');
is(call(GET => '/v1/plaid/items', token => $tok)->{json}{items}[0]{health}, 'pending_disconnect',
   'PENDING_DISCONNECT: the item says so');
$fire->(webhook_code => 'LOGIN_REPAIRED');
is(call(GET => '/v1/plaid/items', token => $tok)->{json}{items}[0]{health}, 'good',
   'LOGIN_REPAIRED: good again');

# --- other users, unlinking, consent withdrawn, PostgreSQL down ---------------------------------

problem_ok(call(DELETE => "/v1/plaid/items/$item", token => $otok), 404, 'not-found', "another user's item");
problem_ok(call(POST => "/v1/plaid/items/$item/sync", token => $otok), 404, 'not-found',
           "a sync of another user's item");
problem_ok(call(POST => '/v1/plaid/link-token', token => $otok, json => { item_id => $item }), 403,
           'consent-missing', "a link token for another user's item, without consent");
call(PUT => '/v1/privacy/consents/bank_data', token => $otok, json => { granted => JSON::PP::true });
problem_ok(call(POST => '/v1/plaid/link-token', token => $otok, json => { item_id => $item }), 404,
           'not-found', "... and with it");

north_stack('pg-stop');
problem_ok(call(GET => '/v1/transactions', token => $tok), 503, 'database-unavailable', 'PostgreSQL down: transactions');
problem_ok(call(GET => '/v1/plaid/items', token => $tok), 503, 'database-unavailable', 'PostgreSQL down: items');
problem_ok(call(POST => '/v1/plaid/link-token', token => $tok, json => {}), 503, 'database-unavailable',
           'PostgreSQL down: link token');
north_stack('pg-start');

is(call(DELETE => "/v1/plaid/items/$item", token => $tok)->{code}, 204, 'unlink: 204');
is(psql("select count(*) from north.transactions where item_id = :'a0'", $item), 0,
   '... its transactions are gone at once');
is(scalar @{ call(GET => '/v1/accounts', token => $tok)->{json}{accounts} }, 0, '... and its accounts');
ok(wait_for(20, sub { !truth($plaid) }), '... and Plaid removed the item (/item/remove)');
problem_ok(call(DELETE => "/v1/plaid/items/$item", token => $tok), 404, 'not-found', 'unlink again');

my ($item2, $plaid2) = plaid_link($port, $tok, institution => 'ins_north_2');
my ($item3, $plaid3) = plaid_link($port, $tok, institution => 'ins_north_3');
call(PUT => '/v1/privacy/consents/bank_data', token => $tok, json => { granted => JSON::PP::false });
is(psql("select count(*) from north.plaid_items where user_id = :'a0'", $uid), 0,
   'withdrawing bank_data unlinks every institution at once');
ok(wait_for(20, sub { !truth($plaid2) && !truth($plaid3) }), '... and removes them at Plaid');

done_testing();
