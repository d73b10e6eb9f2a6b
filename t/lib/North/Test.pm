# The suites' shared setup: the built module, the test stack (PostgreSQL and
# Redis under t/var, started once by build.sh) and the environment nginx
# needs. Load it before Test::Nginx::Socket:
#
#     use lib 't/lib';
#     use North::Test;
#     use Test::Nginx::Socket 'no_plan';
package North::Test;

use strict;
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use Exporter 'import';

our @EXPORT = qw(north_root north_stack north_http_config);

my $Root = abs_path(dirname(__FILE__) . '/../../..');

sub north_root { $Root }

# The test stack apart from the one `build.sh up` runs.
$ENV{NORTH_VAR} ||= "$Root/t/var";
$ENV{NORTH_PG_PORT} ||= 55433;
$ENV{NORTH_REDIS_PORT} ||= 56380;

# Runs build.sh SUBCOMMAND for the test stack: stack-up, pg-stop, pg-start,
# redis-stop, redis-start.
sub north_stack {
    my ($cmd) = @_;
    # the URLs nginx is given are derived by build.sh, not inputs to it
    local %ENV = %ENV;
    delete @ENV{qw(LD_PRELOAD DATABASE_URL REDIS_URL NORTH_ENV_LOADED)};
    system("$Root/build.sh", $cmd) == 0
        or die "build.sh $cmd failed\n";
}

north_stack('stack-up') unless $ENV{NORTH_STACK_UP_DONE}++;

for (do { local $ENV{LD_PRELOAD}; `$Root/build.sh env` }) {
    chomp;
    $ENV{$1} = $2 if /^(\w+)=(.*)$/;
}

$ENV{TEST_NGINX_LOAD_MODULES} ||= $ENV{NORTH_MODULE}
    || "$Root/build/ngx_http_north_module.so";
$ENV{TEST_NGINX_BINARY} ||= '/usr/sbin/nginx';
$ENV{LD_PRELOAD} = $ENV{NORTH_LD_PRELOAD} if $ENV{NORTH_LD_PRELOAD};

# What every block gets unless it configures the data stores itself.
sub north_http_config {
    my ($http) = @_;
    my $add = '';
    $add .= "north_database env=DATABASE_URL;\n"
        unless $http =~ /\bnorth_database\s/;
    $add .= "north_redis env=REDIS_URL;\n" unless $http =~ /\bnorth_redis\s/;
    return $add . $http;
}

require Test::Nginx::Socket;

Test::Nginx::Socket::env_to_nginx('DATABASE_URL', 'REDIS_URL');

Test::Nginx::Socket::add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config',
                      north_http_config($block->http_config // ''));
});

1;
