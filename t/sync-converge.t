# Sync's merge, as a property: devices edit the same fields offline with
# their own clocks, push in a random order (some in several requests, some
# twice), then read the feed; every device must end with the server's
# state, and each field with the value of the edit whose clock is latest,
# whatever the order. NORTH_SYNC_CASES cases (1,000 unless given), from
# NORTH_SYNC_SEED (random unless given: printed, and again on a failure).
use strict;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;
use JSON::PP ();
use POSIX ();
use Time::HiRes qw(time);
use Time::Local qw(timegm);

my $cases = $ENV{NORTH_SYNC_CASES} // 1000;
my $seed = $ENV{NORTH_SYNC_SEED} // int(rand 2**31);
srand $seed;
diag("seed $seed, $cases cases (NORTH_SYNC_SEED=$seed NORTH_SYNC_CASES=$cases to repeat)");

my ($port) = north_nginx(name => 'sync-converge');

sub call { north_http($port, @_) }

my $r = north_register($port, {
    email => "converge$$\@north.example.ca", password => 'maple syrup & snow 42',
    consents => ['terms', 'privacy_policy'] });
my ($tok, $uid) = ($r->{json}{access_token}, $r->{json}{user}{id});

# what the devices share: two goals and two manual items, made by the server
my @entities;
for my $i (1, 2) {
    my $g = call(POST => '/v1/goals', token => $tok,
                 json => { name => "Goal $i", kind => 'savings', target_cents => 1000 })->{json}{id};
    my $m = call(POST => '/v1/analytics/manual-items', token => $tok,
                 json => { name => "Item $i", type => 'cash', value_cents => 100 })->{json}{id};
    push @entities, [goal => $g], [manual_item => $m];
}
my %values = (
    'goal.name'               => sub { 'Goal ' . int(rand 1000) },
    'goal.target_cents'       => sub { 1 + int(rand 1_000_000) },
    'goal.target_date'        => sub { rand() < 0.3 ? undef : sprintf('2027-%02d-%02d', 1 + int(rand 12), 1 + int(rand 28)) },
    'manual_item.name'        => sub { 'Item ' . int(rand 1000) },
    'manual_item.value_cents' => sub { int(rand 10_000_000) },
    'manual_item.notes'       => sub { rand() < 0.3 ? undef : 'note ' . int(rand 1000) },
);
my @fields = sort keys %values;

sub feed_all {
    my ($cursor) = @_;
    my @changes;
    while (1) {
        my $r = call(GET => '/v1/sync' . ($cursor ? "?cursor=$cursor" : ''), token => $tok);
        die "feed: $r->{code} $r->{body}" unless $r->{code} == 200;
        push @changes, @{ $r->{json}{changes} };
        $cursor = $r->{json}{cursor};
        return (\@changes, $cursor) unless $r->{json}{has_more};
    }
}

