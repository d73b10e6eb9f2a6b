# A Test::Nginx::Socket-compatible harness for machines without OpenResty's
# (it is not packaged for Debian). It runs the same __DATA__ blocks with the
# same public API and sections; see ../../../../../shared/TEST-NGINX.md.
package Test::Nginx::Socket;

use strict;
use warnings;
use Cwd qw(cwd);
use File::Path qw(make_path remove_tree);
use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw(sleep time);
use Test::More ();

our @EXPORT = qw(run_tests repeat_each no_shuffle add_block_preprocessor
    env_to_nginx master_on master_off workers log_level no_long_string
    no_root_location server_port server_port_for_client html_dir server_root
    config_preamble worker_connections bail_out blocks plan no_diff
    check_accum_error_log add_cleanup_handler);

# modes it cannot honour stop the run: quietly ignored, a leak or valgrind
# run would pass without having looked (t/README.md)
for my $mode (qw(USE_VALGRIND CHECK_LEAK USE_STAP BENCHMARK USE_HTTP2 USE_HTTP3
                 USE_RR USE_WEBSOCKET EVENT_TYPE POSTPONE_OUTPUT)) {
    next unless $ENV{"TEST_NGINX_$mode"};
    Test::More::BAIL_OUT("TEST_NGINX_$mode is not supported by the compatible harness: "
                         . "run the suites under OpenResty's Test::Nginx (see t/README.md)");
}

my $RepeatEach = 1;
my @Preprocessors;
my @EnvToNginx;
my $MasterOn = 0;
my $Workers = 1;
my $LogLevel = $ENV{TEST_NGINX_LOG_LEVEL} || 'debug';
my $NoRootLocation = 0;
my $Preamble = '';
my $WorkerConnections = 64;
my @CleanupHandlers;
my $ServerPort = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984;
my $ServRoot = $ENV{TEST_NGINX_SERVROOT} || cwd() . '/t/servroot';
my $NoShuffle = $ENV{TEST_NGINX_NO_SHUFFLE};
my $UseHup = $ENV{TEST_NGINX_USE_HUP};
my $BlockLogStart = 0;
my $Binary = $ENV{TEST_NGINX_BINARY} || 'nginx';
my $DefaultTimeout = $ENV{TEST_NGINX_TIMEOUT} || 3;
my $Blocks;

sub import {
    my ($class, @args) = @_;
    my $caller = caller;
    my $tb = Test::More->builder;
    if (@args && $args[0] eq 'no_plan') {
        $tb->no_plan;
    } elsif (@args && $args[0] eq 'tests') {
        $tb->plan(tests => $args[1]);
    }
    no strict 'refs';
    for my $name (@EXPORT, @Test::More::EXPORT) {
        next if $name eq 'plan' && defined &{"${caller}::plan"};
        my $src = defined &{"Test::Nginx::Socket::$name"}
            ? \&{"Test::Nginx::Socket::$name"} : \&{"Test::More::$name"};
        *{"${caller}::$name"} = $src;
    }
}

sub plan { Test::More->builder->plan(@_) }
sub repeat_each { $RepeatEach = shift if @_; $RepeatEach }
sub no_shuffle { $NoShuffle = 1 }
sub no_long_string { }
sub no_diff { }
sub check_accum_error_log { }
sub add_block_preprocessor { push @Preprocessors, shift }
sub add_cleanup_handler { push @CleanupHandlers, shift }
sub env_to_nginx { push @EnvToNginx, @_ }
sub master_on { $MasterOn = 1 }

# TEST_NGINX_RANDOMIZE: a port and a server root of the file's own, so
# that files may run side by side
if ($ENV{TEST_NGINX_RANDOMIZE}) {
    $ServerPort = free_port();
    $ServRoot = cwd() . "/t/servroot_$ServerPort";
}
sub master_off { $MasterOn = 0 }
sub workers { $Workers = shift }
sub log_level { $LogLevel = shift if @_; $LogLevel }
sub no_root_location { $NoRootLocation = 1 }
sub server_port { $ServerPort }
sub server_port_for_client { $ServerPort }
sub html_dir { "$ServRoot/html" }
sub server_root { $ServRoot }
sub config_preamble { $Preamble = shift }
sub worker_connections { $WorkerConnections = shift }
sub bail_out { Test::More::BAIL_OUT(@_) }

