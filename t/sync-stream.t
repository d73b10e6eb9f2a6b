# Sync in real time: silent pushes while no stream is open (data only, one
# in 15 minutes, only for something new); server-sent events on GET
# /v1/sync/stream (an event after a change made on the other worker and
# after a Plaid sync, with its delay; heartbeats; Last-Event-ID; the end of
# the session, of the stream's life and of its worker on a reload;
# PostgreSQL away and back) and the long poll GET /v1/sync?wait=. Two workers, one LISTEN connection
# each; the beat and the life at a short period. Plain Test::More: streams
# are read as they come.
use strict;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;
use IO::Select;
use IO::Socket::INET;
use JSON::PP ();
use POSIX ();
use Time::HiRes qw(time sleep);

my ($port, $prefix) = north_nginx(name => 'sync-stream', workers => 2,
    http => "north_sync_heartbeat 1s;\n    north_sync_stream_life 6s;");

sub call { north_http($port, @_) }

my $r = north_register($port, {
    email => "stream$$\@north.example.ca", password => 'maple syrup & snow 42',
    consents => ['terms', 'privacy_policy'] });
my ($tok, $uid) = ($r->{json}{access_token}, $r->{json}{user}{id});
my ($item, $plaid) = plaid_link($port, $tok);
my $tx = psql("select id from north.transactions where user_id = :'a0' limit 1", $uid);

# --- silent pushes, while no stream is open -----------------------------------------------

# the user's phone has a push token (no notifications consent: a silent
# push shows nothing)
my $phone = call(POST => '/v1/auth/login', json => {
    email => "stream$$\@north.example.ca", password => 'maple syrup & snow 42',
    device => { id => 'phone' } })->{json}{access_token};
my $fcm = "fcm-sync-$$";
is(call(PUT => '/v1/devices/phone/push-token', token => $phone,
        json => { token => $fcm, platform => 'android' })->{code}, 204, 'the phone\'s push token');
