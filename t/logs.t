# A request's log line in the shipped JSON form (north_json, the container's
# access log): one JSON object a line, with the route's name, the request and
# trace ids, the time spent in PostgreSQL, Redis and outbound calls, and no
# e-mail, token or address. And the W3C trace context: a client's valid
# traceparent is followed, anything else starts a trace; the answer names
# it, and the calls to Plaid carry it (a job's calls a trace of their own).
# Plain Test::More: it reads the log file and the simulator's record.
use strict;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;
use JSON::PP;

# the shipped format, as north-http.conf defines it
open my $fh, '<', north_root() . '/nginx.conf.d/north-http.conf' or die $!;
my ($format) = do { local $/; <$fh> } =~ /^(log_format north_json .*?;)$/ms
    or die "north-http.conf defines no north_json\n";
close $fh;

my ($port, $prefix) = north_nginx(name => 'logs',
    http => "$format\n    north_event_log logs/events.log;",
    server => 'access_log logs/access.json north_json;');

# the module's events of a type, parsed (each line must be JSON)
my $bad_events = 0;
sub events {
    my ($type) = @_;
    open my $e, '<', "$prefix/logs/events.log" or return ();
    my @all = map { my $j = eval { decode_json($_) }; $bad_events++ unless $j; $j ? $j : () } <$e>;
    return grep { $_->{type} eq $type } @all;
}
my $log = "$prefix/logs/access.json";

