# The profile's flows through the shipped routes: GET and PATCH /v1/me
# across requests, every field, the ETag precondition, the e-mail change
# with its password, the correction log, and PostgreSQL down. A request and
# its checks alone (bad input, missing tokens) is a block in me.t.
use strict;
use utf8;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;

my $port = north_nginx(name => 'users');
my $n = 0;
my $pw = 'maple syrup & snow 42';

sub call { north_http($port, @_) }
sub email { sprintf 'profile%d.%d@north.example.ca', $$, ++$n }

sub register {
    my (%o) = @_;
    my $r = north_register($port, {
        email => $o{email} // email(), password => $pw,
        consents => ['terms', 'privacy_policy'], %{ $o{extra} // {} } });
    die "register: $r->{code} $r->{body}" unless $r->{code} == 201;
    return ($r->{json}{access_token}, $r->{json}{user}{id}, $r->{json}{user}{email});
}


sub patch { my ($t, $body, %h) = @_; call(PATCH => '/v1/me', token => $t, json => $body, headers => {%h}) }

# --- GET ----------------------------------------------------------------------

my ($tok, $uid, $mail) = register(extra => { province => 'NL', locale => 'fr-CA' });
my $r = call(GET => '/v1/me', token => $tok);
is($r->{code}, 200, 'GET /v1/me: 200');
is($r->{json}{id}, $uid, '... the caller');
is($r->{json}{email}, $mail, '... the e-mail');
is($r->{json}{locale}, 'fr-CA', '... the locale given at registration');
is($r->{json}{time_zone}, 'America/St_Johns', "... NL's zone by default");
is($r->{json}{time_zone_source}, 'province', '... and says so');
like($r->{headers}{etag}, qr/^"[0-9a-f]{32}"$/, '... a strong ETag');
is($r->{headers}{'cache-control'}, 'no-store', '... not cached');
ok(!exists $r->{json}{password_hash}, '... never the password hash');
my $etag = $r->{headers}{etag};

is(call(GET => '/v1/me', token => $tok, headers => { 'If-None-Match' => $etag })->{code},
   304, 'GET with the current ETag in If-None-Match: 304');

my ($other_tok, $other_uid) = register();
is(call(GET => '/v1/me', token => $other_tok)->{json}{id}, $other_uid,
   "another user's token sees only that user");

# each province's default zone, Saskatchewan's without DST
for my $case (['SK', 'America/Regina'], ['BC', 'America/Vancouver'],
              ['QC', 'America/Toronto'], ['YT', 'America/Whitehorse'],
              ['NB', 'America/Moncton']) {
    $r = patch($tok, { province => $case->[0] });
    is($r->{json}{time_zone}, $case->[1], "province $case->[0]: $case->[1] by default");
}

# --- PATCH ----------------------------------------------------------------------

$etag = call(GET => '/v1/me', token => $tok)->{headers}{etag};
$r = patch($tok, { display_name => 'Jeanne Tremblay', time_zone => 'America/Halifax',
                   birth_year => 1991, annual_income_cents => 8_550_000,
                   employment_status => 'employed', locale => 'en-CA',
                   province => 'NS' }, 'If-Match' => $etag);
is($r->{code}, 200, 'PATCH every field, with the current ETag: 200');
is_deeply([ @{ $r->{json} }{qw(display_name time_zone time_zone_source birth_year
                               annual_income_cents employment_status locale province)} ],
          ['Jeanne Tremblay', 'America/Halifax', 'user', 1991, 8550000, 'employed',
           'en-CA', 'NS'], '... every field changed');
isnt($r->{headers}{etag}, $etag, '... a new ETag');
my $etag2 = $r->{headers}{etag};
is(call(GET => '/v1/me', token => $tok)->{headers}{etag}, $etag2, '... which GET shows');

$r = patch($tok, { display_name => 'Someone Else' }, 'If-Match' => $etag);
problem_ok($r, 412, 'precondition-failed', 'PATCH with a stale ETag');
is($r->{headers}{etag}, $etag2, '... the current ETag comes back');
is(call(GET => '/v1/me', token => $tok)->{json}{display_name}, 'Jeanne Tremblay',
   '... and nothing changed');
$r = patch($tok, { display_name => 'Someone Else' }, 'If-Match' => $etag,
           'Accept-Language' => 'fr-CA');
is($r->{json}{title}, 'Condition préalable non remplie', '... in French for fr-CA');
is(patch($tok, { display_name => 'Jeanne T.' }, 'If-Match' => qq{"x", $etag2})->{code},
   200, 'If-Match with a list holding the current ETag: 200');
is(patch($tok, { display_name => 'Jeanne T.' }, 'If-Match' => '*')->{code}, 200,
   'If-Match: * : 200');
$r = patch($tok, { display_name => 'Not Written' }, 'If-Match' => "\xff\"x\"");
problem_ok($r, 412, 'precondition-failed', 'If-Match with a byte that is not ASCII');
is(call(GET => '/v1/me', token => $tok)->{json}{display_name}, 'Jeanne T.', '... nothing written');

$r = patch($tok, { time_zone => undef, birth_year => undef, display_name => undef });
is($r->{code}, 200, 'PATCH with nulls: 200');
is($r->{json}{time_zone}, 'America/Halifax', "... the zone follows the province again (NS)");
is($r->{json}{time_zone_source}, 'province', '... and says so');
ok(!defined $r->{json}{birth_year} && !defined $r->{json}{display_name}, '... the others cleared');

# the correction log (PIPEDA 4.9.5)
my @log = psql("select field || ':' || coalesce(old_value::text, 'null') || '>'
                       || coalesce(new_value::text, 'null')
                from north.profile_changes where user_id = :'a0'
                  and field = 'display_name' order by id", $uid);
is_deeply(\@log, ['display_name:null>"Jeanne Tremblay"',
                  'display_name:"Jeanne Tremblay">"Jeanne T."',
                  'display_name:"Jeanne T.">null'],
          'the correction log holds each change, old and new');
is(psql("select count(*) from north.profile_changes where user_id = :'a0'
         and ip = '127.0.0.1' and field = 'time_zone'", $uid), 6,
   '... with where it came from, once per change');

# --- bad input ------------------------------------------------------------------

is_deeply(fields_of(patch($tok, { birth_year => (1900 + (gmtime)[5]) + 1 })), ['birth_year'],
          'PATCH with a birth year in the future');
$r = patch($tok, { time_zone => 'America/Argentina/Salta' });
is($r->{json}{time_zone}, 'America/Argentina/Salta', 'a zone of three parts is taken');
problem_ok(call(PATCH => '/v1/me', token => $tok,
                body => '{"display_name":"' . ('x' x 20000) . '"}',
                headers => { 'Content-Type' => 'application/json' }),
           413, 'payload-too-large', 'PATCH with an oversize body');


# --- the e-mail -------------------------------------------------------------------

my $new = email();
$r = patch($tok, { email => $new });
is_deeply(fields_of($r), ['password'], 'a new e-mail without the password: names password');
is_deeply(fields_of(patch($tok, { password => $pw })), ['password'],
          'a password without a new e-mail: refused');
problem_ok(patch($tok, { email => $new, password => 'not the password' }), 403,
           'invalid-credentials', 'a new e-mail with a wrong password');
is(call(GET => '/v1/me', token => $tok)->{json}{email}, $mail, '... the e-mail is unchanged');
my (undef, undef, $taken) = register();
problem_ok(patch($tok, { email => uc $taken, password => $pw }), 409, 'email-taken',
           "another account's e-mail, in another case");
$r = patch($tok, { email => "  $new ", password => $pw });
is($r->{code}, 200, 'a new e-mail with the password: 200');
is($r->{json}{email}, $new, '... trimmed and stored');
is(psql("select old_value #>> '{}' from north.profile_changes where user_id = :'a0'
         and field = 'email'", $uid), $mail, '... the change is recorded with the old address');
is(call(POST => '/v1/auth/login', json => { email => $new, password => $pw })->{code}, 200,
   '... and it logs in');

# --- PostgreSQL down -----------------------------------------------------------------

north_stack('pg-stop');
problem_ok(call(GET => '/v1/me', token => $tok), 503, 'database-unavailable', 'PostgreSQL down: GET');
problem_ok(patch($tok, { display_name => 'Down' }), 503, 'database-unavailable',
           'PostgreSQL down: PATCH');
north_stack('pg-start');
isnt(call(GET => '/v1/me', token => $tok)->{json}{display_name}, 'Down',
     'PostgreSQL back: nothing was half-written');

done_testing();
