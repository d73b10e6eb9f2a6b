# Every bench under bench/ writes an nginx configuration that `nginx -t`
# accepts with the shipped routes and zones, so a bench cannot rot unseen
# (BENCH_CONFIG_TEST stops each one after its check, before any load).
use strict;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;

my $root = north_root();
my @benches = grep { -f && -x && !/\.(sh|lua)$/ } glob "$root/bench/*";
ok(@benches >= 3, 'the benches are found: ' . join ' ', map { s{.*/}{}r } @benches);

local $ENV{BENCH_CONFIG_TEST} = 1;
local $ENV{BENCH_VAR} = "$ENV{NORTH_VAR}/bench";
local $ENV{NORTH_MODULE} = $ENV{TEST_NGINX_LOAD_MODULES};
for my $bench (@benches) {
    my $out = `$bench 2>&1`;
    is($?, 0, "nginx -t accepts the configuration of bench/" . ($bench =~ s{.*/}{}r))
        or diag($out);
}

done_testing();
