#!/usr/bin/perl
# Turns the raw measurements of bench/run.sh into BENCHMARKS.md (on
# stdout) and the data files of the chart.
#
#   perl report.pl META RESULTS NOTES FAILURES CHARTDIR > BENCHMARKS.md
#
# META: KEY=VALUE lines (machine, versions, settings).  RESULTS: lines
# "WORKLOAD<TAB>SERVER<TAB>ROUND<TAB>VALUE".  NOTES: lines
# "WORKLOAD<TAB>SERVER<TAB>WHY" for the cells that cannot be measured.
# FAILURES: a line "WORKLOAD<TAB>SERVER" per failed try of a transfer.
use strict;
use warnings;
use FindBin;

my ($metaf, $resf, $notef, $failf, $chartdir) = @ARGV;
die "usage: report.pl META RESULTS NOTES FAILURES CHARTDIR\n"
  unless defined $chartdir;

my %m;
open my $fh, '<', $metaf or die "$metaf: $!\n";
while (<$fh>) {
	chomp;
	my ($k, $v) = split /=/, $_, 2;
	$m{$k} = $v if defined $v;
}
close $fh;

my %val;    # {workload}{server} = [values]
open $fh, '<', $resf or die "$resf: $!\n";
while (<$fh>) {
	chomp;
	my ($w, $s, $r, $v) = split /\t/;
	push @{ $val{$w}{$s} }, $v if defined $v;
}
close $fh;

my %why;
open $fh, '<', $notef or die "$notef: $!\n";
while (<$fh>) {
	chomp;
	my ($w, $s, $n) = split /\t/;
	$why{$w}{$s} = $n;
}
close $fh;

my %failed;
open $fh, '<', $failf or die "$failf: $!\n";
while (<$fh>) {
	chomp;
	my ($w, $s) = split /\t/;
	$failed{$w}{$s}++;
}
close $fh;

