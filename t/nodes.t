# Two nodes: two nginx, two workers each, sharing one PostgreSQL and one
# Redis, as two tasks behind a load balancer. A session ended on one is
# refused on the other at the next request, a global limit is exact across
# both, each job runs once, and both nodes' audit chains verify. Plain
# Test::More: two nginx at once.
use strict;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;

my $z = "nodes$$";    # zone names of this run: Redis keeps buckets between runs
my $http = "north_limit_zone name=$z size=1m rate=1r/m burst=10 key=\$remote_addr;
    north_jobs_interval 50ms;
    north_audit_flush 50ms;";
my $server = "location = /global { north_limit zone=$z scope=global; north_api health.live; }";
my ($pa, $prefa) = north_nginx(name => 'node-a', workers => 2, http => $http, server => $server);
my ($pb, $prefb) = north_nginx(name => 'node-b', workers => 2, http => $http, server => $server);
my $tag = "nodes$$";

# --- a session ended on A is refused on B ----------------------------------------------

my $reg = north_register($pa, { email => "$tag\@north.example.ca",
                                password => 'a long enough secret',
                                consents => ['terms', 'privacy_policy'] });
my $token = $reg->{json}{access_token};
ok($token, 'a user registered through node A');
is(north_http($pb, GET => '/v1/me', token => $token)->{code}, 200,
   'node B takes her token (and has her profile cached)');
is(north_http($pb, GET => '/v1/auth/sessions', token => $token)->{code}, 200,
   '... and lists her sessions');
is(north_http($pa, POST => '/v1/auth/logout', token => $token, json => {})->{code}, 204,
   'she signs out on node A');
is(north_http($pb, GET => '/v1/me', token => $token)->{code}, 401,
   'node B refuses the token at its next request');
is(north_http($pa, GET => '/v1/me', token => $token)->{code}, 401, '... as node A does');

# --- a global limit across both ---------------------------------------------------------

my @codes = map { north_http($_ % 2 ? $pa : $pb, GET => '/global')->{code} } 1 .. 30;
is(scalar(grep { $_ == 200 } @codes), 10,
   '30 requests split across the nodes: the burst of 10 passes, not twice it');
is_deeply([ @codes[10 .. 29] ], [ (429) x 20 ], '... and every one after is refused')
    or diag "@codes";

# --- each job once --------------------------------------------------------------------------

# mail.send with nothing to send: each claim is logged ("job N (mail.send),
# attempt 1") and ends at once
my %ours = map { $_ => 1 } psql_owner(
    "insert into north.jobs (kind, ref)
     select 'mail.send', :'a0' || '-' || g from generate_series(1, 200) g returning id", $tag);
ok(wait_for(20, sub { psql("select count(*) from north.jobs where ref like :'a0' and done_at is null",
                           "$tag-%") == 0 }),
   '200 jobs, claimed by four workers on two nodes, are all done');
is(psql("select count(*) from north.jobs where ref like :'a0' and attempts <> 1", "$tag-%"), 0,
   '... each on its first attempt');

my (%runs, %all);
for my $prefix ($prefa, $prefb) {
    open my $fh, '<', "$prefix/logs/error.log" or die $!;
    while (<$fh>) {
        next unless /north jobs: job (\d+) \(mail\.send\), attempt/ && $ours{$1};
        $runs{$prefix}++;
        $all{$1}++;
    }
}
is(scalar(keys %all), 200, 'the two nodes\' logs name every job');
is(scalar(grep { $all{$_} != 1 } keys %all), 0, '... each once, across both');
ok($runs{$prefa} && $runs{$prefb}, '... and both nodes ran some')
    or diag(($runs{$prefa} // 0) . ' / ' . ($runs{$prefb} // 0));

# --- both nodes' audit chains -------------------------------------------------------------

sub chains_of {
    my ($prefix) = @_;
    my @pids = nginx_workers($prefix);
    return psql("select count(distinct chain) from north.audit_log
                 where split_part(chain, ':', 2) = any(string_to_array(:'a0', ','))",
                join ',', @pids);
}
for my $i (1 .. 4) {
    north_http($i % 2 ? $pa : $pb, GET => '/v1/auth/sessions', token => $token,
               headers => { 'X-Request-Id' => "$tag-audit-$i" });
}
ok(wait_for(10, sub { psql("select count(*) from north.audit_log where request_id like :'a0'",
                           "$tag-audit-%") == 4 }), 'requests on both nodes are recorded');
cmp_ok(chains_of($prefa), '>=', 1, '... in chains of node A\'s workers');
cmp_ok(chains_of($prefb), '>=', 1, '... and of node B\'s');
is(psql('select count(*) from north.audit_verify(' . audit_key_sql() . ')'), 0,
   'every chain of both nodes verifies');

done_testing();
