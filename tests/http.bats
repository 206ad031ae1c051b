#!/usr/bin/env bats
# HTTP semantics end to end, with cgid listening itself (-l): persistent
# connections and pipelining, methods and request-target forms,
# directories, hidden names, media types, conditional and range requests,
# --gzip-static, --vhosts, a large document sent with flat memory, error
# pages and the access log line.

load lib
bats_require_minimum_version 1.5.0

setup_file() {
	prepare_root
	write_client
	write_settle

	# Media types.
	printf 'body { color: red; }\n' >"$ROOT/style.css"
	printf 'console.log(1);\n' >"$ROOT/app.js"
	printf '{"a": 1}\n' >"$ROOT/data.json"
	printf '\211PNG\r\n\032\n' >"$ROOT/pic.png"
	printf 'not really a document\n' >"$ROOT/doc.odt"
	printf 'UNKNOWN-TYPE\n' >"$ROOT/blob.zzqx"
	printf 'NO-EXTENSION\n' >"$ROOT/noext"

	# Conditional and range requests: a fixed modification time.
	printf 'CACHE-BODY\n' >"$ROOT/cache.txt"
	touch -d '2020-01-02 03:04:05 UTC' "$ROOT/cache.txt"
	printf '0123456789abcdefghij' >"$ROOT/range.txt"
	head -c 20000 /dev/zero | tr '\0' L >"$ROOT/large.txt"

	# Directories.
	mkdir -p "$ROOT/cgidir" "$ROOT/nolist/subdir"
	printf '#!/bin/sh\nprintf "Content-Type: text/plain\\n\\n"\necho "INDEX-CGI-RAN $SCRIPT_NAME"\n' \
		>"$ROOT/cgidir/index.cgi"
	chmod 755 "$ROOT/cgidir/index.cgi"
	: >"$ROOT/nolist/a&b.txt"
	: >"$ROOT/nolist/<script>x.txt"
	: >"$ROOT/nolist/plain.txt"
	: >"$ROOT/nolist/.dotfile"

	# Hidden elements.
	echo "HIDDEN-MARKER" >"$ROOT/.hidden"
	mkdir -p "$ROOT/.well-known"
	echo "WELL-KNOWN-MARKER" >"$ROOT/.well-known/x.txt"

	# --gzip-static: a page and its precompressed twin.
	mkdir -p "$ROOT/gz"
	perl -e 'print "<p>PLAIN-PAGE line $_</p>\n" for 1 .. 50' >"$ROOT/gz/page.html"
	gzip -9 -n -c "$ROOT/gz/page.html" >"$ROOT/gz/page.html.gz"

	# A program its owner may not execute (403).
	printf '#!/bin/sh\necho NOEXEC\n' >"$ROOT/cgi-bin/noexec.sh"
	chmod 644 "$ROOT/cgi-bin/noexec.sh"

	# --vhosts: a root of its own, one directory per host.
	VROOT=$BATS_FILE_TMPDIR/vhosts
	mkdir -p "$VROOT/host-a" "$VROOT/host-b"
	echo "HOST-A-INDEX" >"$VROOT/host-a/index.html"
	echo "HOST-B-INDEX" >"$VROOT/host-b/index.html"
	ln -s host-a "$VROOT/alias-a"
	ln -s /etc "$VROOT/etc"
	chmod -R go-w "$ROOT" "$VROOT"
}

teardown() {
	common_teardown
}

# ---------------------------------------------------------------------------
# A client that keeps its connection

# The client program: client.pl PORT DIR BATCH LINGER REQUEST...
# Sends the requests (\r and \n written as such) on one connection, BATCH
# of them in one write, and reads each response by its framing
# (Content-Length, chunked, none for HEAD, 204 and 304, else up to the
# close).  A REQUEST "!COMMAND" is a shell command, run there (BATCH 1).
# Response N goes to DIR/N.head and DIR/N.body.  Prints
#   R N CODE BODY-BYTES CONNECTION   a line per response
#   TIME SECONDS                     first write to last response
#   END HOW SECONDS                  how the connection ended, and when
#                                    (after the last response): eof, reset,
#                                    timeout (a response did not come),
#                                    extra (unasked bytes), or open (still
#                                    open after LINGER seconds)
write_client() {
	cat >"$BATS_FILE_TMPDIR/client.pl" <<'EOF'
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;
use Socket qw(IPPROTO_TCP TCP_NODELAY);
use Time::HiRes qw(time);

my ($port, $dir, $batch, $linger, @reqs) = @ARGV;
for (@reqs) { s/\\r/\r/g; s/\\n/\n/g; }
my @methods = map { /\A(\S+)/ ? $1 : '' } @reqs;
$SIG{PIPE} = 'IGNORE';
$| = 1;
my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
	Proto => 'tcp', Timeout => 5) or die "connect: $!\n";
setsockopt($s, IPPROTO_TCP, TCP_NODELAY, 1);
binmode $s;
my $sel = IO::Select->new($s);
my ($buf, $end, $end_at) = ('', '', 0);

# Read more into $buf before the deadline; false (and $end set) if not.
sub fill {
	my ($deadline) = @_;
	return 0 if $end;
	my $left = $deadline - time;
	if ($left <= 0 || !$sel->can_read($left)) {
		$end = 'timeout';
		$end_at = time;
		return 0;
	}
	my $n = sysread($s, my $chunk, 65536);
	if (!$n) {
		$end = defined $n ? 'eof' : 'reset';
		$end_at = time;
		return 0;
	}
	$buf .= $chunk;
	return 1;
}