# a device's copy: "entity/id" => {field => value}, version; and its cursor
sub apply_changes {
    my ($dev, $changes) = @_;
    for my $c (@$changes) {
        my $k = "$c->{entity}/$c->{id}";
        next if ($dev->{version}{$k} // 0) > $c->{version};
        $dev->{copy}{$k} = $c->{data};
        $dev->{version}{$k} = $c->{version};
        seen($dev, $c->{hlc}) if $dev->{node} && $c->{hlc};
    }
}

sub hlc_text {
    my ($ms, $counter, $node) = @_;
    return POSIX::strftime('%Y-%m-%dT%H:%M:%S', gmtime int($ms / 1000))
        . sprintf('.%03dZ-%04X-%s', $ms % 1000, $counter, $node);
}

# a device's hybrid logical clock: its wall time, or the same millisecond
# and the next counter when it has not moved past the last one (its own, or
# one it read in the feed)
sub tick {
    my ($d, $wall) = @_;
    ($d->{ms}, $d->{counter}) = $wall > $d->{ms} ? ($wall, 0) : ($d->{ms}, $d->{counter} + 1);
    return hlc_text($d->{ms}, $d->{counter}, $d->{node});
}

sub seen {
    my ($d, $hlc) = @_;
    my ($y, $mo, $dd, $h, $mi, $sec, $msec, $counter) =
        $hlc =~ /^(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)\.(\d+)Z-([0-9A-F]{4})-/ or return;
    my $ms = timegm($sec, $mi, $h, $dd, $mo - 1, $y) * 1000 + $msec;
    ($d->{ms}, $d->{counter}) = ($ms, hex $counter)
        if $ms > $d->{ms} || ($ms == $d->{ms} && hex $counter > $d->{counter});
}

my ($snapshot, $start) = feed_all();
my @devices = map { { node => sprintf('%016x', 0xd000 + $_), copy => {}, version => {},
                      skew => int(rand 3000), ms => 0, counter => 0 } } 0 .. 3;
for my $d (@devices) { apply_changes($d, $snapshot); $d->{cursor} = $start }

# the clock of each field's last write, as the server keeps it: its own
# at first, then each case's winners (nothing else writes these)
my %clock;
for (psql("select entity || '/' || id || '.' || f || ' ' || h
           from north.sync_changes, jsonb_each_text(clocks) c(f, h)
           where user_id = :'a0' and entity in ('goal', 'manual_item')", $uid)) {
    my ($k, $h) = split / /;
    $clock{$k} = $h;
}

my ($failed, $edits, $requests, $conflicts) = (0, 0, 0, 0);
my $t0 = time;
CASE: for my $case (1 .. $cases) {
    # the clocks the server holds now: an edit must beat them to win
    # each device edits offline, by its own clock (up to 3 s behind the
    # server's), which only moves on
    my (%expect, @pushes);
    my $now = int(time * 1000);
    for my $d (grep { rand() < 0.8 } @devices) {
        my @mutations;
        for (1 .. 1 + int(rand 4)) {
            my ($entity, $id) = @{ $entities[rand @entities] };
            my @mine = grep { /^$entity\./ } @fields;
            my %f;
            for my $name (grep { rand() < 0.5 } @mine) {
                (my $field = $name) =~ s/^\w+\.//;
                $f{$field} = $values{$name}->();
            }
            next unless %f;
            my $hlc = tick($d, $now - $d->{skew} + int(rand 3));
            push @mutations, { client_mutation_id => "c$case-$d->{node}-" . scalar(@mutations),
                               entity => $entity, id => $id, hlc => $hlc, fields => \%f,
                               base_version => $d->{version}{"$entity/$id"} // 0 };
            for my $field (keys %f) {
                my $k = "$entity/$id.$field";
                next if defined $clock{$k} && $clock{$k} ge $hlc;
                next if $expect{$k} && $expect{$k}[0] ge $hlc;
                $expect{$k} = [$hlc, $f{$field}];
            }
        }
        next unless @mutations;
        $edits += @mutations;
        # pushed whole or in two requests; sometimes a request twice
        my $cut = rand() < 0.5 ? 1 + int(rand @mutations) : scalar @mutations;
        push @pushes, [$d, [@mutations[0 .. $cut - 1]]];
        push @pushes, [$d, [@mutations[$cut .. $#mutations]]] if $cut < @mutations;
        push @pushes, $pushes[-1] if rand() < 0.2;
    }

    # in any order (a device's own requests too: they are independent)
    for my $p (sort { $a->[2] <=> $b->[2] } map { [@$_, rand] } @pushes) {
        my $r = call(POST => '/v1/sync', token => $tok, json => { mutations => $p->[1] });
        $requests++;
        if ($r->{code} != 200 || @{ $r->{json}{rejected} }) {
            fail("case $case: a push was refused: $r->{code} $r->{body}");
            $failed++;
            last CASE;
        }
        $conflicts += @{ $r->{json}{conflicts} };
    }

    # every device reads the feed until it holds the server's state (a
    # change is handed once the transactions begun before it ended)
    my $server = {};
    apply_changes({ copy => $server, version => {} }, (feed_all())[0]);
    my $enc = JSON::PP->new->canonical->allow_nonref;
    my @keys = map { "$_->[0]/$_->[1]" } @entities;
    for my $d (@devices) {
        my $deadline = time + 5;
        while (1) {
            my ($changes, $cursor) = feed_all($d->{cursor});
            apply_changes($d, $changes);
            $d->{cursor} = $cursor;
            last unless grep { $enc->encode($d->{copy}{$_}) ne $enc->encode($server->{$_}) } @keys;
            last if time > $deadline;
            Time::HiRes::sleep(0.01);
        }
    }
    for my $k (sort keys %expect) {
        my ($e, $field) = $k =~ /^(.*)\.(\w+)$/;
        my $want = JSON::PP->new->allow_nonref->encode($expect{$k}[1]);
        my $got = JSON::PP->new->allow_nonref->encode($server->{$e}{$field});
        next if $want eq $got;
        fail("case $case: $k is $got on the server, not $want (the latest clock's, $expect{$k}[0])");
        $failed++;
        last CASE;
    }
    $clock{$_} = $expect{$_}[0] for keys %expect;
    for my $d (@devices) {
        for my $k (@keys) {
            next if $enc->encode($d->{copy}{$k}) eq $enc->encode($server->{$k});
            fail("case $case: device $d->{node} holds " . $enc->encode($d->{copy}{$k})
                 . " for $k, the server " . $enc->encode($server->{$k}));
            $failed++;
            last CASE;
        }
    }
}

ok(!$failed, "$cases cases: every device converged to the server, each field to its latest clock's value")
    or diag("seed $seed: NORTH_SYNC_SEED=$seed NORTH_SYNC_CASES=$cases to repeat");
note(sprintf '%d edits in %d requests, %d conflicts reported, %.1f s',
             $edits, $requests, $conflicts, time - $t0);

done_testing();
