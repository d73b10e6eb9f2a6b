# Sync: the first read (the whole state in pages), the feed after a cursor
# (changes made by REST endpoints and by Plaid's sync), ETag and 304, gzip,
# tombstones and their retention (410), a cursor that never skips a
# transaction that commits late, offline edits (creation, merge per field
# by clock, conflicts, fields the app may not write, deletes that stay
# deleted, replays), other users' ids, bad input and PostgreSQL down.
# Plain Test::More: flows over one user's data and a transaction held open
# in a second session.
use strict;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;
use JSON::PP ();
use POSIX ();
use IO::Uncompress::Gunzip qw(gunzip);
use Time::HiRes qw(time sleep);

my ($port) = north_nginx(name => 'sync', http => 'north_jobs_sweep 1s;');
my $n = 0;

sub call { north_http($port, @_) }

sub register {
    my $r = north_register($port, {
        email => sprintf('sync%d.%d@north.example.ca', $$, ++$n),
        password => 'maple syrup & snow 42', consents => ['terms', 'privacy_policy'] });
    die "register: $r->{code} $r->{body}" unless $r->{code} == 201;
    return ($r->{json}{access_token}, $r->{json}{user}{id});
}

# a device's clock, ms from now: "2026-11-30T14:05:09.123Z-0000-NODE"
sub hlc {
    my ($ms, $node, $counter) = @_;
    my $t = time + ($ms // 0) / 1000;
    return POSIX::strftime('%Y-%m-%dT%H:%M:%S', gmtime $t)
        . sprintf('.%03dZ-%04X-%s', int(($t - int $t) * 1000), $counter // 0,
                  $node // 'aaaaaaaaaaaaaaaa');
}

sub feed {
    my ($tok, %q) = @_;
    my $h = delete $q{headers};
    my $qs = join '&', map { "$_=$q{$_}" } sort keys %q;
    return call(GET => '/v1/sync' . ($qs ? "?$qs" : ''), token => $tok,
                ($h ? (headers => $h) : ()));
}

# every page from cursor (none: the snapshot): (changes, last cursor, pages)
sub pull {
    my ($tok, $cursor, %q) = @_;
    my (@changes, $pages);
    while (1) {
        my $r = feed($tok, ($cursor ? (cursor => $cursor) : ()), %q);
        die "feed: $r->{code} $r->{body}" unless $r->{code} == 200;
        push @changes, @{ $r->{json}{changes} };
        $cursor = $r->{json}{cursor};
        $pages++;
        last unless $r->{json}{has_more};
        %q = (limit => $q{limit}) if $q{limit};
    }
    return (\@changes, $cursor, $pages);
}

# pulls from cursor until want(changes so far) holds (5 s at most): a
# change is handed once every transaction begun before it has ended
sub pull_until {
    my ($tok, $cursor, $want) = @_;
    my @changes;
    wait_for(5, sub {
        my ($more, $next) = pull($tok, $cursor);
        push @changes, @$more;
        $cursor = $next;
        $want->(\@changes);
    });
    return (\@changes, $cursor);
}

sub of { my ($changes, $entity, $id) = @_;
         (grep { $_->{entity} eq $entity && $_->{id} eq $id } @$changes)[0] }

sub push_edits {
    my ($tok, $mutations, $cursor) = @_;
    return call(POST => '/v1/sync', token => $tok,
                json => { mutations => $mutations, ($cursor ? (cursor => $cursor) : ()) });
}

my ($tok, $uid) = register();
my ($otok, $ouid) = register();
plaid_link($port, $tok);

# --- the first read: everything, in pages ----------------------------------------------

my $txs = psql("select count(*) from north.transactions where user_id = :'a0'", $uid);
cmp_ok($txs, '>=', 100, "the user's bank was synced ($txs transactions)");
my ($all, $cursor, $pages) = pull($tok, undef, limit => 50);
my %kinds;
$kinds{$_->{entity}}++ for @$all;
is($kinds{transaction}, $txs, 'the snapshot holds every transaction');
ok($kinds{account} && $kinds{profile}, '... the accounts and the profile');
cmp_ok($pages, '>=', 3, "... in pages of 50 ($pages)");
my %seen;
is(scalar(grep { !$seen{"$_->{entity}/$_->{id}"}++ } @$all), scalar @$all, '... each once');
my ($tx) = grep { $_->{entity} eq 'transaction' && !$_->{data}{pending} } @$all;
ok(defined $tx->{data}{amount_cents} && exists $tx->{data}{notes}
   && !exists $tx->{data}{user_id} && !exists $tx->{data}{plaid_transaction_id},
   'a transaction shows its user-visible fields only');
like($tx->{hlc}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z-[0-9A-F]{4}-[0-9a-f]{16}$/,
     '... with the clock of its last write');
ok(!grep({ $_->{op} eq 'delete' } @$all), 'no tombstone in a snapshot');

my $r = feed($tok, cursor => $cursor);
is_deeply([$r->{code}, $r->{json}{changes}, $r->{json}{has_more}], [200, [], JSON::PP::false],
          'after the snapshot: nothing new');
is($r->{json}{cursor}, $cursor, '... the cursor unchanged');
my $etag = $r->{headers}{etag};
is($etag, "\"$cursor\"", '... an ETag');
$r = feed($tok, cursor => $cursor, headers => { 'If-None-Match' => $etag });
is($r->{code}, 304, 'If-None-Match: 304');
is($r->{body}, '', '... no body');

# --- changes through the REST endpoints ------------------------------------------------

$r = call(PATCH => "/v1/transactions/$tx->{id}", token => $tok, json => { notes => 'lunch with Zoé' });
is($r->{code}, 200, 'a transaction edited by PATCH');
$r = feed($tok, cursor => $cursor, headers => { 'If-None-Match' => $etag });
is($r->{code}, 200, 'the ETag no longer matches');
is(scalar @{ $r->{json}{changes} }, 1, 'one change');
my $c = $r->{json}{changes}[0];
is_deeply([@$c{qw(entity id op)}, $c->{fields}, $c->{data}{notes}],
          ['transaction', $tx->{id}, 'upsert', ['notes'], 'lunch with Zoé'],
          '... the transaction, its notes changed, its current row');
is($c->{version}, $tx->{version} + 1, '... its version one up');
$cursor = $r->{json}{cursor};

$r = call(POST => '/v1/goals', token => $tok, json => { name => 'Trip', kind => 'savings', target_cents => 100000 });
my $goal = $r->{json}{id};
call(PATCH => "/v1/goals/$goal", token => $tok, json => { name => 'Trip to Gaspé' });
call(PATCH => "/v1/goals/$goal", token => $tok, json => { target_cents => 120000 });
($all, $cursor) = pull_until($tok, $cursor, sub { my $g = of($_[0], goal => $goal);
                                                  $g && $g->{version} == 3 });
is(scalar(grep { $_->{entity} eq 'goal' } @$all), 1, 'a goal made and edited twice: one change');
$c = of($all, goal => $goal);
is_deeply([$c->{version}, $c->{data}{name}, $c->{data}{target_cents}], [3, 'Trip to Gaspé', 120000],
          '... at its latest version');
ok(of($all, gamification => $uid), '... the points it earned are a change too');

# --- tombstones, retention ---------------------------------------------------------------

my $before_delete = $cursor;
is(call(DELETE => "/v1/goals/$goal", token => $tok)->{code}, 204, 'the goal deleted');
($all, $cursor) = pull_until($tok, $cursor, sub { of($_[0], goal => $goal) });
$c = of($all, goal => $goal);
is_deeply([$c->{op}, $c->{version}, $c->{data}], ['delete', 4, undef], 'a tombstone, no data');
($all) = pull($tok, undef);
ok(!of($all, goal => $goal), 'a new snapshot does not hold it');

psql_owner("update north.sync_changes set changed_at = now() - interval '91 days'
            where user_id = :'a0' and op = 'delete'", $uid);
ok(wait_for(5, sub { psql("select count(*) from north.sync_changes
                           where user_id = :'a0' and op = 'delete'", $uid) == 0 }),
   'the sweep removed the tombstone after 90 days');
problem_ok(feed($tok, cursor => $before_delete), 410, 'resync-required',
           'a cursor from before the removed tombstone');
is(feed($tok, cursor => $cursor)->{code}, 200, 'a cursor past it goes on');
($all, my $fresh) = pull($tok, undef, full => 1);
is(feed($tok, cursor => $fresh)->{code}, 200, 'full=1 gives a new cursor that goes on');

# --- gzip ---------------------------------------------------------------------------------

$r = feed($tok, limit => 100, headers => { 'Accept-Encoding' => 'gzip' });
is($r->{headers}{'content-encoding'}, 'gzip', 'a page is compressed when the client accepts gzip');
my $plain;
gunzip(\$r->{body} => \$plain);
my $page = JSON::PP->new->utf8->decode($plain);
is(scalar @{ $page->{changes} }, 100, '... and reads back whole');
note(sprintf 'a page of 100: %d bytes, %d gzipped', length $plain, length $r->{body});

# --- a transaction that commits late is not skipped ------------------------------------

# writer A changes a transaction first and commits last; writer B in between
my ($ta, $tb) = psql("select id from north.transactions where user_id = :'a0' order by id limit 2", $uid);
my $pid = fork // die;
if (!$pid) {
    psql("begin; update north.transactions set notes = 'A' where id = :'a0';
          select pg_sleep(3); commit;", $ta);
    POSIX::_exit(0);
}
ok(wait_for(5, sub { psql("select count(*) from pg_stat_activity
                           where query like '%pg_sleep(3)%' and state = 'active'") > 0 }),
   'writer A holds its change in an open transaction');
sleep 0.3;
psql("update north.transactions set notes = 'B' where id = :'a0'", $tb);
($all, my $mid) = pull($tok, $cursor);
ok(!of($all, transaction => $tb), 'B committed first: its change is not handed while A runs');
waitpid $pid, 0;
cmp_ok(psql("select seq from north.sync_changes where id = :'a0'", $ta), '<',
       psql("select seq from north.sync_changes where id = :'a0'", $tb),
       'A took the smaller sequence number');
($all, $cursor) = pull_until($tok, $mid, sub { of($_[0], transaction => $tb) });
is(join(',', map { $_->{data}{notes} } grep { $_->{entity} eq 'transaction' } @$all), 'A,B',
   'A committed: both are handed, in commit-safe order, none skipped');

# --- offline edits ------------------------------------------------------------------------

my $g2 = lc psql("select gen_random_uuid()");
$r = push_edits($tok, [
    { client_mutation_id => 'new-goal-1', entity => 'goal', id => $g2, base_version => 0,
      hlc => hlc(-60_000), fields => { name => 'Bike', kind => 'savings', target_cents => 90000 } },
], $cursor);
is($r->{code}, 200, 'a goal made offline: 200');
is_deeply([map { $_->{client_mutation_id} } @{ $r->{json}{applied} }], ['new-goal-1'], '... applied');
is($r->{json}{applied}[0]{version}, 1, '... version 1');
$c = of($r->{json}{changes}, goal => $g2);
is($c->{data}{name}, 'Bike', '... and the answer holds the server\'s resulting change');
is(psql("select name from north.goals where id = :'a0' and user_id = :'a1'", $g2, $uid), 'Bike',
   '... stored as the user\'s');
$cursor = $r->{json}{cursor};
my $replay = push_edits($tok, [
    { client_mutation_id => 'new-goal-1', entity => 'goal', id => $g2, base_version => 0,
      hlc => hlc(-60_000), fields => { name => 'Bike', kind => 'savings', target_cents => 90000 } },
]);
is_deeply($replay->{json}{applied}, $r->{json}{applied}, 'a replay answers the same');
is(psql("select count(*) from north.goals where id = :'a0'", $g2), 1, '... and made nothing more');

# two devices edit the same transaction offline; the server edited it too
my $t0 = $tx->{id};
my $v0 = psql("select version from north.sync_changes where id = :'a0'", $t0);
my $phone = hlc(0, 'bbbbbbbbbbbbbbbb');      # offline, before the web's edit
sleep 0.1;
call(PATCH => "/v1/transactions/$t0", token => $tok, json => { notes => 'from the web' });
$r = push_edits($tok, [
    { client_mutation_id => 'phone-1', entity => 'transaction', id => $t0, base_version => $v0 + 0,
      hlc => $phone, fields => { notes => 'old phone note', hidden => JSON::PP::true } },
    { client_mutation_id => 'tablet-1', entity => 'transaction', id => $t0, base_version => $v0 + 0,
      hlc => hlc(1_000, 'cccccccccccccccc'), fields => { notes => 'tablet note', amount_cents => 1 } },
]);
is($r->{code}, 200, 'two devices\' edits of one transaction') or diag $r->{body};
my %conf = map { ("$_->{client_mutation_id}/$_->{field}" => $_) } @{ $r->{json}{conflicts} };
is_deeply([@{ $conf{'phone-1/notes'} }{qw(client_value server_value winner)}],
          ['old phone note', 'from the web', 'server'],
          'the phone\'s older note: a conflict the server\'s later edit wins');
is($conf{'tablet-1/notes'}{winner}, 'client', 'the tablet\'s newer note: a conflict it wins');
ok(!$conf{'phone-1/hidden'}, 'the phone\'s hidden, changed by nobody else: no conflict');
is_deeply([map { "$_->{field}:$_->{reason}" } grep { $_->{client_mutation_id} eq 'tablet-1' } @{ $r->{json}{rejected} }],
          ['amount_cents:bank-owned'], 'the tablet\'s amount refused: the bank\'s field');
is(psql("select notes || '/' || hidden from north.transactions where id = :'a0'", $t0),
   'tablet note/true', 'merged per field: the tablet\'s note, the phone\'s hidden');

# the same edits pushed in the other order end the same
my $t1 = $tb;
my $v1 = psql("select version from north.sync_changes where id = :'a0'", $t1);
push_edits($tok, [
    { client_mutation_id => 'tablet-2', entity => 'transaction', id => $t1, base_version => $v1 + 0,
      hlc => hlc(1_000, 'cccccccccccccccc'), fields => { notes => 'tablet note' } },
    { client_mutation_id => 'phone-2', entity => 'transaction', id => $t1, base_version => $v1 + 0,
      hlc => $phone, fields => { notes => 'old phone note', hidden => JSON::PP::true } },
]);
is(psql("select notes || '/' || hidden from north.transactions where id = :'a0'", $t1),
   'tablet note/true', 'the other order: the same state');

# fields, entities and clocks refused
$r = push_edits($tok, [
    { client_mutation_id => 'bad-1', entity => 'transaction', id => $t0, base_version => 0,
      hlc => hlc(), fields => { merchant_name => 'X', date => '2026-01-01', pending => JSON::PP::false,
                                colour => 'red', category_source => 'user' } },
    { client_mutation_id => 'bad-2', entity => 'goal', id => $g2, base_version => 1,
      hlc => hlc(), fields => { target_cents => '5', name => '' } },
    { client_mutation_id => 'bad-3', entity => 'goal', id => $g2, base_version => 1,
      hlc => hlc(6 * 60_000), fields => { name => 'From the future' } },
    { client_mutation_id => 'bad-4', entity => 'ledger', id => $g2, base_version => 1,
      hlc => hlc(), fields => { name => 'x' } },
    { client_mutation_id => 'bad-5', entity => 'account', id => $g2, op => 'delete', hlc => hlc() },
]);
my %why = map { ("$_->{client_mutation_id}/" . ($_->{field} // '') => $_->{reason}) } @{ $r->{json}{rejected} };
is_deeply(\%why, {
    'bad-1/merchant_name' => 'bank-owned', 'bad-1/date' => 'bank-owned', 'bad-1/pending' => 'bank-owned',
    'bad-1/colour' => 'unknown-field', 'bad-1/category_source' => 'bank-owned',
    'bad-2/target_cents' => 'invalid-value', 'bad-2/name' => 'invalid-value',
    'bad-3/' => 'clock-ahead', 'bad-4/' => 'unknown-entity', 'bad-5/' => 'not-found' },
    'refused one by one, each with why') or diag explain $r->{json};
is_deeply($r->{json}{applied}, [], '... none applied');
is(psql("select name || '/' || target_cents from north.goals where id = :'a0'", $g2), 'Bike/90000',
   '... nothing written');

# a delete is final
$r = push_edits($tok, [
    { client_mutation_id => 'del-1', entity => 'goal', id => $g2, op => 'delete', base_version => 1, hlc => hlc() },
    { client_mutation_id => 'late-edit', entity => 'goal', id => $g2, base_version => 1,
      hlc => hlc(1000), fields => { name => 'Bike 2' } },
], $cursor);
is_deeply([map { $_->{client_mutation_id} } @{ $r->{json}{applied} }], ['del-1'], 'a goal deleted offline');
is_deeply([map { "$_->{client_mutation_id}:$_->{reason}:$_->{winner}" } @{ $r->{json}{conflicts} }],
          ['late-edit:deleted:server'], 'an edit after the delete: a conflict, not a resurrection');
is(psql("select count(*) from north.goals where id = :'a0'", $g2), 0, '... it stays deleted');
is(of($r->{json}{changes}, goal => $g2)->{op}, 'delete', '... the answer\'s changes hold the tombstone');
$r = push_edits($tok, [{ client_mutation_id => 'del-2', entity => 'goal', id => $g2, op => 'delete',
                         base_version => 1, hlc => hlc() }]);
is_deeply([map { $_->{client_mutation_id} } @{ $r->{json}{applied} }, @{ $r->{json}{conflicts} }],
          ['del-2'], 'another device\'s delete of it: applied, nothing more to do');

# manual items and rules, made, edited and deleted offline
my ($mi, $rule) = map { lc psql("select gen_random_uuid()") } 1 .. 2;
$r = push_edits($tok, [
    { client_mutation_id => 'mi-1', entity => 'manual_item', id => $mi, hlc => hlc(),
      fields => { name => 'Car', type => 'vehicle', value_cents => 1500000 } },
    { client_mutation_id => 'mi-2', entity => 'manual_item', id => $mi, base_version => 1, hlc => hlc(10),
      fields => { value_cents => 1400000 } },
    { client_mutation_id => 'rule-1', entity => 'rule', id => $rule, hlc => hlc(),
      fields => { pattern => 'tim hortons', category => 'coffee' } },
]);
is(scalar @{ $r->{json}{applied} }, 3, 'a manual item made and edited, a rule made, offline')
    or diag explain $r->{json};
is(psql("select kind || '/' || value_cents from north.manual_items where id = :'a0'", $mi),
   'asset/1400000', '... the item as edited, its kind from its type');
is(psql("select category from north.category_user_rules where id = :'a0'", $rule), 'coffee',
   '... the rule stored');

# another user's ids
$r = push_edits($otok, [
    { client_mutation_id => 'other-1', entity => 'transaction', id => $t0, base_version => 9,
      hlc => hlc(), fields => { notes => 'mine now' } },
    { client_mutation_id => 'other-2', entity => 'manual_item', id => $mi, op => 'delete', hlc => hlc() },
    { client_mutation_id => 'other-3', entity => 'manual_item', id => $mi, hlc => hlc(),
      fields => { name => 'Car', type => 'vehicle', value_cents => 1 } },
]);
is_deeply([map { "$_->{client_mutation_id}:$_->{reason}" } @{ $r->{json}{rejected} }],
          ['other-1:not-found', 'other-2:not-found', 'other-3:id-taken'],
          'another user\'s ids: not found, and not taken') or diag explain $r->{json};
is(psql("select notes from north.transactions where id = :'a0'", $t0), 'tablet note',
   '... nothing of theirs changed');
($all) = pull($otok, undef);
ok(!grep({ $_->{user_id} || $_->{id} eq $t0 || $_->{id} eq $mi } @$all), '... nor shown to the other user');

# --- bad input -----------------------------------------------------------------------------

problem_ok(call(GET => '/v1/sync'), 401, 'unauthorized', 'no token');
problem_ok(feed($tok, cursor => 'bm90IGEgY3Vyc29y'), 400, 'validation-failed', 'a cursor that is none');
problem_ok(feed($tok, limit => 0), 400, 'validation-failed', 'limit 0');
problem_ok(feed($tok, full => 'yes'), 400, 'validation-failed', 'full=yes');
problem_ok(call(POST => '/v1/sync', token => $tok, body => '{"mutations": [',
                headers => { 'Content-Type' => 'application/json' }), 400, 'invalid-json', 'malformed JSON');
$r = call(POST => '/v1/sync', token => $tok, json => { mutations => 'all' });
problem_ok($r, 400, 'validation-failed', 'mutations not an array');
$r = call(POST => '/v1/sync', token => $tok, json => {
    mutations => [ map { { client_mutation_id => "m$_", entity => 'goal', id => $g2, hlc => hlc(),
                           fields => {} } } 1 .. 501 ] });
problem_ok($r, 400, 'validation-failed', '501 edits');
is_deeply(fields_of($r), ['mutations'], '... refused as such');
$r = call(POST => '/v1/sync', token => $tok, json => { cursor => 'x', extra => 1, mutations => [
    'edit', { client_mutation_id => 'a b', entity => 'Goal', id => 'g', base_version => -1,
              hlc => '2026-13-01T00:00:00.000Z-0000-aaaaaaaaaaaaaaaa', op => 'merge',
              fields => { notes => [1] } },
    { client_mutation_id => 'ok', entity => 'goal', id => $g2, hlc => hlc() } ] });
problem_ok($r, 400, 'validation-failed', 'misshapen edits');
is_deeply(fields_of($r), [qw(cursor extra mutations[0] mutations[1].base_version
                            mutations[1].client_mutation_id mutations[1].entity mutations[1].fields
                            mutations[1].hlc mutations[1].id mutations[1].op mutations[2].fields)],
          '... every error named where it is') or diag explain $r->{json};

# --- PostgreSQL down -------------------------------------------------------------------------

north_stack('pg-stop');
problem_ok(feed($tok, cursor => $cursor), 503, 'database-unavailable', 'PostgreSQL down: the feed');
problem_ok(push_edits($tok, [{ client_mutation_id => 'down-1', entity => 'manual_item', id => $mi,
                               base_version => 2, hlc => hlc(), fields => { name => 'Van' } }]),
           503, 'database-unavailable', 'PostgreSQL down: a push');
north_stack('pg-start');
is(psql("select count(*) from north.sync_mutations where user_id = :'a0'
          and client_mutation_id = 'down-1'", $uid), 0,
   'PostgreSQL back: the failed push left nothing');
$r = push_edits($tok, [{ client_mutation_id => 'down-1', entity => 'manual_item', id => $mi,
                         base_version => 2, hlc => hlc(), fields => { name => 'Van' } }]);
is_deeply([map { $_->{client_mutation_id} } @{ $r->{json}{applied} }], ['down-1'], '... and its retry applies');

done_testing();
