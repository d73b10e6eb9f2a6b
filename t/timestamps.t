# One timestamp format on the wire: every instant in every answer of the
# API (reads, the answers of writes, the export's rows) is RFC 3339 in UTC
# with milliseconds, 2026-11-29T23:53:59.761Z; dates alone stay
# YYYY-MM-DD (the sync's hybrid logical clocks have a form of their own).
# A user with something in every service walks every
# endpoint; each string that starts like a timestamp is checked, and the
# failures are named by endpoint and JSON path. Plain Test::More: one
# user's data across every service.
use strict;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;
use File::Temp qw(tempdir);

my $port = north_nginx(name => 'timestamps');
my $pw = 'maple syrup & snow 42';

sub call { north_http($port, @_) }

my %seen;     # endpoint => timestamps checked
my @bad;

# every string under $v that starts as a date and a time
sub walk {
    my ($where, $path, $v) = @_;
    if (ref $v eq 'HASH') {
        walk($where, "$path.$_", $v->{$_}) for sort keys %$v;
    } elsif (ref $v eq 'ARRAY') {
        walk($where, "$path\[$_]", $v->[$_]) for 0 .. $#$v;
    } elsif (defined $v && !ref $v && $v =~ /^\d{4}-\d\d-\d\dT/
             # the sync engine's hybrid logical clocks are not instants
             && $v !~ /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z-[0-9A-F]{4}-[0-9a-f]{16}$/) {
        $seen{$where}++;
        push @bad, "$where $path: $v"
            unless $v =~ /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
    }
}

sub check {
    my ($what, $r) = @_;
    die "$what: $r->{code} $r->{body}\n" unless $r->{code} =~ /^2/;
    walk($what, '$', $r->{json});
    return $r;
}

# --- one user with something everywhere ------------------------------------------

my $r = check('POST /v1/auth/register/verify', north_register($port, {
    email => "stamps$$\@north.example.ca", password => $pw,
    consents => ['terms', 'privacy_policy'], province => 'QC' }));
my $tok = $r->{json}{access_token};
check('POST /v1/auth/login', call(POST => '/v1/auth/login',
      json => { email => "stamps$$\@north.example.ca", password => $pw }));
check('PATCH /v1/me', call(PATCH => '/v1/me', token => $tok,
      json => { display_name => 'Stamps' }));
check('PUT /v1/privacy/consents/{purpose}', call(PUT => '/v1/privacy/consents/analytics',
      token => $tok, json => { granted => JSON::PP::true }));
check('POST /v1/privacy/requests', call(POST => '/v1/privacy/requests', token => $tok,
      json => { kind => 'access' }));
my $goal = check('POST /v1/goals', call(POST => '/v1/goals', token => $tok,
    json => { name => 'Trip', kind => 'savings', target_cents => 100000 }))->{json}{id};
check('POST /v1/goals/{id}/contributions', call(POST => "/v1/goals/$goal/contributions",
      token => $tok, json => { amount_cents => 60000 }));
check('POST /v1/analytics/manual-items', call(POST => '/v1/analytics/manual-items',
      token => $tok, json => { name => 'Car', type => 'vehicle', value_cents => 900000 }));
my ($item) = plaid_link($port, $tok);
my $tx = check('GET /v1/transactions', call(GET => '/v1/transactions?limit=5', token => $tok))
    ->{json}{transactions}[0]{id};
check('PATCH /v1/transactions/{id}', call(PATCH => "/v1/transactions/$tx", token => $tok,
      json => { notes => 'lunch' }));
check('POST /v1/gamification/check-in', call(POST => '/v1/gamification/check-in',
      token => $tok));

my $dir = tempdir(CLEANUP => 1);
my $spki = do {
    local $ENV{LD_PRELOAD};
    delete $ENV{LD_PRELOAD};
    system("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $dir/k.pem 2>/dev/null") == 0
        or die "openssl\n";
    `openssl pkey -in $dir/k.pem -pubout -outform DER | base64 -w0`;
};
check('POST /v1/auth/biometric/enroll', call(POST => '/v1/auth/biometric/enroll', token => $tok,
      json => { device_id => 'iphone', public_key => $spki, platform => 'ios' }));
check('POST /v1/auth/biometric/challenge', call(POST => '/v1/auth/biometric/challenge',
      json => { user_id => $r->{json}{user}{id}, device_id => 'iphone' }));

# --- every read ---------------------------------------------------------------------

for my $path ('/v1/me', '/v1/auth/sessions', '/v1/privacy/consents', '/v1/privacy/access-log',
              '/v1/privacy/requests', '/v1/privacy/policy', '/v1/privacy/contact',
              '/v1/plaid/items', '/v1/accounts', '/v1/transactions', '/v1/categories',
              '/v1/categories/rules', '/v1/analytics/net-worth?range=all',
              '/v1/analytics/spending', '/v1/analytics/manual-items', '/v1/goals',
              "/v1/goals/$goal", '/v1/gamification', '/v1/gamification/ledger',
              '/v1/gamification/achievements', '/v1/notifications',
              '/v1/notifications/preferences', '/v1/sync') {
    check("GET " . ($path =~ s/\Q$goal\E/{id}/r), call(GET => $path, token => $tok));
}
check('POST /v1/privacy/export', call(POST => '/v1/privacy/export', token => $tok, json => {}));
check('DELETE /v1/me', call(DELETE => '/v1/me', token => $tok, json => { password => $pw }));

ok(!@bad, 'every timestamp is RFC 3339, UTC, to the millisecond')
    or diag(join "\n", 'not so:', @bad);
for my $where (sort keys %seen) {
    note("$where: $seen{$where} timestamps");
}
cmp_ok(scalar(keys %seen), '>=', 15, 'timestamps were found in ' . scalar(keys %seen) . ' answers');

done_testing();
