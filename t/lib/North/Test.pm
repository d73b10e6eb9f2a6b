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
use IO::Socket::INET;
use File::Path qw(make_path remove_tree);
use Time::HiRes qw(sleep);
use MIME::Base64 qw(encode_base64url);
use Digest::SHA qw(hmac_sha256);
use JSON::PP ();

our @EXPORT = qw(north_root north_stack north_http_config north_nginx
    north_http psql jwt jwt_secret new_session session_token es256_key
    es256_public_pem problem_ok fields_of plaid_sim plaid_link wait_for
    nginx_faults audit_key_sql psql_owner nginx_master nginx_workers redis_cli
    north_register mailed mail_code block_user redis_password fcm_sim
    north_send_all north_answers data_key);

my $Root = abs_path(dirname(__FILE__) . '/../../..');

sub north_root { $Root }

# The test stack apart from the one `build.sh up` runs.
$ENV{NORTH_VAR} ||= "$Root/t/var";
$ENV{NORTH_PG_PORT} ||= $ENV{NORTH_TEST_PG_PORT} || 15433;
$ENV{NORTH_REDIS_PORT} ||= $ENV{NORTH_TEST_REDIS_PORT} || 16380;
$ENV{NORTH_PLAID_SIM_PORT} ||= $ENV{NORTH_TEST_PLAID_SIM_PORT} || 18090;
$ENV{NORTH_FCM_SIM_PORT} ||= $ENV{NORTH_TEST_FCM_SIM_PORT} || 18092;

