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
    }
}

sub hlc_text {
    my ($ms, $counter, $node) = @_;
    return POSIX::strftime('%Y-%m-%dT%H:%M:%S', gmtime int($ms / 1000))
        . sprintf('.%03dZ-%04X-%s', $ms % 1000, $counter, $node);
}

my ($snapshot, $start) = feed_all();
my @devices = map { { node => sprintf('%016x', 0xd000 + $_), copy => {}, version => {} } } 0 .. 3;
for my $d (@devices) { apply_changes($d, $snapshot); $d->{cursor} = $start }

my ($failed, $edits, $requests, $conflicts) = (0, 0, 0, 0);
my $t0 = time;
CASE: for my $case (1 .. $cases) {
    # the clocks the server holds now: an edit must beat them to win
    my %clock;
    for (psql("select entity || '/' || id || '.' || f || ' ' || h
               from north.sync_changes, jsonb_each_text(clocks) c(f, h)
               where user_id = :'a0' and entity in ('goal', 'manual_item')", $uid)) {
        my ($k, $h) = split / /;
        $clock{$k} = $h;
    }

    # each device edits offline, its clock up to 3 s behind and moving on
    my (%expect, @pushes);
    my $now = int(time * 1000);
    for my $d (grep { rand() < 0.8 } @devices) {
        my $ms = $now - int(rand 3000);
        my $counter = 0;
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
            $ms += int(rand 3);
            $counter = rand() < 0.3 ? $counter + 1 : 0;
            my $hlc = hlc_text($ms, $counter, $d->{node});
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

    # every device reads the feed; all end equal to the server
    for my $d (@devices) {
        my ($changes, $cursor);
        # a change is handed once the transactions begun before it ended
        for (1 .. 50) {
            ($changes, $cursor) = feed_all($d->{cursor});
            apply_changes($d, $changes);
            $d->{cursor} = $cursor;
            my $behind = grep {
                my ($k, $field) = /^(.*)\.(\w+)$/;
                !JSON::PP->new->canonical->allow_nonref->encode($d->{copy}{$k}{$field})
                    eq JSON::PP->new->canonical->allow_nonref->encode($expect{$_}[1]);
            } keys %expect;
            last unless $behind;
        }
    }
    my $server = {};
    apply_changes({ copy => $server, version => {} }, (feed_all())[0]);
    for my $k (sort keys %expect) {
        my ($e, $field) = $k =~ /^(.*)\.(\w+)$/;
        my $want = JSON::PP->new->allow_nonref->encode($expect{$k}[1]);
        my $got = JSON::PP->new->allow_nonref->encode($server->{$e}{$field});
        next if $want eq $got;
        fail("case $case: $k is $got on the server, not $want (the latest clock's, $expect{$k}[0])");
        $failed++;
        last CASE;
    }
    for my $d (@devices) {
        for my $k (map { "$_->[0]/$_->[1]" } @entities) {
            my $enc = JSON::PP->new->canonical->allow_nonref;
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