# --- blocks -----------------------------------------------------------------

package Test::Nginx::Socket::Block;

our $AUTOLOAD;

sub new { my ($class, %a) = @_; bless {%a}, $class }
sub name { $_[0]{name} }
sub set_value { my ($self, $k, $v) = @_; $self->{sections}{$k} = $v }
sub DESTROY { }

sub AUTOLOAD {
    my $self = shift;
    (my $name = $AUTOLOAD) =~ s/.*:://;
    return $self->{sections}{$name};
}

package Test::Nginx::Socket;

sub blocks {
    return @$Blocks if $Blocks;
    my $text = do { no warnings 'once'; local $/; my $fh = \*main::DATA; <$fh> };
    die "no __DATA__ in the test file\n" unless defined $text;
    my @blocks;
    for my $chunk (split /^(?==== )/m, $text) {
        next unless $chunk =~ s/^=== ([^\n]*)\n//;
        my $name = $1;
        my (%sections, $cur, @filters);
        my @order;
        for my $line (split /(?<=\n)/, $chunk) {
            if ($line =~ /^--- ([\w-]+)(?::[ \t]*(.*?))?[ \t]*$/ ) {
                my ($sec, $one) = ($1, $2);
                my $rest = '';
                if (!defined $one && $line =~ /^--- [\w-]+[ \t]+(.*?)[ \t]*$/) {
                    $rest = $1;
                }
                if (defined $one) {
                    $sections{$sec} = { value => $one, filters => [] , one => 1 };
                    $cur = undef;
                } else {
                    $sections{$sec} = { value => '', filters => [split ' ', $rest] };
                    $cur = $sec;
                }
                push @order, $sec;
                next;
            }
            if ($line =~ /^--- ([\w-]+)[ \t]+([\w \t]+?)[ \t]*$/) {
                $sections{$1} = { value => '', filters => [split ' ', $2] };
                $cur = $1;
                push @order, $1;
                next;
            }
            $sections{$cur}{value} .= $line if defined $cur;
        }
        my %values;
        for my $sec (keys %sections) {
            my $s = $sections{$sec};
            my $v = $s->{value};
            unless ($s->{one}) {
                # Test::Base: trailing blank lines are dropped
                $v =~ s/\n\s*\z/\n/;
            }
            for my $f (@{ $s->{filters} }) {
                if ($f eq 'chomp') { chomp $v }
                elsif ($f eq 'chop') { chop $v }
                elsif ($f eq 'eval') {
                    # as Test::Base::Filter does: its package, under strict
                    my $r = eval "package Test::Base::Filter; use strict; $v";
                    die "eval of --- $sec in '$name' failed: $@" if $@;
                    $v = $r;
                }
            }
            $values{$sec} = $v;
        }
        push @blocks, Test::Nginx::Socket::Block->new(name => $name,
                                                     sections => \%values);
    }
    my @only = grep { exists $_->{sections}{ONLY} } @blocks;
    @blocks = @only if @only;
    my @kept;
    for my $b (@blocks) {
        next if exists $b->{sections}{SKIP};
        push @kept, $b;
        last if exists $b->{sections}{LAST};
    }
    $Blocks = \@kept;
    return @kept;
}

# --- configuration ------------------------------------------------------------

my %RandPorts;

sub free_port {
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
                                  LocalPort => 0, ReuseAddr => 1) or die $!;
    my $p = $s->sockport;
    close $s;
    return $p;
}

sub expand {
    my ($text) = @_;
    return $text unless defined $text && !ref $text;
    $text =~ s/\$(TEST_NGINX_[A-Z0-9_]+)/_var($1)/ge;
    return $text;
}

