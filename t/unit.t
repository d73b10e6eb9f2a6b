# Runs the cmocka unit tests of the pure files (built by build.sh unit) and
# reports each of their cases as a test of this file.
use strict;
use warnings;
use Test::More;
use Cwd qw(abs_path);
use File::Basename qw(dirname);

my $root = abs_path(dirname(__FILE__) . '/..');
my @bins = grep { -x } glob("$root/build/unit/test_*");
plan skip_all => 'run ./build.sh unit first' unless @bins;

for my $bin (@bins) {
    local $ENV{CMOCKA_MESSAGE_OUTPUT} = 'TAP';
    my @out = `$bin 2>&1`;
    my $rc = $? >> 8;
    my $cases = 0;
    for (@out) {
        if (/^(not )?ok \d+ - (.*)$/) {
            $cases++;
            ok(!$1, "$bin: $2");
        } elsif (/^#/) {
            diag($_);
        }
    }
    ok($cases > 0, "$bin ran its cases");
    is($rc, 0, "$bin exits 0") or diag(@out);
}

done_testing();
