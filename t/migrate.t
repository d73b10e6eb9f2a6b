# Migrations: applied once each, in order; a failing one leaves the schema as
# it was and says which file and line. Function files: applied when they
# change, once; a failing one leaves its function as it was. Plain Test::More: it drives
# `build.sh migrate` on scratch databases; there is no request.
use strict;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;
use File::Temp qw(tempdir);
use File::Copy qw(copy);
use File::Path qw(make_path);

my $dir = tempdir(CLEANUP => 1);
copy($_, $dir) or die $! for glob(north_root() . '/sql/*.sql');
make_path("$dir/functions");
copy($_, "$dir/functions") or die $! for glob(north_root() . '/sql/functions/*.sql');

sub migrate {
    local $ENV{NORTH_SQL} = $dir;
    local $ENV{LD_PRELOAD};
    delete $ENV{LD_PRELOAD};
    my $out = `${\ north_root()}/build.sh migrate 2>&1`;
    return ($? >> 8, $out);
}

my ($rc, $out) = migrate();
is($rc, 0, 'migrate with nothing new: success');
unlike($out, qr/applied/, '... and applies nothing twice');

my $t = "mig_$$";
open my $fh, '>', "$dir/9999_broken_$$.sql" or die $!;
print $fh "create table north.$t (id int);\n\nselect no_such_function();\n";
close $fh;

($rc, $out) = migrate();
isnt($rc, 0, 'a failing migration fails the command');
like($out, qr/9999_broken_$$\.sql:3: ERROR/, '... naming its file and line');
like($out, qr/migration 9999_broken_$$\.sql failed .* the schema is unchanged/,
     '... and saying the schema is unchanged');
is(psql("select count(*) from pg_tables where schemaname = 'north' and tablename = :'a0'", $t),
   0, 'nothing of it remains');
is(psql("select count(*) from north.schema_migrations where version like '9999_%'"), 0,
   'and it is not recorded');

open $fh, '>', "$dir/9999_broken_$$.sql" or die $!;
print $fh "create table north.$t (id int);\n";
close $fh;
($rc, $out) = migrate();
is($rc, 0, 'once fixed it applies');
like($out, qr/applied 9999_broken_$$\.sql/, '... and says so');
is(psql("select count(*) from north.schema_migrations where version = :'a0'", "9999_broken_$$.sql"),
   1, '... recorded once');
psql_owner("drop table north.$t; delete from north.schema_migrations where version = :'a0'",
     "9999_broken_$$.sql");
unlink "$dir/9999_broken_$$.sql";

# --- function files ---------------------------------------------------------------

my $fn = "mig_probe_$$";
sub function_file {
    open my $f, '>', "$dir/functions/$fn.sql" or die $!;
    print $f @_;
    close $f;
}
function_file("create or replace function north.$fn() returns int\n"
              . "language sql as \$\$ select 1 \$\$;\n");
($rc, $out) = migrate();
is($rc, 0, 'a new function file: success');
like($out, qr{applied functions/$fn\.sql}, '... applied');
is(psql("select north.$fn()"), 1, '... and its function is there');
($rc, $out) = migrate();
unlike($out, qr/applied/, 'unchanged: not applied again');

function_file("create or replace function north.$fn() returns int\n"
              . "language sql as \$\$ select 2 \$\$;\n");
($rc, $out) = migrate();
like($out, qr{applied functions/$fn\.sql}, 'changed: applied again');
is(psql("select north.$fn()"), 2, '... with the new body');

function_file("create or replace function north.$fn() returns int\n"
              . "language sql as \$\$ select 3 \$\$;\nselect no_such_function();\n");
($rc, $out) = migrate();
isnt($rc, 0, 'a failing function file fails the command');
like($out, qr{$fn\.sql:3: ERROR}, '... naming its file and line');
is(psql("select north.$fn()"), 2, '... and the function is as it was');
unlink "$dir/functions/$fn.sql";
psql_owner("drop function north.$fn(); delete from north.schema_functions where file = :'a0'",
           "$fn.sql");

done_testing();