sub _var {
    my ($name) = @_;
    return $RandPorts{$name} //= free_port() if $name =~ /^TEST_NGINX_RAND_PORT_\d+$/;
    return $ServerPort if $name eq 'TEST_NGINX_SERVER_PORT';
    return $ServRoot if $name eq 'TEST_NGINX_SERVER_ROOT';
    return $ENV{$name} if defined $ENV{$name};
    Test::More::BAIL_OUT("environment variable $name is not set");
}

sub write_config {
    my ($block, $keep_logs) = @_;
    remove_tree("$ServRoot/conf", "$ServRoot/html", $keep_logs ? () : "$ServRoot/logs");
    make_path(map { "$ServRoot/$_" } qw(conf logs html client_body_temp
        proxy_temp fastcgi_temp uwsgi_temp scgi_temp));

    my $main = '';
    for my $m (split ' ', $ENV{TEST_NGINX_LOAD_MODULES} || '') {
        $main .= "load_module $m;\n";
    }
    $main .= "env $_;\n" for @EnvToNginx;
    $main .= expand($block->main_config // '');
    my $http = expand($block->http_config // '');
    my $config = $Preamble . expand($block->config // '');
    my $master = $MasterOn || $UseHup || ($ENV{TEST_NGINX_MASTER_PROCESS} // '') eq 'on'
                 ? 'on' : 'off';
    my $level = $block->log_level // $LogLevel;
    my $user = $> == 0 ? "user root;\n" : '';
    my $root = $NoRootLocation ? '' : "        location / { root $ServRoot/html; index index.html; }\n";

    if (my $files = $block->user_files) {
        for my $f (split /^>>> /m, $files) {
            next unless $f =~ s/^(\S+)\n//;
            make_path("$ServRoot/html/" . ($1 =~ m{^(.*)/} ? $1 : '.'));
            open my $fh, '>', "$ServRoot/html/$1" or die $!;
            print $fh $f;
            close $fh;
        }
    }

    open my $fh, '>', "$ServRoot/conf/nginx.conf" or die $!;
    print $fh <<"CONF";
worker_processes $Workers;
daemon on;
master_process $master;
error_log $ServRoot/logs/error.log $level;
pid $ServRoot/logs/nginx.pid;
$user
$main

http {
    access_log $ServRoot/logs/access.log;
    client_body_temp_path $ServRoot/client_body_temp;
    proxy_temp_path $ServRoot/proxy_temp;
    fastcgi_temp_path $ServRoot/fastcgi_temp;
    uwsgi_temp_path $ServRoot/uwsgi_temp;
    scgi_temp_path $ServRoot/scgi_temp;
    default_type text/plain;
    keepalive_timeout 68;

$http

    server {
        listen $ServerPort;
        server_name localhost;
        client_max_body_size 30M;

$config
$root    }
}

events {
    accept_mutex off;
    worker_connections $WorkerConnections;
}
CONF
    close $fh;
}

# --- nginx --------------------------------------------------------------------

sub nginx_cmd {
    return ($Binary, '-p', "$ServRoot/", '-c', "$ServRoot/conf/nginx.conf");
}

# The running nginx's master pid, from its pid file; '' without one.
sub nginx_pid {
    open my $fh, '<', "$ServRoot/logs/nginx.pid" or return '';
    my $pid = <$fh> // '';
    chomp $pid;
    return $pid;
}

sub stop_nginx {
    my $pidfile = "$ServRoot/logs/nginx.pid";
    my $pid = nginx_pid();
    return unless $pid && kill 0, $pid;
    kill 'QUIT', $pid;
    for (1 .. 500) {
        # gone, or a zombie nobody reaps (nginx removes its pid file last)
        return unless kill 0, $pid;
        return unless -f $pidfile;
        sleep 0.01;
    }
    kill 'KILL', $pid;
    sleep 0.05;
}

sub start_nginx {
    my ($block) = @_;
    my @cmd = nginx_cmd();
    my $out = `@cmd -e $ServRoot/logs/error.log 2>&1`;
    my $rc = $?;
    if (defined $block->must_die) {
        return ($rc, $out);
    }
    if ($rc != 0) {
        Test::More::BAIL_OUT("nginx failed to start for '" . $block->name . "': $out");
    }
    # wait until it accepts
    for (1 .. 100) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $ServerPort, Timeout => 1);
        if ($s) { close $s; last }
        sleep 0.02;
    }
    return ($rc, $out);
}

# --- HTTP -----------------------------------------------------------------------

sub build_request {
    my ($req, $headers) = @_;
    $req =~ s/^\s*(?:#[^\n]*\n\s*)*//;
    my ($line, $body) = split /\n/, $req, 2;
    $body = '' unless defined $body;
    $body =~ s/^\s+//;
    $body =~ s/\s+\z//;
    my ($method, $uri, $proto) = split ' ', $line;
    $method ||= 'GET';
    $uri ||= '/';
    $proto ||= 'HTTP/1.1';
    my %have;
    my $hdrs = '';
    for my $h (split /\n/, $headers // '') {
        next unless $h =~ /^\s*([^:\s]+)\s*:\s*(.*?)\s*$/;
        $have{lc $1} = 1;
        $hdrs .= "$1: $2\r\n";
    }
    $hdrs .= "Host: localhost\r\n" unless $have{host};
    $hdrs .= "Connection: close\r\n" unless $have{connection};
    if (length $body || $method =~ /^(POST|PUT|PATCH)$/) {
        $hdrs .= "Content-Length: " . length($body) . "\r\n"
            unless $have{'content-length'} || $have{'transfer-encoding'};
    }
    return "$method $uri $proto\r\n$hdrs\r\n$body";
}

sub send_http {
    my ($pieces, $timeout) = @_;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $ServerPort, Timeout => 3)
        or return (undef, "connect: $!");
    binmode $sock;
    for my $p (@$pieces) {
        my ($data, $delay) = ref $p ? ($p->{value}, $p->{delay_before}) : ($p, 0);
        sleep $delay if $delay;
        my $off = 0;
        while ($off < length $data) {
            my $n = syswrite($sock, $data, length($data) - $off, $off);
            last unless defined $n;
            $off += $n;
        }
    }
    my $sel = IO::Select->new($sock);
    my $resp = '';
    my $deadline = time + $timeout;
    while (1) {
        my $left = $deadline - time;
        return ($resp, 'timeout') if $left <= 0;
        last unless $sel->can_read($left);
        my $n = sysread($sock, my $buf, 65536);
        last unless $n;
        $resp .= $buf;
    }
    close $sock;
    return ($resp, undef);
}

sub parse_response {
    my ($raw) = @_;
    my ($head, $body) = split /\r\n\r\n/, $raw, 2;
    $body = '' unless defined $body;
    my @lines = split /\r\n/, $head // '';
    my $status_line = shift @lines // '';
    my ($code) = $status_line =~ m{^HTTP/\d\.\d (\d{3})};
    my %h;
    for (@lines) {
        my ($k, $v) = /^([^:]+):\s*(.*)$/ or next;
        $h{lc $k} = defined $h{lc $k} ? "$h{lc $k}, $v" : $v;
    }
    if (($h{'transfer-encoding'} // '') =~ /chunked/i) {
        my $out = '';
        while ($body =~ s/^([0-9a-fA-F]+)[^\r\n]*\r\n//) {
            my $len = hex $1;
            last if $len == 0;
            $out .= substr($body, 0, $len, '');
            $body =~ s/^\r\n//;
        }
        $body = $out;
    }
    return ($code, \%h, $body, $head);
}

# --- checks -----------------------------------------------------------------

sub read_log_from {
    my ($off) = @_;
    open my $fh, '<', "$ServRoot/logs/error.log" or return '';
    seek $fh, $off, 0;
    local $/;
    my $t = <$fh>;
    close $fh;
    return $t // '';
}

sub log_size { -s "$ServRoot/logs/error.log" || 0 }

# A check's value for request i; with many requests, as the real harness,
# only an array will do.
sub pick {
    my ($v, $i, $many, $name) = @_;
    return $v->[$i] if ref $v eq 'ARRAY';
    Test::More::BAIL_OUT("$name - You asked for many requests, the expected results "
                         . "should be arrays as well.") if $many && defined $v;
    return $v;
}

sub patterns {
    my ($v) = @_;
    return () unless defined $v;
    return @$v if ref $v eq 'ARRAY';
    return ($v) if ref $v;
    return grep { length } split /\n/, $v;
}

sub check_log {
    my ($name, $log, $block) = @_;
    for my $p (patterns($block->error_log)) {
        if (ref $p eq 'Regexp') { Test::More::like($log, $p, "$name - error_log matches $p") }
        else { Test::More::ok(index($log, $p) >= 0, "$name - error_log has \"$p\"") }
    }
    for my $p (patterns($block->no_error_log)) {
        if (ref $p eq 'Regexp') { Test::More::unlike($log, $p, "$name - no_error_log $p") }
        else { Test::More::ok(index($log, $p) < 0, "$name - error_log lacks \"$p\"")
                   or Test::More::diag(join "\n", grep { index($_, $p) >= 0 } split /\n/, $log) }
    }
}

sub check_response {
    my ($block, $name, $i, $raw, $err, $many) = @_;
    if ($err && $err eq 'timeout' && defined $block->abort) {
        return;
    }
    Test::More::fail("$name - $err") if $err;
    my ($code, $h, $body) = parse_response($raw // '');
    if (defined $block->response_body_json_sort) {
        require JSON::PP;
        my $js = JSON::PP->new->canonical->utf8;
        my $doc = eval { $js->decode($body) };
        $body = $js->encode($doc) . "\n" if defined $doc;
    }
    my $want = pick($block->error_code, $i, $many, $name) // 200;
    $want = expand($want);
    Test::More::is($code, $want, "$name - status code ok");
    if (defined(my $want_body = pick($block->response_body, $i, $many, $name))) {
        $want_body =~ s/\$ServerPort\b/$ServerPort/g;
        $want_body = expand($want_body);
        Test::More::is($body, $want_body, "$name - response_body - response is expected");
    }
    if (defined(my $like = pick($block->response_body_like, $i, $many, $name))) {
        $like = expand($like) unless ref $like;
        my $re = ref $like eq 'Regexp' ? $like : qr/$like/s;
        Test::More::like($body, $re, "$name - response_body_like - response is expected");
    }
    if (defined(my $unlike = pick($block->response_body_unlike, $i, $many, $name))) {
        my $re = ref $unlike eq 'Regexp' ? $unlike : qr/$unlike/s;
        Test::More::unlike($body, $re, "$name - response_body_unlike");
    }
    for my $line (split /\n/, pick($block->response_headers, $i, $many, $name) // '') {
        next unless $line =~ /\S/;
        if ($line =~ /^!\s*(\S+)/) {
            Test::More::ok(!defined $h->{lc $1}, "$name - header $1 not present");
            next;
        }
        my ($k, $v) = $line =~ /^\s*([^:]+?)\s*:\s*(.*?)\s*$/ or next;
        Test::More::is($h->{lc $k} // '', $v, "$name - header $k ok");
    }
    for my $line (split /\n/, pick($block->response_headers_like, $i, $many, $name) // '') {
        next unless $line =~ /\S/;
        my ($k, $v) = $line =~ /^\s*([^:]+?)\s*:\s*(.*?)\s*$/ or next;
        Test::More::like($h->{lc $k} // '', qr/^(?:$v)$/, "$name - header $k like");
    }
}

# A crash is a failure, as under OpenResty's harness: when a block's nginx
# stops, its master must still be alive and its whole log free of a process
# killed by a signal, a sanitizer's report, and an [alert] that none of the
# block's error_log patterns expects.
sub finish_block {
    my ($block) = @_;
    my $name = $block->name;
    my $pid = nginx_pid();
    if (!defined $block->must_die && !($pid && kill 0, $pid)) {
        Test::More::fail("$name - nginx is still running at the block's end");
    }
    stop_nginx() unless $UseHup && !defined $block->must_die && !$_[1];
    my @expected = patterns($block->error_log);
    for my $line (split /\n/, read_log_from($BlockLogStart)) {
        next unless $line =~ /exited on signal|AddressSanitizer|LeakSanitizer|\[alert\]/;
        next if grep { ref $_ ? $line =~ $_ : index($line, $_) >= 0 } @expected;
        Test::More::fail("$name - nginx error log: $line");
    }
}

my $Running;

sub run_block {
    my ($block) = @_;
    my $name = $block->name;
    $_->($block) for @Preprocessors;
    %RandPorts = ();

    # under TEST_NGINX_USE_HUP a running nginx is reloaded, not restarted
    my $pid = nginx_pid();
    my $hup = $UseHup && !defined $block->must_die && $pid && kill 0, $pid;

    finish_block($Running, !$hup) if $Running;
    $Running = $block;

    if ($hup) {
        $BlockLogStart = log_size();
        write_config($block, 1);
        reload_nginx($pid);
    } else {
        stop_nginx();
        $BlockLogStart = 0;
        write_config($block);
    }

    if (defined $block->must_die) {
        my ($rc, $out) = start_nginx($block);
        Test::More::ok($rc != 0, "$name - nginx must die");
        my $log = $out . read_log_from(0);
        check_log($name, $log, $block);
        return;
    }

    start_nginx($block) unless $hup;

    # as the real harness: after nginx started
    if (defined(my $init = $block->init)) {
        eval "package main; no strict; $init";
        Test::More::BAIL_OUT("$name - init failed: $@") if $@;
    }

    my $timeout = $block->timeout // $DefaultTimeout;
    $timeout =~ s/ms$// and $timeout /= 1000;

    my $off = $BlockLogStart;
    for my $rep (1 .. $RepeatEach) {
        my @reqs;
        if (defined(my $raw = $block->raw_request)) {
            @reqs = ref $raw eq 'ARRAY' ? ([@$raw]) : ([$raw]);
        } else {
            my $r = $block->request;
            my @list = ref $r eq 'ARRAY' ? @$r : ($r);
            for my $i (0 .. $#list) {
                my $hdr = pick($block->more_headers, $i);
                if (ref $list[$i] eq 'ARRAY') {
                    # [[piece, {value=>..., delay_before=>...}]]
                    my @p = @{ $list[$i] };
                    my $first = ref $p[0] ? $p[0]{value} : $p[0];
                    my $built = build_request($first, $hdr);
                    push @reqs, [$built, @p[1 .. $#p]];
                } else {
                    push @reqs, [build_request($list[$i], $hdr)];
                }
            }
        }
        my $label = $RepeatEach > 1 ? "$name (repeat $rep)" : $name;
        # each request's checks, its error_log ones on what it logged
        for my $i (0 .. $#reqs) {
            my ($raw, $err) = send_http($reqs[$i], $timeout);
            check_response($block, "$label - req $i", $i, $raw, $err, @reqs > 1);
            sleep($block->wait) if $block->wait;
            sleep 0.015;
            my $log = read_log_from($off);
            $off += length $log;
            check_log($label, $log, $block);
        }
    }
}

# HUP: the new configuration's workers serve once the old ones are gone.
sub reload_nginx {
    my ($pid) = @_;
    my @old = workers_of($pid);
    kill 'HUP', $pid;
    for (1 .. 500) {
        my @now = workers_of($pid);
        my %old = map { $_ => 1 } @old;
        last if @now && !grep { $old{$_} } @now;
        sleep 0.01;
    }
}

sub workers_of {
    my ($pid) = @_;
    local $ENV{LD_PRELOAD};
    delete $ENV{LD_PRELOAD};
    return `ps -o pid= --ppid $pid 2>/dev/null` =~ /(\d+)/g;
}

sub run_tests {
    my @blocks = blocks();
    unless ($NoShuffle) {
        require List::Util;
        @blocks = List::Util::shuffle(@blocks);
    }
    for my $b (@blocks) {
        run_block($b);
    }
    finish_block($Running) if $Running;
    undef $Running;
    stop_nginx();
    $_->() for @CleanupHandlers;
}

1;
