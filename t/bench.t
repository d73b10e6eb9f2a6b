# Every bench under bench/ writes an nginx configuration that `nginx -t`
# accepts with the shipped routes and zones, so a bench cannot rot unseen
# (BENCH_CONFIG_TEST stops each one after its check, before any load).
use strict;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;

my $root = north_root();
my @benches = grep { -f && -x && !/\.(sh|lua|py)$/ } glob "$root/bench/*";
ok(@benches >= 3, 'the benches are found: ' . join ' ', map { s{.*/}{}r } @benches);

local $ENV{BENCH_CONFIG_TEST} = 1;
local $ENV{BENCH_VAR} = "$ENV{NORTH_VAR}/bench";
local $ENV{NORTH_MODULE} = $ENV{TEST_NGINX_LOAD_MODULES};
for my $bench (@benches) {
    my $out = `$bench 2>&1`;
    is($?, 0, "nginx -t accepts the configuration of bench/" . ($bench =~ s{.*/}{}r))
        or diag($out);
}

# bench/run's pgbench column runs the SQL bench/stmt.py reads from the C
# source: whole, with $n as pgbench's :pn
is(`python3 $root/bench/stmt.py north_health_ping`, "select 1;\n",
   'bench/stmt.py prints a statement as its handler prepares it');
like(`python3 $root/bench/stmt.py north_users_get`,
     qr/^select north\.profile_json\(u\)::text, .* where u\.id = :p1 and .*;\n\z/,
     '... concatenated, with its parameters named for pgbench');
isnt(system("python3 $root/bench/stmt.py north_no_such 2>/dev/null"), 0,
     '... and fails on a name no handler prepares');

done_testing();
