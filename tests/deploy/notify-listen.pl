#!/usr/bin/perl
# The receiving end of the service manager's notification protocol
# (sd_notify(3)), for the tests: bind a datagram socket at SOCKET (a path,
# or @NAME for the abstract namespace) and append every variable of every
# message to OUT as "MILLISECONDS NAME=VALUE", the time counted from the
# start.  Ends after SECONDS (default 120), or on SIGTERM.
#
#   notify-listen.pl SOCKET OUT [SECONDS]
use strict;
use warnings;
use IO::Handle;
use Socket qw(AF_UNIX SOCK_DGRAM pack_sockaddr_un);
use Time::HiRes qw(time);

my ($path, $out, $secs) = @ARGV;
die "usage: notify-listen.pl SOCKET OUT [SECONDS]\n" unless defined $out;
$secs ||= 120;

my $addr = $path;
if ($addr =~ s/^@/\0/) {
	# abstract: nothing on the file system
} else {
	unlink $path;
}
socket(my $s, AF_UNIX, SOCK_DGRAM, 0) or die "socket: $!\n";
bind($s, pack_sockaddr_un($addr)) or die "bind $path: $!\n";
chmod 0666, $path if $path !~ /^@/;

open(my $o, '>>', $out) or die "$out: $!\n";
$o->autoflush(1);
print $o "0 LISTENING=1\n";

$SIG{TERM} = sub { exit 0 };
my $t0 = time;
while (time - $t0 < $secs) {
	my $rin = '';
	vec($rin, fileno($s), 1) = 1;
	next unless select(my $rout = $rin, undef, undef, 0.2);
	my $msg;
	defined(recv($s, $msg, 4096, 0)) or next;
	my $ms = int((time - $t0) * 1000);
	print $o "$ms $_\n" for grep { length } split /\n/, $msg;
}