# Runs build.sh SUBCOMMAND for the test stack: stack-up, pg-stop, pg-start,
# redis-stop, redis-start.
sub north_stack {
    my ($cmd, @args) = @_;
    # the URLs nginx is given are derived by build.sh, not inputs to it
    local %ENV = %ENV;
    delete @ENV{qw(LD_PRELOAD DATABASE_URL DATABASE_OWNER_URL REDIS_URL PLAID_CLIENT_ID PLAID_SECRET
                   MAIL_URL MAIL_API_KEY FCM_CREDENTIALS FCM_URL FCM_CA
                   NORTH_ENV_LOADED)};
    system("$Root/build.sh", $cmd, @args) == 0
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

# --- tokens and sessions --------------------------------------------------------

# The HS256 key (kid t1) every test configuration carries.
my $JwtSecret = 'north-test-secret-0123456789abcdef-0123456789abcdef';
sub jwt_secret { $JwtSecret }

my $Json = JSON::PP->new->canonical->utf8;

# A P-256 key (kid e1 in the suites) and its public half, made once.
sub es256_key {
    my $f = "$ENV{NORTH_VAR}/jwt-es256.pem";
    unless (-s $f) {
        local $ENV{LD_PRELOAD};
        delete $ENV{LD_PRELOAD};
        system("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256"
               . " -out $f.tmp 2>/dev/null && mv $f.tmp $f") == 0
            or die "openssl genpkey failed\n";
    }
    return $f;
}

sub es256_public_pem {
    my $f = es256_key();
    local $ENV{LD_PRELOAD};
    delete $ENV{LD_PRELOAD};
    return scalar `openssl pkey -in $f -pubout 2>/dev/null`;
}

# A compact JWS from a header and claims (hash refs or raw JSON text),
# HMAC-SHA256-signed with key unless sig is given.
sub jwt {
    my (%o) = @_;
    my $now = time;
    my $h = $o{header} // { alg => 'HS256', typ => 'JWT', kid => 't1' };
    my $c = $o{claims} // {};
    $c = { iss => 'north', aud => 'north-app', iat => $now,
           exp => $now + 900, %$c } if ref $c && !$o{raw_claims};
    delete @{$c}{ grep { !defined $c->{$_} } keys %$c } if ref $c;
    my $part = sub { encode_base64url(ref $_[0] ? $Json->encode($_[0]) : $_[0]) };
    my $signing = $part->($h) . '.' . $part->($c);
    my $sig = exists $o{sig} ? $o{sig}
        : encode_base64url(hmac_sha256($signing, $o{key} // $JwtSecret));
    return "$signing.$sig";
}

# Runs sql with psql variables :'a0', :'a1'... bound to args; its rows. As
# nginx's role (north_app); psql_owner as the schema's owner (migrations).
sub psql { run_psql($ENV{DATABASE_URL}, @_) }
sub psql_owner { run_psql($ENV{DATABASE_OWNER_URL}, @_) }

sub run_psql {
    my ($url, $sql, @args) = @_;
    local $ENV{LD_PRELOAD};
    delete $ENV{LD_PRELOAD};
    require File::Temp;
    my $tmp = File::Temp->new(SUFFIX => '.sql');
    print $tmp "$sql;\n";
    close $tmp;
    open my $fh, '-|', 'psql', '-X', '-q', '-tA', '-v', 'ON_ERROR_STOP=1',
        (map { ('-v', "a$_=$args[$_]") } 0 .. $#args),
        $url, '-f', $tmp->filename or die "psql: $!";
    my @rows = map { chomp; $_ } <$fh>;
    close $fh or die "psql failed: $sql\n";
    return wantarray ? @rows : $rows[0];
}

# A user (made if missing) with a new live session: (user_id, session_id).
sub new_session {
    my ($email) = @_;
    my $user = psql("insert into north.users (email, password_hash)
                     values (:'a0', 'x') on conflict (lower(email))
                     do update set email = excluded.email returning id", $email);
    my $sid = psql("insert into north.sessions (user_id, auth_method)
                    values (:'a0', 'password') returning id", $user);
    return ($user, $sid);
}

# An access token of a new live session of email.
sub session_token {
    my ($email, %claims) = @_;
    my ($user, $sid) = new_session($email);
    return jwt(claims => { sub => $user, sid => $sid, %claims });
}

# --- one nginx of our own, for flows Test::Nginx's blocks cannot express ---

my %Nginx;

# The AES-256 data key (32 bytes, base64) of the suites' nginx.
my $DataKey = 'bm9ydGgtdGVzdC1kYXRhLWtleS0wMTIzNDU2Nzg5YWI=';
sub data_key { $DataKey }

# The audit chain key (base64): the test stack's one (build.sh keeps it in
# t/var/env), so that its every nginx links records as one deployment
# would; and the argument north.audit_verify() takes it as.
sub audit_key_sql { "decode('$ENV{AUDIT_CHAIN_KEY}', 'base64')" }

# What the shipped routes need of the main and http levels, as the suites
# set it: the thread pool, the test key, the shipped zones' names with room
# for a suite's many requests, the data and chain keys, Plaid and mail
# through the simulator (its webhook back to port).
sub north_api_main_config {
    return join "\n", (map { "env $_;" } qw(PLAID_CLIENT_ID PLAID_SECRET MAIL_URL MAIL_API_KEY)),
        'thread_pool north threads=2;';
}

sub north_api_http_config {
    my ($port, $data_key) = @_;
    return join '', map { "    $_\n" }
        'north_thread_pool north;',
        "north_jwt_key kid=t1 alg=HS256 secret=$JwtSecret;",
        (map { "north_limit_zone name=$_ size=1m rate=1000r/s burst=1000;" }
             qw(api auth_ip webhook export)),
        $data_key // "north_data_key $DataKey;",
        "north_audit_chain_key $ENV{AUDIT_CHAIN_KEY};",
        'north_plaid_client_id env=PLAID_CLIENT_ID;',
        'north_plaid_secret env=PLAID_SECRET;',
        "north_plaid_base_url http://127.0.0.1:$ENV{NORTH_PLAID_SIM_PORT};",
        "north_plaid_webhook http://127.0.0.1:$port/v1/webhooks/plaid;",
        'north_mail_url env=MAIL_URL;',
        'north_mail_key env=MAIL_API_KEY;',
        "north_fcm_credentials $ENV{FCM_CREDENTIALS};",
        "north_fcm_url $ENV{FCM_URL};",
        "north_fetch_ca $ENV{FCM_CA};";
}

sub north_api_routes {
    return "include $Root/nginx.conf.d/north-probes.conf;\n"
         . "include $Root/nginx.conf.d/north-api.conf;\n";
}

# Starts nginx (master and one worker unless workers => N) with the shipped
# routes unless api => 0, plus http and server snippets (data_key => a line
# in place of the suites' north_data_key); returns its port.
# The file fails when, at its end, this nginx's master is gone or another
# has taken its pid file, or its error log holds a fault (nginx_faults):
# alerts the file provokes are listed in expect_alerts => [qr/.../, ...].
sub north_nginx {
    my (%o) = @_;
    my $name = $o{name} // 'flow';
    my $prefix = "$Root/t/servroot-$name";
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
                                  LocalPort => 0) or die $!;
    my $port = $s->sockport;
    close $s;
    # an nginx an interrupted run left on this prefix goes first
    if (my $stale = read_pid("$prefix/logs/nginx.pid")) {
        kill 'QUIT', $stale;
        for (1 .. 100) { last unless kill 0, $stale; sleep 0.05 }
    }
    remove_tree($prefix);
    make_path("$prefix/conf", "$prefix/logs");
    my $modules = join '', map { "load_module $_;\n" }
        split ' ', $ENV{TEST_NGINX_LOAD_MODULES};
    my $user = $> == 0 ? 'user root;' : '';
    my $api = ($o{api} // 1) ? north_api_routes() : '';
    my $http = north_http_config($o{http} // '');
    my $server = $o{server} // '';
    my $main = north_api_main_config();
    my $shipped = north_api_http_config($port, $o{data_key});
    open my $fh, '>', "$prefix/conf/nginx.conf" or die $!;
    print $fh <<"CONF";
$modules
$user
worker_processes @{[ $o{workers} // 1 ]};
daemon on;
master_process on;
error_log $prefix/logs/error.log info;
pid $prefix/logs/nginx.pid;
env DATABASE_URL;
env REDIS_URL;
$main
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $prefix/body;
    client_max_body_size 16k;
$shipped
    $http
    server {
        listen 127.0.0.1:$port;
        $api
        $server
    }
}
CONF
    close $fh;
    my @cmd = ($ENV{TEST_NGINX_BINARY}, '-p', "$prefix/", '-c',
               "$prefix/conf/nginx.conf");
    system(@cmd) == 0 or die "nginx did not start\n";
    for (1 .. 100) {
        my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $port) and last;
        sleep 0.02;
    }
    $Nginx{$port} = { cmd => \@cmd, prefix => $prefix,
                      master => read_pid("$prefix/logs/nginx.pid"),
                      expect => $o{expect_alerts} // [] };
    return wantarray ? ($port, $prefix, \@cmd) : $port;
}

sub read_pid {
    open my $fh, '<', $_[0] or return 0;
    my $pid = <$fh> // '';
    chomp $pid;
    return $pid =~ /^\d+$/ ? $pid : 0;
}

# The master's pid of the nginx under prefix (0 without one), and its
# workers' pids, sorted.
sub nginx_master { read_pid("$_[0]/logs/nginx.pid") }

sub nginx_workers {
    my $master = nginx_master($_[0]) or return ();
    # ps runs without the sanitizer nginx may be preloaded with
    local $ENV{LD_PRELOAD};
    delete $ENV{LD_PRELOAD};
    return sort { $a <=> $b } `ps -o pid= --ppid $master` =~ /(\d+)/g;
}

# The password in REDIS_URL (redis://:PASSWORD@HOST or unix://:PASSWORD@/PATH).
sub redis_password { $ENV{REDIS_URL} =~ m{^\w+://:([^@]*)@} ? $1 : undef }

# redis-cli on the test stack's Redis as password auth; its output, chomped.
sub redis_cli {
    my ($auth, @cmd) = @_;
    my @at = $ENV{REDIS_URL} =~ m{^unix://[^/]*(/[^?]+)} ? ('-s', $1)
           : $ENV{REDIS_URL} =~ m{@([^:/]+):(\d+)} ? ('-h', $1, '-p', $2)
           : die "REDIS_URL: neither a socket nor a host\n";
    local $ENV{LD_PRELOAD};
    delete $ENV{LD_PRELOAD};
    open my $fh, '-|', 'redis-cli', @at, '-a', $auth,
        '--no-auth-warning', @cmd or die "redis-cli: $!";
    my $out = do { local $/; <$fh> } // '';
    close $fh or die "redis-cli @cmd failed\n";
    $out =~ s/\n\z//;
    return $out;
}

# The lines of an nginx error log that no suite may leave behind: a process
# that died of a signal, a sanitizer's report, and any [alert] that matches
# none of the expected patterns.
sub nginx_faults {
    my ($log, @expected) = @_;
    open my $fh, '<', $log or return ();
    my @bad;
    while (my $line = <$fh>) {
        chomp $line;
        next unless $line =~ /exited on signal|AddressSanitizer|LeakSanitizer|\[alert\]/;
        next if grep { $line =~ $_ } @expected;
        push @bad, $line;
    }
    return @bad;
}

# Stops every flow nginx and fails the file (its exit code) on a dead or
# replaced master or a fault in its log: runs after Test::More's own end.
END {
    my $status = $?;
    my @bad;
    for my $n (values %Nginx) {
        my $pidfile = "$n->{prefix}/logs/nginx.pid";
        my $pid = read_pid($pidfile);
        if (!$n->{master} || !kill(0, $n->{master})) {
            push @bad, "$n->{prefix}: the master ($n->{master}) is gone";
        } elsif ($pid != $n->{master}) {
            push @bad, "$n->{prefix}: the master changed from $n->{master} to $pid";
        }
        system(@{ $n->{cmd} }, '-s', 'stop');
        for (1 .. 200) {
            last unless $n->{master} && kill(0, $n->{master}) && -f $pidfile;
            sleep 0.05;
        }
        push @bad, map { "$n->{prefix}: $_" }
            nginx_faults("$n->{prefix}/logs/error.log", @{ $n->{expect} });
    }
    if (@bad) {
        print STDERR "# nginx fault: $_\n" for @bad;
        $status ||= 1;
    }
    $? = $status;
}

# One HTTP/1.1 request: { code, headers (lowercase names), body, json }.
sub north_http {
    my ($port, $method, $path, %o) = @_;
    my $body = $o{json} ? $Json->encode($o{json}) : $o{body} // '';
    my $h = $o{headers} // {};
    $h->{'Content-Type'} //= 'application/json' if $o{json};
    $h->{Authorization} = "Bearer $o{token}" if $o{token};
    my $req = "$method $path HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
        . join('', map { "$_: $h->{$_}\r\n" } sort keys %$h)
        . (length $body || $method =~ /^(POST|PUT|PATCH)$/
           ? 'Content-Length: ' . length($body) . "\r\n" : '')
        . "\r\n$body";
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Timeout => 10) or die "connect: $!";
    print $s $req;
    local $/;
    my $resp = <$s> // '';
    close $s;
    my ($head, $rbody) = split /\r\n\r\n/, $resp, 2;
    my ($code) = ($head // '') =~ m{^HTTP/1\.1 (\d+)};
    my %hd;
    for (split /\r\n/, $head // '') {
        $hd{lc $1} = $2 if /^([^:]+):\s*(.*)$/;
    }
    if (($hd{'transfer-encoding'} // '') eq 'chunked') {
        # whole chunks only: a cut stream leaves complete => 0
        my ($raw, $out) = ($rbody // '', '');
        $hd{'x-chunked-complete'} = 0;
        while ($raw =~ s/^([0-9a-fA-F]+)\r\n//) {
            my $len = hex $1;
            if ($len == 0) { $hd{'x-chunked-complete'} = 1; last }
            last if length($raw) < $len + 2;
            $out .= substr($raw, 0, $len, '');
            substr($raw, 0, 2, '');
        }
        $rbody = $out;
    }
    my $json = eval { JSON::PP->new->utf8->decode($rbody) };
    return { code => $code // 0, headers => \%hd, body => $rbody // '',
             json => $json };
}

# --- the Plaid simulator (t/plaid-sim) ---------------------------------------

# POSTs body (with the simulator's credentials) to the simulator; its JSON.
sub plaid_sim {
    my ($path, $body) = @_;
    require HTTP::Tiny;
    my $r = HTTP::Tiny->new(timeout => 30)->post(
        "http://127.0.0.1:$ENV{NORTH_PLAID_SIM_PORT}$path",
        { content => $Json->encode({ client_id => $ENV{PLAID_CLIENT_ID},
                                     secret => $ENV{PLAID_SECRET}, %{ $body // {} } }),
          headers => { 'Content-Type' => 'application/json' } });
    return eval { JSON::PP->new->utf8->decode($r->{content}) } // {};
}

# The FCM simulator (HTTP/2 over TLS only, so through curl): GET or POST
# path, JSON in and out.
sub fcm_sim {
    my ($path, $body) = @_;
    my @post = defined $body ? ('-X', 'POST', '-d', $Json->encode($body)) : ();
    local $ENV{LD_PRELOAD};          # curl hangs with AddressSanitizer preloaded
    delete $ENV{LD_PRELOAD};
    open my $curl, '-|', 'curl', '-s', '--max-time', '20', '--http2',
        '--cacert', $ENV{FCM_CA}, @post,
        "https://127.0.0.1:$ENV{NORTH_FCM_SIM_PORT}$path" or die "curl: $!";
    my $out = do { local $/; <$curl> };
    close $curl;
    return eval { JSON::PP->new->utf8->decode($out) };
}

# Requests at once, for flows one socket at a time cannot show: a GET of
# each URI sent on a socket of its own, the sockets returned; then each
# socket's answer read to its end, for up to seconds in all, as [status,
# body] in the sockets' order (status 0 for none).
sub north_send_all {
    my ($port, @uris) = @_;
    return map {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $port) or die "connect: $!";
        print $s "GET $_ HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
        $s;
    } @uris;
}

sub north_answers {
    my ($seconds, @s) = @_;
    require IO::Select;
    my $sel = IO::Select->new(@s);
    my %resp = map { ($_ => '') } @s;
    my $deadline = Time::HiRes::time() + $seconds;
    while ($sel->count && Time::HiRes::time() < $deadline) {
        for my $s ($sel->can_read(1)) {
            my $n = sysread($s, my $buf, 65536);
            if ($n) { $resp{$s} .= $buf; next }
            $sel->remove($s);
            close $s;
        }
    }
    return map {
        my ($code) = $resp{$_} =~ m{^HTTP/1\.1 (\d+)};
        my ($body) = $resp{$_} =~ /\r\n\r\n(.*)\z/s;
        [$code // 0, $body // ''];
    } @s;
}

# Polls code until it returns true, for up to seconds; its last value.
sub wait_for {
    my ($seconds, $code) = @_;
    my $v;
    for (1 .. $seconds * 10) {
        last if $v = $code->();
        sleep 0.1;
    }
    return $v;
}

# For a block's --- init, which runs once the block's nginx is up (as
# under OpenResty's harness): waits, 10 s at most, until GET path answers
# want (a status, or a pattern of the body). A block then checks the state
# the stack settles in, not a moment of its reconnecting.
sub wait_answer {
    my ($path, $want, %o) = @_;
    my $port = Test::Nginx::Socket::server_port();
    return wait_for(10, sub {
        my $r = north_http($port, GET => $path, %o);
        ref $want ? $r->{body} =~ $want : $r->{code} == $want });
}

# The mails the simulated relay took for an address (all, unless given).
sub mailed {
    my ($to) = @_;
    return @{ plaid_sim('/__sim/mail', { ($to ? (to => $to) : ()) })->{mails} };
}

# The registration code a mail holds, or undef (no mail, or no code).
sub mail_code {
    my ($mail) = @_;
    return $mail ? ($mail->{text} =~ /: (\d{6})\n/)[0] : undef;
}

# Registers an account through nginx on port as the app does: the code
# e-mailed to the address (read back from the simulated relay), then
# /v1/auth/register/verify, with the device if the fields name one.
# Returns verify's answer, or register's when it is not 202.
sub north_register {
    my ($port, $fields) = @_;
    my %body = %$fields;
    my $device = delete $body{device};
    my $before = () = mailed($body{email});
    my $r = north_http($port, POST => '/v1/auth/register', json => \%body);
    return $r unless $r->{code} == 202;
    my @new;
    wait_for(10, sub { @new = mailed($r->{json}{email}); @new > $before })
        or die "no mail came for $body{email}\n";
    my $code = mail_code($new[-1])
        // die "the mail to $body{email} holds no code: $new[-1]{text}\n";
    return north_http($port, POST => '/v1/auth/register/verify', json => {
        email => $body{email}, code => $code, ($device ? (device => $device) : ()) });
}

# Links institution (ins_43 unless given) for token's user through nginx on
# port, the bank_data consent granted first, and waits for its first sync:
# (our item id, Plaid's item id, the simulator's access token).
sub plaid_link {
    my ($port, $token, %o) = @_;
    north_http($port, PUT => '/v1/privacy/consents/bank_data', token => $token,
               json => { granted => JSON::PP::true });
    my $public = plaid_sim('/sandbox/public_token/create', {
        institution_id => $o{institution} // 'ins_43',
        initial_products => ['transactions'],
        options => { webhook => "http://127.0.0.1:$port/v1/webhooks/plaid" } })->{public_token};
    my $r = north_http($port, POST => '/v1/plaid/items', token => $token,
                       json => { public_token => $public });
    die "link: $r->{code} $r->{body}" unless $r->{code} == 201;
    my $item = $r->{json}{item}{id};
    wait_for(20, sub { psql("select last_synced_at is not null from north.plaid_items
                             where id = :'a0'", $item) eq 't' })
        or die "item $item did not sync";
    my $plaid = psql("select plaid_item_id from north.plaid_items where id = :'a0'", $item);
    my $state = plaid_sim('/__sim/state', { item_id => $plaid });
    return ($item, $plaid, $state->{item}{access_token});
}

# A north_http answer is the problem+json of that status and type slug.
sub problem_ok {
    my ($r, $code, $type, $name) = @_;
    Test::More::is($r->{code}, $code, "$name: $code");
    Test::More::is($r->{headers}{'content-type'}, 'application/problem+json',
                   "$name: problem+json");
    Test::More::is($r->{json}{type}, "https://north.ca/problems/$type",
                   "$name: type $type");
}

# The fields a validation problem names, sorted.
sub fields_of { [ sort map { $_->{field} } @{ $_[0]{json}{errors} // [] } ] }

# A block's own section, or undef: Test::Base makes accessors only for the
# sections some block of the file has.
sub section {
    my ($block, $name) = @_;
    return $INC{'Test/Nginx/Socket/Compat.pm'} || $block->can($name)
        ? $block->$name : undef;
}

require Test::Nginx::Socket;

Test::Nginx::Socket::env_to_nginx('DATABASE_URL', 'REDIS_URL');

# --- the blocks' vocabulary (t/README.md) ------------------------------------
#
#   --- north_api             the shipped routes, configured as north_nginx
#                             configures them (added to --- config)
#   --- north_user: NAME      a user of this file (made once, with a live
#                             session): its token goes with every request,
#                             $North::Test::Users{NAME} holds id, sid, email
#                             and token for eval sections
#   --- north_fixture: plaid_linked
#                             the user's bank linked through the simulator
#                             and its first sync done (once per user; then
#                             $North::Test::Users{NAME}{item}); implies
#                             north_api
#   A block that names neither --- error_log nor --- no_error_log may log
#   no [error], [crit], [alert], [emerg] or sanitizer report.

our %Users;

sub block_user {
    my ($name) = @_;
    return $Users{$name} //= do {
        my $email = "$name.$$\@north.example.ca";
        my ($id, $sid) = new_session($email);
        { id => $id, sid => $sid, email => $email,
          token => jwt(claims => { sub => $id, sid => $sid }) };
    };
}

# --- init of a plaid_linked block: runs once its nginx is up
sub block_plaid_linked {
    my ($name) = @_;
    my $u = block_user($name);
    ($u->{item}) = plaid_link(Test::Nginx::Socket::server_port(), $u->{token})
        unless $u->{item};
}

Test::Nginx::Socket::add_block_preprocessor(sub {
    my $block = shift;
    my $fixture = section($block, 'north_fixture');
    my $name = section($block, 'north_user');
    if (defined section($block, 'north_api') || defined $fixture) {
        my $port = Test::Nginx::Socket::server_port();
        $block->set_value('main_config', north_api_main_config() . "\n"
                                         . ($block->main_config // ''));
        $block->set_value('http_config', north_api_http_config($port)
                                         . ($block->http_config // ''));
        $block->set_value('config', north_api_routes() . ($block->config // ''));
    }
    $block->set_value('http_config',
                      north_http_config($block->http_config // ''));
    if (defined $name) {
        my $auth = 'Authorization: Bearer ' . block_user($name)->{token};
        my $h = $block->more_headers;
        $block->set_value('more_headers',
            ref $h eq 'ARRAY' ? [ map { "$_\n$auth" } @$h ]
            : defined $h ? "$h\n$auth" : $auth);
    }
    if (defined $fixture) {
        die "--- north_fixture $fixture: unknown\n" unless $fixture eq 'plaid_linked';
        die "--- north_fixture needs --- north_user\n" unless defined $name;
        $block->set_value('init', "North::Test::block_plaid_linked('$name');\n"
                                  . ($block->init // ''));
    }
    # a block that says nothing of its log may log no error of any kind
    my $no = $block->no_error_log;
    if (!defined $no && !defined $block->error_log && !defined $block->must_die) {
        $block->set_value('no_error_log', join "\n", '[error]', '[crit]', '[alert]',
                          '[emerg]', 'LeakSanitizer');
        $no = $block->no_error_log;
    }
    # OpenResty's harness only warns of an [alert]: there a block also fails
    # on a crash in its log (the compatible harness checks the whole log)
    if (!$INC{'Test/Nginx/Socket/Compat.pm'} && !ref $no) {
        $block->set_value('no_error_log', join "\n", grep { defined }
                          $no, 'exited on signal', 'AddressSanitizer');
    }
});

1;