sub silent { grep { !$_->{message}{notification} } @{ fcm_sim("/__sim/messages?token=$fcm") // [] } }
sub bank_sync {
    plaid_sim('/__sim/add_transactions', { item_id => $plaid, count => $_[0] }) if $_[0];
    my $before = psql("select coalesce(max(id), 0) from north.jobs");
    call(POST => "/v1/plaid/items/$item/sync", token => $tok);
    wait_for(20, sub { psql("select count(*) = 0 from north.jobs where kind = 'plaid.sync'
                             and id > :'a0' and done_at is null", $before) eq 't' });
}

bank_sync(2);
ok(wait_for(10, sub { silent() == 1 }), 'new transactions, no stream open: a silent push');
my ($m) = map { $_->{message} } silent();
is_deeply([$m->{data}, $m->{android}, $m->{apns}{headers}{'apns-push-type'}, $m->{apns}{payload}],
          [{ kind => 'sync' }, { collapse_key => 'sync', priority => 'normal' }, 'background',
           { aps => { 'content-available' => 1 } }],
          '... data only, collapsed as "sync", at normal priority');
bank_sync(2);
sleep 1;
is(scalar(silent()), 1, 'more within 15 minutes: no second push');
psql_owner("update north.clock set skew = interval '16 minutes'");
END { psql_owner("update north.clock set skew = '0'") }
bank_sync(0);
sleep 1;
is(scalar(silent()), 1, 'a sync with nothing new: no push');
bank_sync(1);
ok(wait_for(10, sub { silent() == 2 }), '16 minutes later, something new: a second push');
psql_owner("update north.clock set skew = interval '32 minutes'");

# a stream: its socket and what it sent so far
sub open_stream {
    my (%h) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Timeout => 5) or die "connect: $!";
    my $token = delete $h{token} // $tok;
    print $s "GET /v1/sync/stream HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer $token\r\n"
        . join('', map { "$_: $h{$_}\r\n" } keys %h) . "\r\n";
    return { s => $s, data => '', opened => time };
}

# reads until what matches pattern has come (its captures), or timeout s
sub wait_stream {
    my ($st, $pattern, $timeout) = @_;
    my $sel = IO::Select->new($st->{s});
    my $end = time + $timeout;
    while (1) {
        if ($st->{data} =~ s/$pattern//) {
            return [$1 // 1, time];
        }
        return undef if $st->{closed};
        my $left = $end - time;
        return undef if $left <= 0;
        next unless $sel->can_read($left);
        my $n = sysread $st->{s}, my $buf, 65536;
        if (!$n) { $st->{closed} = time; next }
        $st->{data} .= $buf;
        $st->{closed} = time if $st->{data} =~ /\r\n0\r\n\r\n$/;
    }
}

sub event { wait_stream($_[0], qr/id: ([\w-]+)\nevent: changes\ndata: \{"cursor":"[\w-]+"\}\n\n/, $_[1]) }

sub ended {
    my ($st, $timeout) = @_;
    wait_stream($st, qr/\A\z(?!)/, $timeout);     # matches nothing: reads to the end
    return $st->{closed};
}

# --- a stream --------------------------------------------------------------------------

my $st = open_stream();
ok(wait_stream($st, qr{^HTTP/1\.1 200 OK\r\n(?:[^\r]+\r\n)*?Content-Type: text/event-stream\r\n}, 3),
   'a stream opens: 200 text/event-stream');
like($st->{data}, qr/Transfer-Encoding: chunked/, '... chunked');
ok(wait_stream($st, qr/retry: 3000\n\n/, 3), '... the client is told to come back within 3 s');
my $first = event($st, 3);
ok($first, 'an event at once with the newest cursor, since none was given');
my $cursor = $first->[0];
my $feed = call(GET => "/v1/sync?cursor=$cursor", token => $tok);
is_deeply([$feed->{code}, $feed->{json}{changes}], [200, []], '... the feed\'s own cursor: nothing after it');
ok(wait_stream($st, qr/: beat\n\n/, 2), 'a heartbeat within the beat (1 s here)');

# a change made through the other worker: an event within a second
my @delays;
for my $i (1 .. 5) {
    my $t0 = time;
    call(PATCH => "/v1/transactions/$tx", token => $tok, json => { notes => "note $i" });
    my $e = event($st, 2);
    ok($e, "change $i: an event") or last;
    push @delays, $e->[1] - $t0;
    isnt($e->[0], $cursor, '... with a new cursor');
    $cursor = $e->[0];
}
cmp_ok((sort { $b <=> $a } @delays)[0], '<', 1, 'each within a second of the change');
note(sprintf 'from the PATCH to the event: %s ms',
             join ', ', map { int($_ * 1000) } @delays);
my $changes = call(GET => "/v1/sync?cursor=$first->[0]", token => $tok)->{json}{changes};
is(scalar @$changes, 1, 'the feed from the first event\'s cursor holds the transaction once');

# a Plaid sync's new transactions
plaid_sim('/__sim/add_transactions', { item_id => $plaid, count => 3 });
my $t0 = time;
like(call(POST => "/v1/plaid/items/$item/sync", token => $tok)->{code}, qr/^20[02]$/, 'a Plaid sync asked for');
my $e = event($st, 10);
ok($e, 'its new transactions: an event');
note(sprintf 'from the sync request to the event: %d ms', ($e->[1] - $t0) * 1000) if $e;
$changes = call(GET => "/v1/sync?cursor=$cursor", token => $tok)->{json}{changes};
cmp_ok(scalar(grep { $_->{entity} eq 'transaction' && $_->{op} eq 'upsert' } @$changes), '>=', 3,
       '... the feed holds them');
sleep 1;
is(scalar(silent()), 2, '... and no silent push: a stream is open');
$cursor = $e->[1] ? $e->[0] : $cursor;

# --- Last-Event-ID ---------------------------------------------------------------------

my $again = open_stream('Last-Event-ID' => $cursor);
ok(wait_stream($again, qr/retry: 3000\n\n/, 3), 'a stream resumed from its last event');
ok(!event($again, 1.2), '... no event: nothing after it');
call(PATCH => "/v1/transactions/$tx", token => $tok, json => { notes => 'resumed' });
ok(event($again, 2), '... an event for the next change');
ok(event($st, 2), '... on the first stream too');

# --- the session's end ------------------------------------------------------------------

my $login = call(POST => '/v1/auth/login', json => { email => "stream$$\@north.example.ca",
                                                     password => 'maple syrup & snow 42' });
my $tok2 = $login->{json}{access_token};
my $other = open_stream(token => $tok2);
ok(event($other, 3), 'a second session\'s stream');
$t0 = time;
is(call(POST => '/v1/auth/logout', token => $tok2)->{code}, 204, 'that session logs out');
ok(ended($other, 2), '... its stream ends');
cmp_ok($other->{closed} - $t0, '<', 1, sprintf('... within a second (%d ms)', ($other->{closed} - $t0) * 1000));
ok(!$st->{closed} && !ended($st, 0.3), '... the other session\'s stream goes on');

# --- the stream's life -------------------------------------------------------------------

ok(ended($again, 8), 'a stream ends after north_sync_stream_life');
cmp_ok($again->{closed} - $again->{opened}, '>=', 5.5, sprintf '... after %.1f s', $again->{closed} - $again->{opened});

# --- PostgreSQL away and back ------------------------------------------------------------

my $pg = open_stream();
ok(event($pg, 3), 'a stream before PostgreSQL stops');
north_stack('pg-stop');
ok(wait_stream($pg, qr/: beat\n\n/, 2), 'PostgreSQL down: the stream lives on');
north_stack('pg-start');
ok(wait_for(10, sub { call(GET => '/v1/goals', token => $tok)->{code} == 200 }), 'PostgreSQL back');
call(PATCH => "/v1/transactions/$tx", token => $tok, json => { notes => 'after the outage' });
ok(event($pg, 5), '... a change after it is an event (the listener reconnected)');

# --- the long poll --------------------------------------------------------------------------

$cursor = call(GET => "/v1/sync?cursor=$cursor", token => $tok)->{json}{cursor};
my $pid = fork // die;
if (!$pid) {
    sleep 1;
    call(PATCH => "/v1/transactions/$tx", token => $tok, json => { notes => 'while it waits' });
    POSIX::_exit(0);
}
$t0 = time;
$r = call(GET => "/v1/sync?cursor=$cursor&wait=10", token => $tok);
my $took = time - $t0;
waitpid $pid, 0;
is($r->{code}, 200, 'a long poll answers when something changes');
is($r->{json}{changes}[0]{data}{notes}, 'while it waits', '... with the change');
ok($took > 0.8 && $took < 3, sprintf '... as soon as it does (%.2f s)', $took);
$cursor = $r->{json}{cursor};
$t0 = time;
$r = call(GET => "/v1/sync?cursor=$cursor&wait=2", token => $tok);
$took = time - $t0;
is($r->{code}, 304, 'nothing within the wait: 304');
ok($took >= 1.9 && $took < 3, sprintf '... after the wait (%.2f s)', $took);
is($r->{headers}{etag}, "\"$cursor\"", '... with the cursor\'s ETag');

# a long poll of a session that ends: answered at once, as one whose wait is over
my $tok3 = call(POST => '/v1/auth/login', json => { email => "stream$$\@north.example.ca",
                                                    password => 'maple syrup & snow 42' })->{json}{access_token};
my $waiting = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port) or die;
print $waiting "GET /v1/sync?cursor=$cursor&wait=30 HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer $tok3\r\n\r\n";
sleep 0.3;
$t0 = time;
call(POST => '/v1/auth/logout', token => $tok3);
my $ended = '';
IO::Select->new($waiting)->can_read(3) and sysread $waiting, $ended, 4096;
like($ended, qr{^HTTP/1\.1 304}, 'a long poll whose session ends: 304');
cmp_ok(time - $t0, '<', 1, '... within a second');

problem_ok(call(GET => "/v1/sync?wait=5", token => $tok), 400, 'validation-failed', 'wait without a cursor');
problem_ok(call(GET => "/v1/sync?cursor=$cursor&wait=61", token => $tok), 400, 'validation-failed', 'wait=61');
problem_ok(call(GET => '/v1/sync/stream'), 401, 'unauthorized', 'a stream without a token');

# --- a reload ---------------------------------------------------------------------------------

my @streams = map { open_stream() } 1 .. 4;
ok(!grep({ !event($_, 3) } @streams), 'four streams open');
my $poll = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port) or die;
print $poll "GET /v1/sync?cursor=$cursor&wait=30 HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer $tok\r\n\r\n";
sleep 0.3;
$t0 = time;
kill 'HUP', nginx_master($prefix);
ok(!grep({ !ended($_, 3) } @streams), 'a reload ends every stream');
cmp_ok((sort { $b <=> $a } map { $_->{closed} } @streams)[0] - $t0, '<', 2.5, '... within the tick');
my $poll_answer = '';
IO::Select->new($poll)->can_read(3) and sysread $poll, $poll_answer, 4096;
like($poll_answer, qr{^HTTP/1\.1 304}, '... and answers a waiting long poll 304');
my $new = open_stream();
ok(event($new, 3), 'the client reconnects to the new workers');

done_testing();
