# The metrics an operator alarms on (docs/operations.md, "What to alarm
# on"): latency by route, the PostgreSQL pool's waits, the Redis link and
# its commands' time, the job queue by kind and the Plaid items by health
# (read from PostgreSQL at the scrape), and the audit spool. Plain
# Test::More: one nginx with a one-connection pool, rows put in the queue,
# a spool file written beside the workers'.
use strict;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;
use Time::HiRes qw(time);

my ($port, $prefix) = north_nginx(name => 'metrics-alarms',
    http => "north_database_pool_size 1;\n    north_database_pipeline 1;\n"
          . "    north_jobs_interval 0;",
    server => 'location = /sleep { north_api selftest.sleep; }');

sub scrape { north_http($port, GET => '/metrics')->{body} }

# a sample's value (labels as written, in order), or undef
sub sample {
    my ($text, $name, $labels) = @_;
    my $l = defined $labels ? "\\{\Q$labels\E\\}" : '';
    return $text =~ /^\Q$name\E$l ([0-9.e+-]+)$/m ? $1 : undef;
}

# --- latency by route --------------------------------------------------------------
my $token = session_token("metrics-$$\@example.ca");
is(north_http($port, GET => '/v1/me', token => $token)->{code}, 200, 'GET /v1/me');
my $m = scrape();
ok(sample($m, 'north_http_request_duration_seconds_count', 'route="users.me"') >= 1,
   'the latency histogram of users.me counts it');
like($m, qr/^north_http_request_duration_seconds_bucket\{route="users\.me",le="\+Inf"\} \d+$/m,
     '... with its buckets');

# --- Redis ---------------------------------------------------------------------------
is(sample($m, 'north_redis_links_up'), 1, 'the worker\'s Redis link is up');
my $cmds = sample($m, 'north_redis_commands_total');
ok($cmds >= 1, "Redis commands are counted ($cmds)");
ok(sample($m, 'north_redis_command_seconds_total') > 0, '... and their time');
north_http($port, GET => '/v1/me', token => $token);
cmp_ok(sample(scrape(), 'north_redis_commands_total'), '>', $cmds, '... each request\'s session check');

# --- the PostgreSQL pool: queries that waited for its one connection ---------------
my $waits = sample($m, 'north_pg_waits_total');
my $waited = sample($m, 'north_pg_wait_seconds_total');
my @r = north_answers(20, north_send_all($port, map { "/sleep?ms=300" } 1 .. 3));
is(scalar(grep { $_->[0] == 200 } @r), 3, 'three queries at once on one connection');
$m = scrape();
cmp_ok(sample($m, 'north_pg_waits_total') - $waits, '>=', 2, '... two of them waited');
cmp_ok(sample($m, 'north_pg_wait_seconds_total') - $waited, '>=', 0.5,
       '... the time they waited (0.3 s and 0.6 s)');

# --- the job queue, by kind ----------------------------------------------------------
my $kind = "metrics.t$$";
psql("insert into north.jobs (kind, run_at) values (:'a0', now() - interval '90 seconds'),
      (:'a0', now() - interval '10 seconds')", $kind);
psql("insert into north.jobs (kind, run_at, leased_until)
      values (:'a0', now() - interval '300 seconds', now() + interval '1 minute')", $kind);
psql("insert into north.jobs (kind, run_at) values (:'a0', now() + interval '1 hour')", $kind);
$m = scrape();
is(sample($m, 'north_metrics_database_up'), 1, 'the scrape read PostgreSQL');
is(sample($m, 'north_jobs_waiting', "kind=\"$kind\""), 2, 'jobs due and not running: 2 (not the future one)');
is(sample($m, 'north_jobs_running', "kind=\"$kind\""), 1, 'jobs leased: 1');
my $oldest = sample($m, 'north_jobs_oldest_waiting_seconds', "kind=\"$kind\"");
ok($oldest >= 90 && $oldest < 200, "the oldest waiting is 90 s old ($oldest), not the running one");
psql("delete from north.jobs where kind = :'a0'", $kind);
unlike(scrape(), qr/kind="\Q$kind\E"/, 'a kind with nothing due is gone');

# --- Plaid items by health -------------------------------------------------------------
my %health = map { split /\|/ } split /\n/,
    psql("select health || '|' || count(*) from north.plaid_items group by health");
$m = scrape();
like($m, qr/^# TYPE north_plaid_items gauge$/m, 'Plaid items by health');
is_deeply({ map { $_ => sample($m, 'north_plaid_items', "health=\"$_\"") } keys %health },
          \%health, '... as many as PostgreSQL holds of each');

# --- the audit spool -------------------------------------------------------------------------
$m = scrape();
is(sample($m, 'north_audit_spool_files'), 0, 'the audit spool is empty');
is(sample($m, 'north_audit_spool_oldest_seconds'), 0, '... and has no oldest record');
# a file of a process that lives (this one): no worker adopts it
my $file = "$prefix/logs/audit-spool/audit-$$.jsonl";
my $at = int(time * 1000) - 120_000;
open my $fh, '>', $file or die "$file: $!";
print $fh qq({"record_id":"x:1","chain":"x","seq":1,"at_ms":$at}\n),
          qq({"record_id":"x:2","chain":"x","seq":2,"at_ms":@{[ $at + 1000 ]}}\n);
close $fh;
$m = scrape();
is(sample($m, 'north_audit_spool_files'), 1, 'a spool file with records is counted');
is(sample($m, 'north_audit_spool_bytes'), -s $file, '... its bytes');
my $age = sample($m, 'north_audit_spool_oldest_seconds');
ok($age >= 119 && $age < 130, "... the age of its first record ($age s)");
unlink $file;

# --- PostgreSQL away: the counters still answer ------------------------------------------
north_stack('pg-stop');
my $r = north_http($port, GET => '/metrics');
north_stack('pg-start');
is($r->{code}, 200, 'PostgreSQL away: /metrics answers');
is(sample($r->{body}, 'north_metrics_database_up'), 0, '... saying the figures from it are missing');
like($r->{body}, qr/^north_redis_links_up 1$/m, '... with the counters');
unlike($r->{body}, qr/^north_jobs_waiting/m, '... and no job figures');

done_testing();
