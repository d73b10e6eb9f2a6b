# A data key rotation with live data, as docs/operations.md gives it: the
# new key first in the ring and the old one after it (reload), the re-seal
# job moves every Plaid access token to the new key while syncs go on,
# then the old key leaves the ring (reload) and everything still opens.
# Plain Test::More: reloads between the steps.
use strict;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;
use Digest::SHA qw(sha256_hex);
use MIME::Base64 qw(decode_base64);

my $old = data_key();
my $new = 'cm90YXRlZC1kYXRhLWtleS0wMTIzNDU2Nzg5YWJjZGU=';    # 32 bytes
sub key_id { substr sha256_hex(decode_base64($_[0])), 0, 16 }
my ($old_id, $new_id) = (key_id($old), key_id($new));

my $keys = "$ENV{NORTH_VAR}/key-rotation-keys.conf";
sub ring {
    open my $fh, '>', $keys or die $!;
    print $fh map { "north_data_key $_;\n" } @_;
}
ring($old);

my ($port, $prefix) = north_nginx(name => 'key-rotation', data_key => "include $keys;",
    http => 'north_jobs_interval 100ms;
    north_jobs_sweep 1s;');

sub reload {
    my @before = nginx_workers($prefix);
    kill 'HUP', nginx_master($prefix);
    return wait_for(10, sub { my %o = map { $_ => 1 } @before;
                              my @w = nginx_workers($prefix); @w && !grep { $o{$_} } @w });
}

my $tag = "rot$$";
my (@tokens, @items);
for my $i (1 .. 3) {
    my $token = session_token("$tag.$i\@north.example.ca");
    my ($item) = plaid_link($port, $token);
    push @tokens, $token;
    push @items, $item;
}
my $list = join ',', @items;
sub under {
    my ($id) = @_;
    return psql("select count(*) from north.plaid_items
                 where id = any(string_to_array(:'a0', ',')::uuid[]) and token_key_id = :'a1'",
                $list, $id);
}
is(under($old_id), 3, 'three linked items, their Plaid tokens sealed under the old key');
my %sealed_before = map { split /\|/ } psql("select id, access_token from north.plaid_items
                                              where id = any(string_to_array(:'a0', ',')::uuid[])", $list);

# step 1: the new key first, the old one after it
ring($new, $old);
ok(reload(), 'reload with the new key first in the ring, the old one after it');
ok(wait_for(20, sub { under($new_id) == 3 }), 'the re-seal job moves every token to the new key')
    or diag(psql("select token_key_id, count(*) from north.plaid_items group by 1"));
is(under($old_id), 0, '... and none is left under the old one');
my %sealed_after = map { split /\|/ } psql("select id, access_token from north.plaid_items
                                             where id = any(string_to_array(:'a0', ',')::uuid[])", $list);
is(scalar(grep { $sealed_after{$_} eq $sealed_before{$_} } keys %sealed_before), 0,
   '... each sealed anew');
ok(wait_for(10, sub { grep { /north reseal: \d+ access tokens sealed again under data key $new_id/ }
                          do { open my $fh, '<', "$prefix/logs/error.log"; <$fh> } }),
   '... and the job says how many it moved, under which key');
is(psql("select count(*) from north.jobs where kind = 'data.reseal' and done_at is null"), 0,
   '... and is done: the sweep wakes no other while nothing is left');

# a sync opens the moved token
my $r = north_http($port, POST => "/v1/plaid/items/$items[0]/sync", token => $tokens[0], json => {});
ok($r->{code} >= 200 && $r->{code} < 300, 'a sync asked for during the rotation is taken')
    or diag("$r->{code} $r->{body}");

# step 2: the old key leaves the ring
ring($new);
ok(reload(), 'reload with the new key alone');
for my $i (0 .. 2) {
    my $before = psql("select coalesce(last_synced_at::text, '') from north.plaid_items where id = :'a0'",
                      $items[$i]);
    north_http($port, POST => "/v1/plaid/items/$items[$i]/sync", token => $tokens[$i], json => {});
    ok(wait_for(20, sub { psql("select coalesce(last_synced_at::text, '') from north.plaid_items
                                where id = :'a0'", $items[$i]) ne $before }),
       "item $i syncs under the new key alone (its token opens)");
}
my $log = do { local (@ARGV, $/) = "$prefix/logs/error.log"; <> };
unlike($log, qr/does not open/, 'no token failed to open at any step');

# a token under a key the ring does not hold is left alone and named
psql_owner("update north.plaid_items set token_key_id = 'ffffffffffffffff' where id = :'a0'", $items[2]);
ring($new, $old);
ok(reload(), 'a ring of two again, with a token under a key it does not hold');
sleep 3;
is(psql("select token_key_id from north.plaid_items where id = :'a0'", $items[2]), 'ffffffffffffffff',
   '... that token is not touched');
is(psql("select count(*) from north.jobs where kind = 'data.reseal' and done_at is null"), 0,
   '... and wakes no re-seal');

done_testing();
