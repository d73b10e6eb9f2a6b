# north_audit_retention: the job runner's sweep removes the audit records
# past it, oldest first in each chain, and the chains still verify (with
# their checkpoints); a row removed after the cut is still found; the
# application still cannot remove a row itself. Runs at a 3 s retention and
# a 1 s sweep, so the sweep runs many times here.
use strict;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;
use Time::HiRes qw(sleep);

my ($port, $prefix) = north_nginx(name => 'audit-retention', http => '
    north_audit_flush 50ms;
    north_audit_retention 3s;
    north_jobs_interval 200ms;
    north_jobs_sweep 1s;');
my $tag = "retention$$";
my $key = audit_key_sql();
my $token = north_register($port, { email => "$tag\@north.ca", password => "a long enough secret",
    consents => ["terms", "privacy_policy"] })->{json}{access_token};

sub row_of {
    my ($id) = @_;
    return scalar psql("select chain || ' ' || seq from north.audit_log
                        where request_id = :'a0'", $id);
}

sub list {
    my ($id) = @_;
    north_http($port, GET => '/v1/auth/sessions', token => $token,
               headers => { 'X-Request-Id' => $id });
    return wait_for(10, sub { row_of($id) });
}

my $old = list("$tag-old");
ok($old, "a record stored ($old)");
my ($chain, $seq) = split ' ', $old // '';

# past the retention, and a newer record behind it
sleep 4;
my $new = list("$tag-new");
ok($new, "a newer one stored ($new)");
ok(wait_for(10, sub { !row_of("$tag-old") }), 'the record past the retention is removed');
is(row_of("$tag-new"), $new, '... the newer one is kept');
cmp_ok(scalar(psql("select count(*) from north.audit_log where at < now() - interval '5 s'")),
       '==', 0, '... and so is no record anywhere older than it, in any chain');
cmp_ok(scalar(psql("select seq from north.audit_retired where chain = :'a0'", $chain)),
       '>=', $seq, 'the chain notes where it now starts');

is(scalar(psql("select count(*) from north.audit_verify($key)")), 0,
   'every chain verifies after the cut') or diag(join "\n",
   psql("select chain || ' ' || seq || ' ' || problem from north.audit_verify($key)"));
my $cpfile = "$prefix/logs/audit-spool/checkpoints.log";
my $cps = wait_for(5, sub { -s $cpfile && do { local (@ARGV, $/) = $cpfile; <> } }) // '';
ok($cps, 'checkpoints were written');
is(scalar(psql("select count(*) from north.audit_verify($key, :'a0')", $cps)), 0,
   '... and a checkpoint of a retired row is not taken for a truncation');

# a row removed after the cut, behind the trigger: still found
my ($nchain, $nseq) = split ' ', $new;
north_stack('psql-admin', '-q', '-c', "create table north.audit_cut as
    select * from north.audit_log where chain = '$nchain' and seq = $nseq;
    set session_replication_role = replica;
    delete from north.audit_log where chain = '$nchain' and seq = $nseq");
my $cut = psql("select seq from north.audit_retired where chain = :'a0'", $nchain);
my $problem = psql("select problem from north.audit_verify($key, :'a0') where chain = :'a1'",
                   $cps, $nchain);
ok(defined $problem && $problem =~ /missing|truncated/,
   "a row removed behind the trigger after a cut at $cut is still found ("
   . ($problem // 'nothing') . ')');
north_stack('psql-admin', '-q', '-c', "set session_replication_role = replica;
    insert into north.audit_log overriding system value select * from north.audit_cut;
    drop table north.audit_cut");

# the runtime role: no delete, with or without the retention's setting
my $id = psql("select id from north.audit_log where request_id = :'a0'", "$tag-new");
ok(!eval { psql("set north.audit_retiring = 'on'; delete from north.audit_log where id = $id"); 1 },
   'the application cannot remove a record, even with the retention\'s setting');
ok(!eval { psql("delete from north.audit_retired"); 1 },
   '... nor rewrite where a chain starts');
is(scalar(psql("select north.audit_retire(interval '0')")), 0,
   'a retention of 0 removes nothing');

done_testing();
