# One stack left running under load, as production is: two workers, the job
# runner sweeping every second (north_jobs_sweep 1s), Plaid sync jobs, and
# keep-alive clients of several users reading and writing, for a first
# stretch (SOAK_SECONDS, 60 by default), then a reload, then a second stretch
# (a third of the first). No process may die of a signal, the master stays
# the same, every request is answered on its connection, worker memory and
# PostgreSQL connections stay flat, and the audit chains verify. Plain
# Test::More: one nginx for the whole run, and a reload in it.
use strict;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;
use IO::Socket::INET;
use Time::HiRes qw(sleep time);
use JSON::PP ();
use POSIX ();

my $seconds = $ENV{SOAK_SECONDS} || 60;
my $users = 4;
my $pool = 4;                       # north_database_pool_size
my $links = $pool + 1;              # and each worker's listener
my $workers = 2;
my $rss_bound = 8 * 1024;           # kB a worker may grow after warming up
# the sanitizer's quarantine holds freed memory: keep it small here
$ENV{ASAN_OPTIONS} .= ':quarantine_size_mb=16' if $ENV{NORTH_LD_PRELOAD};

my ($port, $prefix) = north_nginx(name => 'soak', workers => $workers,
    http => "north_jobs_sweep 1s;\n    north_database_pool_size $pool;");

sub call { north_http($port, @_) }

sub master { nginx_master($prefix) }
sub worker_pids { nginx_workers($prefix) }

sub rss {   # kB
    open my $fh, '<', "/proc/$_[0]/status" or return 0;
    while (my $line = <$fh>) { return $1 if $line =~ /^VmRSS:\s+(\d+)/ }
    return 0;
}

