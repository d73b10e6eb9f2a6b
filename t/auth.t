# The authentication API through the shipped routes: each endpoint's happy
# path, its documented errors, and the flows that span requests
# (registration codes, rotation, reuse, revocation, lockout, biometric
# replay) that Test::Nginx's one-request blocks cannot express. Bad input
# to registration and login is a block each, in auth-input.t.
use strict;
use utf8;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;
use File::Temp qw(tempdir);

# the sweep each second: mail the relay failed is sent again within seconds
my $port = north_nginx(name => 'auth', http => 'north_jobs_sweep 1s;');
my $n = 0;

sub call { north_http($port, @_) }
sub email { sprintf 'user%d.%d@North.Example.CA', $$, ++$n }

my $pw = 'maple syrup & snow 42';
my $consents = ['terms', 'privacy_policy'];

# the whole registration, code and all (North::Test::north_register)
sub register {
    my (%o) = @_;
    return north_register($port, {
        email => $o{email} // email(), password => $o{password} // $pw,
        consents => $o{consents} // $consents,
        ($o{device} ? (device => $o{device}) : ()) });
}

# its first step only
sub ask {
    my ($email, %o) = @_;
    return call(POST => '/v1/auth/register', json => {
        email => $email, password => $pw, consents => $consents, %o });
}
sub verify_code { call(POST => '/v1/auth/register/verify', json => { @_ }) }



# --- register ------------------------------------------------------------------

my $email = email();
my $r = register(email => "  $email ",
                 device => { id => 'phone-1', name => 'Pixel', platform => 'android' });
