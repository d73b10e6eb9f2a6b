# The privacy API through the shipped routes: consents and their history,
# the export (every table's rows of that user and nothing of another's,
# streamed page by page), the access log, privacy requests and their
# deadlines, the public policy and contact, and PostgreSQL down. Bad input
# to each endpoint is a block each, in privacy-input.t.
use strict;
use utf8;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;
use JSON::PP ();
use Time::HiRes qw(sleep);

my $port = north_nginx(name => 'privacy', http => <<'HTTP');
    north_privacy_policy_version 2026-11-01;
    north_privacy_policy_url https://north.example/privacy;
    north_privacy_officer "Chief Privacy Officer";
    north_privacy_email privacy@north.example;
    north_privacy_phone "+1 416 555 0100";
HTTP
my $n = 0;
my $pw = 'maple syrup & snow 42';

sub call { north_http($port, @_) }
sub email { sprintf 'privacy%d.%d@north.example.ca', $$, ++$n }

sub register {
    my $e = email();
    my $r = north_register($port, {
        email => $e, password => $pw, consents => ['terms', 'privacy_policy'],
        device => { id => "phone-$n", name => 'Pixel', platform => 'android' } });
    die "register: $r->{code} $r->{body}" unless $r->{code} == 201;
    return ($r->{json}{access_token}, $r->{json}{user}{id}, $e);
}


sub consent { my ($t, $p, $g) = @_;
    call(PUT => "/v1/privacy/consents/$p", token => $t,
         json => { granted => $g ? JSON::PP::true : JSON::PP::false }) }
sub purpose_of { my ($r, $p) = @_; (grep { $_->{purpose} eq $p } @{ $r->{json}{consents} })[0] }

my ($tok, $uid, $mail) = register();
my ($btok, $buid, $bmail) = register();

# --- consents ---------------------------------------------------------------------

my $r = call(GET => '/v1/privacy/consents', token => $tok);
is($r->{code}, 200, 'consents: 200');
is($r->{json}{policy_version}, '2026-11-01', '... the policy in force');
is_deeply([ map { $_->{purpose} } @{ $r->{json}{consents} } ],
          [qw(terms privacy_policy bank_data analytics notifications_marketing ai_assistant
             notifications)],
          '... every purpose, in order');
my $terms = purpose_of($r, 'terms');
ok($terms->{granted} && $terms->{required} && $terms->{current_policy},
   '... terms: granted at registration, required, to the current policy');
is(scalar @{ $terms->{history} }, 1, '... with its history');
is($terms->{history}[0]{ip}, '127.0.0.1', '... from which address');
my $bank = purpose_of($r, 'bank_data');
ok(!$bank->{granted} && !@{ $bank->{history} }, '... bank_data: never asked, not granted');
like($bank->{withdrawal_stops}, qr/unlinked/, '... says what withdrawing it stops');

$r = consent($tok, 'bank_data', 1);
is($r->{code}, 200, 'grant bank_data: 200');
ok(purpose_of($r, 'bank_data')->{granted}, '... granted');
consent($tok, 'bank_data', 1);
is(psql("select count(*) from north.consents where user_id = :'a0' and purpose = 'bank_data'", $uid),
   1, 'granting it again adds no row');
$r = consent($tok, 'bank_data', 0);
ok(!purpose_of($r, 'bank_data')->{granted}, 'withdraw bank_data: withdrawn');
consent($tok, 'bank_data', 1);
$r = call(GET => '/v1/privacy/consents', token => $tok);
is_deeply([ map { $_->{granted} ? 'grant' : 'withdraw' } @{ purpose_of($r, 'bank_data')->{history} } ],
          [qw(grant withdraw grant)], 'the history, newest first: every change kept');
is(psql("select north.consent_granted(:'a0', 'bank_data')::text", $uid), 'true',
   'services ask north.consent_granted(): granted');
consent($tok, 'ai_assistant', 1);
consent($tok, 'ai_assistant', 0);
is(psql("select north.consent_granted(:'a0', 'ai_assistant')::text", $uid), 'false',
   '... and a withdrawal holds at once');
is(psql("select north.consent_granted(:'a0', 'analytics')::text", $uid), 'false',
   '... a purpose never granted is not granted');

problem_ok(consent($tok, 'terms', 0), 409, 'consent-required', 'withdraw terms');
problem_ok(consent($tok, 'privacy_policy', 0), 409, 'consent-required', 'withdraw privacy_policy');
like(call(PUT => '/v1/privacy/consents/terms', token => $tok, json => { granted => JSON::PP::false },
          headers => { 'Accept-Language' => 'fr-CA' })->{json}{detail},
     qr/^ce consentement est une condition du compte/, '... said in French for fr-CA');
