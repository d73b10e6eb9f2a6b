# Requests nginx itself refuses, however early it fails (the request line
# unparsed, a header too large, an HTTP version it does not speak): every
# answer is problem+json from the shipped error page, never nginx's HTML
# and never a 500 of its own making.
use strict;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;
use IO::Socket::INET;
use JSON::PP ();

my ($port, $prefix) = north_nginx(name => 'malformed');

sub raw {
    my ($req) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Timeout => 5) or die "connect: $!";
    print $s $req;
    local $/;
    my $r = <$s> // '';
    my ($code) = $r =~ m{^HTTP/1\.1 (\d{3})};
    my ($type) = $r =~ m{^content-type:\s*([^\r]*)}mi;
    my ($body) = $r =~ m{\r\n\r\n(.*)\z}s;
    return ($code // 0, $type // '', eval { JSON::PP->new->decode($body // '') } // {});
}

my $long = 'a' x 9000;
for my $t (
    ['a lowercase method', "get /healthz HTTP/1.1\r\nHost: t\r\n\r\n", 400],
    ['a method of symbols', "G\@T /healthz HTTP/1.1\r\nHost: t\r\n\r\n", 400],
    ['the HTTP/2 preface over HTTP/1.1', "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400],
    ['%00 in the path', "GET /v1/%00 HTTP/1.1\r\nHost: t\r\n\r\n", 400],
    ['/../ above the root', "GET /../etc HTTP/1.1\r\nHost: t\r\n\r\n", 400],
    ['a request line over 8 KB', "GET /$long HTTP/1.1\r\nHost: t\r\n\r\n", 414],
    ['a header over 8 KB', "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: $long\r\n\r\n", 400],
    ['HTTP/3.0', "GET /healthz HTTP/3.0\r\nHost: t\r\n\r\n", 505],
    ['no Host', "GET /healthz HTTP/1.1\r\n\r\n", 400],
    ['an unknown Transfer-Encoding',
     "POST /v1/goals HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n", 501],
    ['If-Match on a GET without an ETag',
     "GET /healthz HTTP/1.1\r\nHost: t\r\nIf-Match: \"x\"\r\nConnection: close\r\n\r\n", 412],
    ['the error page asked for by name',
     "GET /_north/problem HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 404],
) {
    my ($name, $req, $want) = @$t;
    my ($code, $type, $json) = raw($req);
    is($code, $want, "$name: $want");
    is($type, 'application/problem+json', '... as problem+json');
    like($json->{type} // '', qr{^https://north\.ca/problems/}, '... with a problem type');
}

open my $log, '<', "$prefix/logs/error.log" or die $!;
my @internal = grep { /empty URI|named location|\[crit\]/ } <$log>;
is_deeply(\@internal, [], 'no redirect nginx could not make');

done_testing();