# the log lines of request id rid, parsed (each line must be JSON)
my $bad = 0;
sub lines_of {
    my ($rid) = @_;
    my @found;
    wait_for(5, sub {
        open my $l, '<', $log or return 0;
        @found = ();
        while (my $line = <$l>) {
            my $j = eval { JSON::PP->new->utf8->decode($line) };
            $bad++ unless $j;
            push @found, $j if $j && $j->{request_id} eq $rid;
        }
        @found;
    });
    return @found;
}
my $n = 0;
sub call {
    my ($method, $path, %o) = @_;
    my $rid = "logs-$$-" . ++$n;
    my $r = north_http($port, $method, $path, %o,
                       headers => { 'X-Request-Id' => $rid, %{ $o{headers} // {} } });
    my ($line) = lines_of($rid);
    return ($r, $line // {});
}

# --- an authenticated PostgreSQL read ---------------------------------------
my $email = "logs-$$\@example.ca";
my $token = session_token($email);
my $user = psql("select id from north.users where email = :'a0'", $email);

my ($r, $l) = call(GET => '/v1/me', token => $token);
is($r->{code}, 200, 'GET /v1/me: 200');
is($l->{type}, 'request', 'one line, of type request');
is($l->{route}, 'users.me', '... names the route, not the URI');
is($l->{method}, 'GET', '... the method');
is($l->{status}, 200, '... the status, as a number');
is($l->{user}, $user, '... the pseudonymous user id');
like($l->{time}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, '... the time, RFC 3339 to the ms');
ok($l->{pg_ms} > 0, "... time in PostgreSQL ($l->{pg_ms} ms)");
ok($l->{redis_ms} > 0, "... time in Redis, the session check ($l->{redis_ms} ms)");
is($l->{upstream_ms}, 0, '... no outbound call');
ok($l->{duration_ms} >= 0 && $l->{bytes_out} > 0 && $l->{bytes_in} > 0,
   '... duration and bytes, as numbers');
ok($l->{pg_ms} + $l->{redis_ms} <= $l->{duration_ms} + 1,
   '... the waits within the request');

# the trace: started here, named in the answer and in the line
my $tp = $r->{headers}{traceparent} // '';
like($tp, qr/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/, "the answer's traceparent, a new trace");
is($l->{trace_id}, substr($tp, 3, 32), "the line's trace id is the answer's");
is($l->{span_id}, substr($tp, 36, 16), "the line's span id is the answer's");

# --- a client's trace is followed ---------------------------------------------
my $client = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
($r, $l) = call(GET => '/v1/me', token => $token, headers => { traceparent => $client });
$tp = $r->{headers}{traceparent} // '';
like($tp, qr/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/,
     "a client's traceparent: its trace and sampled flag kept");
isnt(substr($tp, 36, 16), '00f067aa0ba902b7', '... with a span id of our own');
is($l->{trace_id}, '4bf92f3577b34da6a3ce929d0e0e4736', '... in the line too');

for my $case (['upper case', uc $client], ['version ff', "ff" . substr($client, 2)],
              ['zero trace id', '00-' . ('0' x 32) . '-00f067aa0ba902b7-01'],
              ['cut', substr($client, 0, 50)])
{
    ($r, $l) = call(GET => '/v1/me', token => $token, headers => { traceparent => $case->[1] });
    $tp = $r->{headers}{traceparent} // '';
    ok($tp =~ /^00-([0-9a-f]{32})-[0-9a-f]{16}-00$/ && $1 ne '4bf92f3577b34da6a3ce929d0e0e4736'
       && $1 ne '0' x 32, "a traceparent not valid ($case->[0]): a new trace");
}

# --- errors, unauthenticated, probes -----------------------------------------------
($r, $l) = call(GET => '/v1/me');
is($r->{code}, 401, 'no token: 401');
is_deeply([@$l{qw(status route user)}], [401, 'users.me', ''], '... logged: 401, the route, no user');
like($r->{headers}{traceparent} // '', qr/^00-[0-9a-f]{32}-/, '... with a traceparent too');

($r, $l) = call(POST => '/v1/me', token => $token, body => '{');
is($l->{status}, $r->{code}, "a refused method or body is logged with its status ($r->{code})");

# --- an outbound call: linking a bank ------------------------------------------
my ($item, $plaid) = plaid_link($port, $token);
my $state = plaid_sim('/__sim/state', { item_id => $plaid });
my ($exchange) = grep { $_->{path} eq '/item/public_token/exchange' } reverse @{ $state->{calls} };
my ($sync) = grep { $_->{path} eq '/transactions/sync' } reverse @{ $state->{calls} };
ok($exchange && $exchange->{traceparent}, "the link's call to Plaid carries a traceparent");
my ($linked) = grep { $_->{route} eq 'plaid.items' && $_->{method} eq 'POST' } map {
    my $j = eval { decode_json($_) }; $j ? $j : () } do { open my $l2, '<', $log; <$l2> };
ok($linked, 'the link is logged');
is(substr($exchange->{traceparent} // '', 3, 32), $linked->{trace_id},
   "... in the request's trace");
ok($linked->{upstream_ms} > 0, "... with its time in outbound calls ($linked->{upstream_ms} ms)");
like($sync->{traceparent} // '', qr/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/,
     "the sync job's call to Plaid carries a trace");
isnt(substr($sync->{traceparent} // '', 3, 32), $linked->{trace_id}, "... of the job's own");

# --- the module's events -----------------------------------------------------------
my @jobs;
wait_for(10, sub { @jobs = grep { $_->{kind} eq 'plaid.sync' && $_->{outcome} eq 'done' } events('job') });
ok(@jobs, 'the sync job\'s run is an event: kind plaid.sync, done');
is($jobs[0]{trace_id}, substr($sync->{traceparent} // '', 3, 32), '... in the trace its Plaid calls carried');
ok(defined $jobs[0]{duration_ms} && $jobs[0]{attempt} >= 1, '... with its duration and attempt');
my ($synced) = grep { $_->{item} eq $item } events('plaid.synced');
ok($synced && $synced->{pages} >= 1 && $synced->{changes} > 0,
   "the sync's result is an event ($synced->{pages} pages, $synced->{changes} changes)");

north_stack('redis-stop');
call(GET => '/v1/me', token => $token);
north_stack('redis-start');
ok(wait_for(15, sub { north_http($port, GET => '/readyz'); grep { $_->{store} eq 'redis' && $_->{state} eq 'up' } events('link') }),
   'Redis back: a link event says so');
ok((grep { $_->{store} eq 'redis' && $_->{state} =~ /^(lost|refused)$/ } events('link')),
   '... after one that it was lost');
like((events('link'))[0]{time} // '', qr/Z$/, '... each with its time');
is($bad_events, 0, 'every event line is JSON');

# --- nothing personal or secret in the log --------------------------------------
my $requests = do { open my $l3, '<', $log or die; local $/; <$l3> };
my $all = $requests . do { open my $l4, '<', "$prefix/logs/events.log" or die; local $/; <$l4> };
is($bad, 0, 'every line of the log is JSON');
unlike($all, qr/\Q$email\E/, 'no e-mail in the logs');
unlike($all, qr/\Q$token\E/, 'no token in the logs');
unlike($requests, qr/127\.0\.0\.1/, 'no client address in the requests\' log');

done_testing();
