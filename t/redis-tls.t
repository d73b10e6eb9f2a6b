# Redis over TLS (rediss://), as ElastiCache with in-transit encryption
# requires: a redis-server of its own with a TLS port only, a test CA, an
# ACL user with a password. nginx's SSL layer carries the link on the event
# loop; the server's certificate must verify against north_redis_ca and
# name the URL's host. Plain Test::More: its own Redis, stopped and started
# under a running nginx.
use strict;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;
use IO::Socket::INET;
use File::Path qw(make_path remove_tree);

my $dir = north_root() . '/t/servroot-redis-tls-server';
remove_tree($dir);
make_path($dir);
# openssl, redis-server and redis-cli run without the sanitizer nginx may
# be preloaded with
sub sh { local $ENV{LD_PRELOAD}; delete $ENV{LD_PRELOAD}; system(@_) == 0 or die "@_ failed\n" }
sub openssl { sh('sh', '-c', "openssl @_ >/dev/null 2>&1") }

# a CA, and a server certificate it signs for localhost (no IP address);
# another CA that signs nothing here
for my $ca (qw(ca other-ca)) {
    openssl("req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30"
            . " -subj '/CN=North test $ca' -keyout $dir/$ca.key -out $dir/$ca.pem");
}
openssl("req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=localhost"
        . " -keyout $dir/redis.key -out $dir/redis.csr");
{ open my $fh, '>', "$dir/ext" or die $!; print $fh "subjectAltName=DNS:localhost\n"; }
openssl("x509 -req -in $dir/redis.csr -CA $dir/ca.pem -CAkey $dir/ca.key -CAcreateserial"
        . " -days 30 -extfile $dir/ext -out $dir/redis.crt");
chmod 0644, "$dir/redis.key";

my $rport = do { my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
                                                LocalPort => 0) or die $!;
                 my $p = $s->sockport; close $s; $p };
my $pass = "tls-pass-$$";

sub redis_start {
    sh('redis-server', '--port', '0', '--tls-port', $rport, '--bind', '127.0.0.1',
       '--tls-cert-file', "$dir/redis.crt", '--tls-key-file', "$dir/redis.key",
       '--tls-ca-cert-file', "$dir/ca.pem", '--tls-auth-clients', 'no',
       '--user', 'default', 'off',
       '--user', 'north', 'on', ">$pass", '~*', '&*', '+@all',
       '--save', '', '--appendonly', 'no', '--dir', $dir,
       '--daemonize', 'yes', '--pidfile', "$dir/redis.pid", '--logfile', "$dir/redis.log");
    wait_for(5, sub { tls_cli('PING') eq 'PONG' }) or die "the TLS Redis did not start\n";
}
sub redis_stop {
    my $pid = do { open my $fh, '<', "$dir/redis.pid" or return; <$fh> };
    chomp $pid;
    kill 'TERM', $pid;
    wait_for(5, sub { !kill 0, $pid });
}
sub tls_cli {
    local $ENV{LD_PRELOAD};
    delete $ENV{LD_PRELOAD};
    my $out = `redis-cli --tls --cacert $dir/ca.pem -h localhost -p $rport --user north --pass $pass --no-auth-warning @_ 2>&1`;
    chomp $out;
    return $out;
}
redis_start();
END { redis_stop() }

my $z = "tls$$";
sub node {
    my ($name, $url, $ca) = @_;
    return scalar north_nginx(name => $name, api => 0, http => "north_redis $url;
    north_redis_ca $dir/$ca.pem;
    north_redis_timeout 500ms;
    north_limit_zone name=$z size=1m rate=1r/m burst=5;",
    server => "location = /readyz { north_api health.ready; }
        location = /global { north_limit zone=$z scope=global; north_api health.live; }");
}
sub ready { north_http($_[0], GET => '/readyz') }

# --- a verified link ---------------------------------------------------------------------

my $good = node('redis-tls', "rediss://north:$pass\@localhost:$rport/0", 'ca');
my $r;
ok(wait_for(5, sub { ($r = ready($good))->{code} == 200 }), 'rediss:// with the CA that signed the server: ready')
    or diag("$r->{code} $r->{body}");
is(north_http($good, GET => '/global')->{code}, 200, 'a global limit kept in that Redis');
like(tls_cli('--scan', '--pattern', "'*$z*'"), qr/\Q$z\E/, '... its bucket is there, written over TLS as the ACL user');
my $log = do { local (@ARGV, $/) = north_root() . '/t/servroot-redis-tls/logs/error.log'; <> };
like($log, qr/north redis: connected to 127\.0\.0\.1:$rport over TLS/, 'the log says the link is TLS');

# --- certificates that must not pass --------------------------------------------------------

my $other = node('redis-tls-ca', "rediss://north:$pass\@localhost:$rport/0", 'other-ca');
$r = ready($other);
is($r->{code}, 503, 'a server certificate the CA file does not trust: not ready');
like($r->{json}{detail} // '', qr/redis/, '... because of Redis');
ok(wait_for(5, sub { grep { /north redis: the certificate of 127\.0\.0\.1:$rport does not verify/ }
                         do { open my $fh, '<', north_root() . '/t/servroot-redis-tls-ca/logs/error.log'; <$fh> } }),
   '... and the log says the certificate does not verify');

my $byip = node('redis-tls-ip', "rediss://north:$pass\@127.0.0.1:$rport/0", 'ca');
is(ready($byip)->{code}, 503, 'a trusted certificate that does not name the address asked for: not ready');
ok(wait_for(5, sub { grep { /north redis: the certificate of 127\.0\.0\.1:$rport is not for "127\.0\.0\.1"/ }
                         do { open my $fh, '<', north_root() . '/t/servroot-redis-tls-ip/logs/error.log'; <$fh> } }),
   '... and the log names the host');

my $wrong = node('redis-tls-pass', "rediss://north:wrong\@localhost:$rport/0", 'ca');
is(ready($wrong)->{code}, 503, 'the right certificate and a wrong password: not ready');

# --- SNI: the host name goes in the handshake -------------------------------------------

{
    # a TLS server of the test's own (Node) that writes the name each
    # handshake asked for, then closes
    my $sport = do { my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
                                                    LocalPort => 0) or die $!;
                     my $p = $s->sockport; close $s; $p };
    my $js = "const tls = require('tls'), fs = require('fs');
        tls.createServer({ key: fs.readFileSync('$dir/redis.key'), cert: fs.readFileSync('$dir/redis.crt') },
            (s) => { fs.appendFileSync('$dir/sni.log', (s.servername || '-') + '\\n'); s.destroy(); })
          .listen($sport, '127.0.0.1', () => console.log('ready'));";
    my $pid = open(my $node, '-|', 'node', '-e', $js) // die $!;
    my $ready = <$node>;
    my $sni = node('redis-tls-sni', "rediss://north:$pass\@localhost:$sport/0", 'ca');
    ok(wait_for(5, sub { -s "$dir/sni.log" }), 'a handshake to a host named in the URL');
    is((split /\n/, do { local (@ARGV, $/) = "$dir/sni.log"; <> })[0], 'localhost', '... sends its name as SNI');
    kill 'TERM', $pid;
    close $node;
}

# --- Redis restarted under a running nginx -------------------------------------------------

redis_stop();
is(ready($good)->{code}, 503, 'Redis stopped: not ready');
redis_start();
ok(wait_for(15, sub { ready($good)->{code} == 200 }), 'Redis back: the TLS link is made again, ready');

done_testing();
