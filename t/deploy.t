# What a deployment's configuration checks, by `nginx -t` as an operator
# runs it: the environment file (north_env_file) and the warning when the
# nodes' workers would open more PostgreSQL connections than the server's
# budget. Plain Test::More: each case is its own nginx.conf and `nginx -t`.
use strict;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;
use File::Path qw(make_path remove_tree);

my $prefix = north_root() . '/t/servroot-deploy';
remove_tree($prefix);
make_path("$prefix/conf", "$prefix/logs");

sub file {
    my ($name, $mode, $text) = @_;
    open my $fh, '>', "$prefix/conf/$name" or die $!;
    print $fh $text;
    close $fh;
    chmod $mode, "$prefix/conf/$name";
}

# `nginx -t` on main-level lines and http-level lines; (exit code, output)
sub nginx_t {
    my ($http, $main) = @_;
    my $modules = join '', map { "load_module $_;\n" } split ' ', $ENV{TEST_NGINX_LOAD_MODULES};
    file('nginx.conf', 0644, <<"CONF");
$modules
@{[ $main // '' ]}
error_log $prefix/logs/error.log;
pid $prefix/logs/nginx.pid;
events { worker_connections 64; }
http {
    access_log off;
$http
    server { listen 127.0.0.1:1; location = /healthz { north_api health.live; } }
}
CONF
    my $out = `$ENV{TEST_NGINX_BINARY} -t -p $prefix/ -c $prefix/conf/nginx.conf 2>&1`;
    return ($? >> 8, $out);
}

my $stores = "north_database env=DATABASE_URL;\nnorth_redis env=REDIS_URL;\n";

# --- north_env_file -------------------------------------------------------------

{
    # the process has its own value; the file's replaces it
    local $ENV{NORTH_TEST_DSN} = 'host=127.0.0.1 port';
    file('north.env', 0600, "# the service's environment\n\n"
        . "NORTH_TEST_DSN=postgresql://north\@127.0.0.1:1/from-the-file\r\n"
        . "  NORTH_TEST_REGION=ca-west-1 # not a comment: the value runs to the line's end\n");
    my ($rc, $out) = nginx_t("north_env_file north.env;\nnorth_database env=NORTH_TEST_DSN;\n"
                             . "north_redis env=REDIS_URL;\n");
    is($rc, 0, 'a variable from the environment file, in place of the process\'s own') or diag($out);

    file('north.env', 0600, "NORTH_TEST_DSN=host=127.0.0.1 port=1 bogus=1\n");
    ($rc, $out) = nginx_t("north_env_file north.env;\nnorth_database env=NORTH_TEST_DSN;\n"
                          . "north_redis env=REDIS_URL;\n");
    isnt($rc, 0, 'a bad value in the file fails as a bad value');
    like($out, qr/invalid DSN "env=NORTH_TEST_DSN" in "north_database": invalid connection option "bogus"/,
         '... named by its variable');
}

{
    delete local $ENV{NORTH_TEST_SECRET};
    file('north.env', 0600, "NORTH_TEST_SECRET=0123456789abcdef0123456789abcdef\n");
    my ($rc, $out) = nginx_t("north_env_file $prefix/conf/north.env;\n$stores"
        . "north_jwt_key kid=f1 alg=HS256 env=NORTH_TEST_SECRET;\n");
    is($rc, 0, 'a secret only the file has, by an absolute path') or diag($out);

    ($rc, $out) = nginx_t("$stores north_jwt_key kid=f1 alg=HS256 env=NORTH_TEST_SECRET;\n");
    isnt($rc, 0, 'without the file, the same secret is missing');
    like($out, qr/environment variable "NORTH_TEST_SECRET" is not set/, '... and named');
}

file('open.env', 0644, "A=1\n");
my ($rc, $out) = nginx_t("north_env_file open.env;\n$stores");
isnt($rc, 0, 'a file others may read is refused');
like($out, qr/open\.env" holds secrets: others may not read it \(chmod 600\)/, '... saying why');

file('bad.env', 0600, "A=1\nexport B=2\n");
($rc, $out) = nginx_t("north_env_file bad.env;\n$stores");
isnt($rc, 0, 'a line that is not NAME=VALUE is refused');
like($out, qr/bad\.env", line 2: not NAME=VALUE/, '... naming the line');

file('digit.env', 0600, "1A=1\n");
($rc, $out) = nginx_t("north_env_file digit.env;\n$stores");
like($out, qr/line 1: not NAME=VALUE/, 'a name that starts with a digit is refused');

($rc, $out) = nginx_t("north_env_file none.env;\n$stores");
isnt($rc, 0, 'a missing file is refused');
like($out, qr/none\.env" failed/, '... naming it');

file('north.env', 0600, "A=1\n");
($rc, $out) = nginx_t("$stores north_env_file north.env;\n");
isnt($rc, 0, 'the file after a directive that read the environment is refused');
like($out, qr/"north_env_file" directive must come before every directive that reads env=NAME/,
     '... saying where it belongs');

($rc, $out) = nginx_t("north_env_file north.env;\nnorth_env_file north.env;\n$stores");
like($out, qr/"north_env_file" directive is duplicate/, 'a second file is refused');

# --- the PostgreSQL connection budget ----------------------------------------------

($rc, $out) = nginx_t("$stores north_database_pool_size 8;\n"
                      . "north_database_max_connections 60 nodes=2;\n", 'worker_processes 4;');
is($rc, 0, 'a budget the nodes overrun does not fail nginx -t') or diag($out);
like($out, qr/\[warn\].*2 nodes x 4 workers x \(pool 8 \+ 1 listener\) = 72 PostgreSQL connections, over the 60 of "north_database_max_connections": lower north_database_pool_size or worker_processes/,
     '... but warns, with the sum');

($rc, $out) = nginx_t("$stores north_database_pool_size 8;\n"
                      . "north_database_max_connections 72 nodes=2;\n", 'worker_processes 4;');
unlike($out, qr/\[warn\]/, 'a budget that holds them says nothing');

($rc, $out) = nginx_t("$stores north_database_pool_size 8;\n"
                      . "north_database_max_connections 8;\n");
like($out, qr/1 nodes x 1 workers x \(pool 8 \+ 1 listener\) = 9 PostgreSQL/,
     'one node and nginx\'s one worker by default');

($rc, $out) = nginx_t("$stores north_database_max_connections 8 nodes=0;\n");
like($out, qr/needs nodes=NUMBER above 0/, 'nodes=0 is refused');
($rc, $out) = nginx_t("$stores north_database_max_connections 8 hosts=2;\n");
like($out, qr/takes nodes=NUMBER as its second parameter/, 'another parameter is refused');

# --- the runtime role --------------------------------------------------------------

# nginx connects as north_app (DATABASE_URL), migrations run as the owner
# (DATABASE_OWNER_URL): the runtime role owns nothing and may make nothing
is(psql("select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = 'north' and pg_get_userbyid(c.relowner) = current_user"), 0,
   'the runtime role owns no table of the schema');
is(psql("select has_schema_privilege('north', 'create') or has_schema_privilege('public', 'create')
             or has_database_privilege(current_database(), 'create')
             or rolsuper or rolcreaterole or rolcreatedb or rolbypassrls or rolreplication
         from pg_roles where rolname = current_user"), 'f',
   '... may create nothing, and holds no role attribute beyond login');
for my $sql ('alter table north.sessions disable trigger all',
             'alter table north.users add column x int',
             'create table north.x (i int)',
             'grant north to north_app') {
    ok(!eval { psql("set client_min_messages = error; $sql"); 1 }, "... cannot: $sql");
}
is(psql("select pg_has_role('north', 'usage')"), 'f', '... and is no member of the owner');

remove_tree($prefix);
done_testing();
