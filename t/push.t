# The push sender against the FCM simulator (HTTP/2, RS256 assertions
# checked): a security notice pushed end to end with its collapse keys; each
# of FCM's refusals mapped (the token dropped, kept, or the delivery retried
# after Retry-After); the notifications consent checked at send time; a
# refused access token renewed; a batch of fifty as streams of one
# connection; a notification never sent twice to a device; the sweep's
# clock notifications at 20:30 on a moved clock. Plain
# Test::More: flows across requests, the job runner, psql and the simulator.
use strict;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;

my $port = north_nginx(name => 'push', workers => 2,
                       http => "north_jobs_interval 200ms;\n    north_jobs_sweep 1s;");
my $pw = 'maple syrup & snow 42';
my $n = 0;

sub call { north_http($port, @_) }

sub register {
    my $email = sprintf('push%d.%d@north.example.ca', $$, ++$n);
    my $r = north_register($port, {
        email => $email, password => $pw, consents => ['terms', 'privacy_policy'],
        device => { id => 'phone', name => 'Pixel', platform => 'android' } });
    die "register: $r->{code} $r->{body}" unless $r->{code} == 201;
    return ($r->{json}{access_token}, $r->{json}{user}{id}, $email);
}

# a device of uid's with a push token (as PUT /v1/devices/{id}/push-token
# keeps it: t/notifications.t tests that route)
sub device {
    my ($uid, $device, $token) = @_;
    psql("insert into north.push_tokens (user_id, device_id, token, platform)
          values (:'a0', :'a1', :'a2', 'android')", $uid, $device, $token);
}

# a notice of category queued for uid now (as the events' consumer does)
sub notice {
    my ($uid, $category, $key) = @_;
    return psql("select north.notify(:'a0', :'a1', 'new_device',
                 jsonb_build_object('device', 'Tablette'), :'a2', now())",
                $uid, $category, $key);
}