my @servers = qw(cgid-inetd cgid-static-inetd cgid cgid-static-l lighttpd nginx busybox busybox-inetd mini_httpd);
my %label = map { $_ => ($m{"label_$_"} // $_) } @servers;
my @rate_wl = qw(hello-close hello-ka doc-close doc-ka);
my %wl_name = (
	'hello-close' => 'hello CGI, one request per connection',
	'hello-ka'    => 'hello CGI, keep-alive',
	'doc-close'   => '1 KiB document, one request per connection',
	'doc-ka'      => '1 KiB document, keep-alive',
	'download'    => sprintf('%s CGI download', size_name($m{down_bytes})),
	'upload'      => sprintf('%s upload to a CGI', size_name($m{up_bytes})),
);
my %short = (
	'hello-close' => 'hello CGI, new conn.',
	'hello-ka'    => 'hello CGI, keep-alive',
	'doc-close'   => 'document, new conn.',
	'doc-ka'      => 'document, keep-alive',
	'download'    => 'download',
	'upload'      => 'upload',
);

sub size_name {
	my $b = shift // 0;
	return sprintf('%d GiB', $b / 2**30) if $b >= 2**30 && $b % 2**30 == 0;
	return sprintf('%d MiB', $b / 2**20);
}

sub stats {
	my ($w, $s) = @_;
	my $v = $val{$w}{$s} or return;
	my @v = sort { $a <=> $b } @$v;
	my $n = @v;
	my $med = $n % 2 ? $v[ $n / 2 ] : ($v[ $n / 2 - 1 ] + $v[ $n / 2 ]) / 2;
	return ($med, $v[0], $v[-1], $n);
}

sub median {
	my @s = stats(@_);
	return @s ? $s[0] : undef;
}

sub num {
	my $x = shift;
	return 'n/a' unless defined $x;
	return sprintf('%.0f', $x) if $x >= 100;
	return sprintf('%.1f', $x) if $x >= 10;
	return sprintf('%.2f', $x);
}

sub cell {
	my ($w, $s) = @_;
	my ($med, $min, $max) = stats($w, $s);
	return 'n/a' . ($why{$w}{$s} ? " ($why{$w}{$s})" :
		$failed{$w}{$s} ? ' (every try failed)' : '') unless defined $med;
	return sprintf('**%s** (%s–%s)', num($med), num($min), num($max));
}

sub ratio {
	my ($a, $b) = @_;
	return undef unless defined $a && defined $b && $b > 0;
	return $a / $b;
}

sub rtxt {
	my $r = shift;
	return 'n/a' unless defined $r;
	return sprintf('%.2f×', $r);
}

my $rounds = $m{rounds};
my $quick = ($m{mode} // '') eq 'quick';

print "# Benchmarks\n\n";
print "cgid compared with other small web servers that run CGI programs, on one\n";
print "machine, all servers serving the same tree on 127.0.0.1. Produced by\n";
print "`make bench` (bench/run.sh); every number below comes from its last run.\n\n";
if ($quick) {
	print "**This is a smoke run (`BENCH_QUICK=1 make bench`): few, short rounds\n";
	print "and smaller transfers. Do not compare its numbers with a full run.**\n\n";
}
print "![requests per second and transfer rates](bench/chart.png)\n\n";

print "## Machine and run\n\n";
print "| | |\n| --- | --- |\n";
print "| command | `", ($quick ? 'BENCH_QUICK=1 make bench' : 'make bench'), "` |\n";
print "| date | $m{date} |\n";
print "| CPU | $m{cpu}, $m{nproc} cores (nproc) |\n";
print "| memory | $m{mem} |\n";
print "| kernel | $m{kernel} |\n";
print "| Debian | $m{debian} |\n";
print "| load average (1, 5, 15 min) | $m{load_before} at the start, $m{load_after} at the end |\n";
print "| rounds | $rounds, interleaved (every server and workload once per round) |\n";
print "| request-rate runs | $m{seconds} s each, $m{conns} concurrent connections: ab for one request per connection, wrk (1 thread) for keep-alive |\n";
print "| run time | $m{elapsed} s |\n";
print "| cgid | $m{cgid}, $m{cgid_source}; the static build with musl $m{musl} (`make static`) |\n";
print "| versions | $m{lighttpd}; $m{nginx}; fcgiwrap $m{fcgiwrap}; "
  . "$m{busybox}; mini_httpd $m{mini_httpd}; systemd $m{systemd}; wrk $m{wrk}; "
  . "ab (apache2-utils) $m{ab}; $m{curl}; gcc $m{gcc} |\n\n";

print "Every cell is the **median** of the rounds, with the smallest and the\n";
print "largest value in parentheses; every value of every round is in\n";
print "[bench/results.tsv](bench/results.tsv). n/a: the server cannot do that\n";
print "workload.\n\n";

print "## Request rates (requests per second, higher is better)\n\n";
print "| server | ", join(' | ', map { $wl_name{$_} } @rate_wl), " |\n";
print "| --- |", " --- |" x @rate_wl, "\n";
for my $s (@servers) {
	print "| $label{$s} | ", join(' | ', map { cell($_, $s) } @rate_wl), " |\n";
}
print "\n";

print "## Large bodies through a CGI program (MB/s, 10^6 bytes per second, higher is better)\n\n";
print "| server | $wl_name{download} | $wl_name{upload} |\n| --- | --- | --- |\n";
my @fail_notes;
for my $s (@servers) {
	print "| $label{$s} | ", join(' | ', map {
		my $c = cell($_, $s);
		if (my $f = $failed{$_}{$s}) {
			my $n = $f + scalar @{ $val{$_}{$s} // [] };
			push @fail_notes, "$label{$s}, $short{$_}: $f of $n tries failed";
			$c .= " [$f of $n tries failed]";
		}
		$c } qw(download upload)), " |\n";
}
print "\n";
if (@fail_notes) {
	print "Failed tries (a peer gets up to five per round, and a round in which\n";
	print "all five fail has no value; cgid gets one, and a failure of cgid fails\n";
	print "the benchmark): ", join('; ', @fail_notes), ".\n";
	if (grep { /mini_httpd/ } @fail_notes) {
		print "mini_httpd 1.30 loses most of its responses to large POSTs (about\n";
		print "half when curl sends them, more slowly): the process that relays the\n";
		print "request body to the program shuts the connection down while the\n";
		print "response is being written.\n";
	}
	print "\n";
}

print "## cgid is N× the peer (median throughput of cgid ÷ that of the peer)\n\n";
print "Peers that start a process per connection under the socket activator\n";
print "are compared with cgid in the same mode; the others with cgid long-running,\n";
print "each build.\n\n";
my @all_wl = (@rate_wl, 'download', 'upload');
print "| peer | compared with | ", join(' | ', map { $short{$_} } @all_wl), " |\n";
print "| --- | --- |", " --- |" x @all_wl, "\n";
for my $pair ((map { ([ $_, 'cgid' ], [ $_, 'cgid-static-l' ]) } qw(lighttpd nginx busybox mini_httpd)),
	[ 'busybox-inetd', 'cgid-inetd' ], [ 'busybox-inetd', 'cgid-static-inetd' ],
	[ 'cgid-inetd', 'cgid' ], [ 'cgid-inetd', 'cgid-static-inetd' ],
	[ 'cgid', 'cgid-static-l' ]) {
	my ($s, $ref) = @$pair;
	print "| $label{$s} | $label{$ref} | ",
	  join(' | ', map { rtxt(ratio(median($_, $ref), median($_, $s))) } @all_wl), " |\n";
}
print "\n";

print "## Peak memory of the process that serves one connection (KiB, lower is better)\n\n";
print "VmHWM (the kernel's high-water mark of the resident set) of each process\n";
print "that serves a connection, during a download and an upload like those above\n";
print "(transfers of their own, which are not timed).\n\n";
print "| server | during the download | during the upload |\n| --- | --- | --- |\n";
for my $s (@servers) {
	print "| $label{$s} | ", cell('rss-download', $s), ' | ', cell('rss-upload', $s), " |\n";
}
print "\n";

my $triv = median('start', 'trivial-static');
my $triv_musl = median('start', 'trivial-musl');
print "## Cost of one start (microseconds from spawn to exit, lower is better)\n\n";
print "Each run hands the program a connected socket with one request\n";
print "(`GET /index.html`, `Connection: close`) already waiting; each round\n";
print "is the median of $m{start_runs} runs.\n\n";
print "| program | µs per start | ÷ trivial static program (glibc) | ÷ trivial static program (musl) |\n| --- | --- | --- | --- |\n";
my %start_label = (
	'cgid'            => "cgid $m{cgid_args} ROOT (serves index.html)",
	'cgid-static'     => 'the same, the static build (musl)',
	'trivial-static'  => 'trivial program, statically linked with glibc (reads the request, writes a fixed 1 KiB response)',
	'trivial-musl'    => 'the same trivial program, statically linked with musl',
	'trivial-dynamic' => 'the same trivial program, dynamically linked (glibc)',
	'busybox-inetd'   => 'busybox httpd -i (serves index.html)',
);
for my $p (qw(cgid cgid-static trivial-static trivial-musl trivial-dynamic busybox-inetd)) {
	print "| $start_label{$p} | ", cell('start', $p), ' | ',
	  rtxt(ratio(median('start', $p), $triv)), ' | ',
	  rtxt(ratio(median('start', $p), $triv_musl)), " |\n";
}
print "\n";

print "## Size (stripped binary)\n\n| program | bytes | KiB |\n| --- | --- | --- |\n";
my %size_label = ('cgid' => 'cgid (glibc, dynamic)',
	'cgid-nofronts' => 'cgid without the SCGI/FastCGI fronts (`make FRONTS=no`, the router build; glibc, dynamic)',
	'cgid-static' => 'cgid static (musl)', 'busybox' => 'busybox');
for my $p (qw(cgid cgid-nofronts cgid-static busybox)) {
	my $b = median('size', $p);
	printf "| %s | %s | %.1f |\n", $size_label{$p}, $b // 'n/a', ($b // 0) / 1024;
}
print "\n";

# --- targets ---
my @t;
sub target {
	my ($what, $got, $op, $goal, $fmt) = @_;
	my $met = !defined $got ? 'n/a' :
	  ($op eq '>=' ? $got >= $goal : $got <= $goal) ? 'met' : '**missed**';
	my $txt = defined $got ? sprintf($fmt, $got) : 'n/a';
	# a value that rounds to its goal but misses it: one more decimal
	if ($met ne 'met' && $txt eq sprintf($fmt, $goal)) {
		(my $finer = $fmt) =~ s/%\.(\d)f/'%.' . ($1 + 1) . 'f'/e;
		$txt = sprintf($finer, $got);
	}
	push @t, [ $what, $txt,
		($op eq '>=' ? '≥ ' : '≤ ') . sprintf($fmt, $goal), $met ];
}
sub rt {
	my ($w, $a, $b) = @_;
	return ratio(median($w, $a), median($w, $b));
}
my $x = '%.2f×';
my @long = ([ 'cgid-static-l', 'static build' ], [ 'cgid', 'dynamic build' ]);
for my $b (@long) {
	target("hello CGI, one request per connection: cgid long-running ($b->[1]) ÷ lighttpd",
		rt('hello-close', $b->[0], 'lighttpd'), '>=', 1.3, $x);
}
for my $b ([ 'cgid-static-inetd', 'static build' ], [ 'cgid-inetd', 'dynamic build' ]) {
	target("hello CGI, one request per connection, under the same activator: cgid ($b->[1]) ÷ busybox httpd -i",
		rt('hello-close', $b->[0], 'busybox-inetd'), '>=', 1.5, $x);
}
for my $b (@long) {
	target("hello CGI, keep-alive: cgid long-running ($b->[1]) ÷ lighttpd",
		rt('hello-ka', $b->[0], 'lighttpd'), '>=', 1.2, $x);
	target("1 KiB document, keep-alive: cgid long-running ($b->[1]) ÷ lighttpd",
		rt('doc-ka', $b->[0], 'lighttpd'), '>=', 1.0, $x);
	target("1 KiB document, one request per connection: cgid long-running ($b->[1]) ÷ busybox httpd",
		rt('doc-close', $b->[0], 'busybox'), '>=', 1.5, $x);
	target("$wl_name{download}: cgid long-running ($b->[1]) ÷ busybox httpd",
		rt('download', $b->[0], 'busybox'), '>=', 1.5, $x);
	target("$wl_name{upload}: cgid long-running ($b->[1]) ÷ lighttpd",
		rt('upload', $b->[0], 'lighttpd'), '>=', 1.2, $x);
}
for my $b ([ 'cgid-static-inetd', 'static build' ], [ 'cgid-inetd', 'dynamic build' ]) {
	my $peak;
	for my $w (qw(rss-download rss-upload)) {
		for my $v (@{ $val{$w}{ $b->[0] } // [] }) {
			$peak = $v if !defined $peak || $v > $peak;
		}
	}
	target("peak RSS of the cgid process per connection ($b->[1]; largest of all rounds, download and upload), KiB",
		$peak, '<=', 1024, '%.0f');
}
target('start: cgid static build ÷ trivial static program, both musl',
	ratio(median('start', 'cgid-static'), $triv_musl), '<=', 1.15, $x);
target('start: cgid dynamic build ÷ trivial static program, both glibc',
	ratio(median('start', 'cgid'), $triv), '<=', 1.15, $x);
for my $b ([ 'cgid-nofronts', 'router build, without the fronts' ], [ 'cgid', 'with the SCGI/FastCGI fronts' ]) {
	my $size = median('size', $b->[0]);
	target("stripped binary (glibc, dynamic; $b->[1]), KiB",
		defined $size ? $size / 1024 : undef, '<=', 64, '%.1f');
}

print "## Targets\n\n";
print "| target | measured | goal | |\n| --- | --- | --- | --- |\n";
print "| $_->[0] | $_->[1] | $_->[2] | $_->[3] |\n" for @t;
my $met = grep { $_->[3] eq 'met' } @t;
print "\n$met of ", scalar(@t), " targets met.\n\n";
# The analysis of the misses is written by hand, beside this script.
if (open my $b, '<', "$FindBin::Bin/bounds.md") {
	local $/;
	print <$b>, "\n";
}

print <<"EOF";
## How it is measured

All servers run at once, each started by hand on its own loopback port with
a private configuration in a temporary directory (no system service is used),
and serve the same tree: `index.html` (1024 bytes), and in `cgi-bin/` three
statically linked C programs: `hello.cgi` (`bench/hello.c`, prints
`hello`), `big.cgi` (`bench/big.c`, writes the number of bytes in its query
string in 64 KiB writes, with a Content-Length), and `sink.cgi`
(`bench/sink.c`, reads CONTENT_LENGTH bytes and prints the count).
Every round runs every workload on every server, in a different server
order each round.

- **Request rates**: one request per connection with `ab -c $m{conns} -t
  $m{seconds}` (HTTP/1.0, a new connection for every request); keep-alive
  with `wrk -t1 -c$m{conns} -d$m{seconds}s`. (wrk is not used for one
  request per connection: with `Connection: close`, when a response ends
  with the connection, as a CGI response without Content-Length does, wrk
  opens two new connections and uses one, so the server pays for an extra
  empty connection per request.) A run fails the benchmark if ab reports a
  failed request or a response that is not 2xx, or wrk a response with
  status 400 or more, a connect, write or timeout error, or more read
  errors than one per 500 requests plus one per connection (a server may
  end a kept-alive connection after some requests, cgid after 1000, and
  when that last response ends with the connection wrk counts it as a read
  error). Before any timing, each server is
  checked with curl: the document and `hello.cgi` come back with status 200
  and the right body, and `big.cgi` with the right length. A server whose
  second request on a connection needs a new connection does not do
  keep-alive: n/a.
- **Download and upload**: $m{xfer_best} transfers in a row per
  round, of which the fastest counts: with curl,
  `GET /cgi-bin/big.cgi?$m{down_bytes}` to `/dev/null`; with
  `bench/upload.c`, a POST of a file of $m{up_bytes} bytes (with a
  Content-Length and without `Expect: 100-continue`) to `sink.cgi`, the
  file sent with `sendfile(2)`. MB/s is bytes ÷ the client's total time,
  from before the connect to the end of the response. The status must be
  200, the download complete, and the count printed by `sink.cgi` equal
  to the bytes sent. (With clients, servers and programs sharing two
  cores, a transfer now and then runs at a fraction of the usual rate,
  with every server alike: one transfer per round let those decide the
  medians.) Up to the run of 3e81658 uploads were made with curl
  (`-X POST -T FILE`): curl copies every byte into its own buffer and out again,
  and on two cores that held every fast server to about the same rate
  (a server that read the body and discarded it, with no program at all,
  took it at 2.0-3.2 GB/s, and cgid and lighttpd were both inside that
  range), so the uploads measured curl more than the servers.
- **Peak RSS**: `bench/peakrss.c` watches the processes that are children of
  the process the benchmark started (the socket activator, or the listening
  server) and carry the server's name: exactly the processes that each serve
  one connection (a CGI program is their child, not counted). It reads
  `VmHWM` from `/proc/PID/status` every 2 ms while the process lives;
  VmHWM never decreases, so the last reading is the peak. lighttpd and nginx
  serve connections in long-lived workers: n/a. The watcher scans /proc
  every 2 ms, which takes CPU time from the server it watches, so it watches
  a download and an upload of their own in each round, after the timed
  ones, which no watcher slows.
- **Start cost**: `bench/startcost.c` makes a socketpair, writes the request
  into one end and shuts down its writing side, spawns the program with the
  other end as fd 0 and fd 1 and times spawn to exit (`waitpid`), and checks
  that the response begins with status 200. cgid runs as `cgid
  $m{cgid_args} ROOT`, as the socket activator would start it.
- **Size**: `strip -o FILE` of the binary, then its size.

The peers:

- **cgid, per connection**: `systemd-socket-activate -l 127.0.0.1:PORT --accept --inetd cgid $m{cgid_args} ROOT`.
- **cgid static, per connection**: the same, with the static build
  (`make static`: musl, statically linked), the build for per-connection
  use where every connection pays for a start.
- **cgid, long-running**: `cgid -l 127.0.0.1:PORT $m{cgid_args} ROOT`.
- **cgid static, long-running**: the same with the static build, whose
  smaller process is quicker to fork for each connection.
- **lighttpd + mod_cgi**: `lighttpd -D -f CONF`; `.cgi` files and
  `/cgi-bin/` run as CGI; `server.stream-request-body = 0` (the default:
  the body is received whole, then fed to the program) and
  `server.stream-response-body = 2` (stream with little buffering): the
  fastest of the settings 0, 1 and 2 for each direction here.
- **nginx + fcgiwrap**: `nginx -c CONF -g 'daemon off;'`, `worker_processes
  auto`, no access log, `.cgi` passed to `fcgiwrap -c $m{conns}` on a Unix
  socket; request bodies streamed to fcgiwrap (`fastcgi_request_buffering
  off`), responses buffered in memory only (`fastcgi_max_temp_file_size 0`,
  `fastcgi_buffers 16 64k`): the fastest of buffering on and off for each
  direction here.
- **busybox httpd**: `busybox httpd -f -p 127.0.0.1:PORT -h ROOT -c EMPTYCONF`.
- **busybox httpd -i**: `busybox httpd -i -h ROOT -c EMPTYCONF` under the
  same activator command as cgid.
- **mini_httpd**: `mini_httpd -D -p PORT -h 127.0.0.1 -d ROOT -c '**.cgi' -l /dev/null -u USER`.

Every server, and so every CGI program, runs as the user who runs the
benchmark ($m{user} here); none drops privileges. All limits on requests per
connection are raised beyond what a run sends, and no server writes an
access log. The clients (ab, wrk, curl, bench/upload.c) and the servers share the
machine's $m{nproc} cores, so the numbers measure a server plus its client
on this machine, and the ratios matter more than the absolute numbers. The
load average above tells whether other work shared the machine too.
EOF

# --- chart data ---
mkdir $chartdir or die "$chartdir: $!\n" unless -d $chartdir;
sub chart_file {
	my ($file, @wls) = @_;
	open my $o, '>', "$chartdir/$file" or die "$chartdir/$file: $!\n";
	print $o join("\t", '"workload"', map { qq("$label{$_}") } @servers), "\n";
	for my $w (@wls) {
		print $o join("\t", qq("$short{$w}"),
			map { my $v = median($w, $_); defined $v ? $v : '-' } @servers), "\n";
	}
	close $o;
}
chart_file('rates.dat', @rate_wl);
chart_file('xfer.dat', qw(download upload));
