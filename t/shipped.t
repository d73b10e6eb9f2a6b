# The shipped configuration (nginx.conf.d/) as `build.sh up` runs it, on the
# test stack: `nginx -t`, HTTPS, the HTTP redirect and the health probes.
# Plain Test::More: the nginx is build.sh's, not one the harness writes.
use strict;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;
use IO::Socket::INET;
use Digest::SHA qw(hmac_sha256_hex);

my $root = north_root();
sub free_port {
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
                                  LocalPort => 0) or die $!;
    my $p = $s->sockport; close $s; $p
}
my ($http, $https) = (free_port(), free_port());
my $prefix = "$ENV{NORTH_VAR}/nginx";

my $database = $ENV{DATABASE_URL};        # for the suite's own psql
local $ENV{NORTH_HTTP_PORT} = $http;
local $ENV{NORTH_HTTPS_PORT} = $https;
delete local $ENV{DATABASE_URL};
delete local $ENV{REDIS_URL};
delete local $ENV{LD_PRELOAD};

# the test stack's nginx log outlives a run: this run reads its own part
truncate "$prefix/logs/error.log", 0 if -f "$prefix/logs/error.log";

my $out = `$root/build.sh check 2>&1`;
is($?, 0, 'nginx -t accepts the shipped configuration') or diag($out);
like($out, qr/test is successful/, '... and says so');

# behind a load balancer: the realip settings build.sh writes pass nginx -t
{
    local $ENV{NORTH_TRUSTED_PROXIES} = '10.20.0.0/16, 127.0.0.1';
    local $ENV{NORTH_PROXY_PROTOCOL} = 'on';
    $out = `$root/build.sh check 2>&1`;
    is($?, 0, 'nginx -t with trusted proxies and the PROXY protocol') or diag($out);
    my $http = do { local (@ARGV, $/) = "$prefix/conf/local-http.conf"; <> };
    like($http, qr/^set_real_ip_from 10\.20\.0\.0\/16;\nset_real_ip_from 127\.0\.0\.1;\nreal_ip_header proxy_protocol;$/m,
         '... trusting those listed, the client from the PROXY line');
    like(do { local (@ARGV, $/) = "$prefix/conf/local-listen-https.conf"; <> },
         qr/ssl http2 proxy_protocol;/, '... on the listeners');
    local $ENV{NORTH_PROXY_PROTOCOL} = 'off';
    `$root/build.sh check 2>&1`;
    like(do { local (@ARGV, $/) = "$prefix/conf/local-http.conf"; <> },
         qr/^real_ip_header X-Forwarded-For;\nreal_ip_recursive on;$/m,
         'without it, from X-Forwarded-For');
}

