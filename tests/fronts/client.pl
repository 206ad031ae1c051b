#!/usr/bin/perl
# A small FastCGI and SCGI client for the front-end tests: it sends what
# its arguments say, then prints what comes back (bounded in time).
#
#   client.pl ADDR ACTION...
#
# ADDR is unix:PATH or HOST:PORT.  FastCGI actions:
#   begin ID [ROLE [FLAGS]]   BEGIN_REQUEST (Responder, no flags by default)
#   param ID NAME=VALUE       one name-value pair in a PARAMS record
#   long-param ID NAME LEN    a pair whose value is LEN bytes of 'v'
#   params ID                 the empty PARAMS record
#   stdin ID TEXT             a STDIN record
#   stdin-file ID FILE        FILE as STDIN records (64 KiB - 1 each, padded)
#   stdin-end ID              the empty STDIN record
#   abort ID                  ABORT_REQUEST
#   get-values NAME...        FCGI_GET_VALUES (request id 0)
#   record TYPE ID TEXT       any record
#   wait N                    read until N END_REQUEST records have come
#   sleep SECONDS
#   hold ... flush            what the actions between send, in one write
# SCGI actions:
#   scgi NAME=VALUE...        the netstring header, in the order given
#   body TEXT | body-file F   request body bytes
#   scgi-raw HEX              bytes as they are
# Any protocol:
#   raw HEX                   bytes as they are
#   shut                      shut down the sending side
#
# FastCGI output: one line per record received ("STDOUT 1 123",
# "END_REQUEST 1 app=0 protocol=0", "GET_VALUES_RESULT 0 NAME=VALUE ...",
# "UNKNOWN_TYPE 0 type=N"), then "EOF" when the server closed.  STDOUT and
# STDERR contents go to the files named by $OUT and $ERR (if set).  With
# "scgi" the raw response goes to standard output instead.
use strict;
use warnings;
use IO::Socket::INET;
use IO::Socket::UNIX;
use IO::Select;

my $addr = shift @ARGV or die "usage: client.pl ADDR ACTION...\n";
my $sock;
if ($addr =~ /^unix:(.*)$/) {
	$sock = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $1)
		or die "connect $1: $!\n";
} else {
	$sock = IO::Socket::INET->new(PeerAddr => $addr, Proto => 'tcp',
		Timeout => 5) or die "connect $addr: $!\n";
}
binmode $sock;
$SIG{PIPE} = 'IGNORE';
binmode STDOUT;
$| = 1;

my $deadline = time + 15;
my ($scgi, $in, $ends) = (0, '', 0);
my ($out, $err, $held);
if ($ENV{OUT}) { open($out, '>', $ENV{OUT}) or die "$ENV{OUT}: $!\n"; binmode $out; }
if ($ENV{ERR}) { open($err, '>', $ENV{ERR}) or die "$ENV{ERR}: $!\n"; binmode $err; }

sub put {
	my ($data) = @_;
	my $off = 0;
	if (defined $held) { $held .= $data; return; }
	while ($off < length $data) {
		my $n = syswrite($sock, $data, length($data) - $off, $off);
		if (!defined $n) { warn "write: $!\n"; return; }
		$off += $n;
	}
}

sub record {
	my ($type, $id, $content) = @_;
	my $pad = (8 - length($content) % 8) % 8;
	put(pack('CCnnCC', 1, $type, $id, length $content, $pad, 0) . $content . ("\0" x $pad));
}

sub len { my $n = shift; $n < 128 ? pack('C', $n) : pack('N', $n | 0x80000000) }
sub pair { my ($n, $v) = @_; len(length $n) . len(length $v) . $n . $v }

my %types = (3 => 'END_REQUEST', 6 => 'STDOUT', 7 => 'STDERR',
	10 => 'GET_VALUES_RESULT', 11 => 'UNKNOWN_TYPE');

# Decode whole records from $in; returns when none is complete.
sub decode {
	while (length $in >= 8) {
		my ($v, $type, $id, $clen, $plen) = unpack('CCnnC', $in);
		last if length $in < 8 + $clen + $plen;
		my $c = substr($in, 8, $clen);
		$in = substr($in, 8 + $clen + $plen);
		my $name = $types{$type} // "TYPE$type";
		if ($v != 1) {
			print "BAD-VERSION $v\n";
		} elsif ($type == 3) {
			my ($app, $ps) = unpack('NC', $c);
			print "END_REQUEST $id app=$app protocol=$ps\n";
			$ends++;
		} elsif ($type == 10) {
			my @kv;
			while (length $c) {
				my @l;
				for (1 .. 2) {
					my $b = unpack('C', $c);
					if ($b & 0x80) { push @l, unpack('N', $c) & 0x7fffffff; $c = substr($c, 4); }
					else { push @l, $b; $c = substr($c, 1); }
				}
				push @kv, substr($c, 0, $l[0]) . '=' . substr($c, $l[0], $l[1]);
				$c = substr($c, $l[0] + $l[1]);
			}
			print "GET_VALUES_RESULT $id @kv\n";
		} elsif ($type == 11) {
			printf "UNKNOWN_TYPE %d type=%d\n", $id, unpack('C', $c);
		} else {
			print "$name $id $clen\n";
			print $out $c if $type == 6 && $out;
			print $err $c if $type == 7 && $err;
		}
	}
}