sub pg_connections {
    psql("select count(*) from pg_stat_activity
          where usename = current_user and pid <> pg_backend_pid()");
}

# --- users with data: a linked bank, a goal, a manual item -------------------

my (@tokens, @items, @goals, @manual);
for my $u (1 .. $users) {
    my $r = north_register($port, {
        email => "soak$$.$u\@north.example.ca", password => 'maple syrup & snow 42',
        consents => ['terms', 'privacy_policy'] });
    die "register: $r->{code} $r->{body}" unless $r->{code} == 201;
    push @tokens, $r->{json}{access_token};
    my ($item) = plaid_link($port, $tokens[-1]);
    push @items, $item;
    $r = call(POST => '/v1/goals', token => $tokens[-1], json => {
        name => 'Trip', kind => 'savings', target_cents => 500000 });
    die "goal: $r->{code} $r->{body}" unless $r->{code} == 201;
    push @goals, $r->{json}{id};
    $r = call(POST => '/v1/analytics/manual-items', token => $tokens[-1],
              json => { name => 'Bike', type => 'vehicle', value_cents => 90000 });
    die "manual item: $r->{code} $r->{body}" unless $r->{code} == 201;
    push @manual, $r->{json}{id};
}
pass("$users users, each with a linked bank, a goal and a manual item");

# --- a keep-alive client ----------------------------------------------------------

# One request on s; (status, or undef when the connection ended unanswered).
sub exchange {
    my ($s, $method, $path, $token, $body) = @_;
    my $req = "$method $path HTTP/1.1\r\nHost: soak\r\nAuthorization: Bearer $token\r\n"
        . (defined $body ? "Content-Type: application/json\r\nContent-Length: "
                           . length($body) . "\r\n" : '')
        . "\r\n" . ($body // '');
    print {$s} $req or return;
    my $head = '';
    while ($head !~ /\r\n\r\n/) {
        my $n = sysread($s, $head, 4096, length $head);
        return unless $n;
    }
    my ($h, $rest) = split /\r\n\r\n/, $head, 2;
    my ($code) = $h =~ m{^HTTP/1\.1 (\d{3})} or return;
    if ($h =~ /^content-length:\s*(\d+)/mi) {
        my $len = $1;
        while (length $rest < $len) {
            my $n = sysread($s, $rest, $len - length $rest, length $rest);
            return unless $n;
        }
    } elsif ($h =~ /^transfer-encoding:\s*chunked/mi) {
        while ($rest !~ /(?:^|\r\n)0\r\n\r\n\z/) {
            my $n = sysread($s, $rest, 4096, length $rest);
            return unless $n;
        }
    }
    return ($code, $h =~ /^connection:\s*close/mi ? 1 : 0);
}

# Runs user u's client for seconds; prints "requests unanswered 5xx 429 codes".
sub client {
    my ($u, $seconds) = @_;
    my ($tok, $item, $goal, $bike) = ($tokens[$u], $items[$u], $goals[$u], $manual[$u]);
    my @mix = (
        [GET => '/v1/me'], [GET => '/v1/accounts'],
        [GET => '/v1/transactions?limit=20'], [GET => '/v1/analytics/net-worth'],
        [GET => '/v1/analytics/spending'], [GET => '/v1/goals'],
        [GET => '/v1/auth/sessions'], [GET => "/v1/goals/$goal"],
        [POST => "/v1/goals/$goal/contributions", '{"amount_cents":100}'],
        [PATCH => '/v1/me', '{"locale":"fr-CA"}'],
        [PATCH => '/v1/me', '{"locale":"en-CA"}'],
        [PATCH => "/v1/analytics/manual-items/$bike", '{"value_cents":%d}'],
    );
    my %n = (requests => 0, unanswered => 0, server_errors => 0, limited => 0);
    my %codes;
    my $end = time + $seconds;
    my ($s, $i, $synced) = (undef, 0, time);
    while (time < $end) {
        $s //= IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                     Timeout => 10) or die "connect: $!";
        my ($method, $path, $body) = @{ $mix[$i++ % @mix] };
        $body = sprintf $body, $i if defined $body && $body =~ /%d/;
        # a sync job for the user's bank every 2 seconds
        ($method, $path, $body) = (POST => "/v1/plaid/items/$item/sync", '{}'), $synced = time
            if time - $synced > 2;
        $n{requests}++;
        my ($code, $close) = exchange($s, $method, $path, $tok, $body);
        if (!defined $code) {
            $n{unanswered}++;
            undef $s;
            next;
        }
        $codes{$code}++;
        $codes{"$code $method " . ($path =~ s{/[0-9a-f-]{36}}{/{id}}gr)}++ if $code >= 300;
        $n{server_errors}++ if $code >= 500;
        $n{limited}++ if $code == 429;
        undef $s if $close;
    }
    print JSON::PP->new->canonical->encode({ %n, codes => \%codes }), "\n";
}

# All users' clients at once for seconds; their summed counts.
sub stretch {
    my ($seconds) = @_;
    my @pipes;
    for my $u (0 .. $users - 1) {
        my $pid = open(my $fh, '-|') // die "fork: $!";
        # the client leaves without the file's END blocks (they stop nginx)
        if (!$pid) { client($u, $seconds); POSIX::_exit(0) }
        push @pipes, $fh;
    }
    return @pipes;
}

sub collect {
    my %sum = (codes => {});
    for my $fh (@_) {
        my $line = <$fh>;
        close $fh;
        my $c = eval { JSON::PP->new->decode($line // '') } // { unanswered => 'no report' };
        for my $k (keys %$c) {
            if ($k eq 'codes') { $sum{codes}{$_} += $c->{codes}{$_} for keys %{ $c->{codes} } }
            else { $sum{$k} = ($sum{$k} // 0) + ($c->{$k} =~ /^\d+$/ ? $c->{$k} : 1e9) }
        }
    }
    return \%sum;
}

sub report {
    my ($name, $s) = @_;
    diag(sprintf '%s: %d requests, %d unanswered, %d 5xx, %d 429; statuses %s',
         $name, $s->{requests}, $s->{unanswered}, $s->{server_errors}, $s->{limited},
         join ' ', map { "$_:$s->{codes}{$_}" } sort keys %{ $s->{codes} });
    cmp_ok($s->{requests}, '>', $seconds * 10, "$name: the clients were served");
    is($s->{unanswered}, 0, "$name: every request answered on its connection");
    is($s->{server_errors}, 0, "$name: no 5xx");
}

my $master = master();

# --- the first stretch -----------------------------------------------------------

my @pipes = stretch($seconds);
my $warm = $seconds / 6;
sleep $warm;
my @workers = worker_pids();
is(scalar @workers, $workers, "$workers workers");
my %rss_warm = map { $_ => rss($_) } @workers;
my $conns_warm = pg_connections();
sleep $seconds - $warm;
my %rss_end = map { $_ => rss($_) } @workers;
my $conns_end = pg_connections();
my $first = collect(@pipes);
report('first stretch', $first);

is_deeply([worker_pids()], \@workers, '... the same workers at its end: none respawned');
for my $w (@workers) {
    diag("worker $w: RSS $rss_warm{$w} kB after ${warm}s, $rss_end{$w} kB after ${seconds}s");
    cmp_ok($rss_end{$w} - $rss_warm{$w}, '<=', $rss_bound,
           "... worker $w grew at most $rss_bound kB");
}
diag("PostgreSQL connections: $conns_warm after ${warm}s, $conns_end after ${seconds}s");
cmp_ok($conns_end, '<=', $workers * $links, "... at most $workers x $links PostgreSQL connections");
cmp_ok($conns_end, '<=', $conns_warm + 1, '... and no more than once warm');
cmp_ok(psql("select count(*) from north.jobs where kind = 'plaid.sync' and done_at is not null
             and created_at > now() - interval '1 hour'"), '>=', $users,
       '... Plaid sync jobs ran');

# --- a reload, then the second stretch ------------------------------------------

kill 'HUP', $master;
ok(wait_for(20, sub {
    my @now = worker_pids();
    @now == $workers && !grep { my $w = $_; grep { $_ == $w } @workers } @now
}), 'a reload: new workers in place of the old');
my @second = worker_pids();
@pipes = stretch($seconds / 3);
sleep $seconds / 3;
my $conns_second = pg_connections();
report('second stretch', collect(@pipes));
is_deeply([worker_pids()], \@second, '... the same workers at its end');
diag("PostgreSQL connections after the reload: $conns_second");
cmp_ok($conns_second, '<=', $workers * $links, "... the old workers' connections closed");

# --- what the stack left behind ---------------------------------------------------

{
    open my $fh, '<', "$prefix/logs/error.log" or die $!;
    my @spooled = grep { /records spooled|until PostgreSQL answers/ } <$fh>;
    is_deeply(\@spooled, [], 'PostgreSQL up throughout: nothing said to wait for it, the reload included');
}
is(master(), $master, 'the master is the one that started');
ok(kill(0, $master), '... and alive');
is_deeply([nginx_faults("$prefix/logs/error.log")], [],
          'no process died of a signal, no alert, no sanitizer report');
# audit.t leaves a chain it tampered with: these are the soak's workers'
my $chains = join '|', @workers, @second;
# each chain's last checkpoint is the one that counts
my %last;
if (open my $fh, '<', "$prefix/logs/audit-spool/checkpoints.log") {
    while (<$fh>) { $last{$1} = $_ if /^(\S+) / }
}
my $cps = join '', values %last;
is(psql("select count(*) from north.audit_verify(" . audit_key_sql() . ", :'a1')
         where chain ~ :'a0'", ":($chains):", $cps), 0,
   "every audit chain of the soak's workers verifies, by key and checkpoint");
cmp_ok(psql("select count(*) from north.audit_log where chain ~ :'a0'", ":($chains):"),
       '>', $first->{requests}, '... with the stretches audited');

done_testing();
