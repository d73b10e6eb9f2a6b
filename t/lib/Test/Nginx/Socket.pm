# Test::Nginx::Socket for North: OpenResty's own when it is installed
# anywhere on @INC, else the compatible harness in Socket/Compat.pm.
package Test::Nginx::Socket;

use strict;
use warnings;
use File::Spec;

my $self = File::Spec->rel2abs(__FILE__);
my $real;

for my $dir (@INC) {
    next if ref $dir;
    my $f = File::Spec->rel2abs("$dir/Test/Nginx/Socket.pm");
    next if $f eq $self || !-f $f;
    $real = $f;
    last;
}

if ($real) {
    # the real one loads its Test::Nginx::Util from beside itself
    do $real or die "loading $real: " . ($@ || $!);
} else {
    require Test::Nginx::Socket::Compat;
}

1;