sub read_response {
	my ($method) = @_;
	my $deadline = time + 10;
	while (index($buf, "\r\n\r\n") < 0) { fill($deadline) or return }
	my $head = substr($buf, 0, index($buf, "\r\n\r\n") + 4, '');
	$head =~ m{\AHTTP/1\.[01] (\d{3})} or die "bad status line: " . substr($head, 0, 80) . "\n";
	my $code = $1;
	my %h;
	for my $line (split /\r\n/, $head) {
		next unless $line =~ /^([!#\$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/;
		my $k = lc $1;
		$h{$k} = exists $h{$k} ? "$h{$k}, $2" : $2;
	}
	my $body = '';
	if ($method eq 'HEAD' || $code =~ /\A(?:1..|204|304)\z/) {
	} elsif (($h{'transfer-encoding'} // '') =~ /chunked/i) {
		while (1) {
			while ($buf !~ /\A[0-9a-fA-F]+[^\r\n]*\r\n/) { fill($deadline) or return }
			$buf =~ s/\A([0-9a-fA-F]+)[^\r\n]*\r\n//;
			my $n = hex $1;
			if ($n == 0) {
				while ($buf !~ /\A(?:[^\r\n]+\r\n)*\r\n/) { fill($deadline) or return }
				$buf =~ s/\A(?:[^\r\n]+\r\n)*\r\n//;
				last;
			}
			while (length($buf) < $n + 2) { fill($deadline) or return }
			$body .= substr($buf, 0, $n, '');
			substr($buf, 0, 2, '') eq "\r\n" or die "chunk without CRLF\n";
		}
	} elsif (defined $h{'content-length'}) {
		my $n = $h{'content-length'};
		while (length($buf) < $n) { fill($deadline) or return }
		$body = substr($buf, 0, $n, '');
	} else {
		1 while fill($deadline);
		return if $end eq 'timeout';
		($body, $buf) = ($buf, '');
	}
	my $conn = $h{connection} // '-';
	$conn =~ s/\s+/_/g;
	return ($head, $body, $code, $conn);
}

my $t0 = time;
my ($n, $last) = (0, $t0);
OUTER: for (my $i = 0; $i < @reqs; $i += $batch) {
	if ($reqs[$i] =~ /\A!(.*)\z/s) {
		die "a command needs BATCH 1\n" if $batch != 1;
		system($1) == 0 or die "failed: $1\n";
		next;
	}
	my $j = $i + $batch - 1;
	$j = $#reqs if $j > $#reqs;
	my $data = join '', @reqs[$i .. $j];
	my $off = 0;
	while ($off < length $data) {
		my $w = syswrite($s, $data, length($data) - $off, $off);
		last unless defined $w;
		$off += $w;
	}
	for my $k ($i .. $j) {
		my ($head, $body, $code, $conn) = read_response($methods[$k]) or last OUTER;
		$n++;
		for (['head', "$head"], ['body', $body]) {
			open(my $f, '>', "$dir/$n.$_->[0]") or die "$dir/$n: $!\n";
			binmode $f;
			print $f $_->[1];
			close $f;
		}
		print "R $n $code ", length($body), " $conn\n";
		$last = time;
	}
}
printf "TIME %.3f\n", $last - $t0;
if (!$end) {
	if (length $buf) {
		($end, $end_at) = ('extra', time);
	} else {
		fill(time + $linger);
		if ($end eq 'timeout') {
			$end = 'open';
		} elsif (!$end) {
			($end, $end_at) = ('extra', time);
		}
	}
}
my $after = $end_at ? $end_at - $last : $linger;
printf "END %s %.3f\n", $end, $after > 0 ? $after : 0;
EOF
}

# converse BATCH LINGER 'REQUEST'...  -- run the client; its report in
# $SUMMARY, the responses in $CONV.
converse() {
	CONV=$BATS_TEST_TMPDIR/conv
	SUMMARY=$CONV/summary
	rm -rf "$CONV"
	mkdir -p "$CONV"
	local rc=0
	timeout 60 perl "$BATS_FILE_TMPDIR/client.pl" "$PORT" "$CONV" "$@" >"$SUMMARY" || rc=$?
	if [ "$rc" -ne 0 ]; then
		show_file "client report" "$SUMMARY" >&2
		fail "the client failed with status $rc"
		return 1
	fi
}

# response N  -- make response N the one HEAD, BODY and CODE describe
response() {
	HEAD=$CONV/$1.head
	BODY=$CONV/$1.body
	[ -f "$HEAD" ] || {
		show_file "client report" "$SUMMARY" >&2
		fail "there is no response $1"
		return 1
	}
	CODE=$(status_code)
}

# assert_responses N  -- exactly N responses came, all of them 200
assert_responses() {
	local n bad
	n=$(grep -c '^R ' "$SUMMARY" || true)
	bad=$(awk '$1 == "R" && $3 != 200' "$SUMMARY" | head -n 3)
	if [ "$n" -ne "$1" ] || [ -n "$bad" ]; then
		show_file "client report" "$SUMMARY" 20 >&2
		fail "expected $1 responses of status 200, got $n${bad:+ (and: $bad)}"
		return 1
	fi
}

# assert_end HOW [MIN MAX]  -- the connection ended so (or is open),
# between MIN and MAX seconds after the last response
assert_end() {
	local how at
	read -r how at < <(awk '$1 == "END" { print $2, $3 }' "$SUMMARY")
	if [ "$how" != "$1" ]; then
		show_file "client report" "$SUMMARY" 20 >&2
		fail "the connection ended with '$how' after $at s, expected '$1'"
		return 1
	fi
	[ $# -ge 3 ] || return 0
	if ! awk -v t="$at" -v lo="$2" -v hi="$3" 'BEGIN { exit !(t >= lo && t <= hi) }'; then
		fail "the connection ended after $at s, expected between $2 and $3 s"
		return 1
	fi
}

# The request head of a GET for PATH on HTTP/1.1 (escapes for the client).
get11() {
	printf 'GET %s HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n%s\\r\\n' "$1" "${2:-}"
}

# The response does not announce the end of the connection.
refute_close() {
	if [ "$(header Connection)" = close ]; then
		dump_response >&2
		fail "Connection: close on a kept-alive connection"
		return 1
	fi
}

size_of() {
	wc -c <"$1" | tr -d ' '
}

# --- persistent connections (RFC 9112 section 9) ------------------------------

@test "HTTP/1.1 keeps one connection for documents and a chunked CGI response" {
	start_server listen
	converse 1 1 "$(get11 /hello.txt)" "$(get11 /cgi-bin/env.sh)" "$(get11 /other.html)"
	assert_responses 3
	response 1
	assert_body "hello, world"
	refute_close
	response 2
	assert_header Transfer-Encoding chunked
	assert_env GATEWAY_INTERFACE=CGI/1.1
	refute_close
	response 3
	assert_body_contains OTHER-PAGE-MARKER
	assert_end open
	# A stock client reuses the connection: one connect for three requests.
	local base="http://$HOST:$PORT" counts
	counts=$(curl -sS --max-time 10 -o /dev/null -o /dev/null -o /dev/null \
		-w '%{num_connects}\n' "$base/hello.txt" "$base/cgi-bin/hello" "$base/index.html" | tr '\n' ' ')
	[ "$counts" = "1 0 0 " ] || fail "connects per request: $counts (expected 1 0 0)"
}

@test "HTTP/1.0 without keep-alive: answered, then closed" {
	start_server listen
	converse 1 3 'GET /hello.txt HTTP/1.0\r\n\r\n'
	assert_responses 1
	response 1
	assert_body "hello, world"
	[ "$(header Connection)" != keep-alive ] || fail "Connection: keep-alive without being asked"
	assert_end eof 0 1
}

# start_traced SYSCALLS  -- start_server listen with cgid under strace,
# which writes the calls named (comma-separated) to $TRACE; count them
# with traced NAME-PATTERN.  (LeakSanitizer cannot work under ptrace: no
# leak check in these tests.)
start_traced() {
	command -v strace >/dev/null || skip "no strace"
	TRACE=$BATS_TEST_TMPDIR/trace
	printf '#!/bin/sh\nASAN_OPTIONS=$ASAN_OPTIONS:detect_leaks=0 exec strace -f -qq -e trace=%s -o "%s" "%s" "$@"\n' \
		"$1" "$TRACE" "$CGID" >"$BATS_TEST_TMPDIR/traced"
	chmod 755 "$BATS_TEST_TMPDIR/traced"
	CGID=$BATS_TEST_TMPDIR/traced start_server listen
}
traced() { grep -cE "^[0-9]+ +($1)[(]" "$TRACE" || true; }

# paused_hello FIRST REST  -- send FIRST, wait 0.3 s, send REST (together a
# GET of /hello.txt; \r and \n stand for CR and LF), check the answer.
paused_hello() {
	perl -MIO::Socket::INET -e '
		s/\\r/\r/g, s/\\n/\n/g for @ARGV;
		my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1",
			PeerPort => $ARGV[0]) or die "connect: $!\n";
		syswrite $s, $ARGV[1] if length $ARGV[1];
		select undef, undef, undef, 0.3;
		syswrite $s, $ARGV[2];
		local $/;
		my $r = <$s>;
		$r =~ m{\AHTTP/1\.1 200 .*\r\n\r\nhello, world\n\z}s or die "reply: $r\n";
	' "$PORT" "$1" "$2"
}

# The listener answers a small document itself when the connection asks
# for nothing more; everything else gets a process of its own.  strace
# counts the processes made.
@test "-l: small documents are answered by the listener, with no fork, on one connection or kept alive" {
	local etag before
	start_traced fork,vfork,clone,clone3
	forks() { traced 'fork|vfork|clone|clone3'; }

	# a connection is accepted once its request has come (TCP_DEFER_ACCEPT):
	# a silent one gets no process, and is then answered by the listener
	paused_hello '' 'GET /hello.txt HTTP/1.0\r\n\r\n' || fail "a request sent after a silence"
	[ "$(forks)" -eq 0 ] || fail "a process for a connection silent for 0.3 s: $(cat "$TRACE")"
	raw 'GET /hello.txt HTTP/1.0\r\n\r\n'
	assert_code 200
	assert_body "hello, world"
	raw 'HEAD /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
	assert_code 200
	assert_body_empty
	etag=$(header ETag)
	raw "GET /hello.txt HTTP/1.1\r\nHost: x\r\nIf-None-Match: $etag\r\nConnection: close\r\n\r\n"
	assert_code 304
	raw 'GET /range.txt HTTP/1.0\r\nRange: bytes=2-5\r\n\r\n'
	assert_code 206
	assert_body "2345"
	[ "$(forks)" -eq 0 ] || fail "processes made: $(forks); trace: $(cat "$TRACE")"

	# a connection kept alive: the listener answers its small documents
	# and holds it between them
	local base="http://$HOST:$PORT" out
	out=$(curl -sS --max-time 10 -w ' %{http_code} %{num_connects}\n' \
		"$base/hello.txt" "$base/range.txt" "$base/hello.txt")
	[ "$out" = "$(printf 'hello, world\n 200 1\n0123456789abcdefghij 200 0\nhello, world\n 200 0')" ] ||
		fail "three documents on one connection: $out"
	[ "$(forks)" -eq 0 ] || fail "a process for a kept-alive connection: $(cat "$TRACE")"

	# a 404, a document over 8 KiB, a program, a head in two parts: each
	# gets a process
	before=$(forks)
	raw 'GET /missing.txt HTTP/1.0\r\n\r\n'
	assert_code 404
	[ "$(forks)" -gt "$before" ] || fail "no process for a 404"
	before=$(forks)
	raw 'GET /large.txt HTTP/1.0\r\n\r\n'
	assert_code 200
	[ "$(wc -c <"$BODY")" -eq 20000 ] || fail "large.txt: $(wc -c <"$BODY") bytes"
	[ "$(forks)" -gt "$before" ] || fail "no process for a large document"
	# on a held connection, a request that the listener does not answer
	# goes with the connection to a process of its own, which serves the
	# rest: a document, a program, a document make one process and the
	# program's
	before=$(forks)
	out=$(curl -sS --max-time 10 -w ' %{http_code} %{num_connects}\n' \
		"$base/hello.txt" "$base/cgi-bin/hello?q" "$base/hello.txt")
	[ "$(echo "$out" | grep -c '^ 200 [01]$')" -eq 3 ] || fail "document, program, document: $out"
	[ "$(echo "$out" | sed -n '$p')" = " 200 0" ] || fail "not one connection: $out"
	[ "$(forks)" -eq $((before + 2)) ] ||
		fail "processes for document, program, document: $(($(forks) - before))"
	before=$(forks)
	raw 'GET /cgi-bin/hello HTTP/1.0\r\n\r\n'
	assert_code 200
	[ "$(forks)" -gt $((before + 1)) ] || fail "no connection process and program"
	before=$(forks)
	paused_hello 'GET /hello.txt HTTP/1.0\r\n' '\r\n' || fail "a head in two parts"
	[ "$(forks)" -gt "$before" ] || fail "no process for a head in two parts"

	# the listener writes the access log line too
	wait_log '"GET /range.txt HTTP/1.0" 206 4'
	wait_log '"HEAD /hello.txt HTTP/1.1" 200 0'
}

# settled FILE  -- wait until FILE's change time is 3 s past, so that the
# listener may keep it in memory (DOC_CACHE_SETTLE).  A program, so that
# the keep-alive client can run it between requests too.
SETTLE=$BATS_FILE_TMPDIR/settle
write_settle() {
	printf '#!/bin/sh\nwhile [ $(($(date +%%s) - $(stat -c %%Z "$1"))) -lt 3 ]; do sleep 0.2; done\n' >"$SETTLE"
	chmod 755 "$SETTLE"
}
settled() { "$SETTLE" "$1"; }

@test "-l: the listener keeps small documents in memory and sees every change at the next request" {
	local f=$ROOT/kept.txt etag
	start_traced openat2,newfstatat
	opens() { traced openat2; }
	printf 'one\n' >"$f"
	printf 'out\n' >"$BATS_TEST_TMPDIR/outside.txt"
	settled "$f"

	raw 'GET /kept.txt HTTP/1.0\r\n\r\n'
	assert_body one
	etag=$(header ETag)
	# kept: the next requests open nothing, one stat of the path each
	local before=$(opens)
	raw 'GET /kept.txt HTTP/1.0\r\n\r\n'
	assert_body one
	raw 'HEAD /kept.txt HTTP/1.0\r\n\r\n'
	assert_code 200
	assert_body_empty
	[ "$(header Content-Length)" = 4 ] || fail "HEAD: Content-Length $(header Content-Length)"
	raw "GET /kept.txt HTTP/1.0\r\nIf-None-Match: $etag\r\n\r\n"
	assert_code 304
	raw 'GET /kept.txt HTTP/1.0\r\nRange: bytes=1-2\r\n\r\n'
	assert_code 206
	assert_body ne
	[ "$(opens)" -eq "$before" ] || fail "a kept document opened again: $(cat "$TRACE")"

	# written in place, same size: the new bytes, and a new tag
	printf 'two\n' >"$f"
	raw 'GET /kept.txt HTTP/1.0\r\n\r\n'
	assert_body two
	[ "$(header ETag)" != "$etag" ] || fail "the same ETag after a write"
	# a file changed in the last seconds is read from the file every time
	before=$(opens)
	printf 'six\n' >"$f"
	raw 'GET /kept.txt HTTP/1.0\r\n\r\n'
	assert_body six
	[ "$(opens)" -gt "$before" ] || fail "a document kept while it was changing"

	# replaced by a rename, then removed
	settled "$f"
	raw 'GET /kept.txt HTTP/1.0\r\n\r\n'
	assert_body six
	printf 'ten\n' >"$ROOT/new.txt"
	mv "$ROOT/new.txt" "$f"
	raw 'GET /kept.txt HTTP/1.0\r\n\r\n'
	assert_body ten
	settled "$f"
	raw 'GET /kept.txt HTTP/1.0\r\n\r\n'
	assert_body ten
	rm "$f"
	raw 'GET /kept.txt HTTP/1.0\r\n\r\n'
	assert_code 404

	# a symbolic link out of the root in its place is refused, as a
	# lookup refuses it (the file outside has the same size)
	printf 'one\n' >"$f"
	settled "$f"
	raw 'GET /kept.txt HTTP/1.0\r\n\r\n'
	assert_body one
	ln -sf "$BATS_TEST_TMPDIR/outside.txt" "$f"
	raw 'GET /kept.txt HTTP/1.0\r\n\r\n'
	assert_code_in 403 404
	rm "$f"
}

# A connection the listener holds is answered from a kept copy with no
# system call but its read and write: inotify tells of every change to
# the file and to the directories above it, and mountinfo of mounts.
@test "-l: a held connection's kept documents take no stat, and a change, a directory swapped or a mount shows at its next request" {
	local d=$ROOT/held t=$BATS_TEST_TMPDIR
	start_traced openat2,newfstatat
	mkdir "$d"
	printf 'one\n' >"$d/k.txt"
	settled "$d/k.txt"
	printf '#!/bin/sh\ngrep -cE "^[0-9]+ +(openat2|newfstatat)[(]" "%s" >"$1"\n' "$TRACE" >"$t/calls"
	chmod 755 "$t/calls"
	local get='GET /held/k.txt HTTP/1.1\r\nHost: x\r\n\r\n' mount=()
	if [ "$(id -u)" -eq 0 ]; then
		mkdir "$t/over"
		printf 'mnt\n' >"$t/over/k.txt"
		mount=("!mount --bind $t/over $d" "$get" "!umount $d")
	fi
	converse 1 0 "$get" "!$t/calls $t/c1" "$get" "$get" "$get" "!$t/calls $t/c2" \
		"!printf 'two\n' >$d/k.txt" "$get" \
		"!$SETTLE $d/k.txt" "$get" "$get" \
		"!mkdir $d.new && printf 'new\n' >$d.new/k.txt && mv $d $d.old && mv $d.new $d" "$get" \
		"!$SETTLE $d/k.txt" "$get" "$get" "${mount[@]}" "$get"
	# the three requests on the held connection: no lookup, no stat
	[ "$(cat "$t/c1")" -eq "$(cat "$t/c2")" ] ||
		fail "calls for kept copies: $(cat "$t/c1") before, $(cat "$t/c2") after"
	local i want=(one one one one two two two new new new)
	[ ${#mount[@]} -eq 0 ] || want+=(mnt)
	want+=(new)
	assert_responses ${#want[@]}
	for i in "${!want[@]}"; do
		response $((i + 1))
		assert_body "${want[i]}"
	done
	rm -rf "$d" "$d.old"
}

# What raises no event (here a write through Linux AIO) is seen by the
# stat that checks a watched copy at least once a second; and the
# listener's watches stay bounded however many documents it has kept.
@test "-l: a held copy is checked by a stat at least once a second, and the watches stay bounded" {
	local t=$BATS_TEST_TMPDIR i reqs=()
	"${CC:-cc}" -O2 -Wall -o "$t/aiowrite" "$TESTS_DIR/aiowrite.c"
	start_server listen
	mkdir "$ROOT/many"
	for i in $(seq 300); do printf '%03d\n' "$i" >"$ROOT/many/$i.txt"; done
	printf 'one\n' >"$ROOT/aio.txt"
	settled "$ROOT/aio.txt"
	printf '#!/bin/sh\nfor f in /proc/%s/fd/*; do [ "$(readlink "$f")" = anon_inode:inotify ] && grep -c "^inotify wd:" /proc/%s/fdinfo/${f##*/}; done >"$1"\nexit 0\n' \
		"$SERVER_PID" "$SERVER_PID" >"$t/watches"
	chmod 755 "$t/watches"
	local get='GET /aio.txt HTTP/1.1\r\nHost: x\r\n\r\n'
	for i in $(seq 300); do reqs+=("GET /many/$i.txt HTTP/1.1\r\nHost: x\r\n\r\n"); done
	converse 1 0 "$get" "$get" "!$t/aiowrite $ROOT/aio.txt 'two\n'" "!sleep 1.2" "$get" \
		"${reqs[@]}" "!$t/watches $t/w" \
		"!printf 'new\n' >$ROOT/many/1.txt" "GET /many/1.txt HTTP/1.1\r\nHost: x\r\n\r\n"
	assert_responses 304
	response 3
	assert_body two
	response 4
	assert_body 001
	response 303
	assert_body 300
	response 304
	assert_body new
	[ "$(cat "$t/w")" -gt 0 ] && [ "$(cat "$t/w")" -le 256 ] ||
		fail "the listener's inotify watches: '$(cat "$t/w")'"
	rm -rf "$ROOT/many" "$ROOT/aio.txt"
}

# RFC 9112 §9.6: a lingering close (shutdown, then reading what still
# comes) keeps a response from being reset by input the server has not
# read.  A client that sent "close" and no body sends nothing more, so
# that connection is simply closed and its process ends at once.
@test "a connection that asked to close is closed at once; one with input left lingers" {
	start_traced shutdown
	shutdowns() { traced shutdown; }

	raw 'GET /cgi-bin/hello HTTP/1.0\r\n\r\n'
	assert_code 200
	raw 'GET /missing.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
	assert_code 404
	raw 'GET /large.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
	assert_code 200
	[ "$(wc -c <"$BODY")" -eq 20000 ] || fail "large.txt: $(wc -c <"$BODY") bytes"
	[ "$(shutdowns)" -eq 0 ] || fail "lingering closes: $(cat "$TRACE")"

	# a request after the last one, or a body not read: linger
	raw 'GET /cgi-bin/hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n'
	assert_code 200
	[ "$(grep -c '^HTTP/1.1 ' "$RAW")" -eq 1 ] || fail "answers after the last: $(cat "$RAW")"
	[ "$(shutdowns)" -eq 1 ] || fail "no lingering close with input left: $(cat "$TRACE")"
	raw 'POST /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 5\r\n\r\nabcde'
	assert_code 405
	[ "$(shutdowns)" -eq 2 ] || fail "no lingering close after a body not read: $(cat "$TRACE")"
}

@test "HTTP/1.0 with Connection: keep-alive stays open and says so" {
	start_server listen
	converse 1 1 'GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' \
		'GET /other.html HTTP/1.0\r\nConnection: keep-alive\r\n\r\n'
	assert_responses 2
	response 1
	assert_header Connection keep-alive
	assert_body "hello, world"
	response 2
	assert_header Connection keep-alive
	assert_body_contains OTHER-PAGE-MARKER
	assert_end open
	# The next request without keep-alive is the last.
	converse 1 3 'GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' \
		'GET /other.html HTTP/1.0\r\n\r\n'
	assert_responses 2
	assert_end eof 0 1
}

@test "HTTP/1.0 keep-alive and a CGI response of unknown length: not chunked, ended by the close" {
	start_server listen
	converse 1 3 'GET /cgi-bin/hello?x=1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n'
	assert_responses 1
	response 1
	refute_header Transfer-Encoding
	assert_body "$(printf 'Hello from C\nquery=x=1')"
	if header Content-Length >/dev/null; then
		assert_header Connection keep-alive
		assert_end open
	else
		[ "$(header Connection)" != keep-alive ] ||
			fail "keep-alive promised for a response delimited by the close"
		assert_end eof 0 1
	fi
}

@test "Connection: close is honoured; nothing after it is answered" {
	start_server listen
	converse 2 3 "$(get11 /hello.txt 'Connection: close\r\n')" "$(get11 /other.html)"
	assert_responses 1
	response 1
	assert_header Connection close
	assert_body "hello, world"
	assert_end eof 0 1
}

@test "pipelined requests in one write (GET, POST with a body, HEAD, CGI) are answered in order" {
	start_server listen
	converse 4 3 "$(get11 /hello.txt)" \
		'POST /cgi-bin/echo.pl HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 11\r\n\r\nPOST-BODY-1' \
		'HEAD /other.html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' \
		"$(get11 '/cgi-bin/hello?n=4' 'Connection: close\r\n')"
	assert_responses 4
	response 1
	assert_body "hello, world"
	response 2
	assert_body POST-BODY-1
	response 3
	assert_header Content-Length "$(size_of "$ROOT/other.html")"
	assert_body_empty
	response 4
	assert_body "$(printf 'Hello from C\nquery=n=4')"
	assert_header Connection close
	assert_end eof 0 1
}

@test "the 1000th request on a connection is its last: Connection: close, then a clean end" {
	start_server listen
	local -a reqs
	local i
	for ((i = 1; i <= 1001; i++)); do
		reqs+=("GET /hello.txt?n=$i HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
	done
	# 7 writes of 143 requests; the last write holds the 1001st.
	converse 143 3 "${reqs[@]}"
	assert_responses 1000
	local closing
	closing=$(awk '$1 == "R" && $5 != "-" { print $2 ":" $5 }' "$SUMMARY")
	[ "$closing" = "1000:close" ] || fail "Connection fields (response:value): $closing"
	assert_end eof 0 1
}

@test "an idle kept-alive connection is closed after about 5 s" {
	start_server listen
	converse 1 8 "$(get11 /hello.txt)"
	assert_responses 1
	assert_end eof 4 7.5
}

@test "50 requests in a row on one connection: no delayed-ACK stall" {
	start_server listen
	local -a reqs
	local i
	for ((i = 1; i <= 50; i++)); do
		case $((i % 5)) in
		0) reqs+=("$(get11 "/cgi-bin/hello?n=$i")") ;;
		1 | 3) reqs+=("$(get11 /hello.txt)") ;;
		*) reqs+=("$(get11 /index.html)") ;;
		esac
	done
	converse 1 0 "${reqs[@]}"
	assert_responses 50
	assert_end open
	local t
	t=$(awk '$1 == "TIME" { print $2 }' "$SUMMARY")
	# A 40 ms stall per response would take 2 s.
	awk -v t="$t" 'BEGIN { exit !(t < 1) }' || fail "50 requests took $t s"
}

# --- methods and request targets -----------------------------------------------

@test "documents answer GET and HEAD" {
	start_server listen
	http GET /hello.txt
	assert_code 200
	assert_body "hello, world"
	raw 'HEAD /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'
	assert_code 200
	assert_header Content-Length 13
	assert_header_match Content-Type '^text/plain'
	assert_body_empty
}

@test "PUT, DELETE and POST on a document: 405 with Allow: GET, HEAD, OPTIONS" {
	start_server listen
	http PUT /hello.txt --data-binary 'replaced'
	assert_code 405
	assert_header Allow 'GET, HEAD, OPTIONS'
	http DELETE /hello.txt
	assert_code 405
	assert_header Allow 'GET, HEAD, OPTIONS'
	http POST /hello.txt --data-binary 'a=1'
	assert_code 405
	assert_header Allow 'GET, HEAD, OPTIONS'
	[ "$(cat "$ROOT/hello.txt")" = "hello, world" ] || fail "the document changed"
}

@test "OPTIONS on a document and OPTIONS *: 204 with Allow" {
	start_server listen
	http OPTIONS /hello.txt
	assert_code 204
	assert_header Allow 'GET, HEAD, OPTIONS'
	assert_body_empty
	raw 'OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'
	assert_code 204
	assert_header_match Allow 'GET'
	assert_body_empty
}

@test "an unknown method: 501 on a document, passed to a CGI program" {
	start_server listen
	http BREW /hello.txt
	assert_code 501
	refute_body_contains "hello, world"
	http BREW /cgi-bin/env.sh
	assert_code 200
	assert_env REQUEST_METHOD=BREW
}

@test "CONNECT host:port: 501 (cgid opens no tunnel); CONNECT to a path, a document's or a program's: 400" {
	start_server listen
	local code
	code=$(curl -s --max-time 10 -p -x "http://$HOST:$PORT" -o /dev/null \
		-w '%{http_connect}' https://example.test/) || true
	[ "$code" = 501 ] || fail "CONNECT example.test:443 answered '$code'"
	raw 'CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n'
	assert_code 501
	raw 'CONNECT /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'
	assert_code 400
	refute_body_contains "hello, world"
	raw 'CONNECT /cgi-bin/env.sh HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'
	assert_code 400
	refute_body_contains REQUEST_METHOD=
}

@test "absolute-form request target: served, and its authority is SERVER_NAME and HTTP_HOST" {
	start_server listen
	raw 'GET http://example.test/hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'
	assert_code 200
	assert_body "hello, world"
	http GET /cgi-bin/env.sh --request-target 'http://example.test/cgi-bin/env.sh?q=1'
	assert_code 200
	assert_env SERVER_NAME=example.test
	assert_env SCRIPT_NAME=/cgi-bin/env.sh
	assert_env QUERY_STRING=q=1
	# RFC 9112 §3.2.2: the Host field is ignored, its variable too
	raw 'GET http://example.test:81/cgi-bin/env.sh HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n'
	assert_code 200
	assert_env HTTP_HOST=example.test:81
	assert_env SERVER_NAME=example.test
	refute_body_contains other.test
}

@test "an invalid Host or authority (RFC 9112 §3.2): 400 and no program runs; IP literals and ports pass" {
	start_server listen
	local h
	for h in 'a:b:c' ']x[' 'ex.com:http' '[::1' 'a%zz'; do
		raw "GET /cgi-bin/env.sh HTTP/1.1\r\nHost: $h\r\nConnection: close\r\n\r\n"
		assert_code 400 || fail "for Host: $h"
		refute_body_contains SERVER_NAME= || fail "for Host: $h"
	done
	raw 'GET http://a:b:c/cgi-bin/env.sh HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'
	assert_code 400
	refute_body_contains SERVER_NAME=
	raw 'GET /cgi-bin/env.sh HTTP/1.1\r\nHost: [::1]:8080\r\nConnection: close\r\n\r\n'
	assert_code 200
	assert_env 'SERVER_NAME=[::1]'
}

# --- directories ------------------------------------------------------------------

@test "a directory without its slash: 301 to the slash, query kept" {
	start_server listen
	http GET /dir
	assert_code 301
	assert_header_match Location '^(http://[^/]+)?/dir/$'
	http GET '/dir?x=1'
	assert_code 301
	assert_header_match Location '^(http://[^/]+)?/dir/\?x=1$'
}

@test "a directory without its slash: the 301 has its Location however long the URL (RFC 9110 §15.4.2)" {
	local q name enc
	start_server listen
	q=$(printf 'q%.0s' $(seq 700))
	http GET "/dir?$q"
	assert_code 301
	assert_header Location "/dir/?$q"
	# a name whose percent-encoding is long
	name=$(printf ' %.0s' $(seq 200))
	enc=$(printf '%%20%.0s' $(seq 200))
	mkdir -p "$ROOT/$name"
	local rc=0
	http GET "/$enc" || rc=$?
	rmdir "$ROOT/$name"
	[ "$rc" -eq 0 ] || fail "no answer"
	assert_code 301
	assert_header Location "/$enc/"
}

@test "a directory gives its index.html, or runs its index.cgi" {
	start_server listen
	http GET /dir/
	assert_code 200
	assert_header_match Content-Type '^text/html'
	assert_body_contains DIR-INDEX-MARKER
	http GET /cgidir/
	assert_code 200
	assert_body_contains INDEX-CGI-RAN
	refute_body_contains '#!/bin/sh'
}

@test "a directory without an index: 404, and with --list-dirs an escaped listing without hidden names" {
	start_server listen
	http GET /nolist/
	assert_code 404
	refute_body_contains plain.txt
	stop_server
	start_server listen --list-dirs
	http GET /nolist/
	assert_code 200
	assert_header_match Content-Type '^text/html'
	assert_body_contains plain.txt
	assert_body_contains 'a&amp;b.txt'
	assert_body_contains '&lt;script&gt;x.txt'
	assert_body_contains subdir
	refute_body_contains '<script>'
	refute_body_contains dotfile
}

@test "--list-dirs: a symbolic link is listed as what it names, and not at all where a lookup refuses it" {
	local d=$ROOT/links
	mkdir -p "$d/realdir"
	printf 'in\n' >"$d/target.txt"
	printf 'out\n' >"$BATS_TEST_TMPDIR/outside.txt"
	ln -s target.txt "$d/to-file"
	ln -s realdir "$d/to-dir"
	ln -s "$BATS_TEST_TMPDIR/outside.txt" "$d/to-outside"
	ln -s /etc "$d/to-etc"
	ln -s missing "$d/dangling"
	start_server listen --list-dirs
	local rc=0
	http GET /links/ || rc=$?
	rm -rf "$d"
	[ "$rc" -eq 0 ] || fail "no listing"
	assert_code 200
	assert_body_contains '<a href="./to-file">to-file</a>'
	assert_body_contains '<a href="./to-dir/">to-dir/</a>'
	assert_body_contains '<a href="./realdir/">realdir/</a>'
	refute_body_contains to-outside
	refute_body_contains to-etc
	refute_body_contains dangling
}

@test "--list-dirs: FIFOs, sockets and links to them are not listed, as they are not served" {
	local d=$ROOT/special
	mkdir -p "$d"
	printf 'x\n' >"$d/plain.txt"
	mkfifo "$d/fifo"
	perl -MIO::Socket::UNIX -e 'IO::Socket::UNIX->new(Local => $ARGV[0], Listen => 1) or die "$!\n"' "$d/sock"
	ln -s fifo "$d/to-fifo"
	start_server listen --list-dirs
	local rc=0 f
	http GET /special/ || rc=$?
	[ "$rc" -eq 0 ] || fail "no listing"
	assert_code 200
	assert_body_contains '<a href="./plain.txt">plain.txt</a>'
	for f in fifo sock to-fifo; do
		refute_body_contains "\"./$f\"" || fail "$f listed"
		http GET "/special/$f"
		assert_code_in 403 404 || fail "for $f"
	done
	rm -rf "$d"
}

# RFC 9110 §13.1.1, §13.1.2: a listing is a current representation with
# no entity-tag, so "*" alone matches it.
@test "--list-dirs: a listing answers If-Match with 412 unless it is *, and If-None-Match: * with 304" {
	start_server listen --list-dirs
	http GET /nolist/ -H 'If-Match: "no-such-tag"'
	assert_code 412
	refute_body_contains plain.txt
	http GET /nolist/ -H 'If-Match: *'
	assert_code 200
	assert_body_contains plain.txt
	http GET /nolist/ -H 'If-None-Match: *'
	assert_code 304
	assert_body_empty
	http HEAD /nolist/ -H 'If-None-Match: *'
	assert_code 304
	http GET /nolist/ -H 'If-None-Match: "no-such-tag"'
	assert_code 200
	assert_body_contains plain.txt
}

@test "--list-dirs: a listed directory answers OPTIONS with 204 and PUT with 405, both with Allow" {
	start_server listen --list-dirs
	http OPTIONS /nolist/
	assert_code 204
	assert_header Allow 'GET, HEAD, OPTIONS'
	http PUT /nolist/ --data-binary x
	assert_code 405
	assert_header Allow 'GET, HEAD, OPTIONS'
}

# A directory looked up for its index keeps no descriptor open: many
# requests on one connection, with few descriptors to spare, all answered.
@test "a directory's index lookup leaves no descriptor open: a listing or index.cgi, many times on one connection" {
	local real=$CGID url codes
	CGID=$BATS_TEST_TMPDIR/cgid-32-files
	printf '%s\n' '#!/bin/sh' 'ulimit -Sn 32' "exec '$real' \"\$@\"" >"$CGID"
	chmod 755 "$CGID"
	start_server listen --list-dirs
	CGID=$real
	for url in /nolist/subdir/ /cgidir/; do
		codes=$(curl -sS --max-time 20 -w '%{http_code} %{num_connects}\n' \
			$(for i in $(seq 40); do echo "-o /dev/null http://$HOST:$PORT$url"; done) |
			sort | uniq -c)
		# one connection, forty answers 200
		[ "$codes" = "$(printf '%7d 200 0\n%7d 200 1' 39 1)" ] ||
			fail "$url: $codes"
	done
}

@test "--list-dirs: past 4096 entries, the first ones in name order and how many are left out" {
	mkdir -p "$ROOT/many"
	perl -e 'for my $i (0 .. 4999) {
		my $n = sprintf("%s/f%04d", $ARGV[0], $i);
		open(my $f, ">", $n) or die "$n: $!\n";
	}' "$ROOT/many"
	start_server listen --list-dirs
	local rc=0
	http GET /many/ || rc=$?
	rm -rf "$ROOT/many"
	[ "$rc" -eq 0 ] || fail "no listing"
	assert_code 200
	local names k
	names=$(grep -o '>f[0-9]*</a>' "$BODY" | tr -dc '0-9\n')
	k=$(wc -l <<<"$names")
	[ "$k" -ge 2048 ] && [ "$k" -le 4096 ] || fail "$k entries listed"
	# exactly f0000 .. f(k-1), in order
	[ "$names" = "$(seq -f '%04g' 0 $((k - 1)))" ] || fail "not the first $k names in order"
	assert_body_contains "($((5000 - k)) more not listed)"
}

# --- hidden elements ----------------------------------------------------------------

@test "hidden names are 404; /.well-known/ is served" {
	start_server listen
	http GET /.hidden
	assert_code 404
	refute_body_contains HIDDEN-MARKER
	http GET /.well-known/x.txt
	assert_code 200
	assert_body WELL-KNOWN-MARKER
}

# --- media types ---------------------------------------------------------------------

@test "Content-Type from the built-in table, text types with charset=utf-8" {
	start_server listen
	local pair path type
	for pair in '/index.html text/html; charset=utf-8' '/style.css text/css; charset=utf-8' \
		'/app.js text/javascript; charset=utf-8' '/hello.txt text/plain; charset=utf-8' \
		'/pic.png image/png' '/data.json application/json'; do
		path=${pair%% *}
		type=${pair#* }
		http GET "$path"
		assert_code 200
		assert_header Content-Type "$type" || fail "for $path"
	done
}

@test "Content-Type from /etc/mime.types for what the built-in table lacks" {
	grep -Eq '^application/vnd\.oasis\.opendocument\.text[[:space:]](.*[[:space:]])?odt([[:space:]]|$)' \
		/etc/mime.types 2>/dev/null || skip "no .odt in /etc/mime.types"
	start_server listen
	http GET /doc.odt
	assert_code 200
	assert_header Content-Type application/vnd.oasis.opendocument.text
}

@test "an unknown extension or none: application/octet-stream" {
	start_server listen
	http GET /blob.zzqx
	assert_code 200
	assert_header Content-Type application/octet-stream
	http GET /noext
	assert_code 200
	assert_header Content-Type application/octet-stream
}

# --- caching ---------------------------------------------------------------------------

@test "Last-Modified is the file's time, ETag is strong and follows the content" {
	start_server listen
	http GET /cache.txt
	assert_code 200
	assert_header Last-Modified 'Thu, 02 Jan 2020 03:04:05 GMT'
	assert_header_match ETag '^"[^"]+"$'
	local etag
	etag=$(header ETag)
	http GET /cache.txt
	assert_header ETag "$etag"
	# The same file rewritten: another ETag.
	printf 'FIRST\n' >"$ROOT/etag.txt"
	touch -d '2020-01-02 03:04:05 UTC' "$ROOT/etag.txt"
	http GET /etag.txt
	etag=$(header ETag)
	printf 'SECOND CONTENT\n' >"$ROOT/etag.txt"
	touch -d '2021-01-01 00:00:00 UTC' "$ROOT/etag.txt"
	http GET /etag.txt
	assert_body 'SECOND CONTENT'
	[ "$(header ETag)" != "$etag" ] || fail "new content, the same ETag $etag"
}

@test "If-None-Match with the ETag or *: 304 without a body" {
	start_server listen
	http GET /cache.txt
	local etag
	etag=$(header ETag)
	raw "GET /cache.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nIf-None-Match: $etag\r\nConnection: close\r\n\r\n"
	assert_code 304
	assert_header ETag "$etag"
	assert_body_empty
	raw 'GET /cache.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nIf-None-Match: *\r\nConnection: close\r\n\r\n'
	assert_code 304
	assert_body_empty
	http GET /cache.txt -H 'If-None-Match: "no-such-tag"'
	assert_code 200
	assert_body CACHE-BODY
}

@test "If-Modified-Since: 304 at the modification time, 200 before it" {
	start_server listen
	http GET /cache.txt -H 'If-Modified-Since: Thu, 02 Jan 2020 03:04:05 GMT'
	assert_code 304
	assert_body_empty
	http GET /cache.txt -H 'If-Modified-Since: Wed, 01 Jan 2020 00:00:00 GMT'
	assert_code 200
	assert_body CACHE-BODY
}

@test "rfc850 dates: a two-digit year is at most 50 years ahead, an invalid one is no date (RFC 9110 §5.6.7)" {
	start_server listen
	# cache.txt is of 2020: "70" is 2070, not 1970, so not modified since
	http GET /cache.txt -H 'If-Modified-Since: Wednesday, 01-Jan-70 00:00:00 GMT'
	assert_code 304
	assert_body_empty
	http GET /cache.txt -H 'If-Unmodified-Since: Wednesday, 01-Jan-70 00:00:00 GMT'
	assert_code 200
	assert_body CACHE-BODY
	# "94" is still 1994, in the past
	http GET /cache.txt -H 'If-Unmodified-Since: Sunday, 06-Nov-94 08:49:37 GMT'
	assert_code 412
	# a year that is no number makes no date: the field is ignored
	http GET /cache.txt -H 'If-Unmodified-Since: Sunday, 06-Nov-xx 08:49:37 GMT'
	assert_code 200
	assert_body CACHE-BODY
}

@test "If-Modified-Since or If-Unmodified-Since on several lines is a list of dates, and ignored (RFC 9110 §13.1.3, §13.1.4)" {
	start_server listen
	# either line alone would give 304
	http GET /cache.txt -H 'If-Modified-Since: Thu, 02 Jan 2020 03:04:05 GMT' \
		-H 'If-Modified-Since: Thu, 02 Jan 2020 03:04:05 GMT'
	assert_code 200
	assert_body CACHE-BODY
	# the first line alone would give 412
	http GET /cache.txt -H 'If-Unmodified-Since: Wed, 01 Jan 2020 00:00:00 GMT' \
		-H 'If-Unmodified-Since: Fri, 01 Jan 2021 00:00:00 GMT'
	assert_code 200
	assert_body CACHE-BODY
	# one line each still counts
	http GET /cache.txt -H 'If-Unmodified-Since: Wed, 01 Jan 2020 00:00:00 GMT' \
		-H 'If-Modified-Since: Wed, 01 Jan 2020 00:00:00 GMT'
	assert_code 412
}

@test "If-None-Match takes precedence over If-Modified-Since" {
	start_server listen
	http GET /cache.txt
	local etag
	etag=$(header ETag)
	http GET /cache.txt -H 'If-None-Match: "no-such-tag"' \
		-H 'If-Modified-Since: Thu, 02 Jan 2020 03:04:05 GMT'
	assert_code 200
	assert_body CACHE-BODY
	http GET /cache.txt -H "If-None-Match: $etag" \
		-H 'If-Modified-Since: Wed, 01 Jan 2020 00:00:00 GMT'
	assert_code 304
}

@test "If-Match: 412 when it does not match, 200 when it does" {
	start_server listen
	http GET /cache.txt
	local etag
	etag=$(header ETag)
	http GET /cache.txt -H 'If-Match: "no-such-tag"'
	assert_code 412
	refute_body_contains CACHE-BODY
	http GET /cache.txt -H "If-Match: $etag"
	assert_code 200
	assert_body CACHE-BODY
}

@test "If-Range: the ETag gives the range, another ETag the whole document" {
	start_server listen
	http GET /range.txt
	local etag
	etag=$(header ETag)
	http GET /range.txt -H 'Range: bytes=0-4' -H "If-Range: $etag"
	assert_code 206
	assert_body 01234
	http GET /range.txt -H 'Range: bytes=0-4' -H 'If-Range: "no-such-tag"'
	assert_code 200
	refute_header Content-Range
	assert_body 0123456789abcdefghij
}

@test "If-Match and If-None-Match given on several lines count as one list (RFC 9110 §5.3)" {
	start_server listen
	http GET /cache.txt
	local etag
	etag=$(header ETag)
	http GET /cache.txt -H 'If-Match: "other"' -H "If-Match: $etag"
	assert_code 200
	assert_body CACHE-BODY
	http GET /cache.txt -H 'If-None-Match: "other"' -H "If-None-Match: $etag"
	assert_code 304
}

@test "If-Match and If-None-Match that are no list of entity-tags match nothing, whatever comes first (RFC 9110 §13.1.1, §13.1.2)" {
	start_server listen
	http GET /cache.txt
	local etag
	etag=$(header ETag)
	# the tag followed by something that ends no list element
	http GET /cache.txt -H "If-None-Match: ${etag}x"
	assert_code 200
	assert_body CACHE-BODY
	http GET /cache.txt -H "If-None-Match: $etag junk"
	assert_code 200
	http GET /cache.txt -H "If-None-Match: \"other\", $etag junk"
	assert_code 200
	http GET /cache.txt -H "If-Match: ${etag}x"
	assert_code 412
	http GET /cache.txt -H "If-Match: $etag, junk"
	assert_code 412
	# the same list with the junk first matched nothing before
	http GET /cache.txt -H "If-Match: junk, $etag"
	assert_code 412
	# a valid list with spaces and empty elements still matches
	http GET /cache.txt -H "If-None-Match: ,\"other\" , $etag ,"
	assert_code 304
	http GET /cache.txt -H "If-Match: \"other\",$etag"
	assert_code 200
}

@test "If-Range with a date: the whole document, as a date is no strong validator (§13.1.5)" {
	start_server listen
	http GET /range.txt
	local lm
	lm=$(header Last-Modified)
	http GET /range.txt -H 'Range: bytes=0-4' -H "If-Range: $lm"
	assert_code 200
	refute_header Content-Range
	assert_body 0123456789abcdefghij
}

@test "Last-Modified is never later than Date: a file dated in the future (§8.8.2.1)" {
	printf future >"$ROOT/future.txt"
	touch -d '2030-01-01 00:00:00 UTC' "$ROOT/future.txt"
	start_server listen
	local rc=0
	http GET /future.txt || rc=$?
	rm -f "$ROOT/future.txt"
	[ "$rc" -eq 0 ] || fail "no answer"
	assert_code 200
	local lm date
	lm=$(date -d "$(header Last-Modified)" +%s)
	date=$(date -d "$(header Date)" +%s)
	[ "$lm" -le "$date" ] || fail "Last-Modified $(header Last-Modified) after Date $(header Date)"
}

# --- ranges ---------------------------------------------------------------------------

@test "Range: first bytes, a suffix and an open range" {
	start_server listen
	http GET /range.txt -H 'Range: bytes=0-4'
	assert_code 206
	assert_header Content-Range 'bytes 0-4/20'
	assert_header Content-Length 5
	assert_body 01234
	http GET /range.txt -H 'Range: bytes=-3'
	assert_code 206
	assert_header Content-Range 'bytes 17-19/20'
	assert_body hij
	http GET /range.txt -H 'Range: bytes=5-'
	assert_code 206
	assert_header Content-Range 'bytes 5-19/20'
	assert_body 56789abcdefghij
}

@test "Range past the end: 416 with Content-Range: bytes */N" {
	start_server listen
	http GET /range.txt -H 'Range: bytes=20-'
	assert_code 416
	assert_header Content-Range 'bytes */20'
	refute_body_contains 0123456789
}

@test "Range: an empty document's suffix is the whole of it; positions past any number" {
	: >"$ROOT/empty.txt"
	start_server listen
	local rc=0
	http GET /empty.txt -H 'Range: bytes=-5' || rc=$?
	[ "$rc" -eq 0 ] || fail "no answer"
	assert_code 200
	assert_header Content-Length 0
	http GET /empty.txt -H 'Range: bytes=0-'
	assert_code 416
	rm -f "$ROOT/empty.txt"
	# a last position past what any number holds: to the end (§14.1.1)
	http GET /range.txt -H 'Range: bytes=3-99999999999999999999999'
	assert_code 206
	assert_header Content-Range 'bytes 3-19/20'
	http GET /range.txt -H 'Range: bytes=99999999999999999999999-'
	assert_code 416
}

@test "several ranges: 200 with the whole document" {
	start_server listen
	http GET /range.txt -H 'Range: bytes=0-1,5-6'
	assert_code 200
	refute_header Content-Range
	assert_body 0123456789abcdefghij
}

# --- --gzip-static ------------------------------------------------------------------------

@test "--gzip-static: FILE.gz for clients that accept gzip, with the type of FILE" {
	start_server listen --gzip-static
	http GET /gz/page.html -H 'Accept-Encoding: gzip'
	assert_code 200
	assert_header Content-Encoding gzip
	assert_header Vary Accept-Encoding
	assert_header Content-Type 'text/html; charset=utf-8'
	assert_header Content-Length "$(size_of "$ROOT/gz/page.html.gz")"
	cmp "$BODY" "$ROOT/gz/page.html.gz" || fail "the body is not page.html.gz"
}

@test "--gzip-static: FILE itself, with Vary, for clients that do not accept gzip" {
	start_server listen --gzip-static
	http GET /gz/page.html
	assert_code 200
	refute_header Content-Encoding
	assert_header Vary Accept-Encoding
	cmp "$BODY" "$ROOT/gz/page.html" || fail "the body is not page.html"
	http GET /gz/page.html -H 'Accept-Encoding: gzip;q=0'
	assert_code 200
	refute_header Content-Encoding
	assert_header Vary Accept-Encoding
	cmp "$BODY" "$ROOT/gz/page.html" || fail "the body is not page.html (gzip;q=0)"
}

@test "--gzip-static: gzip named decides over *, x-gzip is gzip, a weight of 0 refuses (§12.5.3)" {
	start_server listen --gzip-static
	local ae want
	while IFS='|' read -r ae want; do
		http GET /gz/page.html -H "Accept-Encoding: $ae"
		assert_code 200
		if [ "$want" = gzip ]; then
			assert_header Content-Encoding gzip || fail "for '$ae'"
		else
			refute_header Content-Encoding || fail "for '$ae'"
		fi
	done <<'EOF'
*, gzip;q=0|identity
gzip;q=0 , br|identity
gzip ; q=0.000|identity
br|identity
deflate, compress|identity
*;q=0, gzip|gzip
x-gzip|gzip
br, *|gzip
gzip;q=0.5|gzip
EOF
}

@test "--gzip-static: a 416 and a 304 carry no Content-Encoding" {
	start_server listen --gzip-static
	http GET /gz/page.html -H 'Accept-Encoding: gzip' -H 'Range: bytes=999999-'
	assert_code 416
	refute_header Content-Encoding
	assert_header Content-Range "bytes */$(size_of "$ROOT/gz/page.html.gz")"
	http GET /gz/page.html -H 'Accept-Encoding: gzip'
	local etag
	etag=$(header ETag)
	http GET /gz/page.html -H 'Accept-Encoding: gzip' -H "If-None-Match: $etag"
	assert_code 304
	refute_header Content-Encoding
}

@test "without --gzip-static FILE.gz never stands for FILE" {
	start_server listen
	http GET /gz/page.html -H 'Accept-Encoding: gzip'
	assert_code 200
	refute_header Content-Encoding
	cmp "$BODY" "$ROOT/gz/page.html" || fail "the body is not page.html"
}

# --- --vhosts ---------------------------------------------------------------------------------

@test "--vhosts: each host its own directory, case and port ignored; unknown hosts 404" {
	ROOT=$BATS_FILE_TMPDIR/vhosts
	start_server listen --vhosts
	http GET / -H 'Host: host-a'
	assert_code 200
	assert_body HOST-A-INDEX
	http GET / -H 'Host: HOST-B:8080'
	assert_code 200
	assert_body HOST-B-INDEX
	http GET / -H 'Host: no-such-host.test'
	assert_code 404
	refute_body_contains INDEX
}

@test "--vhosts: a host named with a final dot is the same host" {
	ROOT=$BATS_FILE_TMPDIR/vhosts
	start_server listen --vhosts
	http GET / -H 'Host: host-a.'
	assert_code 200
	assert_body HOST-A-INDEX
}

# An IPv6 literal is a host too: ROOT/[::1] for "[::1]:8080" (RFC 3986
# §3.2.2), its port cut after the bracket, not at the first colon.
@test "--vhosts: an IPv6 literal host has its directory, with or without the port" {
	local d=$BATS_FILE_TMPDIR/vhosts/[::1]
	mkdir -p "$d"
	echo "HOST-V6-INDEX" >"$d/index.html"
	ROOT=$BATS_FILE_TMPDIR/vhosts
	start_server listen --vhosts
	local rc=0 code
	for h in '[::1]' '[::1]:8080' '[::1]:'; do
		http GET / -H "Host: $h" || rc=1
		code=$CODE
		[ "$code" = 200 ] && [ "$(cat "$BODY")" = HOST-V6-INDEX ] || rc=1
		[ "$rc" -eq 0 ] || break
	done
	http GET / -H 'Host: [::1' || rc=1
	[ "$CODE" = 200 ] && rc=1
	rm -rf "$d"
	[ "$rc" -eq 0 ] || fail "Host $h: status $code, or '[::1' served"
}

# A host's directory that is a symbolic link within ROOT serves; one that
# leads out of it does not.
check_vhost_links() {
	start_server listen --vhosts
	http GET /index.html -H 'Host: alias-a'
	assert_code 200
	assert_body HOST-A-INDEX
	http GET /passwd -H 'Host: etc'
	assert_code 404
	refute_body_contains 'root:'
}

@test "--vhosts: a host's directory may be a symbolic link within ROOT" {
	ROOT=$BATS_FILE_TMPDIR/vhosts
	check_vhost_links
}

@test "--vhosts: a host's directory may be a symbolic link within ROOT, without openat2" {
	ROOT=$BATS_FILE_TMPDIR/vhosts
	nosys_wrapper openat2
	check_vhost_links
}

# --- a large document ----------------------------------------------------------------------------

# VmHWM (KiB) of the connection processes of the server, the largest.
conn_hwm() {
	local p v max=0
	for p in $(pgrep -P "$SERVER_PID" 2>/dev/null); do
		v=$(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status" 2>/dev/null) || continue
		[ -n "$v" ] && [ "$v" -gt "$max" ] && max=$v
	done
	echo "$max"
}

@test "a 1 GiB document is sent whole while the connection's memory stays flat" {
	truncate -s 1G "$ROOT/huge.bin"
	start_server listen
	# The limit is 4 MiB of peak resident memory.  A sanitizer's runtime
	# alone takes more, so for such a build it is 4 MiB above what a
	# connection process that served a 20 KB document holds (a smaller
	# one the listener answers itself).
	local limit=4096 base=0
	if grep -aq __asan_init "$CGID"; then
		timeout 10 perl -MIO::Socket::INET -e '
			my $s = IO::Socket::INET->new("127.0.0.1:$ARGV[0]") or die;
			print $s "GET /large.txt HTTP/1.1\r\nHost: x\r\n\r\n";
			sysread($s, my $b, 4096); sleep 2;' "$PORT" &
		local idle=$! i
		for ((i = 0; i < 15; i++)); do
			sleep 0.1
			base=$(conn_hwm)
			[ "$base" -gt 0 ] && break
		done
		wait "$idle" || true
		limit=$((base + 4096))
	fi
	local out=$BATS_TEST_TMPDIR/curl.out
	curl -sS --max-time 30 --limit-rate 500M -o /dev/null -w '%{http_code} %{size_download}\n' \
		"http://$HOST:$PORT/huge.bin" >"$out" &
	local client=$! peak=0 v samples=0
	while kill -0 "$client" 2>/dev/null; do
		v=$(conn_hwm)
		if [ "$v" -gt 0 ]; then
			samples=$((samples + 1))
			[ "$v" -gt "$peak" ] && peak=$v
		fi
		sleep 0.05
	done
	local rc=0
	wait "$client" || rc=$?
	rm -f "$ROOT/huge.bin"
	[ "$rc" -eq 0 ] || fail "curl failed with status $rc"
	[ "$(cat "$out")" = "200 1073741824" ] || fail "status and size: $(cat "$out")"
	[ "$samples" -gt 0 ] || fail "the connection process was never seen"
	[ "$peak" -lt "$limit" ] || fail "peak resident memory ${peak} KiB, limit ${limit} KiB"
}

# --- error pages ----------------------------------------------------------------------------------

@test "error pages are small HTML pages with the status in the title and nothing internal" {
	start_server listen
	local real req code method path
	real=$(cd "$ROOT" && pwd -P)
	for req in '404 GET /no-such-page.html' '404 GET /no-such-dir/x.txt' '403 GET /cgi-bin/noexec.sh' \
		'405 DELETE /hello.txt' '501 BREW /hello.txt'; do
		read -r code method path <<<"$req"
		http "$method" "$path"
		assert_code "$code" || fail "for $req"
		assert_header_match Content-Type '^text/html' || fail "for $req"
		grep -q "<title>$code[^<]*</title>" "$BODY" || fail "no <title>$code ...</title> for $req: $(cat "$BODY")"
		[ "$(size_of "$BODY")" -le 1024 ] || fail "an error page of $(size_of "$BODY") bytes for $req"
		refute_body_contains "$ROOT" || fail "for $req"
		refute_body_contains "$real" || fail "for $req"
		refute_body_contains "$BATS_FILE_TMPDIR" || fail "for $req"
		refute_body_contains "No such file" || fail "for $req"
		refute_body_contains NOEXEC || fail "for $req"
	done
}

# --- access log ------------------------------------------------------------------------------------

@test "the access log line has method, target, status, bytes, referer, user agent and duration" {
	start_server listen
	local ref='http://ref.example/page?from=1' ua='agent/3.0 (test; x)'
	http GET /range.txt -H 'Range: bytes=0-4' -e "$ref" -A "$ua"
	assert_code 206
	http GET '/cgi-bin/hello?log=cgi' -e "$ref" -A "$ua"
	assert_code 200
	http GET /no-such-page.html
	assert_code 404
	wait_log '"GET /range\.txt HTTP/1\.1" 206 '
	wait_log '"GET /cgi-bin/hello\?log=cgi HTTP/1\.1" 200 '
	wait_log '"GET /no-such-page\.html HTTP/1\.1" 404 '
	local date='\[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2} [-+][0-9]{4}\]'
	local tail='"http://ref\.example/page\?from=1" "agent/3\.0 \(test; x\)" [0-9]+$'
	grep -Eq "^127\.0\.0\.1 - - $date \"GET /range\.txt HTTP/1\.1\" 206 5 $tail" "$LOG" ||
		fail "range line: $(grep range.txt "$LOG")"
	grep -Eq "^127\.0\.0\.1 - - $date \"GET /cgi-bin/hello\?log=cgi HTTP/1\.1\" 200 [1-9][0-9]* $tail" "$LOG" ||
		fail "CGI line: $(grep log=cgi "$LOG")"
	grep -Eq "^127\.0\.0\.1 - - $date \"GET /no-such-page\.html HTTP/1\.1\" 404 [0-9]+ \"-\" \"curl/[^\"]+\" [0-9]+$" "$LOG" ||
		fail "404 line: $(grep no-such-page "$LOG")"
}

@test "access log: quotes and backslashes in logged fields are escaped, so no field can be forged" {
	start_server listen
	http GET /hello.txt -A 'x" 500 999 "-" "forged\' -e 'r"e'
	assert_code 200
	wait_log '"GET /hello\.txt HTTP/1\.1" 200 '
	grep -qF '"r\"e" "x\" 500 999 \"-\" \"forged\\" ' "$LOG" ||
		fail "quoted fields not escaped: $(grep hello "$LOG")"
	# the line still has exactly the fields of the format
	[ "$(grep -c '" 200 13 "r' "$LOG")" -eq 1 ] || fail "status and bytes moved"
}