# Read what is there (up to $secs seconds); 0 at EOF.
sub pump {
	my ($secs) = @_;
	my $sel = IO::Select->new($sock);
	while ($sel->can_read($secs)) {
		my $n = sysread($sock, my $buf, 65536);
		return 0 unless $n;
		if ($scgi) { print $buf; } else { $in .= $buf; decode(); }
		$secs = 0;
	}
	return 1;
}

my $eof = 0;
while (@ARGV) {
	my $a = shift @ARGV;
	if ($a eq 'begin') {
		my ($id, $role, $flags) = (shift @ARGV, shift @ARGV // 1, shift @ARGV // 0);
		record(1, $id, pack('nCx5', $role, $flags));
	} elsif ($a eq 'param') {
		my ($id, $kv) = (shift @ARGV, shift @ARGV);
		my ($n, $v) = split /=/, $kv, 2;
		record(4, $id, pair($n, $v));
	} elsif ($a eq 'long-param') {
		my ($id, $n, $l) = (shift @ARGV, shift @ARGV, shift @ARGV);
		my $p = pair($n, 'v' x $l);
		record(4, $id, substr($p, 0, 65535, '')) while length $p;
	} elsif ($a eq 'params') {
		record(4, shift @ARGV, '');
	} elsif ($a eq 'stdin') {
		my ($id, $t) = (shift @ARGV, shift @ARGV);
		record(5, $id, $t);
	} elsif ($a eq 'stdin-file') {
		my ($id, $f) = (shift @ARGV, shift @ARGV);
		open(my $fh, '<', $f) or die "$f: $!\n";
		binmode $fh;
		while (read($fh, my $buf, 65535)) { record(5, $id, $buf); $eof = !pump(0) || $eof; }
	} elsif ($a eq 'stdin-end') {
		record(5, shift @ARGV, '');
	} elsif ($a eq 'abort') {
		record(2, shift @ARGV, '');
	} elsif ($a eq 'get-values') {
		my $c = '';
		$c .= pair(shift @ARGV, '') while @ARGV && $ARGV[0] =~ /^FCGI_|^X_/;
		record(9, 0, $c);
	} elsif ($a eq 'record') {
		my ($t, $id, $c) = (shift @ARGV, shift @ARGV, shift @ARGV);
		record($t, $id, $c);
	} elsif ($a eq 'wait') {
		my $want = shift @ARGV;
		while ($ends < $want && time < $deadline && !$eof) { $eof = !pump(0.2); }
	} elsif ($a eq 'hold') {
		$held = '';
	} elsif ($a eq 'flush') {
		my $data = $held;
		undef $held;
		put($data);
	} elsif ($a eq 'sleep') {
		select(undef, undef, undef, shift @ARGV);
	} elsif ($a eq 'scgi') {
		$scgi = 1;
		my $h = '';
		while (@ARGV && $ARGV[0] =~ /=/) {
			my ($n, $v) = split /=/, shift(@ARGV), 2;
			$h .= "$n\0$v\0";
		}
		put(length($h) . ":$h,");
	} elsif ($a eq 'body') {
		put(shift @ARGV);
	} elsif ($a eq 'body-file') {
		my $f = shift @ARGV;
		open(my $fh, '<', $f) or die "$f: $!\n";
		binmode $fh;
		local $/;
		put(scalar <$fh>);
	} elsif ($a eq 'scgi-raw') {
		$scgi = 1;
		put(pack('H*', shift @ARGV));
	} elsif ($a eq 'raw') {
		put(pack('H*', shift @ARGV));
	} elsif ($a eq 'shut') {
		shutdown($sock, 1);
	} else {
		die "client.pl: unknown action $a\n";
	}
}
# The rest, until the server closes (or the deadline).
while (!$eof && time < $deadline) { $eof = !pump(0.5); }
print "EOF\n" if $eof && !$scgi;
exit($eof ? 0 : 3);