is($r->{code}, 201, 'register: 201');
like($r->{json}{access_token}, qr/^[\w-]+\.[\w-]+\.[\w-]+$/, 'register: an access token');
like($r->{json}{refresh_token}, qr/^[\w-]{43}$/, 'register: a 256-bit refresh token');
is($r->{json}{token_type}, 'Bearer', 'register: Bearer');
is($r->{json}{expires_in}, 900, 'register: 15 minutes');
(my $normal = $email) =~ s/@(.*)/'@' . lc $1/e;
is($r->{json}{user}{email}, $normal, 'register: e-mail trimmed, domain lowercased');
my $uid = $r->{json}{user}{id};
my ($access, $refresh) = @{ $r->{json} }{qw(access_token refresh_token)};
is(psql("select string_agg(purpose, ',' order by purpose) from north.consents
         where user_id = :'a0'", $uid), 'privacy_policy,terms',
   'register: the consents are recorded');
like(psql("select password_hash from north.users where id = :'a0'", $uid),
     qr/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/, 'register: Argon2id, OWASP parameters');

$r = call(GET => '/v1/auth/sessions', token => $access);
is($r->{code}, 200, 'sessions: 200');
is(scalar @{ $r->{json}{sessions} }, 1, 'sessions: one');
my $s0 = $r->{json}{sessions}[0];
ok($s0->{current}, 'sessions: marks the current one');
is_deeply($s0->{device}, { id => 'phone-1', name => 'Pixel', platform => 'android' },
          'sessions: the device');
is($s0->{ip}, '127.0.0.1', 'sessions: the address');
like($s0->{last_seen_at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'sessions: RFC 3339 UTC, milliseconds');

{
    my ($mail) = mailed($normal);
    is($mail->{template}, 'register_code', 'register: a code is mailed to the address');
    like($mail->{text}, qr/: \d{6}\n/, '... six digits');
    is($mail->{locale}, 'en-CA', '... in the language asked for');
    like($mail->{from}, qr/^North </, '... from North');
    is(psql("select count(*) from north.registrations where lower(email) = lower(:'a0')", $email), 0,
       '... and the registration waits no more once its code came back');
    ok(wait_for(5, sub { psql("select count(*) = 0 from north.mail_outbox where lower(to_email) = lower(:'a0')
                               and (sent_at is null or params <> '{}')", $email) eq 't' }),
       '... the mail is sent and its code forgotten');
}

# --- an address that has an account: the same answer, nothing revealed ------------------

{
    my $new = email();
    my $fresh = ask($new);
    my $taken = ask(uc $email);
    is($taken->{code}, 202, 'register an address that has an account: 202');
    is($fresh->{code}, 202, '... as for a new one');
    delete $_->{json}{email} for $fresh, $taken;
    is_deeply($taken->{json}, $fresh->{json}, '... with the same answer');
    is_deeply([ sort keys %{ $taken->{headers} } ], [ sort keys %{ $fresh->{headers} } ],
              '... and the same headers');
    ok(wait_for(10, sub { grep { $_->{template} eq 'register_exists' } mailed($normal) }),
       '... its owner is told by mail instead');
    is(scalar(grep { $_->{template} eq 'register_code' } mailed($normal)), 1, '... and gets no code');
    is(psql("select count(*) from north.registrations where lower(email) = lower(:'a0')", $email), 0,
       '... nothing waits for a code');
    problem_ok(verify_code(email => $email, code => '000000'), 401, 'invalid-code',
               '... so no code makes a second account');
    is(call(POST => '/v1/auth/login', json => { email => $email, password => $pw })->{code}, 200,
       '... and the account is unchanged');
    my $pglog = do { local (@ARGV, $/) = "$ENV{NORTH_VAR}/pg/postgresql.log"; <> } // '';
    unlike($pglog, qr/\Q$email\E/i, "... nor does the database's log name the e-mail");
}

# --- the code ---------------------------------------------------------------------------

{
    my $e = email();
    my $first = ask($e, locale => 'fr-CA');
    is_deeply([ @{ $first->{json} }{qw(status expires_in)} ], ['verification-sent', 900],
              'register: "verification-sent", for 15 minutes');
    my ($mail) = wait_for(10, sub { (mailed($first->{json}{email}))[0] });
    is($mail->{locale}, 'fr-CA', '... the mail in French for fr-CA');
    like($mail->{subject}, qr/Votre code/, '... its subject too');
    my $code = mail_code($mail);
    my $wrong = sprintf '%06d', ($code + 1) % 1000000;
    my $none = verify_code(email => email(), code => "$code");
    my $bad = verify_code(email => $e, code => $wrong);
    problem_ok($bad, 401, 'invalid-code', 'a wrong code: 401');
    problem_ok($none, 401, 'invalid-code', 'a code for an address that registered nothing: 401');
    delete $_->{json}{instance} for $bad, $none;
    is_deeply($bad->{json}, $none->{json}, '... the same answer');
    ok(!$bad->{json}{access_token}, '... and no token');
    # asked again: a new code, and the first one is spent
    ask($e);
    my @two;
    wait_for(10, sub { @two = mailed($first->{json}{email}); @two == 2 });
    my $second = mail_code($two[1]);
    problem_ok(verify_code(email => $e, code => "$code"), 401, 'invalid-code', 'asked again: the first code is spent')
        unless $second eq $code;
    $r = verify_code(email => uc $e, code => $second);
    is($r->{code}, 201, 'the last code, the address in another case: 201, the account is made');
    ok($r->{json}{access_token}, '... and signed in');
    problem_ok(verify_code(email => $e, code => $second), 401, 'invalid-code', '... a code works once');
}
{
    my $e = email();
    ask($e);
    my ($mail) = wait_for(10, sub { (mailed($e))[0] });
    my $code = mail_code($mail);
    my $wrong = sprintf '%06d', ($code + 1) % 1000000;
    problem_ok(verify_code(email => $e, code => $wrong), 401, 'invalid-code', "wrong code $_ of 5") for 1 .. 5;
    problem_ok(verify_code(email => $e, code => "$code"), 401, 'invalid-code',
               'after 5 wrong codes the registration is over: the right one is refused');
}
{
    my $e = email();
    ask($e);
    my ($mail) = wait_for(10, sub { (mailed($e))[0] });
    psql("update north.registrations set expires_at = now() where lower(email) = lower(:'a0')", $e);
    problem_ok(verify_code(email => $e, code => mail_code($mail)), 401, 'invalid-code', 'an expired code: 401');
}
{
    my $e = email();
    is(ask($e)->{code}, 202, "register the same address $_ times in an hour: 202 each") for 1 .. 7;
    wait_for(10, sub { mailed($e) >= 5 });
    sleep 1;
    is(scalar(mailed($e)), 5, '... and 5 mails go to it, no more');
}

# the relay fails: the mail is sent again
{
    plaid_sim('/__sim/fail', { path => '/__mail/send', status => 503, times => 1 });
    my $e = email();
    ask($e);
    ok(wait_for(30, sub { scalar mailed($e) }), 'the mail relay fails: the code arrives all the same');
    like(psql("select last_error from north.mail_outbox where lower(to_email) = lower(:'a0')", $e),
         qr/the relay answered 503/, '... the failure recorded');
    plaid_sim('/__sim/fail', { path => '/__mail/send', status => 400, times => 1 });
    my $f = email();
    ask($f);
    ok(wait_for(10, sub { psql("select failed_at is not null from north.mail_outbox
                                where lower(to_email) = lower(:'a0')", $f) eq 't' }),
       '... a mail it refuses (400) is not sent again');
}
# (bad input to register, its code and login: blocks in auth-input.t)
is(register(password => "\x{e9}t\x{e9} au chalet" =~ s/(.)/$1/gr)->{code}, 201,
   'register: a password of 8+ characters in UTF-8');
problem_ok(call(POST => '/v1/auth/register', body => '{"a":"' . ('x' x 20000) . '"}',
                headers => { 'Content-Type' => 'application/json' }),
           413, 'payload-too-large', 'register with an oversize body');

# --- login ---------------------------------------------------------------------

$r = call(POST => '/v1/auth/login', json => { email => lc $email, password => $pw,
          device => { id => 'tablet', platform => 'ios' } });
is($r->{code}, 200, 'login: 200');
my $access2 = $r->{json}{access_token};
is($r->{json}{user}{id}, $uid, 'login: the same user');

my $wrong = call(POST => '/v1/auth/login', json => { email => $email, password => 'not it at all' });
my $nobody = call(POST => '/v1/auth/login', json => { email => 'nobody@north.ca', password => 'not it at all' });
problem_ok($wrong, 401, 'invalid-credentials', 'login with a wrong password');
problem_ok($nobody, 401, 'invalid-credentials', 'login with an unknown e-mail');
delete $_->{json}{instance} for $wrong, $nobody;
is_deeply($wrong->{json}, $nobody->{json}, 'login: unknown e-mail and wrong password look alike');
problem_ok(call(POST => '/v1/auth/login', json => { email => $email, password => "\x{1F341}" x 500 }),
           401, 'invalid-credentials', 'login with 500 four-byte characters: refused, whole');
problem_ok(call(POST => '/v1/auth/login', json => { email => $email, password => "\x{1F341}" x 513 }),
           400, 'validation-failed', 'login with a password past the field limit');
$r = call(POST => '/v1/auth/login', json => { email => 'nobody@north.ca', password => 'not it at all' },
          headers => { 'Accept-Language' => 'fr-CA' });
is($r->{json}{detail}, 'le courriel ou le mot de passe est erroné', 'login failure in French for fr-CA');
$r = register(password => 'password123');
$r = call(POST => '/v1/auth/register', json => { email => email(), password => 'password123',
          consents => $consents }, headers => { 'Accept-Language' => 'fr-CA' });
is($r->{json}{errors}[0]{message}, 'est trop courant : choisissez-en un autre',
   'password policy in French');

# failures hold an address back, a delay and never a lock of days; an
# address without an account is held back just the same
my $known = email();
register(email => $known, device => { id => 'phone-1', name => 'Phone' });
my $unknown = email();
sub login { call(POST => '/v1/auth/login', json => { email => $_[0], password => $_[1],
                                                     ($_[2] ? (device => { id => $_[2] }) : ()) }) }
for my $t ([$known, 'an account'], [$unknown, 'no account']) {
    my ($addr, $what) = @$t;
    my @codes = map { login($addr, "wrong $_ wrong")->{code} } 1 .. 4;
    is_deeply(\@codes, [401, 401, 401, 401], "$what: four failures, 401 each");
    $r = login($addr, 'wrong 5 wrong');
    problem_ok($r, 429, 'too-many-attempts', "$what: the fifth failure");
    is($r->{headers}{'retry-after'}, 30, '... the next attempt waits 30 s');
    $r = login($addr, $pw);
    is("$r->{code} $r->{headers}{'retry-after'}", '429 30', '... even with the right password');
}
$r = login($unknown, $pw, 'phone-1');
is($r->{code}, 429, 'no account: a device id is no way round');
$r = login($known, $pw, 'phone-1');
is($r->{code}, 200, 'an account: the right password from a device it knows is let in at once');
is(psql("select count(*) from north.login_throttle
         where email_hash = north.digest(lower(:'a0'), 'sha256')", $known), 0,
   '... and its failures are forgotten');
# the delay doubles and stops at 15 minutes
psql("update north.login_throttle set failures = 30, wait_until = null,
      last_failed = now() where email_hash = north.digest(lower(:'a0'), 'sha256')", $unknown);
is(login($unknown, 'wrong again')->{headers}{'retry-after'}, 900,
   'the 31st failure: 15 minutes, no more');
# held back again, the account's owner gets in once the wait is over
login($known, "wrong $_ again") for 1 .. 5;
is(login($known, $pw)->{code}, 429, 'an account held back again');
psql("update north.login_throttle set wait_until = now() - interval '1 second'
      where email_hash = north.digest(lower(:'a0'), 'sha256')", $known);
is(login($known, $pw)->{code}, 200, '... once waited, the right password works');
is(psql("select count(*) from north.login_throttle where email_hash::text like :'a0'",
        '%' . lc($unknown) . '%'), 0, 'the addresses are kept hashed, never in clear');

# --- refresh -------------------------------------------------------------------

# If-Match has no ETag to hold to here: it is ignored, and the new token arrives
$r = call(POST => '/v1/auth/refresh', json => { refresh_token => $refresh },
          headers => { 'If-Match' => '"x"' });
is($r->{code}, 200, 'refresh: 200 (an If-Match is ignored)');
isnt($r->{json}{refresh_token}, $refresh, 'refresh: a new refresh token');
my ($access3, $refresh3) = @{ $r->{json} }{qw(access_token refresh_token)};
is(call(GET => '/v1/auth/sessions', token => $access3)->{code}, 200,
   'refresh: the new access token works');

problem_ok(call(POST => '/v1/auth/refresh', json => { refresh_token => $refresh }),
           401, 'invalid-grant', 'refresh with the rotated token (theft)');
is(call(GET => '/v1/auth/sessions', token => $access3)->{code}, 401,
   'theft: the whole session is revoked at once');
is(call(POST => '/v1/auth/refresh', json => { refresh_token => $refresh3 })->{code},
   401, 'theft: its newest refresh token is dead too');
is(call(GET => '/v1/auth/sessions', token => $access2)->{code}, 200,
   'theft: other sessions live on');
problem_ok(call(POST => '/v1/auth/refresh', json => { refresh_token => 'A' x 43 }),
           401, 'invalid-grant', 'refresh with an unknown token');
problem_ok(call(POST => '/v1/auth/refresh', json => { refresh_token => 'short' }),
           400, 'validation-failed', 'refresh with a malformed token');
psql("update north.refresh_tokens set expires_at = now() - interval '1 second'
      where session_id = (select id from north.sessions where user_id = :'a0'
                          and revoked_at is null order by created_at desc limit 1)", $uid);

# --- sessions, logout ------------------------------------------------------------

$r = call(POST => '/v1/auth/login', json => { email => $email, password => $pw });
my $other = $r->{json}{access_token};
$r = call(GET => '/v1/auth/sessions', token => $access2);
my ($other_sid) = map { $_->{id} } grep { !$_->{current} } @{ $r->{json}{sessions} };
ok($other_sid, 'sessions: the other one is listed');
is(call(DELETE => "/v1/auth/sessions/$other_sid", token => $access2)->{code}, 204,
   'revoke another session: 204');
is(call(GET => '/v1/auth/sessions', token => $other)->{code}, 401,
   '... its token stops at the edge at once');
problem_ok(call(DELETE => "/v1/auth/sessions/$other_sid", token => $access2),
           404, 'not-found', 'revoke it again');
my $stranger = session_token('stranger@north.ca');
my (undef, $stranger_sid) = new_session('stranger@north.ca');
problem_ok(call(DELETE => "/v1/auth/sessions/$stranger_sid", token => $access2),
           404, 'not-found', "revoke someone else's session");
problem_ok(call(DELETE => '/v1/auth/sessions/not-a-uuid', token => $access2),
           404, 'not-found', 'revoke a malformed id');
problem_ok(call(GET => '/v1/auth/sessions'), 401, 'unauthorized', 'sessions without a token');

$r = call(POST => '/v1/auth/logout', token => $access2);
is($r->{code}, 204, 'logout: 204');
is(call(GET => '/v1/auth/sessions', token => $access2)->{code}, 401,
   'logout: the token stops at once');

# --- password change -------------------------------------------------------------

my $pe = email();
$r = register(email => $pe);
my $mine = $r->{json}{access_token};
my $theirs = call(POST => '/v1/auth/login', json => { email => $pe, password => $pw })->{json}{access_token};
problem_ok(call(POST => '/v1/auth/password', token => $mine,
                json => { current_password => 'not the one', new_password => 'a new long secret' }),
           403, 'invalid-credentials', 'password change with a wrong current password');
$r = call(POST => '/v1/auth/password', token => $mine,
          json => { current_password => $pw, new_password => 'password1' });
is_deeply(fields_of($r), ['new_password'], 'password change to a common one: names new_password');
is(call(POST => '/v1/auth/password', token => $mine,
        json => { current_password => $pw, new_password => 'a new long secret' })->{code},
   204, 'password change: 204');
is(call(GET => '/v1/auth/sessions', token => $theirs)->{code}, 401,
   'password change: the other sessions end');
is(call(GET => '/v1/auth/sessions', token => $mine)->{code}, 200,
   'password change: this session goes on');
is(call(POST => '/v1/auth/login', json => { email => $pe, password => $pw })->{code}, 401,
   'password change: the old password fails');
is(call(POST => '/v1/auth/login', json => { email => $pe, password => 'a new long secret' })->{code},
   200, 'password change: the new one works');

# --- biometric -------------------------------------------------------------------

my $dir = tempdir(CLEANUP => 1);
sub openssl { my $cmd = shift; local $ENV{LD_PRELOAD}; delete $ENV{LD_PRELOAD};
              my $out = `$cmd`; die "openssl: $cmd" if $?; $out }
openssl("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $dir/k.pem 2>/dev/null");
openssl("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $dir/other.pem 2>/dev/null");
my $spki = openssl("openssl pkey -in $dir/k.pem -pubout -outform DER | base64 -w0");
sub sign_with { my ($key, $text) = @_;
    open my $fh, '>', "$dir/msg" or die; print $fh $text; close $fh;
    openssl("openssl dgst -sha256 -sign $dir/$key $dir/msg | base64 -w0") }

my $be = email();
$r = register(email => $be);
my ($btok, $buid) = ($r->{json}{access_token}, $r->{json}{user}{id});
problem_ok(call(POST => '/v1/auth/biometric/enroll', json => { device_id => 'iphone', public_key => $spki }),
           401, 'unauthorized', 'enroll without a token');
$r = call(POST => '/v1/auth/biometric/enroll', token => $btok,
          json => { device_id => 'iphone', public_key => 'bm90IGEga2V5' });
is_deeply(fields_of($r), ['public_key'], 'enroll with a bad key: names public_key');
my $rsa = openssl("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 2>/dev/null | openssl pkey -pubout -outform DER | base64 -w0");
is(call(POST => '/v1/auth/biometric/enroll', token => $btok,
        json => { device_id => 'iphone', public_key => $rsa })->{code}, 400,
   'enroll with an RSA key: 400');
$r = call(POST => '/v1/auth/biometric/enroll', token => $btok,
          json => { device_id => 'iphone', public_key => $spki, name => "Jean's iPhone", platform => 'ios' });
is($r->{code}, 201, 'enroll: 201');

sub challenge { call(POST => '/v1/auth/biometric/challenge',
                     json => { user_id => $_[0] // $buid, device_id => $_[1] // 'iphone' }) }
sub verify { my ($c, %o) = @_;
    call(POST => '/v1/auth/biometric/verify', json => {
        user_id => $buid, device_id => 'iphone', challenge => $c,
        signature => sign_with('k.pem', $c), %o }) }

$r = challenge();
is($r->{code}, 200, 'challenge: 200');
is($r->{json}{expires_in}, 60, 'challenge: valid 60 s');
my $c = $r->{json}{challenge};
my $ok = verify($c);
is($ok->{code}, 200, 'verify: 200 with tokens');
is($ok->{json}{user}{id}, $buid, 'verify: for the user');
is(call(GET => '/v1/auth/sessions', token => $ok->{json}{access_token})->{json}{sessions}[0]{auth_method},
   'biometric', 'verify: a biometric session');
problem_ok(verify($c), 401, 'invalid-challenge', 'verify replayed');

$c = challenge()->{json}{challenge};
problem_ok(verify($c, signature => sign_with('other.pem', $c)), 401, 'invalid-signature',
           'verify signed by another key');
problem_ok(verify($c), 401, 'invalid-challenge', '... and that challenge is spent');
$c = challenge(undef, 'ipad')->{json}{challenge};
problem_ok(verify($c), 401, 'invalid-challenge', 'verify a challenge of another device');
$c = challenge()->{json}{challenge};
my ($rpass) = redis_password();
sub redis { redis_cli($rpass, @_) }
my $ttl = redis('TTL', "north:{$buid}:bio:$c");
ok($ttl > 0 && $ttl <= 60, "challenge: stored single-use for at most 60 s ($ttl)");
redis('DEL', "north:{$buid}:bio:$c");
problem_ok(verify($c), 401, 'invalid-challenge', 'verify an expired challenge');
problem_ok(verify($c, challenge => 'A' x 43), 401, 'invalid-challenge', 'verify an unknown challenge');
is(challenge('00000000-0000-0000-0000-000000000000')->{code}, 200,
   'challenge for an unknown user: same answer');
is(call(DELETE => '/v1/auth/biometric/iphone', token => $btok)->{code}, 204, 'remove: 204');
$c = challenge()->{json}{challenge};
problem_ok(verify($c), 401, 'invalid-signature', 'verify after removal');
problem_ok(call(DELETE => '/v1/auth/biometric/iphone', token => $btok), 404, 'not-found',
           'remove again');

# --- dependencies down -------------------------------------------------------------

# a logout while Redis is out of reach holds once Redis is back, though
# Redis still has the session cached as live from before
{
    my $le = email();
    $r = register(email => $le);
    my ($ltok, $luid) = ($r->{json}{access_token}, $r->{json}{user}{id});
    my $lsid = psql("select id from north.sessions where user_id = :'a0'", $luid);
    is(call(GET => '/v1/me', token => $ltok)->{code}, 200, 'a session in use');
    is(redis_cli($rpass, 'GET', "north:{$luid}:session:$lsid"), '1', '... cached as live in Redis');
    redis_cli($rpass, qw(CONFIG SET requirepass rotated-password));
    redis_cli('rotated-password', qw(CLIENT KILL TYPE normal));
    is(call(POST => '/v1/auth/logout', token => $ltok)->{code}, 204,
       'Redis out of reach: logout 204');
    is(call(GET => '/v1/me', token => $ltok)->{code}, 401, '... the token stops at once (PostgreSQL)');
    is(redis_cli('rotated-password', 'GET', "north:{$luid}:session:$lsid"), '1',
       '... while Redis still holds it as live');
    redis_cli('rotated-password', 'CONFIG', 'SET', 'requirepass', $rpass);
    ok(wait_for(10, sub { call(GET => '/readyz')->{code} == 200 }), 'Redis back');
    ok(wait_for(5, sub { redis_cli($rpass, 'GET', "north:{$luid}:session:$lsid") eq '0' }),
       '... the revocation it missed is written to it');
    my @codes = map { call(GET => '/v1/me', token => $ltok)->{code} } 1 .. 10;
    is_deeply(\@codes, [(401) x 10], '... and the revoked token stays out: 10 of 10 401');
}

north_stack('redis-stop');
$r = call(POST => '/v1/auth/login', json => { email => $pe, password => 'a new long secret' });
is($r->{code}, 200, 'Redis down: login still works');
is(call(GET => '/v1/auth/sessions', token => $r->{json}{access_token})->{code}, 200,
   'Redis down: the edge checks sessions in PostgreSQL');
is(challenge()->{code}, 503, 'Redis down: a biometric challenge is 503');
north_stack('redis-start');

north_stack('pg-stop');
my $down = email();
problem_ok(register(email => $down), 503, 'database-unavailable', 'PostgreSQL down: register');
problem_ok(verify_code(email => $down, code => '123456'), 503, 'database-unavailable', 'PostgreSQL down: its code');
problem_ok(call(POST => '/v1/auth/login', json => { email => $pe, password => $pw }), 503,
           'database-unavailable', 'PostgreSQL down: login');
north_stack('pg-start');
is(psql("select count(*) from north.users where lower(email) = lower(:'a0')", $down), 0,
   'PostgreSQL down: nothing half-written');
is(register(email => $down)->{code}, 201, 'PostgreSQL back: register works');

done_testing();
