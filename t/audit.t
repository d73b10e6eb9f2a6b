# The PIPEDA audit log: a record per personal-information request with the
# right fields and no secrets; append-only; hash chains that expose an
# edited or removed row; spool and exact replay while PostgreSQL is down.
# Plain Test::More: records are checked across requests, with PostgreSQL
# stopped and a worker killed under one nginx.
use strict;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;
use Time::HiRes qw(sleep);
use Digest::SHA qw(sha256_hex hmac_sha256_hex);
use MIME::Base64 qw(decode_base64);
use IO::Socket::INET;
use POSIX ();

# this file kills the worker to show that no answered request loses its record
my ($port, $prefix) = north_nginx(name => 'audit', http => 'north_audit_flush 50ms;
    north_data_region ca-central-1;', expect_alerts => [qr/exited on signal 9\b/]);
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
is($r->{code}, 202, 'register');
my $code = wait_for(10, sub { mail_code((mailed($email))[-1]) });
$r = north_http($port, POST => "/v1/auth/register/verify?code=$code",
    json => { email => $email, code => $code }, headers => { 'X-Request-Id' => "$tag-code" });
is($r->{code}, 201, '... and its code');
my $uid = $r->{json}{user}{id};
my $token = $r->{json}{access_token};
north_http($port, GET => '/v1/auth/sessions', token => $token,
           headers => { 'X-Request-Id' => "$tag-list" });
north_http($port, POST => '/v1/auth/login',
           json => { email => $email, password => 'wrong password here' },
           headers => { 'X-Request-Id' => "$tag-fail" });
north_http($port, GET => '/healthz', headers => { 'X-Request-Id' => "$tag-probe" });

is(wait_rows("$tag-", 4), 4, 'four personal-information requests, four records (not the probe)');

my %row = map { my @f = split /\|/; ($f[0] => \@f) }
    psql("select request_id, actor, coalesce(subject::text, ''), method, route, category,
                 purpose, status, host(client), region, node
          from north.audit_log where request_id like :'a0'", "$tag-%");
is_deeply([ @{ $row{"$tag-reg"} }[1 .. 9] ],
          ['anonymous', '', 'POST', '/v1/auth/register', 'identity', 'account_creation',
           202, '127.0.0.1', 'ca-central-1'],
          'register: anonymous actor, no subject yet, the route without its query');
is_deeply([ @{ $row{"$tag-code"} }[1 .. 9] ],
          ['anonymous', $uid, 'POST', '/v1/auth/register/verify', 'identity', 'account_creation',
           201, '127.0.0.1', 'ca-central-1'],
          '... its code: the new user as subject');
is_deeply([ @{ $row{"$tag-list"} }[1 .. 7] ],
          ["user:$uid", $uid, 'GET', '/v1/auth/sessions', 'device', 'account_access', 200],
          'sessions: the user on her own data');
is_deeply([ @{ $row{"$tag-fail"} }[1, 2, 7] ], ['anonymous', $uid, 401],
          'a failed login is recorded against the account it tried');
ok($row{"$tag-reg"}[10], 'the node is recorded');
is(psql("select count(*) from north.audit_log where request_id like :'a0'
         and (route like '%hunter2%' or route like '%token%' or route like '%code%')", "$tag-%"), 0,
   'no query string, so no secret, is recorded');

# --- append-only, chained --------------------------------------------------------------

is(scalar(psql("select count(*) from north.audit_verify()")), 0, 'every chain verifies');
is(scalar(psql("select count(*) from north.audit_log a join north.audit_log b
                on b.chain = a.chain and b.seq = a.seq + 1
                where a.request_id like :'a0' and b.prev_hash is distinct from
                north.hmac(convert_to(a.record, 'UTF8'), " . audit_key_sql() . ", 'sha256')",
               "$tag-%")), 0, 'each record links to the one before, by the chain key');
my $id = psql("select id from north.audit_log where request_id = :'a0'", "$tag-reg");
for my $sql ("update north.audit_log set status = 200 where id = $id",
             "delete from north.audit_log where id = $id",
             "truncate north.audit_log",
             "insert into north.audit_log (record_id, chain, seq, at, request_id, actor,
              method, route, category, purpose, status, node, region, hash, record)
              values ('x', 'x', 1, now(), 'x', 'x', 'GET', '/', 'x', 'x', 200, 'x', 'x',
              '\\x00', '{}')",
             "alter table north.audit_log disable trigger audit_log_append_only",
             "drop table north.audit_log") {
    my $ok = eval { psql($sql); 1 };
    ok(!$ok, "the application cannot: " . ($sql =~ s/\s+/ /gr));
}
# a grant without the right to give it is only a warning: the right stays away
eval { psql("set client_min_messages = error; grant update, delete on north.audit_log to north_app") };
is(psql("select has_table_privilege('north.audit_log', 'update')
             or has_table_privilege('north.audit_log', 'delete')
             or has_table_privilege('north.audit_log', 'insert')"), 'f',
   '... nor grant itself a change of the audit log');

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

# build.sh audit-verify with its arguments: (exit code, output).
sub audit_verify_cmd {
    local $ENV{LD_PRELOAD};
    delete $ENV{LD_PRELOAD};
    my $out = `${\ north_root()}/build.sh audit-verify @_ 2>&1`;
    return ($? >> 8, $out);
}

sub tamper {
    my ($sql) = @_;
    north_stack('psql-admin', '-q', '-c', "set session_replication_role = replica; $sql");
    return scalar psql("select seq || ' ' || problem from north.audit_verify()
                        where chain = :'a0'", $chain);
}
is(tamper("update north.audit_log set status = 500 where chain = '$chain' and seq = 2"),
   '2 its columns differ from its record (edited?)', 'an edited column is found');
{
    my ($rc, $out) = audit_verify_cmd();
    isnt($rc, 0, 'build.sh audit-verify fails on it');
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

# a keyed chain, as a writer with north_audit_chain_key makes it: a row
# forged and its successors re-hashed by someone without the key
my $key = audit_key_sql();
my $raw_key = decode_base64(($key =~ /'([^']+)'/)[0]);
$chain = "keyed-$$";
($prev, @texts) = ('');
for my $i (1 .. 4) {
    my $t = qq({"record_id":"$chain:$i","chain":"$chain","seq":$i,"prev":"$prev",)
        . qq("at_ms":1800000000000,"request_id":"$chain-$i","actor":"system:test",)
        . qq("subject":null,"method":"GET","route":"/x","category":"identity",)
        . qq("purpose":"support","status":200,"client":"127.0.0.1","node":"test",)
        . qq("region":"ca-central-1","mac":"hmac-sha256"});
    push @texts, $t;
    $prev = hmac_sha256_hex($t, $raw_key);
}
is(psql("select north.audit_append(:'a0')", join "\n", @texts), 4, 'a keyed chain of four appended');
sub keyed { scalar psql("select seq || ' ' || problem from north.audit_verify($key)
                         where chain = :'a0'", $chain) }
is(keyed(), undef, '... verifies with the key');
{
    # row 2 forged, rows 2 to 4 re-linked by SHA-256 as the database could
    my @forged = @texts;
    $forged[1] =~ s/"status":200/"status":404/;
    my $p = sha256_hex($forged[1]);
    for my $i (2, 3) {
        $forged[$i] =~ s/"prev":"[0-9a-f]*"/"prev":"$p"/;
        $p = sha256_hex($forged[$i]);
    }
    my $sql = "set session_replication_role = replica; set search_path = north, public;";
    for my $i (1 .. 3) {
        my $prevhex = ($forged[$i] =~ /"prev":"([0-9a-f]*)"/)[0];
        (my $t = $forged[$i]) =~ s/'/''/g;
        $sql .= " update north.audit_log set record = '$t', hash = digest('$t', 'sha256'),"
              . " prev_hash = decode('$prevhex', 'hex'), status = "
              . ($i == 1 ? 404 : 200) . " where chain = '$chain' and seq = " . ($i + 1) . ";";
    }
    north_stack('psql-admin', '-q', '-c', $sql);
    is(scalar(psql("select count(*) from north.audit_verify() where chain = :'a0'", $chain)), 0,
       'a forged row with its successors re-hashed: the unkeyed walk sees nothing');
    is(keyed(), '3 does not follow the row before it (forged?)', '... the key finds it');
    north_stack('psql-admin', '-q', '-c', "set session_replication_role = replica;
                delete from north.audit_log where chain = '$chain'");
}

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
is(scalar(psql("select count(*) from north.audit_verify($key)")), 0, 'every chain still verifies');

# --- errors nginx answers itself are audited too -----------------------------------------

north_http($port, POST => '/v1/auth/sessions', token => $token, body => 'x' x 20000,
           headers => { 'X-Request-Id' => "$tag-413", 'Content-Type' => 'application/json' });
north_http($port, PUT => '/v1/me', token => $token,
           headers => { 'X-Request-Id' => "$tag-405" });
{
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port) or die $!;
    # no Host: refused once the headers are read, before any location
    print $s "GET /v1/me HTTP/1.1\r\nX-Request-Id: $tag-400\r\n\r\n";
    local $/;
    my $resp = <$s>;
}
is(wait_rows("$tag-4", 3), 3, 'a 413, a 405 and a request without Host: each recorded');
%row = map { my @f = split /\|/; ($f[0] => \@f) }
    psql("select request_id, route, category, status from north.audit_log
          where request_id like :'a0'", "$tag-4%");
is_deeply($row{"$tag-405"}, ["$tag-405", '/v1/me', 'identity', 405],
          "... the 405 under its location's category, though an error page answered it");
# nginx refuses a body too large as it picks the location, before any module
# sees the request there: the record has the route, not the category
is_deeply($row{"$tag-413"}, ["$tag-413", '/v1/auth/sessions', 'unattributed', 413],
          '... the 413 with its route');
is_deeply([ @{ $row{"$tag-400"} }[2, 3] ], ['unattributed', 400],
          '... the request nginx refused before any location as unattributed');

# --- a worker killed under load: every answered request has its record ---------------------

{
    my $answered = "$prefix/answered";
    unlink $answered;
    my @clients;
    for my $c (1 .. 4) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            open my $out, '>>', $answered or die $!;
            my $end = time + 4;
            for (my $i = 0; time < $end; $i++) {
                my $id = "$tag-kill-$c-$i";
                my $r = eval { north_http($port, GET => '/v1/auth/sessions', token => $token,
                                          headers => { 'X-Request-Id' => $id }) };
                syswrite $out, "$id\n" if $r && $r->{code} == 200;
            }
            POSIX::_exit(0);
        }
        push @clients, $pid;
    }
    my @killed;
    for (1 .. 3) {
        sleep 1;
        my ($worker) = nginx_workers($prefix);
        push @killed, $worker if $worker && kill 'KILL', $worker;
    }
    waitpid $_, 0 for @clients;
    is(scalar @killed, 3, "the worker is killed three times under load (@killed)");
    my @ids = do { open my $in, '<', $answered or die $!; map { chomp; $_ } <$in> };
    cmp_ok(scalar @ids, '>', 50, scalar(@ids) . ' requests answered meanwhile');
    my $missing;
    for (1 .. 100) {
        $missing = psql("select count(*) from unnest(string_to_array(:'a0', ',')) as a(id)
                         where not exists (select 1 from north.audit_log l
                                           where l.request_id = a.id)", join ',', @ids);
        last if $missing == 0;
        sleep 0.2;
    }
    is($missing, 0, '... and every one of them has its record')
        or diag(join ' ', psql("select a.id from unnest(string_to_array(:'a0', ',')) as a(id)
                                where not exists (select 1 from north.audit_log l
                                                  where l.request_id = a.id) limit 5",
                               join ',', @ids));
    is(scalar(psql("select count(*) from north.audit_verify($key)")), 0,
       '... in chains that verify, the killed workers\' included');
}

# --- checkpoints: rows removed from a chain's end ------------------------------------------

my $cpfile = "t/servroot-audit/logs/audit-spool/checkpoints.log";
north_http($port, GET => '/v1/auth/sessions', token => $token,
           headers => { 'X-Request-Id' => "$tag-cp" }) for 1 .. 3;
wait_rows("$tag-cp", 3);
sleep 0.5;
my $cps = do { local (@ARGV, $/) = $cpfile; <> } // '';
my ($cchain, $cseq) = $cps =~ /(\S+) (\d+) [0-9a-f]{64}\n\z/;
ok($cchain, "stored batches are checkpointed outside the database ($cchain $cseq)");
is(scalar(psql("select count(*) from north.audit_verify($key, :'a0')", $cps)), 0,
   '... and every chain holds its checkpoints');
my ($rc, $out) = audit_verify_cmd($cpfile);
is($rc, 0, 'build.sh audit-verify with the checkpoints: holds') or diag($out);
north_stack('psql-admin', '-q', '-c', "create table north.audit_cut as
    select * from north.audit_log where chain = '$cchain' and seq >= $cseq;
    set session_replication_role = replica;
    delete from north.audit_log where chain = '$cchain' and seq >= $cseq");
is(scalar(psql("select problem from north.audit_verify($key, :'a0') where chain = :'a1'",
               $cps, $cchain)),
   "stored up to row $cseq (checkpoint), which is missing (truncated?)",
   "the chain's last rows removed: found by the checkpoint");
($rc, $out) = audit_verify_cmd($cpfile);
isnt($rc, 0, '... build.sh audit-verify fails');
like($out, qr/\Q$cchain\E $cseq stored up to row/, '... naming the chain and row');
north_stack('psql-admin', '-q', '-c', "set session_replication_role = replica;
    insert into north.audit_log overriding system value select * from north.audit_cut;
    drop table north.audit_cut");
($rc, $out) = audit_verify_cmd($cpfile);
is($rc, 0, '... and holds again once they are back') or diag($out);

done_testing();