$out = `$root/build.sh up 2>&1`;
is($?, 0, 'build.sh up starts it') or diag($out);
like($out, qr{try: curl -k https://127.0.0.1:$https/readyz}, '... and says how to try it');
END {
    # by pid: at its end the test may have left the file unreadable
    my $pid = nginx_master($prefix);
    kill 'QUIT', $pid if $pid;
}

sub curl {
    my @args = @_;
    my $r = `curl -sk -D - --max-time 5 @args`;
    my ($head, $body) = split /\r\n\r\n/, $r, 2;
    my ($code) = ($head // '') =~ m{^HTTP/\S+ (\d+)};
    return ($code // 0, $head // '', $body // '');
}

my ($code, $head, $body) = curl("https://127.0.0.1:$https/readyz");
is($code, 200, 'readyz over HTTPS');
like($body, qr/"status":"ready"/, '... ready');
like($head, qr/^strict-transport-security: max-age=31536000/mi, '... with HSTS');
like($head, qr/^x-content-type-options: nosniff/mi, '... nosniff');
like($head, qr/^server: nginx\r?$/mi, '... no server version');
like($head, qr/^x-request-id: [0-9a-f]{32}/mi, '... a request id');

($code, $head) = curl("http://127.0.0.1:$http/healthz");
is($code, 200, 'healthz stays on HTTP for probes');

($code, $head) = curl("http://127.0.0.1:$http/v1/me?x=1");
is($code, 301, 'anything else on HTTP redirects');
like($head, qr{^location: https://127.0.0.1:$https/v1/me\?x=1\r?$}mi, '... to HTTPS');
($code, $head) = curl("-H 'Host: evil.example' http://127.0.0.1:$http/v1/me");
like($head, qr{^location: https://127.0.0.1:$https/v1/me\r?$}mi,
     "... to the configured host, whatever the request's Host says");

($code, $head, $body) = curl("https://127.0.0.1:$https/v1/nothing-here");
is($code, 404, 'an unknown API path is 404');
like($head, qr{^content-type: application/problem\+json}mi, '... as problem+json');

# the sync feed's pages are gzipped on the HTTPS server too (HTTP/2): a
# user with enough to fill a page, a token of the stack's own key
my ($suid, $ssid) = do {
    local $ENV{DATABASE_URL} = $database;
    my @s = new_session("shipped$$\@north.example.ca");
    psql("insert into north.manual_items (user_id, name, kind, type, value_cents)
          select :'a0', 'Item ' || g, 'asset', 'cash', g from generate_series(1, 20) g", $s[0]);
    @s;
};
my ($secret) = map { /^JWT_SECRET=(.*)$/ ? $1 : () } do { open my $fh, '<', "$ENV{NORTH_VAR}/env"; <$fh> };
chomp $secret;
# the shipped key's kid=auto: 8 bytes of HMAC-SHA256(secret, "north jwt kid")
sub auto_kid { substr(hmac_sha256_hex('north jwt kid', $_[0]), 0, 16) }
my $stok = jwt(header => { alg => 'HS256', typ => 'JWT', kid => auto_kid($secret) }, key => $secret,
               claims => { sub => $suid, sid => $ssid });
($code, $head, $body) = curl("--http2 -H 'Accept-Encoding: gzip' -H 'Authorization: Bearer $stok'",
                             "'https://127.0.0.1:$https/v1/sync?limit=50'");
is($code, 200, 'the sync feed over HTTPS');
like($head, qr{^HTTP/2 }m, '... on HTTP/2');
like($head, qr{^content-encoding: gzip\r?$}mi, '... gzipped');

# the shipped auth limit: 20 at once per address, then 429
my @codes = map { (curl("-X POST -H 'Content-Type: application/json' -d '{}' https://127.0.0.1:$https/v1/auth/login"))[0] } 1 .. 21;
is_deeply([ @codes[0, 19, 20] ], [400, 400, 429], 'login is limited per address: 20, then 429');

$out = `curl -sk --tls-max 1.1 --max-time 5 -o /dev/null -w '%{http_code}' https://127.0.0.1:$https/healthz 2>&1`;
isnt($out, '200', 'TLS 1.1 is refused');

# an operator's shell holds none of the service's secrets: the documented
# commands work there all the same, reading conf/north.env as `up` wrote it
{
    my @shell = ('env', '-i', "PATH=$ENV{PATH}", "NORTH_VAR=$ENV{NORTH_VAR}",
                 "NORTH_HTTP_PORT=$http", "NORTH_HTTPS_PORT=$https");
    my $nginx = "@shell nginx -p $prefix/ -c $prefix/conf/nginx.conf";
    my $envf = "$prefix/conf/north.env";
    is(sprintf('%o', (stat $envf)[2] & 07777), '600', 'the service\'s environment, conf/north.env, is 0600');
    $out = `$nginx -t 2>&1`;
    is($?, 0, 'nginx -t in a shell without the secrets') or diag($out);
    like($out, qr/test is successful/, '... is successful');
    my @before = nginx_workers($prefix);
    $out = `$nginx -s reload 2>&1`;
    is($?, 0, 'nginx -s reload there') or diag($out);
    ok(wait_for(10, sub { my %old = map { $_ => 1 } @before;
                          my @w = nginx_workers($prefix); @w && !grep { $old{$_} } @w }),
       '... replaces the workers');
    is((curl("https://127.0.0.1:$https/readyz"))[0], 200, '... which serve');

    # the JWT key rotated as docs/operations.md gives it, in the file: the
    # reload reads it, not the master's own environment
    my $rotated = 'rotated-' . ('r' x 40);
    my $rewrite = sub {
        my ($edit) = @_;
        my $text = do { local (@ARGV, $/) = $envf; <> };
        $text = $edit->($text);
        { open my $fh, '>', "$envf.new" or die $!; chmod 0600, "$envf.new"; print $fh $text; }
        rename "$envf.new", $envf or die $!;
    };
    $rewrite->(sub { my $t = shift;
                     $t =~ s/^JWT_SECRET=.*$/JWT_SECRET=$rotated\nJWT_SECRET_PREVIOUS=$secret/m
                         or die "no JWT_SECRET in $envf\n"; $t });
    $out = `@shell $root/build.sh reload 2>&1`;
    is($?, 0, 'build.sh reload there, with a new JWT_SECRET and the old one as JWT_SECRET_PREVIOUS') or diag($out);
    like($out, qr/reloaded: workers \d+/, '... says so');
    my $new = jwt(header => { alg => 'HS256', typ => 'JWT', kid => auto_kid($rotated) }, key => $rotated,
                  claims => { sub => $suid, sid => $ssid });
    my $sync = sub { (curl("-H 'Authorization: Bearer $_[0]' https://127.0.0.1:$https/v1/sync?limit=1"))[0] };
    is($sync->($new), 200, '... a token of the new key is taken');
    is($sync->($stok), 200, '... and one of the old key still, until it expires');
    $rewrite->(sub { my $t = shift; $t =~ s/^JWT_SECRET_PREVIOUS=.*\n//m; $t });
    $out = `@shell $root/build.sh reload 2>&1`;
    is($?, 0, 'the old key unset, reloaded') or diag($out);
    is($sync->($new), 200, '... the new key\'s token is taken');
    is($sync->($stok), 401, '... and the old key\'s refused');

    chmod 0644, $envf;
    $out = `$nginx -t 2>&1`;
    isnt($?, 0, 'an environment file others may read fails nginx -t');
    like($out, qr/holds secrets: others may not read it/, '... saying why');
    chmod 0600, $envf;
}

# the operator's secrets win: build.sh makes only what is missing, keeps it
# in its env file, and names what it made
{
    my $var = "$ENV{NORTH_VAR}/operator";
    system('rm', '-rf', $var);
    my @shell = ('env', '-i', "PATH=$ENV{PATH}", "NORTH_VAR=$var");
    $out = `@shell JWT_SECRET=operator-jwt-secret-0123456789abcdef0123456789 DATABASE_URL=postgresql://ops\@db.example/north $root/build.sh env 2>&1`;
    is($?, 0, 'build.sh with the operator\'s JWT_SECRET and DATABASE_URL') or diag($out);
    like($out, qr/generated NORTH_PG_PASSWORD NORTH_APP_PG_PASSWORD NORTH_REDIS_PASSWORD DATA_ENCRYPTION_KEY AUDIT_CHAIN_KEY \(kept in \Q$var\E\/env, mode 0600\)/,
         '... generates the others and names them');
    like($out, qr{^DATABASE_URL=postgresql://ops\@db\.example/north$}m, '... keeps the operator\'s DATABASE_URL');
    my $kept = do { local (@ARGV, $/) = "$var/env"; <> };
    unlike($kept, qr/^JWT_SECRET=/m, '... and keeps no JWT_SECRET of its own');
    is(sprintf('%o', (stat "$var/env")[2] & 07777), '600', '... in a file of mode 0600');
    $out = `@shell $root/build.sh env 2>&1`;
    like($out, qr/generated JWT_SECRET \(/, 'without it, build.sh makes the missing JWT_SECRET and says so');
    unlike($out, qr/DATA_ENCRYPTION_KEY/, '... and nothing else');
    $out = `@shell $root/build.sh env 2>&1`;
    unlike($out, qr/generated/, 'the next run makes nothing');
    system('rm', '-rf', $var);
}

# a build while the stack runs: the module is renamed into place, never
# written into, so the running master and the workers it forks keep theirs
{
    my $so = "$root/build/ngx_http_north_module.so";
    my $master = nginx_master($prefix);
    my $inode = (stat $so)[1];
    $out = `$root/build.sh build 2>&1`;
    is($?, 0, 'build.sh build while the stack runs') or diag($out);
    isnt((stat $so)[1], $inode, '... puts a new file in place of the module');
    my $maps = do { local (@ARGV, $/) = "/proc/$master/maps"; <> };
    like($maps, qr/\s$inode\s+\Q$so\E/, '... and the master still maps the old one');
    my ($worker) = nginx_workers($prefix);
    ok(kill('KILL', $worker), "a worker is killed (pid $worker)");
    ok(wait_for(5, sub { (curl("https://127.0.0.1:$https/readyz"))[0] == 200 }),
       '... and the one forked in its place serves');
    $out = `$root/build.sh up 2>&1`;
    is($?, 0, 'build.sh up again: a reload onto the new module') or diag($out);
    ok(wait_for(5, sub { (curl("https://127.0.0.1:$https/readyz"))[0] == 200 }),
       '... serves');
    ok(kill(0, $master), '... with the same master');
    is_deeply([nginx_faults("$prefix/logs/error.log",
                            qr/worker process $worker exited on signal 9\b/)], [],
              '... and no process died of a signal but the one killed');
}

# nginx killed outright: `up` must not "reload" what is left of it, but start
# it, and say so only once it answers
{
    my $master = nginx_master($prefix);
    my @workers = nginx_workers($prefix);
    kill 'KILL', $master, @workers;
    $out = `$root/build.sh up 2>&1`;
    is($?, 0, 'build.sh up right after the master was killed') or diag($out);
    is((curl("https://127.0.0.1:$https/readyz"))[0], 200, '... and nginx answers');
    my $new = nginx_master($prefix);
    isnt($new, $master, '... from a new master');
}

done_testing();
