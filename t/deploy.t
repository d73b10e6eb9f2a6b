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
use IO::Socket::INET;
use JSON::PP;

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

# a command's output (stdout and stderr), run with no shell between
sub run {
    my @cmd = @_;
    my $pid = open(my $fh, '-|') // die "fork: $!";
    if (!$pid) { open STDERR, '>&', \*STDOUT; exec @cmd or exit 127; }
    my $out = do { local $/; <$fh> } // '';
    close $fh;
    return $out;
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

# --- the data key ring -------------------------------------------------------------------

{
    my $k1 = 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=';
    my $k2 = 'cm90YXRlZC1kYXRhLWtleS0wMTIzNDU2Nzg5YWJjZGU=';
    delete local $ENV{NORTH_TEST_PREVIOUS};
    ($rc, $out) = nginx_t("$stores north_data_key $k1;\nnorth_data_key env=NORTH_TEST_PREVIOUS optional;\n");
    is($rc, 0, 'an optional key whose variable is not set names no key') or diag($out);
    local $ENV{NORTH_TEST_PREVIOUS} = $k2;
    ($rc, $out) = nginx_t("$stores north_data_key $k1;\nnorth_data_key env=NORTH_TEST_PREVIOUS optional;\n");
    is($rc, 0, '... and a set one joins the ring') or diag($out);
    ($rc, $out) = nginx_t("$stores north_data_key $k1;\nnorth_data_key $k1;\n");
    like($out, qr/"north_data_key" directive names a key given already/, 'the same key twice is refused');
    ($rc, $out) = nginx_t("$stores north_data_key $k1 optional;\n");
    like($out, qr/is optional only with env=NAME/, 'optional with a literal key is refused');
    ($rc, $out) = nginx_t("$stores north_data_key env=NORTH_TEST_PREVIOUS maybe;\n");
    like($out, qr/takes "optional" as its second parameter/, 'another second parameter is refused');
}

# --- JWT keys named by a digest, and optional ones -------------------------------------

{
    delete local $ENV{NORTH_TEST_JWT_OLD};
    my $jwt = "north_jwt_key kid=auto alg=HS256 secret=0123456789abcdef0123456789abcdef;\n";
    ($rc, $out) = nginx_t("$stores $jwt north_jwt_key kid=auto alg=HS256 env=NORTH_TEST_JWT_OLD optional;\n");
    is($rc, 0, 'kid=auto, and an optional JWT key whose variable is not set') or diag($out);
    ($rc, $out) = nginx_t("$stores $jwt $jwt");
    like($out, qr/duplicate kid "[0-9a-f]{16}" in "north_jwt_key"/, 'the same secret twice under kid=auto is refused');
    ($rc, $out) = nginx_t("$stores north_jwt_key kid=auto alg=ES256 file=" . es256_key() . ";\n");
    like($out, qr/takes kid=auto for alg=HS256 keys only/, 'kid=auto with ES256 is refused');
    ($rc, $out) = nginx_t("$stores north_jwt_key kid=a alg=HS256 secret=0123456789abcdef0123456789abcdef optional;\n");
    like($out, qr/is optional only with env=NAME/, 'optional with a literal secret is refused');
}

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

# --- the container's entrypoint, outside Docker ----------------------------------

{
    my $root = north_root();
    my $ep = "$root/deploy/entrypoint.sh";
    my $eprefix = "$root/t/servroot-entrypoint";
    remove_tree($eprefix);
    delete local $ENV{LD_PRELOAD};        # the shipped module: no sanitizer
    my @base = ('env', '-i', "PATH=$ENV{PATH}", "NORTH_HOME=$root", "NORTH_PREFIX=$eprefix",
                "NORTH_MODULE_SO=$root/build/ngx_http_north_module.so");
    my $out = run(@base, $ep, 'check');
    is($? >> 8, 1, 'the entrypoint without its environment stops');
    like($out, qr/not set: DATABASE_URL REDIS_URL JWT_SECRET DATA_ENCRYPTION_KEY AUDIT_CHAIN_KEY PLAID_CLIENT_ID PLAID_SECRET MAIL_URL MAIL_API_KEY NORTH_PUBLIC_ORIGIN/,
         '... naming every variable missing');

    my ($http, $https) = map { my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
                                                           LocalPort => 0) or die $!;
                               my $p = $s->sockport; close $s; $p } 1, 2;
    my %env = (DATABASE_URL => $ENV{DATABASE_URL}, REDIS_URL => $ENV{REDIS_URL},
               JWT_SECRET => 'entrypoint-jwt-secret-0123456789abcdef0123',
               DATA_ENCRYPTION_KEY => 'bm9ydGgtdGVzdC1kYXRhLWtleS0wMTIzNDU2Nzg5YWI=',
               AUDIT_CHAIN_KEY => $ENV{AUDIT_CHAIN_KEY},
               PLAID_CLIENT_ID => $ENV{PLAID_CLIENT_ID}, PLAID_SECRET => $ENV{PLAID_SECRET},
               PLAID_ENV => 'sandbox', PLAID_BASE_URL => "http://127.0.0.1:$ENV{NORTH_PLAID_SIM_PORT}",
               MAIL_URL => $ENV{MAIL_URL}, MAIL_API_KEY => $ENV{MAIL_API_KEY},
               GOOGLE_APPLICATION_CREDENTIALS => $ENV{FCM_CREDENTIALS}, FCM_URL => $ENV{FCM_URL},
               FETCH_CA => $ENV{FCM_CA}, NORTH_PUBLIC_ORIGIN => 'https://api.north.example',
               NORTH_LISTEN_ADDR => '127.0.0.1', NORTH_HTTP_PORT => $http, NORTH_HTTPS_PORT => $https,
               NORTH_TRUSTED_PROXIES => '10.0.0.0/16', NORTH_RESOLVER => '127.0.0.53',
               NORTH_LOG_FORMAT => 'json', SENTRY_DSN => 'https://pubkey@sentry.example/7',
               NORTH_ENVIRONMENT => 'staging');
    my @full = (@base, map { "$_=$env{$_}" } sort keys %env);
    $out = run(@full, 'NORTH_LOG_FORMAT=xml', $ep, 'check');
    like($out, qr/NORTH_LOG_FORMAT is text or json, not xml/, 'a log format of neither kind is refused');
    $out = run(@full, $ep, 'check');
    is($?, 0, 'with it, the entrypoint writes a configuration nginx -t accepts') or diag($out);
    my $envf = "$eprefix/conf/north.env";
    is(sprintf('%o', (stat $envf)[2] & 07777), '600', '... the secrets in conf/north.env, 0600');
    like(do { local (@ARGV, $/) = $envf; <> }, qr/^JWT_SECRET=entrypoint-jwt-secret-/m, '... as given');
    my $local = do { local (@ARGV, $/) = "$eprefix/conf/local-http.conf"; <> };
    like($local, qr{default https://api\.north\.example;}, '... the public origin');
    like($local, qr{north_plaid_webhook https://api\.north\.example/v1/webhooks/plaid;}, '... Plaid\'s webhook under it');
    like($local, qr{set_real_ip_from 10\.0\.0\.0/16;}, '... the load balancer\'s range trusted');
    like($local, qr{^resolver 127\.0\.0\.53 valid=5s;$}m, '... and the resolver that follows fail-overs');
    like($local, qr{^access_log logs/access\.log north_json buffer=64k flush=1s;$}m, '... the access log in JSON');
    like($local, qr{^north_sentry dsn=env=SENTRY_DSN environment=staging;$}m,
         '... error events to the DSN\'s project, from the environment file');
    like(do { local (@ARGV, $/) = $envf; <> }, qr{^SENTRY_DSN=https://pubkey\@sentry\.example/7$}m,
         '... which holds the DSN');
    is(readlink("$eprefix/logs/error.log"), '/dev/stderr', '... and the error log on stderr');

    # migrate: build.sh's migrations as the owner (the one-off task)
    $out = run(@base, "DATABASE_URL=$ENV{DATABASE_URL}", $ep, 'migrate');
    like($out, qr/not set: DATABASE_OWNER_URL/, 'migrate needs the owner\'s URL');
    $out = run(@base, "DATABASE_URL=$ENV{DATABASE_URL}", "DATABASE_OWNER_URL=$ENV{DATABASE_OWNER_URL}",
               "NORTH_VAR=$eprefix/var", $ep, 'migrate');
    is($?, 0, '... and with it applies the migrations (none are new here)') or diag($out);

    # serve: nginx in the foreground, as the container runs it
    my $pid = fork // die $!;
    if (!$pid) {
        open STDOUT, '>', "$eprefix/serve.out"; open STDERR, '>&', \*STDOUT;
        exec @full, $ep, 'serve' or exit 127;
    }
    ok(wait_for(10, sub { `curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$http/healthz` eq '200' }),
       'serve: nginx in the foreground answers /healthz');
    is(`curl -sk -o /dev/null -w '%{http_code}' https://127.0.0.1:$https/readyz`, '200',
       '... and /readyz over HTTPS, with PostgreSQL and Redis');
    is(`curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$http/v1/me`, '301', '... HTTP redirects');
    $out = `env -i PATH=$ENV{PATH} NORTH_HOME=$root NORTH_PREFIX=$eprefix $ep reload 2>&1`;
    is($?, 0, 'entrypoint.sh reload, from a shell without the secrets') or diag($out);
    kill 'QUIT', $pid;
    waitpid $pid, 0;
    is($?, 0, '... and SIGQUIT ends it cleanly');
    my $log = do { local (@ARGV, $/) = "$eprefix/serve.out"; <> } // '';
    unlike($log, qr/\[(alert|emerg)\]|exited on signal/, '... with no alert in its log') or diag($log);
    my @ready = grep { $_ && ($_->{route} // '') eq 'health.ready' }
                map { eval { JSON::PP->new->decode($_) } } grep { /^\{/ } split /\n/, $log;
    is(scalar @ready, 1, '... and one JSON line on stdout for the /readyz request')
        or diag($log);
    ok(@ready && $ready[0]{status} == 200 && $ready[0]{pg_ms} > 0,
       '... its status and its time in PostgreSQL');
    remove_tree($eprefix);
}

# --- the dashboard: every metric it plots is one /metrics gives ----------------------

{
    my $root = north_root();
    my $dash = decode_json(do { local (@ARGV, $/) = "$root/deploy/grafana/north.json"; <> });
    my $source = do { local (@ARGV, $/) = "$root/ngx_north_module/ngx_north_metrics.c"; <> };
    my %named = map { s/_(bucket|sum|count)$//r => 1 }
                map { $_->{expr} =~ /\b(north_[a-z_]+)/g } map { @{ $_->{targets} } } @{ $dash->{panels} };
    cmp_ok(scalar keys %named, '>=', 20, 'the Grafana dashboard plots ' . (keys %named) . ' metrics');
    is_deeply([ grep { $source !~ /"\Q$_\E[ {"]/ && $source !~ /\b\Q$_\E \%/ } sort keys %named ], [],
              '... each of them one the module exports');
}

# --- the image and the compose stack ------------------------------------------------

{
    my $root = north_root();
    my $df = do { local (@ARGV, $/) = "$root/deploy/Dockerfile"; <> };
    my @stages = split /^FROM /m, $df;
    my ($build) = grep { /^\S+ AS build$/m } @stages;
    my ($run) = $stages[-1];
    is_deeply([ $build =~ /^RUN (.*)$/mg ], ['./build.sh deps --build && ./build.sh build'],
              'the image\'s build stage runs build.sh\'s own steps, nothing else');
    my ($pinned) = $df =~ /^ARG NGINX_VERSION=(\S+)$/m;
    my ($ours) = `$ENV{TEST_NGINX_BINARY} -v 2>&1` =~ m{nginx/(\S+)};
    like($pinned, qr/^\Q$ours\E-/, "... against nginx $ours, the one the suites ran");
    like($run, qr/nginx-core=\$\{NGINX_VERSION\}/, '... and the image runs that same nginx');
    like($run, qr/^ENV .*\bNORTH_LOG_FORMAT=json\b/m, '... logging requests as JSON lines');
    # every library the module needs comes from a package the image installs
    my @needed = `objdump -p $root/build/ngx_http_north_module.so` =~ /NEEDED\s+(\S+)/g;
    my %pkg = map { my $l = $_; my ($p) = `dpkg -S '*/$l' 2>/dev/null` =~ /^([^:]+):/; ($l => $p) } @needed;
    my @missing = grep { $pkg{$_} ne 'libc6' && $run !~ /\s\Q$pkg{$_}\E\s/ } grep { $pkg{$_} } @needed;
    is_deeply(\@missing, [], 'the image installs the package of every library the module links ('
              . join(', ', map { $pkg{$_} } @needed) . ')');
    is(scalar(grep { !$pkg{$_} } @needed), 0, '... each found in a package');
    like($run, qr/^USER north$/m, '... runs as a user without privileges');
    like($run, qr{^HEALTHCHECK .*?http://127\.0\.0\.1:8080/healthz}ms, '... its health check is /healthz');
    like($run, qr{^ENTRYPOINT \["/opt/north/deploy/entrypoint\.sh"\]$}m, '... through the entrypoint');
    for my $f ($run =~ /^COPY (?!--from)(.*) \S+$/mg) {
        ok(-e "$root/$_", "... it copies $_, which exists") for split ' ', $f;
    }

    # compose gives the node every variable the entrypoint requires
    my $ep = do { local (@ARGV, $/) = "$root/deploy/entrypoint.sh"; <> };
    my ($required) = $ep =~ /^\s*require (DATABASE_URL REDIS_URL(?:[^\n]*\\\n)*[^\n]*)/m;
    my @required = grep { /^[A-Z_]+$/ } split /[\s\\]+/, $required;
    my $compose = do { local (@ARGV, $/) = "$root/deploy/compose.yaml"; <> };
    my ($node) = $compose =~ /^  north:\n(.*?)(?=^\S|\z)/ms;
    my $example = do { local (@ARGV, $/) = "$root/deploy/compose.env.example"; <> };
    my @unset = grep { $node !~ /^\s+$_:/m && $example !~ /^$_=/m } @required;
    cmp_ok(scalar(@required), '>=', 10, 'the entrypoint requires ' . scalar(@required) . ' variables');
    is_deeply(\@unset, [], '... and compose sets each for the node');
}

# --- Terraform ------------------------------------------------------------------------

SKIP: {
    skip 'terraform is not installed', 3 unless `which terraform` =~ /\S/;
    my $tf = north_root() . '/deploy/terraform';
    my $out = run('terraform', 'fmt', '-check', '-recursive', '-diff', $tf);
    is($?, 0, 'terraform fmt -check: the files parse and are formatted') or diag($out);
    my $all = join '', map { local (@ARGV, $/) = $_; <> } glob "$tf/*.tf";
    like($all, qr/contains\(\["ca-central-1", "ca-west-1"\], var\.region\)/,
         'the region is refused outside Canada');
    like($all, qr/rds\.force_ssl.*?value\s*=\s*"1".*storage_encrypted\s*=\s*true.*multi_az\s*=\s*true.*deletion_protection\s*=\s*true.*transit_encryption_enabled\s*=\s*true/s,
         'RDS forces TLS, is encrypted, Multi-AZ and protected; Redis encrypts in transit');
}

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