# a delivery's "state attempts error" (of notification nid, else the latest)
sub delivery {
    my ($uid, $device, $nid) = @_;
    return psql("select state || ' ' || attempts || ' ' || coalesce(last_error, '-')
                 from north.push_deliveries where user_id = :'a0' and device_id = :'a1'
                 and (:'a2' = '' or notification_id::text = :'a2')
                 order by id desc limit 1", $uid, $device, $nid // '') // '';
}

sub settled {
    my ($uid, $count) = @_;
    return wait_for(15, sub {
        psql("select count(*) from north.push_deliveries where user_id = :'a0'
              and (state <> 'queued' or attempts > 0) and leased_until is null", $uid)
            >= $count });
}

sub received { @{ fcm_sim('/__sim/messages?token=' . $_[0]) // [] } }

fcm_sim('/__sim/reset', {});

# --- a security notice, end to end ----------------------------------------------------------

my ($tok, $uid) = register();
is(call(PUT => '/v1/devices/phone/push-token', token => $tok,
        json => { token => "good-$uid", platform => 'android' })->{code}, 204,
   'a push token for the phone');
my $r = call(POST => '/v1/auth/password', token => $tok,
             json => { current_password => $pw, new_password => 'a new maple syrup 2026' });
is($r->{code}, 204, 'the password changed') or diag $r->{body};
ok(settled($uid, 1), 'the sender delivered the notice');
is(delivery($uid, 'phone'), 'sent 1 -', '... sent at the first attempt');
my @got = received("good-$uid");
is(scalar @got, 1, 'FCM got one message for the phone');
my $m = $got[0]{message};
my $nid = psql("select id from north.notifications where user_id = :'a0'
                and template = 'password_changed'", $uid);
my ($title, $body) = split /\t/, psql("select title || E'\\t' || body
    from north.notifications where id = :'a0'", $nid);
is_deeply($m->{notification}, { title => $title, body => $body },
          '... its title and body, as the inbox shows them');
is_deeply($m->{data}, { notification_id => $nid, category => 'security',
                        template => 'password_changed' }, '... its data, strings only');
is($m->{android}{collapse_key}, $nid, '... collapsed by the notification on Android');
is($m->{apns}{headers}{'apns-collapse-id'}, $nid, '... and on iOS');
like($got[0]{traceparent} // '', qr/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/,
     '... sent in the trace of the sender\'s run (traceparent)');
like(call(GET => '/metrics')->{body}, qr/^north_fcm_sent_total [1-9]\d*$/m,
     '... and counted in north_fcm_sent_total');
is(fcm_sim('/__sim/stats')->{assertions_refused}, 0,
   'the RS256 assertion passed the token endpoint\'s checks');

# --- each of FCM's refusals --------------------------------------------------------------------

my ($tok2, $uid2) = register();
my %fcm = map { $_ => (call(GET => '/metrics')->{body} =~ /^north_fcm_${_}_total (\d+)$/m)[0] }
          qw(sent dropped failed retried);
my %devices = (good => "good-2-$uid2", unreg => "unregistered-$uid2",
               invalid => "invalid-$uid2", mismatch => "mismatch-$uid2",
               payload => "payload-$uid2", quota => "quota-$uid2",
               down => "unavailable-$uid2");
device($uid2, $_, $devices{$_}) for sort keys %devices;
ok(notice($uid2, 'security', 'refusals'), 'a notice to seven devices');
ok(settled($uid2, 7), '... each delivery has an outcome');
is(delivery($uid2, 'good'), 'sent 1 -', 'a good token: sent');
like(delivery($uid2, 'unreg'), qr/^dropped 1 UNREGISTERED$/, 'UNREGISTERED: dropped');
like(delivery($uid2, 'invalid'), qr/^dropped 1 INVALID_ARGUMENT$/,
     'INVALID_ARGUMENT of an invalid token: dropped');
like(delivery($uid2, 'mismatch'), qr/^dropped 1 SENDER_ID_MISMATCH$/, 'SENDER_ID_MISMATCH: dropped');
is(psql("select string_agg(device_id, ' ' order by device_id) from north.push_tokens
         where user_id = :'a0'", $uid2), 'down good payload quota',
   '... and those three tokens removed, the others kept');
like(delivery($uid2, 'payload'), qr/^failed 1 INVALID_ARGUMENT$/,
     'INVALID_ARGUMENT of a payload: failed for good, the token kept');
like(delivery($uid2, 'quota'), qr/^queued 1 FCM answered 429/, '429: to be tried again');
cmp_ok(psql("select extract(epoch from not_before - now())::int from north.push_deliveries
             where user_id = :'a0' and device_id = 'quota'", $uid2), '>=', 110,
       '... after its Retry-After of 120 s, not sooner');
like(delivery($uid2, 'down'), qr/^queued 1 FCM is unavailable/, '503: to be tried again');
cmp_ok(psql("select extract(epoch from not_before - now())::int from north.push_deliveries
             where user_id = :'a0' and device_id = 'down'", $uid2), '>=', 25,
       '... after its Retry-After of 30 s at least');
my $after = call(GET => '/metrics')->{body};
is_deeply({ map { $_ => ($after =~ /^north_fcm_${_}_total (\d+)$/m)[0] - $fcm{$_} }
            qw(sent dropped failed retried) },
          { sent => 1, dropped => 3, failed => 1, retried => 2 },
          'the FCM counters: 1 sent, 3 dropped, 1 failed, 2 put off');
# a retry comes back when it is due, and a payload error never does
psql_owner("update north.push_deliveries set not_before = now()
            where user_id = :'a0' and device_id in ('quota', 'down')", $uid2);
ok(wait_for(15, sub { delivery($uid2, 'quota') =~ /^queued 2 / }),
   'a retry due is sent again') or diag delivery($uid2, 'quota');
is(scalar(received($devices{payload})), 1, 'the refused payload went once only');
is(scalar(received($devices{good})), 1, 'the good token got its notice once only');

# --- the consent, checked when the push goes ---------------------------------------------------

my ($tok3, $uid3) = register();
device($uid3, 'tablet', "good-3-$uid3");
is(call(PUT => '/v1/privacy/consents/notifications', token => $tok3,
        json => { granted => \1 })->{code}, 200, 'the notifications consent granted');
# queued with the consent, held by quiet hours that last an hour more
psql_owner("insert into north.notification_preferences (user_id, quiet_start, quiet_end)
            select :'a0', (now() at time zone z - interval '1 hour')::time,
                   (now() at time zone z + interval '1 hour')::time
            from north.user_zone(:'a0') as z", $uid3);
my $held = notice($uid3, 'goals', 'held');
ok($held, 'a goal notice queued');
cmp_ok(psql("select extract(epoch from not_before - now())::int from north.notifications
             where id = :'a0'", $held), '>', 3000, '... held by the quiet hours');
is(call(PUT => '/v1/privacy/consents/notifications', token => $tok3,
        json => { granted => \0 })->{code}, 200, '... then the consent withdrawn');
# the quiet hours end
psql_owner("update north.notifications set not_before = now() where id = :'a0'", $held);
ok(wait_for(15, sub { delivery($uid3, 'tablet') =~ /^skipped / }),
   'the held notice is skipped at send time') or diag delivery($uid3, 'tablet');
is(scalar(received("good-3-$uid3")), 0, '... FCM got nothing');

# --- fifty devices: streams of one HTTP/2 connection -------------------------------------------
# (before FCM forgets the access tokens below: a worker still holding a
# forgotten one gets a 401, and its retry goes in a later batch)

my ($tok4, $uid4) = register();
device($uid4, "d$_", "good-4-$_-$uid4") for 1 .. 50;
ok(notice($uid4, 'security', 'fifty'), 'a notice to fifty devices');
ok(settled($uid4, 50), '... each delivered');
is(psql("select count(*) from north.push_deliveries where user_id = :'a0'
         and state = 'sent'", $uid4), 50, '... all fifty sent');
my %sessions;
$sessions{ $_->{session} }++ for grep { $_->{token} =~ /^good-4-/ } received('');
is(scalar(keys %sessions), 1, 'the fifty went on one HTTP/2 connection')
    or diag explain \%sessions;

# --- once a device ------------------------------------------------------------------------------

psql_owner("update north.notifications set state = 'queued' where user_id = :'a0'", $uid4);
psql("select north.push_wake()");
sleep 2;
is(psql("select count(*) from north.push_deliveries where user_id = :'a0'", $uid4), 50,
   'a notification fanned out again adds no delivery');
is(scalar(grep { $_->{token} =~ /^good-4-/ } received('')), 50, '... and FCM got no second copy');

# --- FCM refuses the cached access token: a new one, and the delivery goes ----------------------

fcm_sim('/__sim/reset', {});   # the access tokens it issued are forgotten
my $again = notice($uid, 'security', 'after-reset');
ok($again, 'a notice after FCM forgot our access token');
# each worker that holds a forgotten token gets one 401, then a new token
ok(wait_for(20, sub { delivery($uid, 'phone', $again) =~ /^sent [23] -$/ }),
   '... refused with 401, then sent with a new token')
    or diag delivery($uid, 'phone', $again);
is(scalar(received("good-$uid")), 1, '... once');
cmp_ok(fcm_sim('/__sim/stats')->{tokens_issued}, '>=', 1, '... a token the worker asked for');

# --- the clock's notifications, through the sweep ---------------------------------------------
#
# The job runner's clock moved (north.clock) to 20:30 in the user's zone:
# the sweep queues the streak at risk, and the sender pushes it.

my ($tok5, $uid5) = register();
device($uid5, 'watch', "good-5-$uid5");
call(PUT => '/v1/privacy/consents/notifications', token => $tok5, json => { granted => \1 });
psql_owner("update north.clock set skew = ((now() at time zone north.user_zone(:'a0'))::date
                + time '20:30') at time zone north.user_zone(:'a0') - now()", $uid5);
END { psql_owner("update north.clock set skew = '0'") }
psql_owner("insert into north.streaks (user_id, kind, current, longest, last_period)
            values (:'a0', 'checkin', 9, 9,
                    (north.clock_now() at time zone north.user_zone(:'a0'))::date - 1)", $uid5);
ok(wait_for(15, sub { delivery($uid5, 'watch') =~ /^sent / }),
   "at 20:30 on the job runner's clock, the sweep queues a streak at risk, and it is pushed")
    or diag delivery($uid5, 'watch');
my ($risk) = received("good-5-$uid5");
is($risk->{message}{data}{template}, 'streak_at_risk', '... the streak at risk');
like($risk->{message}{notification}{body}, qr/^Your 9-day check-in streak ends at midnight/,
     '... with its days');
psql_owner("update north.clock set skew = '0'");

# --- what a user's export holds; erasure -------------------------------------------------------

$r = call(POST => '/v1/privacy/export', token => $tok2);
like($r->{body}, qr/"push_deliveries"/, 'the export has the deliveries');
unlike($r->{body}, qr/ya29\.sim-/, '... and no access token anywhere');
unlike(do { local $/; open my $l, '<', north_root() . '/t/servroot-push/logs/error.log'; <$l> },
       qr/ya29\.sim-|BEGIN PRIVATE KEY/, 'the error log holds no access token nor key');

done_testing();
