# Behind a load balancer: the client is the address a trusted proxy names,
# by X-Forwarded-For (an ALB) or the PROXY protocol (an NLB), for the rate
# limiter and the audit log alike; the same header from an address that is
# not trusted changes nothing. The realip settings are those build.sh writes
# from NORTH_TRUSTED_PROXIES and NORTH_PROXY_PROTOCOL. Plain Test::More:
# servers on several ports, and raw PROXY lines.
use strict;
use warnings;
use lib 't/lib';
use North::Test;
use Test::More;
use IO::Socket::INET;

my $z = "proxy$$";    # zone names of this run
sub free_port {
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0) or die $!;
    my $p = $s->sockport; close $s; $p
}
my ($untrusted, $nlb, $nlb_untrusted) = (free_port(), free_port(), free_port());

# each server's own zone: a bucket of 3 per client address
my $probe = sub {
    my ($zone) = @_;
    return "location = /probe { north_limit zone=$zone; north_audit_category device;
                                north_audit_purpose security; north_api health.live; }";
};

# the main server trusts the proxy on 127.0.0.1 (an ALB in the VPC's range);
# the others: a server that trusts only 10.0.0.0/8, and PROXY protocol
# listeners, one trusting 127.0.0.1 and one not
my ($alb, $prefix) = north_nginx(name => 'edge-proxy', api => 0,
    http => join("\n",
        (map { "north_limit_zone name=${z}_$_ size=1m rate=1r/m burst=3 key=\$remote_addr;" }
             qw(alb untrusted nlb nlb_untrusted)),
        'north_audit_flush 50ms;',
        'set_real_ip_from 127.0.0.1/32;',
        'real_ip_header X-Forwarded-For;',
        'real_ip_recursive on;',
        "server { listen 127.0.0.1:$untrusted; set_real_ip_from 10.0.0.0/8;
                  @{[ $probe->(\"${z}_untrusted\") ]} }",
        "server { listen 127.0.0.1:$nlb proxy_protocol; real_ip_header proxy_protocol;
                  @{[ $probe->(\"${z}_nlb\") ]} }",
        "server { listen 127.0.0.1:$nlb_untrusted proxy_protocol; set_real_ip_from 10.0.0.0/8;
                  real_ip_header proxy_protocol; @{[ $probe->(\"${z}_nlb_untrusted\") ]} }"),
    server => $probe->("${z}_alb"));

my $n = 0;
# a probe's status and the client its audit record names
sub probe {
    my ($port, %h) = @_;
    my $rid = sprintf '%s-%d', $z, ++$n;
    my $r = north_http($port, GET => '/probe', headers => { 'X-Request-Id' => $rid, %h });
    return ($r->{code}, $rid);
}

# the same through a PROXY protocol v1 line naming the client
sub proxied {
    my ($port, $client, %h) = @_;
    my $rid = sprintf '%s-%d', $z, ++$n;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 10)
        or die "connect: $!";
    print $s "PROXY TCP4 $client 127.0.0.1 40000 443\r\n"
        . "GET /probe HTTP/1.1\r\nHost: t\r\nConnection: close\r\nX-Request-Id: $rid\r\n"
        . join('', map { "$_: $h{$_}\r\n" } sort keys %h) . "\r\n";
    local $/;
    my $resp = <$s> // '';
    my ($code) = $resp =~ m{^HTTP/1\.1 (\d+)};
    return ($code // 0, $rid);
}

sub client_of {
    my ($rid) = @_;
    my $c;
    wait_for(10, sub { $c = psql("select host(client) from north.audit_log where request_id = :'a0'",
                                 $rid) });
    return $c // 'no record';
}

# --- an ALB: X-Forwarded-For from the trusted proxy ----------------------------------

my @a = map { [ probe($alb, 'X-Forwarded-For' => '198.51.100.7') ] } 1 .. 4;
is_deeply([ map { $_->[0] } @a ], [200, 200, 200, 429],
          'a client behind the trusted proxy has a bucket of its own: 3, then 429');
is(client_of($a[0][1]), '198.51.100.7', '... and the audit record names it');
is((probe($alb, 'X-Forwarded-For' => '198.51.100.8'))[0], 200,
   'another client behind the same proxy is not limited by the first');
my ($code, $rid) = probe($alb, 'X-Forwarded-For' => '203.0.113.66, 198.51.100.9');
is(client_of($rid), '198.51.100.9',
   'a chain: the last address the trusted proxy added, not one the client wrote');
($code, $rid) = probe($alb);
is(client_of($rid), '127.0.0.1', 'no header: the connection\'s address');

# --- the same header from an address that is not trusted ------------------------------

my @u = map { [ probe($untrusted, 'X-Forwarded-For' => "192.0.2.$_") ] } 1 .. 4;
is_deeply([ map { $_->[0] } @u ], [200, 200, 200, 429],
          'an untrusted sender: four spoofed addresses share one bucket, its own');
is(client_of($u[1][1]), '127.0.0.1', '... and the audit record names the connection, not the header');

# --- an NLB: the PROXY protocol ---------------------------------------------------------

my @p = map { [ proxied($nlb, '203.0.113.9', 'X-Forwarded-For' => "192.0.2.$_") ] } 1 .. 4;
is_deeply([ map { $_->[0] } @p ], [200, 200, 200, 429],
          'PROXY protocol: the client it names has its bucket, whatever X-Forwarded-For says');
is(client_of($p[0][1]), '203.0.113.9', '... and is the audit record\'s client');
is((proxied($nlb, '203.0.113.10'))[0], 200, '... another client, another bucket');

($code, $rid) = proxied($nlb_untrusted, '203.0.113.11');
is($code, 200, 'a PROXY line from an untrusted sender is read');
is(client_of($rid), '127.0.0.1', '... but its address is not taken');

done_testing();