ok(purpose_of(call(GET => '/v1/privacy/consents', token => $tok), 'terms')->{granted},
   '... terms still granted');
# (bad input to each privacy endpoint: blocks in privacy-input.t)
is(purpose_of(call(GET => '/v1/privacy/consents', token => $btok), 'bank_data')->{granted},
   JSON::PP::false, "one user's consents are not another's");

# a new policy version: consents given to the old one are flagged
psql("update north.consents set policy_version = '2025-01-01' where user_id = :'a0'
      and purpose = 'privacy_policy'", $buid);
ok(!purpose_of(call(GET => '/v1/privacy/consents', token => $btok), 'privacy_policy')->{current_policy},
   'a consent to an older policy is not current');
consent($btok, 'privacy_policy', 1);
ok(purpose_of(call(GET => '/v1/privacy/consents', token => $btok), 'privacy_policy')->{current_policy},
   '... until it is given again, recorded as a new row');

# --- privacy requests --------------------------------------------------------------

$r = call(POST => '/v1/privacy/requests', token => $tok,
          json => { kind => 'access', details => 'Everything, please.' });
is($r->{code}, 201, 'request: 201');
my $req = $r->{json};
is($req->{status}, 'received', '... received');
is(psql("select (extract(epoch from (:'a0'::timestamptz - :'a1'::timestamptz)) / 86400)::int",
        $req->{due_at}, $req->{received_at}), 30, '... due in 30 days');
ok(!$req->{overdue}, '... not overdue');
call(POST => '/v1/privacy/requests', token => $tok, json => { kind => 'correction' });
call(POST => '/v1/privacy/requests', token => $tok, json => { kind => 'deletion' });
call(POST => '/v1/privacy/requests', token => $btok, json => { kind => 'access' });
$r = call(GET => '/v1/privacy/requests?limit=2', token => $tok);
is($r->{code}, 200, 'list: 200');
is_deeply([ map { $_->{kind} } @{ $r->{json}{requests} } ], [qw(deletion correction)],
          '... newest first, two');
ok($r->{json}{next_cursor}, '... and a cursor');
$r = call(GET => "/v1/privacy/requests?limit=2&cursor=$r->{json}{next_cursor}", token => $tok);
is_deeply([ map { $_->{kind} } @{ $r->{json}{requests} } ], ['access'], '... then the last');
ok(!defined $r->{json}{next_cursor}, '... and no cursor after it');
my ($bid) = map { $_->{id} } @{ call(GET => '/v1/privacy/requests', token => $btok)->{json}{requests} };
is(scalar @{ call(GET => "/v1/privacy/requests?cursor=$bid", token => $tok)->{json}{requests} }, 0,
   "another user's request as a cursor: nothing of theirs");
is(scalar @{ call(GET => '/v1/privacy/requests', token => $btok)->{json}{requests} }, 1,
   '... who sees only their own');

# an extension: once, justified, within the first 30 days, at most 30 more
# refusals are errors of psql's: kept off the test's output
sub quietly { my ($code) = @_;
    open my $saved, '>&', \*STDERR or die; open STDERR, '>', '/dev/null' or die;
    my $v = eval { $code->() };
    open STDERR, '>&', $saved or die;
    return $v }
my $ext = sub { my ($until, $why) = @_;
    quietly(sub { psql("select status from north.privacy_request_extend(:'a0', $until, :'a1')",
                       $req->{id}, $why) }) };
ok(!defined $ext->("now() + interval '40 days'", 'too short'), 'an extension needs a reason');
ok(!defined $ext->("now() + interval '70 days'", 'consultation with the bank is needed'),
   'an extension of over 30 days is refused');
is($ext->("now() + interval '45 days'", 'consultation with the bank is needed'), 'extended',
   'a justified extension of 15 days');
ok(!defined $ext->("now() + interval '50 days'", 'consultation with the bank is needed'),
   '... given only once');
($r) = grep { $_->{id} eq $req->{id} } @{ call(GET => '/v1/privacy/requests', token => $tok)->{json}{requests} };
is($r->{status}, 'extended', 'the list shows it extended');
like($r->{extension_reason}, qr/consultation/, '... with its reason');
my ($late) = map { $_->{id} } grep { $_->{kind} eq 'correction' }
    @{ call(GET => '/v1/privacy/requests', token => $tok)->{json}{requests} };
psql("update north.privacy_requests set received_at = now() - interval '31 days',
      due_at = now() - interval '1 day' where id = :'a0'", $late);
ok(!defined quietly(sub { psql("select north.privacy_request_extend(:'a0', now() + interval '20 days',
                    'consultation with the bank is needed')", $late) }),
   'no extension once the 30 days are past');
($r) = grep { $_->{id} eq $late } @{ call(GET => '/v1/privacy/requests', token => $tok)->{json}{requests} };
ok($r->{overdue}, 'past due and unanswered: overdue (a deemed refusal)');

# --- access log ------------------------------------------------------------------

call(POST => '/v1/auth/login', json => { email => $mail, password => 'not the password' });
sleep 1;    # the audit writer flushes every 200 ms
my $before = psql("select count(*) from north.audit_log where subject = :'a0'", $uid);
$r = call(GET => '/v1/privacy/access-log?limit=3', token => $tok);
is($r->{code}, 200, 'access log: 200');
is(scalar @{ $r->{json}{entries} }, 3, '... a page of 3');
my $e0 = $r->{json}{entries}[0];
is($e0->{accessed_by}, 'anonymous', '... newest first: the failed login by someone');
ok(!defined $e0->{client}, "... whose address is not shown");
is($e0->{purpose}, 'authentication', '... for what purpose');
is($r->{json}{entries}[1]{accessed_by}, 'you', '... then my own requests');
is($r->{json}{entries}[1]{client}, '127.0.0.1', '... with my address');
my @walk;
my $cursor = '';
for (1 .. 100) {
    my $p = call(GET => "/v1/privacy/access-log?limit=7$cursor", token => $tok)->{json};
    push @walk, @{ $p->{entries} };
    last unless $p->{next_cursor};
    $cursor = "&cursor=$p->{next_cursor}";
}
cmp_ok(scalar @walk, '>=', $before, 'paging walks every entry about me');
is(scalar(grep { $walk[$_]{at} lt $walk[$_ + 1]{at} } 0 .. $#walk - 1), 0, '... newest first');
is($walk[-1]{request}, 'POST /v1/auth/register/verify', '... back to the registration (its code)');
my $b_log = call(GET => '/v1/privacy/access-log?limit=100', token => $btok)->{json}{entries};
ok(!grep({ $_->{request} =~ /privacy\/requests\?limit=2/ } @$b_log),
   "another user's log holds none of my entries");

# --- export ------------------------------------------------------------------------

# data in every table, for both users; enough profile changes for pages
call(PATCH => '/v1/me', token => $tok, json => { display_name => 'Jeanne' });
call(PATCH => '/v1/me', token => $btok, json => { display_name => 'Bob' });
call(POST => '/v1/privacy/requests', token => $tok, json => { kind => 'access' },
     headers => { 'Idempotency-Key' => 'export-test' });
call(POST => '/v1/privacy/requests', token => $btok, json => { kind => 'access' },
     headers => { 'Idempotency-Key' => 'export-test' });
psql("insert into north.devices (user_id, device_id, public_key) values
      (:'a0', 'ipad', '\\x3059'), (:'a1', 'ipad', '\\x3059')", $uid, $buid);
psql("insert into north.jobs (kind, user_id, done_at) values
      ('test.done', :'a0', now()), ('test.done', :'a1', now())", $uid, $buid);
psql("insert into north.profile_changes (user_id, field, new_value)
      select :'a0', 'display_name', to_jsonb('name ' || g)
      from generate_series(1, 1234) g", $uid);
sleep 0.5;

$r = call(POST => '/v1/privacy/export', token => $tok);
is($r->{code}, 200, 'export: 200');
is($r->{headers}{'transfer-encoding'}, 'chunked', '... streamed');
ok($r->{headers}{'x-chunked-complete'}, '... to its end');
like($r->{headers}{'content-disposition'}, qr/attachment/, '... as a download');
my $doc = eval { JSON::PP->new->utf8->decode($r->{body}) };
ok($doc, '... one JSON document') or diag(substr($r->{body}, 0, 500));
is($doc->{user_id}, $uid, '... of the caller');
is($doc->{format}, 'north.export/1', '... in a versioned format');

my %count_sql = (
    'north.users' => "select count(*) from north.users where id = :'a0'",
    'north.refresh_tokens' => "select count(*) from north.refresh_tokens t
        join north.sessions s on s.id = t.session_id where s.user_id = :'a0'",
    'north.audit_log' => "select count(*) from north.audit_log where subject = :'a0'",
);
my %tables;
for my $m (@{ $doc->{manifest} }) {
    $tables{ $m->{table} } = 1;
    my $sql = $count_sql{ $m->{table} }
        // "select count(*) from $m->{table} where user_id = :'a0'";
    my $want = psql($sql, $uid);
    # the audit log grows with this very request
    if ($m->{table} eq 'north.audit_log') {
        cmp_ok($m->{rows}, '>=', $want - 1, "export: $m->{section}: the audit rows about me");
    } else {
        is($m->{rows}, $want, "export: $m->{section}: every row of $m->{table}");
    }
    is(scalar @{ $doc->{sections}{ $m->{section} } }, $m->{rows}, "... all $m->{rows} in the document");
}
cmp_ok($tables{'north.profile_changes'} && scalar @{ $doc->{sections}{profile_changes} },
       '>', 1234, 'a section of over a thousand rows comes whole (pages of 500)');
my %ids;
$ids{ $_->{id} }++ for @{ $doc->{sections}{profile_changes} };
is(scalar(grep { $_ > 1 } values %ids), 0, '... no row twice');
my @pc = map { $_->{id} } @{ $doc->{sections}{profile_changes} };
is(scalar(grep { $pc[$_] >= $pc[$_ + 1] } 0 .. $#pc - 1), 0,
   '... in the order of their ids, as numbers');

# every table that names a user is in the registry, so nothing is forgotten
my @user_tables = psql("select distinct table_schema || '.' || table_name
                        from information_schema.columns
                        where table_schema = 'north' and column_name in ('user_id', 'subject')
                        order by 1");
is_deeply([ grep { !$tables{$_} } @user_tables ], [],
          'every table with a user_id or subject column is exported');

unlike($r->{body}, qr/\Q$buid\E|\Q$bmail\E/i, "nothing of another user's");
unlike($r->{body}, qr/argon2id|password_hash|token_hash/, 'no password or token hash');
like($r->{body}, qr/\Q$mail\E/, 'the e-mail is in it');


# a client that reads slowly: the export waits for it, and still ends whole
{
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port) or die;
    print $s "POST /v1/privacy/export HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer $tok\r\n"
           . "Content-Length: 0\r\nConnection: close\r\n\r\n";
    setsockopt($s, Socket::SOL_SOCKET(), Socket::SO_RCVBUF(), 4096);
    sleep 1;
    local $/;
    my $raw = <$s>;
    like($raw, qr/0\r\n\r\n\z/, 'a slow reader gets the whole export');
}

# --- policy and contact: public ------------------------------------------------------

$r = call(GET => '/v1/privacy/policy');
is_deeply($r->{json}, { version => '2026-11-01', url => 'https://north.example/privacy' },
          'policy: version and address, no token needed');
$r = call(GET => '/v1/privacy/contact');
is($r->{json}{privacy_officer}, 'Chief Privacy Officer', 'contact: the officer');
is($r->{json}{email}, 'privacy@north.example', '... an e-mail');
is($r->{json}{phone}, '+1 416 555 0100', '... a phone');
ok(!exists $r->{json}{address}, '... no address when none is configured');
like($r->{json}{regulator}{url}, qr/priv\.gc\.ca/, '... and where to complain');

# --- PostgreSQL down ----------------------------------------------------------------

north_stack('pg-stop');
problem_ok(call(GET => '/v1/privacy/consents', token => $tok), 503, 'database-unavailable',
           'PostgreSQL down: consents');
problem_ok(consent($tok, 'analytics', 1), 503, 'database-unavailable',
           'PostgreSQL down: a consent change');
problem_ok(call(POST => '/v1/privacy/export', token => $tok), 503, 'database-unavailable',
           'PostgreSQL down: export');
problem_ok(call(GET => '/v1/privacy/access-log', token => $tok), 503, 'database-unavailable',
           'PostgreSQL down: access log');
problem_ok(call(POST => '/v1/privacy/requests', token => $tok, json => { kind => 'access' }),
           503, 'database-unavailable', 'PostgreSQL down: a request');
is(call(GET => '/v1/privacy/policy')->{code}, 200, 'PostgreSQL down: the policy still answers');
north_stack('pg-start');
is(psql("select north.consent_granted(:'a0', 'analytics')::text", $uid), 'false',
   'PostgreSQL back: the refused change left nothing');

done_testing();
