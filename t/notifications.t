# Notifications, part one, through the real events: a device's push token
# (its session's device only; a token moves to the last user who
# registered it; unseen tokens swept), the preferences, the notifications
# consent, a goal's milestone queued once in the user's language and held
# by quiet hours, security notices (a new device, a changed password) that
# ignore quiet hours and preferences, the inbox and its read marks, other
# users, PostgreSQL down. Plain Test::More: flows across requests, the job
# runner and psql.
use strict;
use utf8;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;
use Encode ();

my $port = north_nginx(name => 'notifications', workers => 2,
                       http => "north_jobs_interval 200ms;\n    north_jobs_sweep 1s;");
my $pw = 'maple syrup & snow 42';
my $n = 0;

sub call { north_http($port, @_) }

sub register {
    my (%o) = @_;
    my $email = sprintf('notify%d.%d@north.example.ca', $$, ++$n);
    my $r = north_register($port, {
        email => $email, password => $pw, consents => ['terms', 'privacy_policy'],
        device => { id => $o{device} // "phone-$n", name => 'iPhone de Luc', platform => 'ios' } });
    die "register: $r->{code} $r->{body}" unless $r->{code} == 201;
    return ($r->{json}{access_token}, $r->{json}{user}{id}, $email);
}

# the consumers have handed on every event written so far
sub settled {
    return wait_for(10, sub {
        psql("select not exists (select 1 from north.events e, north.event_consumers c
              where (e.xid, e.id) > (c.after_xid, c.after_id))") eq 't' });
}
sub inbox { call(GET => '/v1/notifications', token => $_[0])->{json}{notifications} }
sub queued {
    my ($uid, $template) = @_;
    return psql("select count(*) from north.notifications where user_id = :'a0'
                 and template = :'a1'", $uid, $template);
}

my ($tok, $uid, $email) = register(device => 'phone-a');
my ($otok, $ouid) = register(device => 'phone-b');

# --- push tokens --------------------------------------------------------------------------

my $r = call(PUT => '/v1/devices/phone-a/push-token', token => $tok,
             json => { token => 'fcm-token-1', platform => 'ios', app_version => '1.4.0' });
is($r->{code}, 204, 'a push token for the device of the session: 204');
is(psql("select token || ' ' || platform || ' ' || app_version from north.push_tokens
         where user_id = :'a0'", $uid), 'fcm-token-1 ios 1.4.0', '... kept');
problem_ok(call(PUT => '/v1/devices/phone-b/push-token', token => $tok,
                json => { token => 'fcm-token-x', platform => 'ios' }),
           404, 'not-found', "another session's device");
$r = call(PUT => '/v1/devices/phone-a/push-token', token => $tok,
          json => { token => '', platform => 'windows', extra => 1 });
problem_ok($r, 400, 'validation-failed', 'a bad token');
is_deeply(fields_of($r), [qw(extra platform token)], '... each member named');
problem_ok(call(PUT => '/v1/devices/phone-a/push-token', token => $tok, body => '{"token":',
                headers => { 'Content-Type' => 'application/json' }),
           400, 'invalid-json', 'malformed JSON');
is(call(PUT => '/v1/devices/phone-a/push-token',
        json => { token => 't', platform => 'ios' })->{code}, 401, 'no token: 401');
is(psql("select count(*) from north.push_tokens where user_id = :'a0'", $uid), 1,
   'no bad request kept anything');

# the same token registered by another user on their device moves there
is(call(PUT => '/v1/devices/phone-b/push-token', token => $otok,
        json => { token => 'fcm-token-1', platform => 'android' })->{code}, 204,
   'the same token from another user\'s device: 204');
is(psql("select string_agg(user_id::text, ',') from north.push_tokens
         where token = 'fcm-token-1'"), $ouid, '... and it is theirs now, only');
call(PUT => '/v1/devices/phone-a/push-token', token => $tok,
     json => { token => 'fcm-token-2', platform => 'ios' });
is(call(PUT => '/v1/devices/phone-a/push-token', token => $tok,
        json => { token => 'fcm-token-3', platform => 'ios' })->{code}, 204,
   'a new token for the same device');
is(psql("select string_agg(token, ',') from north.push_tokens where user_id = :'a0'", $uid),
   'fcm-token-3', '... replaces its last: one token a device');

psql_owner("update north.push_tokens set last_seen_at = now() - interval '271 days'
            where user_id = :'a0'", $ouid);
ok(wait_for(10, sub { psql("select count(*) from north.push_tokens where user_id = :'a0'",
                           $ouid) == 0 }), 'a token unseen for 270 days is swept');
is(call(DELETE => '/v1/devices/phone-a/push-token', token => $tok)->{code}, 204,
   'DELETE the token: 204');
problem_ok(call(DELETE => '/v1/devices/phone-a/push-token', token => $tok), 404, 'not-found',
           '... once');

# --- preferences --------------------------------------------------------------------------

$r = call(GET => '/v1/notifications/preferences', token => $tok);
is($r->{code}, 200, 'the preferences: 200');
is_deeply($r->{json}{quiet_hours}, { start => '21:00', end => '08:00' }, '... quiet 21:00 to 08:00');
is($r->{json}{large_transaction_cents}, 50000, '... a large transaction is $500');
ok((!grep { !$_ } values %{ $r->{json}{categories} }), '... every category on');
is($r->{json}{consent}, JSON::PP::false(), '... and no consent yet');

$r = call(PUT => '/v1/notifications/preferences', token => $tok,
          json => { categories => { security => JSON::PP::false(), lottery => JSON::PP::true(),
                                    goals => 'yes' },
                    quiet_hours => { start => '25:00', end => '8' },
                    low_balance_cents => -1, colour => 'blue' });
problem_ok($r, 400, 'validation-failed', 'bad preferences');
is_deeply(fields_of($r), [qw(categories categories categories colour low_balance_cents quiet_hours)],
          '... each named');
$r = call(PUT => '/v1/notifications/preferences', token => $tok,
          headers => { 'Accept-Language' => 'fr-CA' },
          json => { categories => { security => JSON::PP::false() } });
like(Encode::decode_utf8($r->{body}), qr/les avis de sécurité ne peuvent être désactivés/,
     '... in French');

$r = call(PUT => '/v1/notifications/preferences', token => $tok,
          json => { categories => { summary => JSON::PP::false() }, large_transaction_cents => 100000 });
is($r->{code}, 200, 'a category off and a threshold: 200');
is($r->{json}{categories}{summary}, JSON::PP::false(), '... summary off');
is($r->{json}{categories}{goals}, JSON::PP::true(), '... the others as they were');
is($r->{json}{large_transaction_cents}, 100000, '... the threshold');
is_deeply(call(GET => '/v1/notifications/preferences', token => $otok)->{json}{quiet_hours},
          { start => '21:00', end => '08:00' }, 'another user\'s are untouched');

# --- a goal's milestone: consent, language, quiet hours ------------------------------------

# quiet hours that cannot hold anything now (an empty window)
call(PUT => '/v1/notifications/preferences', token => $tok,
     json => { quiet_hours => { start => '00:00', end => '00:00' } });
my $goal = call(POST => '/v1/goals', token => $tok,
                json => { name => 'Voyage', kind => 'savings', target_cents => 120000 })->{json}{id};
call(POST => "/v1/goals/$goal/contributions", token => $tok, json => { amount_cents => 30000 });
settled();
is(queued($uid, 'goal_milestone'), 0, 'a milestone without the notifications consent: nothing');

call(PUT => '/v1/privacy/consents/notifications', token => $tok, json => { granted => JSON::PP::true() });
call(PATCH => '/v1/me', token => $tok, json => { locale => 'fr-CA' });
call(POST => "/v1/goals/$goal/contributions", token => $tok, json => { amount_cents => 30000 });
settled();
is(queued($uid, 'goal_milestone'), 1, 'with the consent: the 50% milestone is queued');
my $list = inbox($tok);
is(scalar @$list, 1, '... and listed');
is($list->[0]{title}, 'Étape franchie', '... in the profile\'s French');
is($list->[0]{body}, "« Voyage » est financé à 50 % : 600,00\x{a0}\$ sur 1\x{a0}200,00\x{a0}\$.",
   '... with the figures as French writes them');
like($list->[0]{created_at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, '... created_at in RFC 3339');
call(GET => "/v1/goals/$goal", token => $tok);
settled();
is(queued($uid, 'goal_milestone'), 1, 'the goal read again: no second notification');

# quiet hours now: held, not listed, until they end
my $now = psql("select to_char(now() at time zone north.user_zone(:'a0'), 'HH24:MI')", $uid);
my ($h, $m) = split /:/, $now;
my $start = sprintf '%02d:%02d', ($h + 23) % 24, $m;
my $end = sprintf '%02d:%02d', ($h + 2) % 24, $m;
call(PUT => '/v1/notifications/preferences', token => $tok,
     json => { quiet_hours => { start => $start, end => $end } });
call(POST => "/v1/goals/$goal/contributions", token => $tok, json => { amount_cents => 30000 });
settled();
is(queued($uid, 'goal_milestone'), 2, "during quiet hours ($start-$end): the 75% milestone is queued");
is(psql("select not_before > now() + interval '100 minutes' from north.notifications
         where user_id = :'a0' and dedup_key like '%:75'", $uid), 't', '... held until they end');
is(scalar @{ inbox($tok) }, 1, '... and not listed yet');
psql_owner("update north.notifications set not_before = now() where user_id = :'a0'", $uid);
is(scalar @{ inbox($tok) }, 2, 'once they end: listed');

# --- a sync's large spending and low balance ------------------------------------------------

my ($item) = plaid_link($port, $tok);
my $acct = psql("select plaid_account_id from north.accounts where item_id = :'a0'
                 and type = 'depository' and coalesce(available_cents, balance_cents) >= 10000
                 order by plaid_account_id limit 1", $item);
my $day = psql("select north.user_today(:'a0')", $uid);
my $old = psql("select (north.user_today(:'a0') - 30)::text", $uid);
sub page {
    my (@added) = @_;
    my $page = JSON::PP->new->encode({
        accounts => [{ account_id => $acct, name => 'Chèques', type => 'depository',
                       subtype => 'checking',
                       balances => { current => 40, available => 40, iso_currency_code => 'CAD' } }],
        added => \@added, modified => [], removed => [], next_cursor => 'c', has_more => JSON::PP::false() });
    psql_owner("select north.plaid_apply_page(:'a0', :'a1'::jsonb)", $item, $page);
}
sub tx { my ($id, $amount, $date) = @_;
         return { transaction_id => $id, account_id => $acct, amount => $amount, date => $date,
                  iso_currency_code => 'CAD', name => 'IKEA 123', merchant_name => 'IKEA',
                  pending => JSON::PP::false() } }
page(tx("big-$$", 1500, $day), tx("old-$$", 1500, $old), tx("small-$$", 20, $day));
page(tx("big2-$$", 100, $day));
settled();
is(queued($uid, 'large_transaction'), 1,
   "a sync: one notice for today's spending over the \$1,000 set, none for an old one or a small one");
is(Encode::decode_utf8(psql("select body from north.notifications where user_id = :'a0'
                             and template = 'large_transaction'", $uid)),
   "1\x{a0}500,00\x{a0}\$ chez IKEA le " . Encode::decode_utf8(psql("select north.day_text(:'a0', true)", $day)) . '.',
   '... in French, its figures as French writes them');
is(queued($uid, 'low_balance'), 1, 'the account fell under $100: one notice, not one a page');

# a category turned off: nothing queued
call(PUT => '/v1/notifications/preferences', token => $tok,
     json => { categories => { goals => JSON::PP::false() } });
call(POST => "/v1/goals/$goal/contributions", token => $tok, json => { amount_cents => 30000 });
settled();
is(queued($uid, 'goal_milestone'), 2, 'goals turned off: the 100% milestone is not queued');

# --- security notices: quiet hours, preferences and consent do not hold them ----------------

call(PUT => '/v1/privacy/consents/notifications', token => $tok, json => { granted => JSON::PP::false() });
$r = call(POST => '/v1/auth/login', json => { email => $email, password => $pw,
                                               device => { id => 'laptop', name => 'Portable' } });
is($r->{code}, 200, 'a sign-in from a new device');
call(POST => '/v1/auth/login', json => { email => $email, password => $pw,
                                          device => { id => 'laptop', name => 'Portable' } });
call(POST => '/v1/auth/login', json => { email => $email, password => $pw,
                                          device => { id => 'phone-a' } });
settled();
is(queued($uid, 'new_device'), 1, '... one notice, for the new device only, consent withdrawn');
is(psql("select not_before <= now() from north.notifications
         where user_id = :'a0' and template = 'new_device'", $uid), 't',
   '... not held by the quiet hours');
like(inbox($tok)->[0]{body}, qr/^Votre compte a été ouvert sur Portable le /, '... in French');

# the password changes in the last session: the others, $tok's, end
$tok = $r->{json}{access_token};
$r = call(POST => '/v1/auth/password', token => $tok,
          json => { current_password => $pw, new_password => 'a new maple syrup 2026' });
is($r->{code}, 204, 'a password changed') or diag $r->{body};
settled();
is(queued($uid, 'password_changed'), 1, '... a notice');

# --- the inbox ------------------------------------------------------------------------------

$list = inbox($tok);
my $id = $list->[0]{id};
is($list->[0]{read}, JSON::PP::false(), 'the newest is unread');
is(call(POST => "/v1/notifications/$id/read", token => $tok)->{code}, 204, 'marked read: 204');
is(inbox($tok)->[0]{read}, JSON::PP::true(), '... and read');
is(call(POST => "/v1/notifications/$id/read", token => $tok)->{code}, 204, '... again: 204');
problem_ok(call(POST => "/v1/notifications/$id/read", token => $otok), 404, 'not-found',
           "another user's notification");
problem_ok(call(POST => '/v1/notifications/x/read', token => $tok), 404, 'not-found', 'a malformed id');
is(scalar @{ inbox($otok) }, 0, 'another user sees none of them');

my @all;
my $cursor;
for (1 .. 10) {
    $r = call(GET => '/v1/notifications?limit=1' . ($cursor ? "&cursor=$cursor" : ''), token => $tok);
    push @all, @{ $r->{json}{notifications} };
    last unless $cursor = $r->{json}{next_cursor};
}
is(scalar @all, psql("select count(*) from north.notifications where user_id = :'a0'
                      and not_before <= now()", $uid), 'the inbox a page of 1 at a time: each once');
problem_ok(call(GET => '/v1/notifications?cursor=abc', token => $tok), 400, 'validation-failed',
           'a cursor the list never gave');

# --- a bad event is set aside, and the ones after it go on -----------------------------------

psql_owner("select north.event_put(:'a0', 'goal_milestone', 'not-a-goal', 'goal_milestone:x:25'),
                   north.event_put(:'a0', 'new_device', 'Tablette', 'new_device:tablet')", $ouid);
settled();
is(psql("select count(*) from north.event_failures f join north.events e on e.id = f.event_id
         where f.consumer = 'notifications' and e.key = 'goal_milestone:x:25'"), 1,
   'an event the consumer fails on is set aside');
is(queued($ouid, 'new_device'), 1, '... and the event after it is handled');

# --- PostgreSQL down ------------------------------------------------------------------------

north_stack('pg-stop');
problem_ok(call(GET => '/v1/notifications', token => $tok), 503, 'database-unavailable',
           'PostgreSQL down: the inbox');
problem_ok(call(PUT => '/v1/devices/phone-a/push-token', token => $tok,
                json => { token => 'fcm-token-9', platform => 'ios' }),
           503, 'database-unavailable', 'PostgreSQL down: a push token');
north_stack('pg-start');
is(psql("select count(*) from north.push_tokens where token = 'fcm-token-9'"), 0,
   'PostgreSQL back: nothing was half-written');

done_testing();
