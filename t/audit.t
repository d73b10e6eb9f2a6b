# The PIPEDA audit log: a record per personal-information request with the
# right fields and no secrets; append-only; hash chains that expose an
# edited or removed row; spool and exact replay while PostgreSQL is down.
use strict;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;
use Time::HiRes qw(sleep);
use Digest::SHA qw(sha256_hex);

my $port = north_nginx(name => 'audit', http => 'north_audit_flush 50ms;
    north_data_region ca-central-1;');
my $tag = "audit$$";

sub rows_for {
    my ($like) = @_;
    return psql("select count(*) from north.audit_log where request_id like :'a0'",
                "$like%");
}

sub wait_rows {
    my ($like, $want, $secs) = @_;
    for (1 .. ($secs // 10) * 10) {
        return $want if rows_for($like) == $want;
        sleep 0.1;
    }
    return rows_for($like);
}

# --- a record per request, the right fields --------------------------------------

my $email = "$tag\@north.ca";
my $r = north_http($port, POST => "/v1/auth/register?password=hunter2&token=abc",
    json => { email => $email, password => 'a long enough secret',
              consents => ['terms', 'privacy_policy'] },
    headers => { 'X-Request-Id' => "$tag-reg" });
is($r->{code}, 201, 'register');
my $uid = $r->{json}{user}{id};
my $token = $r->{json}{access_token};
north_http($port, GET => '/v1/auth/sessions', token => $token,
           headers => { 'X-Request-Id' => "$tag-list" });
north_http($port, POST => '/v1/auth/login',
           json => { email => $email, password => 'wrong password here' },
           headers => { 'X-Request-Id' => "$tag-fail" });
north_http($port, GET => '/healthz', headers => { 'X-Request-Id' => "$tag-probe" });

is(wait_rows("$tag-", 3), 3, 'three personal-information requests, three records (not the probe)');

my %row = map { my @f = split /\|/; ($f[0] => \@f) }
    psql("select request_id, actor, coalesce(subject::text, ''), method, route, category,
                 purpose, status, host(client), region, node
          from north.audit_log where request_id like :'a0'", "$tag-%");
is_deeply([ @{ $row{"$tag-reg"} }[1 .. 9] ],
          ['anonymous', $uid, 'POST', '/v1/auth/register', 'identity', 'account_creation',
           201, '127.0.0.1', 'ca-central-1'],
          'register: anonymous actor, the new user as subject, the route without its query');
is_deeply([ @{ $row{"$tag-list"} }[1 .. 7] ],
          ["user:$uid", $uid, 'GET', '/v1/auth/sessions', 'device', 'account_access', 200],
          'sessions: the user on her own data');
is_deeply([ @{ $row{"$tag-fail"} }[1, 2, 7] ], ['anonymous', $uid, 401],
          'a failed login is recorded against the account it tried');
ok($row{"$tag-reg"}[10], 'the node is recorded');
is(psql("select count(*) from north.audit_log where request_id like :'a0'
         and (route like '%hunter2%' or route like '%token%')", "$tag-%"), 0,
   'no query string, so no secret, is recorded');

# --- append-only, chained --------------------------------------------------------------

is(scalar(psql("select count(*) from north.audit_verify()")), 0, 'every chain verifies');
is(scalar(psql("select count(*) from north.audit_log a join north.audit_log b
                on b.chain = a.chain and b.seq = a.seq + 1
                where a.request_id like :'a0' and b.prev_hash is distinct from a.hash",
               "$tag-%")), 0, 'each record links to the one before');
my $id = psql("select id from north.audit_log where request_id = :'a0'", "$tag-reg");
for my $sql ("update north.audit_log set status = 200 where id = $id",
             "delete from north.audit_log where id = $id",
             "truncate north.audit_log") {
    my $ok = eval { psql($sql); 1 };
    ok(!$ok, "the application cannot: $sql");
}

# a chain of its own, as a writer makes it, then tampered with by a
# superuser behind the trigger's back
my $chain = "tamper-$$";
my ($prev, @texts) = ('');
for my $i (1 .. 4) {
    my $t = qq({"record_id":"$chain:$i","chain":"$chain","seq":$i,"prev":"$prev",)
        . qq("at_ms":1800000000000,"request_id":"$chain-$i","actor":"system:test",)
        . qq("subject":null,"method":"GET","route":"/x","category":"identity",)
        . qq("purpose":"support","status":200,"client":"127.0.0.1","node":"test",)
        . qq("region":"ca-central-1"});
    push @texts, $t;
    $prev = sha256_hex($t);
}
my $batch = join "\n", @texts;
is(psql("select north.audit_append(:'a0')", $batch), 4, 'a batch of four appended');
is(psql("select north.audit_append(:'a0')", $batch), 0, 'the same batch again adds nothing');
is(scalar(psql("select count(*) from north.audit_verify() where chain = :'a0'", $chain)), 0,
   'the chain verifies');

sub tamper {
    my ($sql) = @_;
    north_stack('psql-admin', '-q', '-c', "set session_replication_role = replica; $sql");
    return scalar psql("select seq || ' ' || problem from north.audit_verify()
                        where chain = :'a0'", $chain);
}
is(tamper("update north.audit_log set status = 500 where chain = '$chain' and seq = 2"),
   '2 its columns differ from its record (edited?)', 'an edited column is found');
{
    local $ENV{LD_PRELOAD};
    delete $ENV{LD_PRELOAD};
    my $out = `${\ north_root()}/build.sh audit-verify 2>&1`;
    isnt($?, 0, 'build.sh audit-verify fails on it');
    like($out, qr/audit chain broken: \Q$chain\E 2 its columns differ/, '... naming the row');
}
is(tamper("update north.audit_log set status = 200,
           record = replace(record, '\"status\":200', '\"status\":500')
           where chain = '$chain' and seq = 2"),
   '2 its record does not match its hash (edited?)', 'an edited record is found');
is(tamper("update north.audit_log set record = replace(record, '\"status\":500', '\"status\":200')
           where chain = '$chain' and seq = 2;
           delete from north.audit_log where chain = '$chain' and seq = 3"),
   '4 rows 3 to 3 are missing (removed?)', 'a removed row is found');
tamper("delete from north.audit_log where chain = '$chain'");

# --- PostgreSQL down: spooled, then replayed, exactly -------------------------------------

north_stack('pg-stop');
for my $i (1 .. 7) {
    north_http($port, POST => '/v1/auth/login', json => { email => $email, password => 'x' x 10 },
               headers => { 'X-Request-Id' => "$tag-down-$i" });
}
sleep 0.5;
my $spool = join '', map { -s $_ ? 'x' : '' } glob("t/servroot-audit/logs/audit-spool/*");
ok(length $spool, 'PostgreSQL down: the records wait in the spool');
north_stack('pg-start');
is(wait_rows("$tag-down-", 7, 15), 7, 'PostgreSQL back: all seven replayed');
sleep 1.5;
is(rows_for("$tag-down-"), 7, '... exactly once');
is(scalar(psql("select string_agg(status::text, ',' order by id) from north.audit_log
                where request_id like :'a0'", "$tag-down-%")), join(',', (503) x 7),
   '... in order, with their outcome');
is(scalar(psql("select count(*) from north.audit_verify()")), 0, 'every chain still verifies');

done_testing();
