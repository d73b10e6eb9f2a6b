# Every string field of the API at its limit in four-byte characters (and
# one past it): a length is checked in characters, but a buffer holds bytes,
# and UTF-8 takes up to four a character. At the limit the answer is never
# a 5xx and no worker dies (the AddressSanitizer suite sees any overflow);
# one past it, a 400 naming the field. Then the biometric verify that once
# overflowed the heap, many times over. Plain Test::More: the cases are made
# from the API's field table, on one nginx whose workers must all survive.
use strict;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;
use JSON::PP ();

my $port = north_nginx(name => 'utf8');
sub call { north_http($port, @_) }

my $emoji = "\x{1F600}";                 # U+1F600: four bytes in UTF-8
sub wide { $emoji x $_[0] }

my $pw = 'maple syrup & snow 42';
my $r = north_register($port, {
    email => "utf8.$$\@north.example.ca", password => $pw,
    consents => ['terms', 'privacy_policy', 'bank_data'] });
die "register: $r->{code} $r->{body}" unless $r->{code} == 201;
my ($tok, $uid) = ($r->{json}{access_token}, $r->{json}{user}{id});
my $goal = call(POST => '/v1/goals', token => $tok,
                json => { name => 'Trip', kind => 'savings', target_cents => 100000 })->{json}{id};
my $item = call(POST => '/v1/analytics/manual-items', token => $tok,
                json => { name => 'Bike', type => 'vehicle', value_cents => 1000 })->{json}{id};
plaid_link($port, $tok);
my $tx = psql("select id from north.transactions where user_id = :'a0' limit 1", $uid);

# method, path, the body around the field, the field (a.b: b inside a),
# its limit in characters
my @fields = (
    [POST => '/v1/auth/register', { password => $pw, consents => ['terms', 'privacy_policy'],
                                    email => 'x@north.example.ca' }, 'email', 254],
    [POST => '/v1/auth/register', { email => 'y@north.example.ca',
                                    consents => ['terms', 'privacy_policy'] }, 'password', 512],
    [POST => '/v1/auth/register/verify', { code => '123456' }, 'email', 254],
    [POST => '/v1/auth/register/verify', { email => 'z@north.example.ca' }, 'code', 6, 6],
    [POST => '/v1/auth/register/verify', { email => 'z@north.example.ca', code => '123456',
                                           device => { id => 'd1' } }, 'device.name', 128],
    [POST => '/v1/auth/login', { password => $pw }, 'email', 254],
    [POST => '/v1/auth/login', { email => 'x@north.example.ca' }, 'password', 512],
    [POST => '/v1/auth/login', { email => 'x@north.example.ca', password => $pw,
                                 device => {} }, 'device.id', 128],
    [POST => '/v1/auth/refresh', {}, 'refresh_token', 43, 43],
    [POST => '/v1/auth/password', { new_password => 'another long secret' },
     'current_password', 512, 1, 1],
    [POST => '/v1/auth/password', { current_password => $pw }, 'new_password', 512, 0, 1],
    [POST => '/v1/auth/biometric/enroll', { public_key => 'AAAA' }, 'device_id', 128, 1, 1],
    [POST => '/v1/auth/biometric/enroll', { device_id => 'd2' }, 'public_key', 1024, 1, 1],
    [POST => '/v1/auth/biometric/enroll', { device_id => 'd3', public_key => 'AAAA' },
     'name', 128, 0, 1],
    [POST => '/v1/auth/biometric/challenge', { user_id => $uid }, 'device_id', 128],
    [POST => '/v1/auth/biometric/verify', { user_id => $uid, challenge => 'A' x 43,
                                            signature => 'AAAA' }, 'device_id', 128],
    [POST => '/v1/auth/biometric/verify', { user_id => $uid, device_id => 'd1',
                                            signature => 'AAAA' }, 'challenge', 43, 43],
    [POST => '/v1/auth/biometric/verify', { user_id => $uid, device_id => 'd1',
                                            challenge => 'A' x 43 }, 'signature', 256],
    [PATCH => '/v1/me', {}, 'display_name', 100, 1, 1],
    [PATCH => '/v1/me', {}, 'time_zone', 64, 1, 1],
    [PATCH => '/v1/me', { password => $pw }, 'email', 254, 1, 1],
    [PATCH => '/v1/me', { email => 'new@north.example.ca' }, 'password', 512, 1, 1],
    [DELETE => '/v1/me', {}, 'password', 512, 1, 1],
    [POST => '/v1/plaid/items', {}, 'public_token', 256, 1, 1],
    [POST => '/v1/plaid/items', { public_token => 'public-sandbox-x' }, 'institution_id', 64, 1, 1],
    [PATCH => "/v1/transactions/$tx", {}, 'notes', 1000, 0, 1],
    [PATCH => "/v1/transactions/$tx", {}, 'category', 64, 1, 1],
    [POST => '/v1/privacy/requests', { kind => 'access' }, 'details', 4000, 1, 1],
    [POST => '/v1/goals', { kind => 'savings', target_cents => 1000 }, 'name', 100, 1, 1],
    [POST => '/v1/goals', { name => 'Car', kind => 'savings', target_cents => 1000 },
     'target_date', 10, 10, 1],
    [PATCH => "/v1/goals/$goal", {}, 'name', 100, 1, 1],
    [POST => "/v1/goals/$goal/contributions", { amount_cents => 100 }, 'note', 500, 0, 1],
    [POST => '/v1/analytics/manual-items', { type => 'vehicle', value_cents => 1 }, 'name', 100, 1, 1],
    [PATCH => "/v1/analytics/manual-items/$item", {}, 'notes', 1000, 0, 1],
);

for my $f (@fields) {
    my ($method, $path, $around, $field, $max, $min, $auth) = @$f;
    $min //= 1;
    my $name = "$method $path $field";
    for my $n ($max, $max + 1) {
        my $body = JSON::PP->new->canonical->decode(JSON::PP->new->encode($around));
        my ($outer, $inner) = split /\./, $field;
        if ($inner) { $body->{$outer}{$inner} = wide($n) } else { $body->{$field} = wide($n) }
        my $r = call($method => $path, ($auth ? (token => $tok) : ()),
                     body => JSON::PP->new->utf8->canonical->encode($body),
                     headers => { 'Content-Type' => 'application/json' });
        if ($n == $max) {
            cmp_ok($r->{code}, '<', 500, "$name: $n four-byte characters ("
                   . 4 * $n . " bytes): $r->{code}, not a 5xx");
        } else {
            is($r->{code}, 400, "$name: $n characters: 400");
            ok((grep { $_ eq $field } @{ fields_of($r) }), "... naming $field")
                or diag($r->{body});
        }
    }
}

# the verify that wrote past its buffer: many times, on the same worker
my @codes;
for (1 .. 200) {
    push @codes, call(POST => '/v1/auth/biometric/verify', json => {
        user_id => $uid, device_id => 'd1', challenge => wide(43), signature => 'AAAA' })->{code};
}
is_deeply([grep { $_ != 401 } @codes], [], 'biometric verify with 43 four-byte characters, 200 times: 401 each');
is(call(GET => '/healthz')->{code}, 200, '... and nginx still serves');

done_testing();
