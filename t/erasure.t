# Account erasure: DELETE /v1/me asks for a password or a fresh biometric
# login, ends every session at once and queues the job; the job erases every
# table's rows of the user through the registry, keeps the audit rows (their
# chains still verify) and records completion; a job cut short by a dead
# worker is taken over and finishes; PostgreSQL down. Plain Test::More: a
# job across requests, a worker killed, PostgreSQL stopped.
use strict;
use utf8;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;
use Time::HiRes qw(sleep);

my $port = north_nginx(name => 'erasure');
my $n = 0;
my $pw = 'maple syrup & snow 42';

sub call { north_http($port, @_) }
sub email { sprintf 'erase%d.%d@north.example.ca', $$, ++$n }

sub register {
    my $e = email();
    my $r = north_register($port, {
        email => $e, password => $pw, consents => ['terms', 'privacy_policy'] });
    die "register: $r->{code} $r->{body}" unless $r->{code} == 201;
    return ($r->{json}{access_token}, $r->{json}{user}{id}, $e, $r->{json}{refresh_token});
}


# data of the user in every table
sub fill {
    my ($tok, $uid) = @_;
    call(PATCH => '/v1/me', token => $tok, json => { display_name => 'Jeanne Tremblay' });
    call(PUT => '/v1/privacy/consents/analytics', token => $tok, json => { granted => \1 });
    call(POST => '/v1/privacy/requests', token => $tok, json => { kind => 'deletion' },
         headers => { 'Idempotency-Key' => "k-$uid" });
    my $tablet = call(POST => '/v1/auth/login', json => { email => psql("select email
        from north.users where id = :'a0'", $uid), password => $pw,
        device => { id => 'tablet' } })->{json}{access_token};
    call(PUT => '/v1/devices/tablet/push-token', token => $tablet,
         json => { token => "fcm-$uid", platform => 'android' });
    call(PUT => '/v1/notifications/preferences', token => $tok,
         json => { quiet_hours => { start => '22:00', end => '07:00' } });
    psql("insert into north.devices (user_id, device_id, public_key)
          values (:'a0', 'ipad', '\\x3059')", $uid);
    plaid_link($port, $tok);
    my $tx = psql("select id from north.transactions where user_id = :'a0'
                   and merchant_name is not null limit 1", $uid);
    call(PATCH => "/v1/transactions/$tx", token => $tok,
         json => { category => 'dining', apply_to_similar => \1 });
    call(POST => '/v1/analytics/manual-items', token => $tok,
         json => { name => 'Condo', type => 'real_estate', value_cents => 40000000 });
    my $goal = call(POST => '/v1/goals', token => $tok, json => {
        name => 'Trip', kind => 'savings', target_cents => 100000 })->{json}{id};
    call(POST => "/v1/goals/$goal/contributions", token => $tok, json => { amount_cents => 100000 });
    call(POST => '/v1/gamification/check-in', token => $tok);
    call(PUT => '/v1/tax/profile', token => $tok, json => { birth_year => 1990 });
    # an item made and deleted offline, its tombstone past retention
    my $item = psql("select gen_random_uuid()");
    my $at = psql("select to_char(now() at time zone 'UTC',
                   'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') || '-0000-00000000000000aa'");
    call(POST => '/v1/sync', token => $tok, json => { mutations => [
        { client_mutation_id => 'car', entity => 'manual_item', id => $item, hlc => $at,
          fields => { name => 'Car', type => 'vehicle', value_cents => 1 } },
        { client_mutation_id => 'car-sold', entity => 'manual_item', id => $item, hlc => $at,
          op => 'delete' } ] });
    psql_owner("update north.sync_changes set changed_at = now() - interval '1 year'
                where id = :'a0'", $item);
    psql("select north.sync_prune('90 days')");
    psql("insert into north.insight_dismissals (user_id, insight_id, magnitude_cents)
          values (:'a0', 'month-pace-0123456789abcdef', 1)", $uid);
    psql("insert into north.recommendation_dismissals (user_id, recommendation_id)
          values (:'a0', 'goal-behind-0123456789abcdef')", $uid);
    psql("insert into north.jobs (kind, user_id, done_at) values ('test.done', :'a0', now())", $uid);
    # a conversation with the assistant, kept in Redis
    call(POST => '/v1/ai/ask', token => $tok, json => { question => 'How much did I spend last month?' });
    # the goal reached and $1,000 saved: awarded by the events' consumer
    wait_for(10, sub { psql("select count(*) from north.user_achievements
                             where user_id = :'a0'", $uid) >= 2 });
    # the tablet's sign-in notice, pushed to it by the sender
    wait_for(10, sub { psql("select count(*) from north.push_deliveries
                             where user_id = :'a0'", $uid) >= 1 });
}

sub erased_within {
    my ($uid, $seconds) = @_;
    for (1 .. $seconds * 10) {
        return 1 if psql("select completed_at is not null from north.erasures
                          where user_id = :'a0'", $uid) eq 't';
        sleep 0.1;
    }
    return 0;
}

# every table that names a user: (table, rows of uid)
sub rows_of {
    my ($uid) = @_;
    my %rows;
    for my $c (psql("select table_name || ' ' || column_name from information_schema.columns
                     where table_schema = 'north' and column_name in ('user_id', 'subject', 'id')
                       and data_type = 'uuid' and table_name not like 'pg_%'")) {
        my ($t, $col) = split ' ', $c;
        next if $col eq 'id' && $t ne 'users';
        $rows{$t} += psql("select count(*) from north.$t where $col = :'a0'", $uid);
    }
    $rows{refresh_tokens} = psql("select count(*) from north.refresh_tokens t
        join north.sessions s on s.id = t.session_id where s.user_id = :'a0'", $uid);
    return \%rows;
}

my ($tok, $uid, $mail, $refresh) = register();
my ($otok, $ouid, $omail) = register();
fill($tok, $uid);
fill($otok, $ouid);
my $plaid_item = psql("select plaid_item_id from north.plaid_items where user_id = :'a0'", $uid);
my $before = rows_of($uid);
my $ai_key = "north:{$uid}:ai";
is(redis_cli(redis_password(), 'EXISTS', $ai_key), 1, 'the assistant keeps a conversation of the user\'s');
is(scalar(grep { !$before->{$_} } grep { !/^(erasures|breach_register)$/ } keys %$before), 0,
   'before: the user has rows in every table') or diag explain $before;

# --- re-authentication ----------------------------------------------------------------

problem_ok(call(DELETE => '/v1/me', token => $tok), 403, 'reauthentication-required',
           'DELETE without a password, after a password login');
problem_ok(call(DELETE => '/v1/me', token => $tok, json => { password => 'not the password' }),
           403, 'invalid-credentials', 'DELETE with a wrong password');
is(call(DELETE => '/v1/me', token => $tok, json => { password => $pw, force => 1 })->{code}, 400,
   'DELETE with an unknown field: 400');
is(call(DELETE => '/v1/me', token => $tok, json => { password => 42 })->{code}, 400,
   'DELETE with a password of the wrong type: 400');
problem_ok(call(DELETE => '/v1/me', token => $tok, body => '{"password": "',
                headers => { 'Content-Type' => 'application/json' }),
           400, 'invalid-json', 'DELETE with malformed JSON');
problem_ok(call(DELETE => '/v1/me', json => { password => $pw }), 401, 'unauthorized',
           'DELETE without a token');
is(call(GET => '/v1/me', token => $tok)->{code}, 200, '... the account is still there');

# a biometric login within 5 minutes stands for the password
my (undef, $buid) = register();
my $bsid = psql("insert into north.sessions (user_id, auth_method, created_at)
                 values (:'a0', 'biometric', now() - interval '6 minutes') returning id", $buid);
my $btok = jwt(claims => { sub => $buid, sid => $bsid });
problem_ok(call(DELETE => '/v1/me', token => $btok), 403, 'reauthentication-required',
           'DELETE after a biometric login 6 minutes ago');
psql("update north.sessions set created_at = now() - interval '4 minutes' where id = :'a0'", $bsid);
my $r = call(DELETE => '/v1/me', token => $btok);
is($r->{code}, 202, 'DELETE after a biometric login 4 minutes ago: 202');
is(psql("select reauth from north.erasures where user_id = :'a0'", $buid), 'biometric',
   '... recorded as confirmed by biometrics');

# --- the erasure --------------------------------------------------------------------------

$r = call(DELETE => '/v1/me', token => $tok, json => { password => $pw });
is($r->{code}, 202, 'DELETE with the password: 202');
is($r->{json}{status}, 'scheduled', '... scheduled');
ok(wait_for(5, sub { redis_cli(redis_password(), 'EXISTS', $ai_key) == 0 }),
   '... at once, the assistant\'s conversations are gone');
like($r->{json}{requested_at}, qr/^\d{4}-\d\d-\d\dT/, '... when');
problem_ok(call(GET => '/v1/me', token => $tok), 401, 'unauthorized',
           'at once: the access token is dead');
problem_ok(call(POST => '/v1/auth/refresh', json => { refresh_token => $refresh }), 401,
           'invalid-grant', 'at once: the refresh token is dead');
problem_ok(call(POST => '/v1/auth/login', json => { email => $mail, password => $pw }), 401,
           'invalid-credentials', 'at once: the password no longer logs in');

ok(erased_within($uid, 20), 'the job completes the erasure');
my $after = rows_of($uid);
is_deeply([ sort grep { $after->{$_} } keys %$after ], [qw(audit_log erasures)],
          'after: no row of the user in any table but the audit log and the erasure record')
    or diag explain $after;
cmp_ok($after->{audit_log}, '>=', $before->{audit_log}, '... the audit rows are kept');

{
    local $ENV{LD_PRELOAD};
    delete $ENV{LD_PRELOAD};
    my $dump = `pg_dump --data-only --schema=north '$ENV{DATABASE_URL}' 2>/dev/null`;
    ok(length $dump > 1000, 'a dump of every table');
    unlike($dump, qr/\Q$mail\E/i, '... holds the e-mail nowhere');
    unlike($dump, qr/Jeanne Tremblay.*\Q$uid\E|\Q$uid\E.*Jeanne Tremblay/,
           '... nor the name next to the user');
    my @tables = map { /^COPY north\.(\w+)/ ? $1 : () }
                 grep { /\Q$uid\E/ } split /(?=^COPY )/m, $dump;
    is_deeply([ sort @tables ], [qw(audit_log erasures)],
              '... and the user id only in the audit log and the erasure record');
    like($dump, qr/\Q$omail\E/i, "... while the other user's data is all there");
}
cmp_ok(rows_of($ouid)->{transactions}, '>', 100, "the other user's rows are untouched");
ok(wait_for(20, sub { plaid_sim('/__sim/state', { item_id => $plaid_item })->{item} ? 0 : 1 }),
   'the linked institution is removed at Plaid (/item/remove)');
is(psql("select count(*) from north.plaid_removals"), 0, '... and nothing waits to be removed');
is(call(GET => '/v1/me', token => $otok)->{code}, 200, '... and their session lives');
is(scalar psql("select chain || ' ' || seq || ' ' || problem from north.audit_verify()
                where chain in (select chain from north.audit_log where subject = :'a0')", $uid),
   undef, 'every audit chain that holds rows about the user still verifies');
is(psql("select count(*) from north.jobs where kind = 'privacy.erase' and user_id = :'a0'", $uid),
   0, 'the done job no longer names the user');
is(psql("select count(*) from north.jobs where kind = 'privacy.erase' and last_error is not null
         and done_at is not null"), 0, 'no job ended in error');

# --- a job run again, and one cut short -----------------------------------------------------

my $job = psql("select id from north.jobs where kind = 'privacy.erase' and done_at is not null
                order by id desc limit 1");
psql("update north.jobs set done_at = null, run_at = now(), user_id = :'a1' where id = :'a0'",
     $job, $uid);
for (1 .. 100) { last if psql("select done_at is not null from north.jobs where id = :'a0'", $job) eq 't'; sleep 0.1 }
is(psql("select (done_at is not null)::text || ' ' || coalesce(last_error, 'ok')
         from north.jobs where id = :'a0'", $job), 'true ok',
   'the erasure run again finishes without error');

my ($ctok, $cuid) = register();
fill($ctok, $cuid);
# a worker claimed it, erased part of it, and died: its lease holds for now
# (queued and leased in one transaction: no worker can claim it between)
psql("begin; select north.erasure_request(:'a0', 'password');
      update north.jobs set leased_until = now() + interval '1 hour', attempts = 1
      where kind = 'privacy.erase' and user_id = :'a0'; commit", $cuid);
psql("delete from north.consents where user_id = :'a0'", $cuid);
psql("delete from north.sessions where user_id = :'a0'", $cuid);
sleep 2;
is(psql("select count(*) from north.users where id = :'a0'", $cuid), 1,
   'a job under a live lease is left to its worker');
psql("update north.jobs set leased_until = now() - interval '1 second'
      where kind = 'privacy.erase' and user_id = :'a0'", $cuid);
ok(erased_within($cuid, 20), 'once the lease runs out another worker finishes it');
is(scalar(grep { $_ ne 'audit_log' && $_ ne 'erasures' && rows_of($cuid)->{$_} } keys %{ rows_of($cuid) }),
   0, '... leaving nothing of the user');
is(psql("select attempts from north.jobs where kind = 'privacy.erase' and done_at is not null
         order by done_at desc limit 1"), 2, '... on its second attempt');

# --- PostgreSQL down ----------------------------------------------------------------------

my ($dtok, $duid) = register();
north_stack('pg-stop');
is(call(DELETE => '/v1/me', token => $dtok, json => { password => $pw })->{code}, 503,
   'PostgreSQL down: DELETE is 503');
north_stack('pg-start');
is(psql("select count(*) from north.erasures where user_id = :'a0'", $duid), 0,
   '... and nothing was queued');
is(call(GET => '/v1/me', token => $dtok)->{code}, 200, '... the account is whole');

done_testing();
