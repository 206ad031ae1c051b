#!/usr/bin/env bats
# Hostile clients, end to end with raw sockets: request smuggling, slow
# senders and readers, floods of connections and of pipelined requests,
# resets, malformed paths and bytes, and every way out of the document
# root or into a script's source.  After each test no script, connection
# process or zombie of the server may be left.

load lib
load invariants

setup_file() {
	prepare_root
	local out=$BATS_FILE_TMPDIR/outside
	mkdir -p "$out" "$BATS_FILE_TMPDIR/www2"
	echo "OUTSIDE-SECRET-4242" >"$out/secret.txt"
	echo "OUTSIDE-SECRET-SIBLING" >"$BATS_FILE_TMPDIR/www2/secret.txt"
	printf '#!/bin/sh\n# OUTSIDE-SCRIPT-SOURCE\nprintf "Content-Type: text/plain\\n\\nOUTSIDE-SCRIPT-RAN\\n"\n' \
		>"$out/script.sh"
	chmod 755 "$out/script.sh"

	# Ways out of the root, all of which must stay closed.
	ln -s /etc "$ROOT/etc-link"
	ln -s /etc/passwd "$ROOT/passwd.txt"
	ln -s ../outside/secret.txt "$ROOT/outside.txt"
	ln -s "$out/secret.txt" "$ROOT/outside-abs.txt"
	ln -s ../www2/secret.txt "$ROOT/sibling.txt"
	ln -s ../.. "$ROOT/sub/up"
	ln -s ../../outside/script.sh "$ROOT/cgi-bin/outside.sh"
	ln -s /usr/bin "$ROOT/cgi-bin/sys"
	ln -s loop "$ROOT/loop"

	# Hidden files and a hidden script.
	echo "HIDDEN-FILE-MARKER" >"$ROOT/.hidden"
	mkdir -p "$ROOT/.git" "$ROOT/.well-known"
	echo "GIT-CONFIG-MARKER" >"$ROOT/.git/config"
	echo "HTPASSWD-MARKER" >"$ROOT/sub/.htpasswd"
	echo "WELLKNOWN-SECRET-MARKER" >"$ROOT/.well-known/.secret"
	echo "WELLKNOWN-PUBLIC" >"$ROOT/.well-known/public.txt"
	printf '#!/bin/sh\nprintf "Content-Type: text/plain\\n\\nHIDDEN-SCRIPT-RAN\\n"\n' \
		>"$ROOT/cgi-bin/.secret.sh"
	chmod 755 "$ROOT/cgi-bin/.secret.sh"

	# A document larger than any socket buffer (sparse).
	truncate -s 256M "$ROOT/big.bin"
}

teardown() {
	local rc=0
	check_invariants || rc=1
	common_teardown || rc=1
	return "$rc"
}

# --- clients ----------------------------------------------------------------

# expect_rejected 'REQUEST' CODE...  -- exactly one response, with one of
# the codes, then the connection closes; whatever was smuggled behind the
# request (a GET /hello.txt) is never answered.
expect_rejected() {
	local req=$1
	shift
	conversation "$(request_file "$req")"
	local what="for: $(printf '%s' "$req" | head -c 160)"
	if [ "$END" = deadline ]; then
		show_file "response" "$RAW" >&2
		fail "connection still open after ${ELAPSED} s $what"
		return 1
	fi
	assert_code_in "$@" || fail "$what" || return 1
	if [ "$(status_lines)" -ne 1 ]; then
		show_file "response" "$RAW" >&2
		fail "$(status_lines) responses $what"
		return 1
	fi
	if grep -aq 'hello, world' "$RAW"; then
		show_file "response" "$RAW" >&2
		fail "a smuggled request was answered $what"
		return 1
	fi
}

# What follows a request to smuggle a second one behind it.
SMUGGLED='GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'

# --- request smuggling --------------------------------------------------------

@test "a request body that nothing reads is never taken for a request" {
	start_listen --list-dirs
	local n
	n=$(printf '%b' "$SMUGGLED" | wc -c)
	# OPTIONS *, a directory's redirect, a listing, a document: each
	# answered once, with Connection: close, the body left unread
	expect_rejected "OPTIONS * HTTP/1.1\r\nHost: x\r\nContent-Length: $n\r\n\r\n$SMUGGLED" 204
	assert_header Connection close
	expect_rejected "GET /sub HTTP/1.1\r\nHost: x\r\nContent-Length: $n\r\n\r\n$SMUGGLED" 301
	expect_rejected "GET /sub/ HTTP/1.1\r\nHost: x\r\nContent-Length: $n\r\n\r\n$SMUGGLED" 200
	assert_header Connection close
	expect_rejected "GET /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: $n\r\n\r\n$SMUGGLED" 200
	# RFC 9112 §9.6: after a response that says close, nothing is read
	expect_rejected "GET /sub HTTP/1.1\r\nHost: x\r\n\r\n$SMUGGLED" 301
}

@test "chunk extensions without ';' and trailer lines without ':' are refused" {
	start_listen
	expect_rejected "POST /cgi-bin/cat.sh HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5 garbage\r\nhello\r\n0\r\n\r\n$SMUGGLED" 400
	expect_rejected "POST /cgi-bin/cat.sh HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nnot a field\r\n\r\n$SMUGGLED" 400
}

@test "CL.TE: Content-Length and Transfer-Encoding together are refused" {
	start_listen
	expect_rejected "POST /cgi-bin/cat.sh HTTP/1.1\r\nHost: x\r\nContent-Length: 48\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n$SMUGGLED" 400
}

@test "TE.CL: Transfer-Encoding before Content-Length is refused" {
	start_listen
	expect_rejected "POST /cgi-bin/cat.sh HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5c\r\n$SMUGGLED\r\n0\r\n\r\n" 400
}

@test "Transfer-Encoding: chunked, identity (and identity alone) are refused" {
	start_listen
	expect_rejected "POST /cgi-bin/cat.sh HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n$SMUGGLED" 400 501
	expect_rejected "POST /cgi-bin/cat.sh HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n$SMUGGLED" 400 501
	expect_rejected "POST /cgi-bin/cat.sh HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\nContent-Length: 3\r\n\r\nabc$SMUGGLED" 400 501
	expect_rejected "POST /cgi-bin/cat.sh HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n$SMUGGLED" 400 501
}

@test "Transfer-Encoding with whitespace before the colon or folded is refused" {
	start_listen
	expect_rejected "POST /cgi-bin/cat.sh HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n$SMUGGLED" 400
	expect_rejected "POST /cgi-bin/cat.sh HTTP/1.1\r\nHost: x\r\nTransfer-Encoding\t: chunked\r\n\r\n0\r\n\r\n$SMUGGLED" 400
	expect_rejected "POST /cgi-bin/cat.sh HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n$SMUGGLED" 400
	expect_rejected "POST /cgi-bin/cat.sh HTTP/1.1\r\nHost: x\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n$SMUGGLED" 400
}

@test "Transfer-Encoding: ' chunked' (leading whitespace) is chunked, framed the same way" {
	start_listen
	local v
	for v in ' chunked' '\t chunked' ' CHUNKED ' 'Chunked'; do
		conversation "$(request_file "POST /cgi-bin/cat.sh HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:$v\r\n\r\n5\r\nhello\r\n0\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")"
		[ "$END" != deadline ] || fail "connection open after ${ELAPSED} s for '$v'"
		# the body as decoded, then the pipelined request on its own
		perl -e '
			open(my $f, "<", $ARGV[0]) or die; binmode $f;
			my $all = do { local $/; <$f> };
			$all =~ /\AHTTP\/1\.1 200 .*?\r\n\r\n(?:5\r\nhello\r\n0\r\n\r\n|hello)HTTP\/1\.1 200 .*?\r\n\r\nhello, world\n\z/s
				or exit 1;
		' "$RAW" || { show_file "response" "$RAW" >&2; fail "wrong framing for Transfer-Encoding:$v"; }
	done
}

@test "chunk sizes that overflow, are signed or are not hex: 400" {
	start_listen
	local size
	for size in FFFFFFFFFFFFFFFFF 10000000000000000 FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF0 \
		-1 +5 0x5 ' 5' 5g ''; do
		expect_rejected "POST /cgi-bin/cat.sh HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n$size\r\nhello\r\n0\r\n\r\n$SMUGGLED" 400 ||
			fail "for chunk size '$size'"
	done
}

@test "a huge chunk size is held to --max-body: 413" {
	start_listen --max-body 1000
	local data
	data=$(head -c 2000 /dev/zero | tr '\0' d)
	expect_rejected "POST /cgi-bin/cat.sh HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\n$data" 413 400
	# a chunk too large for what is left, refused before its bytes come
	expect_rejected "POST /cgi-bin/cat.sh HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n100\r\n$(head -c 256 /dev/zero | tr '\0' d)\r\n301\r\n" 413
	awk -v e="$ELAPSED" 'BEGIN { exit !(e < 3) }' || fail "refused after ${ELAPSED} s"
}

@test "chunk extensions with a bare CR or LF, and chunk data without CRLF: 400" {
	start_listen
	expect_rejected "POST /cgi-bin/cat.sh HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=a\rb\r\nhello\r\n0\r\n\r\n$SMUGGLED" 400
	expect_rejected "POST /cgi-bin/cat.sh HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=a\nb\r\nhello\r\n0\r\n\r\n$SMUGGLED" 400
	expect_rejected "POST /cgi-bin/cat.sh HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=\0\r\nhello\r\n0\r\n\r\n$SMUGGLED" 400
	expect_rejected "POST /cgi-bin/cat.sh HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n$SMUGGLED" 400
	expect_rejected "POST /cgi-bin/cat.sh HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r0\r\n\r\n$SMUGGLED" 400
}

@test "every line of a chunked body ends in CRLF: a bare LF is 400, not a second request" {
	# RFC 9112 §7.1.  Read up to CRLF, this body is 0x10 and 0x3b bytes
	# and the last chunk, with no request after it; a parser that also
	# ends a line at a bare LF sees a body of 0x10 and 0xf bytes, then
	# a GET.
	start_listen
	expect_rejected "POST /cgi-bin/cat.sh HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10;\nx\r\nAAAAAAAAAAAAA\r\nf\r\n3b\r\nBBBBBBBBBBB\r\n0\r\n\r\n$SMUGGLED\r\n0\r\n\r\n" 400
	expect_rejected "POST /cgi-bin/cat.sh HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n$SMUGGLED" 400
	expect_rejected "POST /cgi-bin/cat.sh HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n$SMUGGLED" 400
	expect_rejected "POST /cgi-bin/cat.sh HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\n\n$SMUGGLED" 400
}

@test "empty lines between requests are ignored: no 408, the idle timeout as usual (5 s)" {
	# RFC 9112 §2.2; some clients send CRLF after a body
	start_listen
	conversation "$(request_file 'GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')"
	[ "$END" = eof ] || fail "connection ended by $END"
	[ "$(status_lines)" -eq 2 ] || fail "$(status_lines) responses"
	conversation "$(request_file 'GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n\r\n\r\n')"
	[ "$END" = eof ] || fail "connection ended by $END after ${ELAPSED} s"
	[ "$(status_lines)" -eq 1 ] || fail "$(status_lines) responses: $(grep -a '^HTTP' "$RAW")"
	awk -v e="$ELAPSED" 'BEGIN { exit !(e >= 4 && e < 8) }' ||
		fail "closed after ${ELAPSED} s, not at the idle timeout"
	! grep -q 'request head timed out' "$LOG" || fail "logged as a request head that timed out"
}

@test "trailer fields never reach the script, and a bare CR in a trailer is refused" {
	start_listen
	conversation "$(request_file 'POST /cgi-bin/env.sh HTTP/1.1\r\nHost: front.example\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\nTransfer-Encoding: chunked\r\nContent-Length: 99\r\nHost: evil.example\r\nX-Trailer-Smuggle: yes\r\nCookie: trailer=1\r\n\r\n')"
	assert_code 200
	assert_env CONTENT_LENGTH=5
	assert_env HTTP_HOST=front.example
	refute_env HTTP_X_TRAILER_SMUGGLE HTTP_COOKIE
	if grep -aq 'evil\.example\|=99$' "$BODY"; then
		show_file "environment" "$BODY" >&2
		fail "a trailer field reached the script"
	fi
	expect_rejected "POST /cgi-bin/cat.sh HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-Bad: a\rb\r\n\r\n$SMUGGLED" 400
	expect_rejected "POST /cgi-bin/cat.sh HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n: no-name\r\n\r\n$SMUGGLED" 400
}

@test "a script gets a chunked body decoded, with CONTENT_LENGTH and no HTTP_TRANSFER_ENCODING" {
	# Transfer-Encoding is hop-by-hop (RFC 9110 §7.6.1) and no longer true
	# of the body on the script's stdin: like Content-Length, it is the
	# server's business (RFC 3875 §4.1.18).
	start_listen
	conversation "$(request_file 'POST /cgi-bin/env.sh HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n')"
	assert_code 200
	assert_env CONTENT_LENGTH=5
	refute_env HTTP_TRANSFER_ENCODING
}

@test "conflicting or malformed Content-Length, two Host fields, TE in HTTP/1.0: 400; a GET body is no request" {
	start_listen
	local cl
	for cl in '5\r\nContent-Length: 6' '5, 6' '+5' '-5' '0x5' '5 5' '99999999999999999999' ''; do
		expect_rejected "POST /cgi-bin/cat.sh HTTP/1.1\r\nHost: x\r\nContent-Length: $cl\r\n\r\nhello$SMUGGLED" 400 ||
			fail "for Content-Length '$cl'"
	done
	expect_rejected "GET /hello.txt HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n$SMUGGLED" 400
	# a body on a GET for a document is a body, never a second request
	expect_rejected "GET /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: 44\r\n\r\n$SMUGGLED" 200
	expect_rejected "GET /index.html HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2c\r\n$SMUGGLED\r\n0\r\n\r\n" 200 400
	expect_rejected "POST /cgi-bin/cat.sh HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n$SMUGGLED" 400
}

# --- slow clients ----------------------------------------------------------------

# A client per line of the scenario, all at once, on their own clocks:
#   NAME slowloris   send a request head one byte a second
#   NAME silent      connect and send nothing
#   NAME idle        one keep-alive request, then silence
#   NAME trickle-cl  a Content-Length body to a script, a byte a second
#   NAME trickle-ch  a chunked body to a script, a chunk a second
#   NAME no-read PATH  ask for PATH and never read the answer
# Prints "NAME END SECONDS FIRST-STATUS" per client (END: eof, reset,
# deadline); the run ends after DEADLINE seconds at the latest.  Call it
# only in a subshell: $(slow_clients ...) or slow_clients ... &
slow_clients() {
	local deadline=$1
	shift
	# exec: always called in a subshell, so that $! or a kill reaches perl
	exec timeout $((deadline + 10)) perl -MIO::Socket::INET -MTime::HiRes=time,sleep -e '
		use strict;
		my ($port, $deadline, @specs) = @ARGV;
		$SIG{PIPE} = "IGNORE";
		my @c;
		for my $spec (@specs) {
			my ($name, $kind, $arg) = split / /, $spec;
			my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1",
				PeerPort => $port, Timeout => 5) or die "connect: $!\n";
			$s->blocking(0);
			my %k = (name => $name, kind => $kind, s => $s, got => "",
				sent => 0, next => 0, end => "");
			if ($kind eq "slowloris") {
				$k{drip} = "GET /hello.txt HTTP/1.1\r\nHost: x\r\nX-Slow: " . ("a" x 100);
			} elsif ($kind eq "idle") {
				syswrite($s, "GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n");
			} elsif ($kind eq "trickle-cl") {
				syswrite($s, "POST /cgi-bin/echo.pl HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n");
				$k{drip} = "b" x 1000;
			} elsif ($kind eq "trickle-ch") {
				syswrite($s, "POST /cgi-bin/cat.sh HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
				$k{drip} = "1\r\nb\r\n" x 1000;
				$k{step} = 6;
			} elsif ($kind eq "no-read") {
				syswrite($s, "GET $arg HTTP/1.1\r\nHost: x\r\n\r\n");
			}
			push @c, \%k;
		}
		my $t0 = time;
		while (time - $t0 < $deadline && grep { $_->{end} eq "" } @c) {
			my $now = time - $t0;
			# a no-read client is watched from outside (its process)
			for my $k (grep { $_->{end} eq "" && $_->{kind} ne "no-read" } @c) {
				my $n = sysread($k->{s}, my $buf, 65536);
				if (defined $n && $n == 0) {
					$k->{end} = "eof";
				} elsif (!defined $n && !$!{EAGAIN}) {
					$k->{end} = "reset";
				} elsif ($n) {
					$k->{got} .= $buf;
				}
				$k->{at} = $now if $k->{end} ne "";
				if (defined $k->{drip} && $k->{end} eq "" && $now >= $k->{next} &&
				    $k->{sent} < length $k->{drip}) {
					my $step = $k->{step} // 1;
					my $n = syswrite($k->{s}, $k->{drip}, $step, $k->{sent});
					$k->{sent} += $n if $n;
					$k->{next} = $now + 1;
				}
			}
			sleep 0.1;
		}
		for my $k (@c) {
			my ($code) = $k->{got} =~ /\AHTTP\/1\.\d (\d\d\d)/;
			printf "%s %s %.1f %s\n", $k->{name}, $k->{end} || "deadline",
				$k->{at} // (time - $t0), $code // "-";
		}
	' "$PORT" "$deadline" "$@"
}

# client_result NAME  -- the fields of NAME in $RESULTS: END SECONDS STATUS
client_result() {
	awk -v n="$1" '$1 == n { print $2, $3, $4 }' <<<"$RESULTS"
}

@test "slowloris, a silent client and an idle keep-alive are all cut off in time" {
	start_listen
	RESULTS=$(slow_clients 16 'drip slowloris' 'mute silent' 'rest idle')
	echo "$RESULTS"
	local end at code
	read -r end at code < <(client_result drip)
	[ "$end" != deadline ] || fail "slowloris client still connected after 16 s"
	awk -v t="$at" 'BEGIN { exit !(t >= 8 && t <= 12.5) }' ||
		fail "slowloris client cut off after $at s (head timeout is 10 s)"
	[ "$code" = 408 ] || [ "$code" = - ] || fail "slowloris client got status $code"
	read -r end at code < <(client_result mute)
	[ "$end" != deadline ] || fail "silent client still connected after 16 s"
	awk -v t="$at" 'BEGIN { exit !(t <= 12.5) }' || fail "silent client cut off after $at s"
	read -r end at code < <(client_result rest)
	[ "$code" = 200 ] || fail "idle client's request got status $code"
	[ "$end" != deadline ] || fail "idle keep-alive connection still open after 16 s"
	awk -v t="$at" 'BEGIN { exit !(t <= 7.5) }' || fail "idle connection closed after $at s (5 s expected)"
}

@test "a request body trickled a byte a second is cut off (--cgi-timeout, minimum body rate)" {
	# A Content-Length body goes to a running script: --cgi-timeout (3 s)
	# ends it.  A chunked body is spooled first: it gets TIMEOUT_BODY_MS
	# (10 s) plus a second per BODY_MIN_RATE bytes, then 408.
	start_listen
	RESULTS=$(slow_clients 18 'cl trickle-cl' 'ch trickle-ch')
	echo "$RESULTS"
	local end at code
	read -r end at code < <(client_result cl)
	[ "$end" != deadline ] || fail "Content-Length body: still open after 18 s"
	awk -v t="$at" 'BEGIN { exit !(t <= 8) }' || fail "Content-Length body: cut off after $at s"
	read -r end at code < <(client_result ch)
	[ "$end" != deadline ] || fail "chunked body: still being read after 18 s"
	awk -v t="$at" 'BEGIN { exit !(t >= 8 && t <= 14) }' ||
		fail "chunked body: cut off after $at s (10 s expected)"
	[ "$code" = 408 ] || fail "chunked body: status $code, 408 expected"
}

@test "clients that read nothing of a large document or script output are dropped after the write timeout" {
	start_listen --cgi-timeout 120 --cgi-idle-timeout 60
	# Both clients ask and never read; the kernel buffers fill up and
	# cgid waits for progress, at most 30 s, then gives up on them.
	slow_clients 45 'doc no-read /big.bin' 'cgi no-read /cgi-bin/bad-flood.sh' \
		>"$BATS_TEST_TMPDIR/clients.out" 2>&1 &
	local client=$! i n t0=$SECONDS
	sleep 3
	[ "$(conn_pids | wc -l)" -eq 2 ] || fail "expected 2 connection processes, found: $(conn_pids | tr '\n' ' ')"
	[ -n "$(script_pids)" ] || fail "the flooding script is not running"
	for ((i = 0; i < 400; i++)); do
		n=$(conn_pids | wc -l)
		[ "$n" -eq 0 ] && break
		sleep 0.1
	done
	local took=$((SECONDS - t0))
	kill "$client" 2>/dev/null || true
	wait "$client" 2>/dev/null || true
	[ "$n" -eq 0 ] || fail "connection processes still there after ${took} s: $(conn_pids | tr '\n' ' ')"
	[ "$took" -le 36 ] || fail "the server gave up on the readers after ${took} s"
	[ "$took" -ge 25 ] || fail "the server gave up after ${took} s, before its 30 s write timeout"
	wait_no_scripts 3
	wait_log 'bad-flood\.sh: client stopped reading'
}

# --- floods ---------------------------------------------------------------------

@test "128 connections at once in the long-running mode are all answered" {
	start_listen
	local out=$BATS_TEST_TMPDIR/many.out
	timeout 40 perl -MIO::Socket::INET -MIO::Select -e '
		use strict;
		my ($port, $n) = @ARGV;
		$SIG{PIPE} = "IGNORE";
		my (@s, %got, %want);
		for my $i (1 .. $n) {
			my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1",
				PeerPort => $port, Timeout => 5) or die "connect $i: $!\n";
			push @s, $s;
		}
		# every connection is open before the first request goes out
		for my $i (1 .. $n) {
			my $path = $i % 2 ? "/cgi-bin/hello?n=$i" : "/hello.txt?n=$i";
			$want{fileno $s[$i - 1]} = $i % 2 ? "query=n=$i\n" : "hello, world\n";
			syswrite($s[$i - 1], "GET $path HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
		}
		my $sel = IO::Select->new(@s);
		my $deadline = time + 30;
		while ($sel->count && time < $deadline) {
			for my $s ($sel->can_read(1)) {
				my $r = sysread($s, my $buf, 65536);
				if ($r) { $got{fileno $s} .= $buf; next }
				$sel->remove($s);
				close $s;
			}
		}
		my $ok = 0;
		for my $fd (keys %want) {
			my $g = $got{$fd} // "";
			if ($g =~ /\AHTTP\/1\.1 200 / && index($g, $want{$fd}) >= 0) { $ok++ }
			else { print "bad answer: ", substr($g, 0, 80) =~ s/\r?\n/|/gr, "\n" }
		}
		print "$ok of $n answered\n";
		exit($ok == $n ? 0 : 1);
	' "$PORT" 128 >"$out" 2>&1 || { head -n 20 "$out" >&2; fail "not every connection was answered"; }
}

@test "200 pipelined requests in one write are answered in order" {
	start_listen
	local req=$BATS_TEST_TMPDIR/pipelined.req
	perl -e 'for my $i (1 .. 200) {
		my $path = $i % 2 ? "/cgi-bin/hello?n=$i" : "/hello.txt?n=$i";
		my $close = $i == 200 ? "Connection: close\r\n" : "";
		print "GET $path HTTP/1.1\r\nHost: x\r\n$close\r\n";
	}' >"$req"
	conversation "$req"
	[ "$END" = eof ] || fail "connection ended by $END after ${ELAPSED} s"
	perl -e '
		open(my $f, "<", $ARGV[0]) or die; binmode $f;
		my $all = do { local $/; <$f> };
		my $i = 0;
		while (length $all) {
			$i++;
			$all =~ s/\A(HTTP\/1\.1 (\d+)[^\r\n]*\r\n(.*?)\r\n\r\n)//s
				or die "response $i: no head\n";
			my ($code, $h) = ($2, $3);
			die "response $i: status $code\n" unless $code == 200;
			my $body;
			if ($h =~ /Content-Length: (\d+)/i) {
				$body = substr($all, 0, $1, "");
			} elsif ($h =~ /Transfer-Encoding: chunked/i) {
				$body = "";
				while ($all =~ s/\A([0-9a-f]+)\r\n//i) {
					my $n = hex $1;
					$body .= substr($all, 0, $n, "");
					$all =~ s/\A\r\n// or die "response $i: bad chunk\n";
					last if $n == 0;
				}
			} else {
				die "response $i: no framing\n";
			}
			my $want = $i % 2 ? "query=n=$i\n" : "hello, world\n";
			die "response $i out of order: $body\n" if index($body, $want) < 0;
		}
		die "$i responses, 200 expected\n" unless $i == 200;
	' "$RAW" || fail "pipelined responses wrong"
}

@test "1100 pipelined requests: 1000 answered, then a clean close" {
	start_listen
	local req=$BATS_TEST_TMPDIR/flood.req
	perl -e 'print "GET /hello.txt?n=$_ HTTP/1.1\r\nHost: x\r\n\r\n" for 1 .. 1100' >"$req"
	conversation "$req"
	[ "$END" = eof ] || fail "connection ended by $END after ${ELAPSED} s (a reset loses answers)"
	local n
	n=$(grep -ac '^HTTP/1\.1 200 ' "$RAW")
	[ "$n" -eq 1000 ] || fail "$n answers, expected 1000 (the per-connection limit)"
	[ "$(grep -ac '^Connection: close' "$RAW")" -eq 1 ] ||
		fail "the 1000th answer should announce the close"
	[ "$(grep -ac 'hello, world' "$RAW")" -eq 1000 ] || fail "bodies missing"
}

# --- resets ------------------------------------------------------------------------

# reset_after PORT REQUEST-FILE SEND-BYTES READ-BYTES  -- send up to
# SEND-BYTES of the request, read READ-BYTES of the answer, then reset.
reset_client() {
	timeout 20 perl -MIO::Socket::INET -MSocket -e '
		use strict;
		my ($port, $file, $send, $read) = @ARGV;
		open(my $f, "<", $file) or die; binmode $f;
		my $req = do { local $/; <$f> };
		$req = substr($req, 0, $send) if length($req) > $send;
		my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1",
			PeerPort => $port, Timeout => 5) or die "connect: $!\n";
		$SIG{PIPE} = "IGNORE";
		my $off = 0;
		while ($off < length $req) {
			my $n = syswrite($s, $req, 65536, $off) or die "write: $!\n";
			$off += $n;
		}
		my $got = 0;
		while ($got < $read) {
			my $n = sysread($s, my $buf, 65536) or last;
			$got += $n;
		}
		# let the server get going, then reset
		select(undef, undef, undef, 0.5);
		setsockopt($s, SOL_SOCKET, SO_LINGER, pack("ii", 1, 0)) or die;
		close $s;
	' "$PORT" "$@"
}

@test "a reset in the middle of a request body ends the script's process group" {
	start_listen --cgi-timeout 60 --cgi-idle-timeout 60
	local req=$BATS_TEST_TMPDIR/body.req
	{
		printf 'POST /cgi-bin/bad-drain.sh HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n'
		head -c 262144 /dev/zero
	} >"$req"
	reset_client "$req" 1000000 0
	check_invariants 4
}

@test "a reset in the middle of a chunked body (being spooled) ends the connection" {
	start_listen --cgi-timeout 60 --cgi-idle-timeout 60
	local req=$BATS_TEST_TMPDIR/chunked.req
	{
		printf 'POST /cgi-bin/bad-drain.sh HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'
		printf '40000\r\n'
		head -c 100000 /dev/zero
	} >"$req"
	reset_client "$req" 1000000 0
	check_invariants 4
}

@test "a reset in the middle of a script's response ends its process group" {
	start_listen --cgi-timeout 60 --cgi-idle-timeout 60
	local req
	req=$(request_file 'GET /cgi-bin/bad-flood.sh HTTP/1.1\r\nHost: x\r\n\r\n')
	reset_client "$req" 1000 200000
	check_invariants 4
}

@test "a client that goes away while a script is silent ends the script" {
	start_listen --cgi-timeout 60 --cgi-idle-timeout 60
	local req
	req=$(request_file 'GET /cgi-bin/bad-hang.sh HTTP/1.1\r\nHost: x\r\n\r\n')
	reset_client "$req" 1000 0
	check_invariants 4
}

# README, CGI: a half-close cannot be told from a hang-up while a script
# runs; a document is answered in full.
@test "a client that half-closes after its request: a document is served, a silent script ended" {
	start_listen --cgi-timeout 60 --cgi-idle-timeout 60
	HALF_CLOSE=1 raw_file "$(request_file 'GET /hello.txt HTTP/1.0\r\n\r\n')"
	assert_code 200
	assert_body 'hello, world'
	HALF_CLOSE=1 raw_file "$(request_file 'GET /cgi-bin/bad-hang.sh HTTP/1.0\r\n\r\n')"
	[ ! -s "$RAW" ] || fail "a response came: $(head -c 200 "$RAW")"
	wait_log 'bad-hang\.sh: client went away'
	check_invariants 4
}

# RFC 9112 §8: a body cut short by the client's half-close is an
# incomplete request; the client can still read the answer.
@test "a request body cut short by a half-close: 400, for a Content-Length and a chunked body" {
	start_listen --cgi-timeout 60 --cgi-idle-timeout 60
	HALF_CLOSE=1 raw_file "$(request_file 'POST /cgi-bin/echo.pl HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly ten b')"
	assert_code 400
	refute_body_contains 'only ten'
	wait_log 'echo\.pl: client ended the request body early'
	HALF_CLOSE=1 raw_file "$(request_file 'POST /cgi-bin/cat.sh HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\na\r\nonly ten b\r\n')"
	assert_code 400
	wait_log 'request body: client ended it early'
	check_invariants 4
}

# --- malformed paths and bytes -----------------------------------------------------

@test "invalid percent sequences in the path: 400" {
	start_listen
	local p
	for p in '/%' '/%4' '/%zz' '/%G0' '/hello.txt%' '/hello%2' '/%%30' '/%00' \
		'/hello.txt%00' '/hello.txt%00.html' '/%2F' '/sub%2fscript.cgi' '/%0a' '/%0d%0aX:%20y' \
		'/%7f' '/cgi-bin/env.sh%00'; do
		expect_rejected "GET $p HTTP/1.1\r\nHost: x\r\n\r\n" 400 || fail "for path $p"
	done
}

@test "a path of 4 KiB or more once decoded: 414; with an invalid byte: 400; decoding to less: served" {
	start_listen
	local a
	a=$(printf '%04100d' 0 | tr 0 a)
	expect_rejected "GET /$a HTTP/1.1\r\nHost: x\r\n\r\n$SMUGGLED" 414
	expect_rejected "GET /$a/%zz HTTP/1.1\r\nHost: x\r\n\r\n$SMUGGLED" 400
	raw "GET /$(printf '%02100d' 0 | sed 's|0|./|g')hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
	assert_code 200
	assert_body "hello, world"
}

@test "overlong UTF-8 and raw 8-bit bytes in the path never escape the root" {
	start_listen
	local p
	for p in '/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd' '/%e0%80%ae%e0%80%ae/etc/passwd' \
		'/..%c0%af..%c0%afetc/passwd' '/%c0%2e%c0%2e/etc/passwd' '/%f0%80%80%ae%f0%80%80%ae/etc/passwd' \
		'/cgi-bin/%c0%ae%c0%ae/hello.txt' '/%ef%bc%8e%ef%bc%8e/etc/passwd'; do
		expect_rejected "GET $p HTTP/1.1\r\nHost: x\r\n\r\n" 400 404 || fail "for path $p"
		refute_body_contains 'root:' || fail "for path $p"
	done
	for p in '/\xc0\xae\xc0\xae/etc/passwd' '/hello\xff.txt' '/\x80'; do
		expect_rejected "GET $p HTTP/1.1\r\nHost: x\r\n\r\n" 400 404 || fail "for raw bytes $p"
	done
}

@test "NUL bytes in the request line, a header name or value: 400; in a body they pass" {
	start_listen
	local req
	for req in 'GET /hello.txt\0 HTTP/1.1\r\nHost: x\r\n\r\n' \
		'GET /hel\0lo.txt HTTP/1.1\r\nHost: x\r\n\r\n' \
		'G\0ET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n' \
		'GET /hello.txt HTTP/1.1\0\r\nHost: x\r\n\r\n' \
		'\0GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n' \
		'GET /hello.txt HTTP/1.1\r\nX-A\0b: v\r\nHost: x\r\n\r\n' \
		'GET /hello.txt HTTP/1.1\r\n\0X-A: v\r\nHost: x\r\n\r\n' \
		'GET /hello.txt HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n' \
		'GET /cgi-bin/env.sh HTTP/1.1\r\nHost: x\0y\r\n\r\n' \
		'GET /cgi-bin/env.sh HTTP/1.1\r\nHost: x\r\nCookie: a=\0\r\n\r\n'; do
		expect_rejected "$req$SMUGGLED" 400 || fail "for request: $req"
	done
	local data=$BATS_TEST_TMPDIR/nul.data
	printf 'a\0b\0\0c\r\n\0' >"$data"
	http POST /cgi-bin/echo.pl --data-binary "@$data" -H 'Content-Type: application/octet-stream'
	assert_code 200
	cmp "$data" "$BODY" || fail "a body with NUL bytes did not reach the script intact"
}

@test "header names of 64 characters reach a script intact, longer ones are left out" {
	# cgi.c builds HTTP_NAME in a buffer of 5 + 64 bytes: the terminating
	# NUL of a 64-character name must still fit.
	start_listen
	local n64 n65
	n64=$(printf 'N%.0s' {1..64})
	n65=$(printf 'L%.0s' {1..65})
	http GET /cgi-bin/env.sh -H "$n64: sixty-four" -H "$n65: sixty-five"
	assert_code 200
	assert_env "HTTP_$n64=sixty-four"
	refute_env "HTTP_$n65"
	server_alive || fail "the server died"
}

@test "a directory listing larger than its page is cut cleanly (--list-dirs)" {
	# 120 names of 250 bytes, each '&' written as &amp; twice: far more
	# than the 256 KiB page, which must end where it ends.
	mkdir -p "$ROOT/many"
	perl -e 'for my $i (1 .. 120) {
		my $n = sprintf("%03d", $i) . ("&" x 247);
		open(my $f, ">", "$ARGV[0]/$n") or die "$n: $!\n";
	}' "$ROOT/many"
	start_listen --list-dirs
	local rc=0
	http GET /many/ || rc=$?
	rm -rf "$ROOT/many"
	[ "$rc" -eq 0 ] || fail "no listing (the connection failed)"
	assert_code 200
	local len
	len=$(wc -c <"$BODY")
	[ "$len" -le 262144 ] || fail "listing of $len bytes, more than its 262144-byte page"
	assert_header Content-Length "$len"
	if LC_ALL=C grep -qaP '\x00' "$BODY"; then
		fail "the listing holds NUL bytes (memory beyond the page)"
	fi
	[ "$(tail -c 8 "$BODY")" = '</html>' ] || [ "$(tail -c 8 "$BODY" | tr -d '\n')" = '</html>' ] ||
		fail "the listing does not end with </html>: $(tail -c 40 "$BODY" | od -c | head -3)"
}

# --- escapes from the root and source disclosure ---------------------------------------

# refuse PATH...  -- each is answered 400, 403 or 404 and shows no secret
refuse() {
	local p
	for p in "$@"; do
		expect_rejected "GET $p HTTP/1.1\r\nHost: x\r\n\r\n" 400 403 404 || fail "for $p" || return 1
		if grep -aqE 'root:|OUTSIDE-SECRET|OUTSIDE-SCRIPT|HIDDEN-|GIT-CONFIG|HTPASSWD|WELLKNOWN-SECRET' "$RAW"; then
			show_file "response" "$RAW" >&2
			fail "$p disclosed something"
			return 1
		fi
	done
}

@test "encoded dot-segments, encoded slashes and backslashes stay inside the root" {
	start_listen
	refuse '/%2e%2e/%2e%2e/etc/passwd' '/.%2e/.%2e/etc/passwd' '/%2e./%2e./etc/passwd' \
		'/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd' '/cgi-bin/%2e%2e/%2e%2e/%2e%2e/etc/passwd' \
		'/dir/%2e%2e/%2e%2e/%2e%2e/etc/passwd' '/%252e%252e/%252e%252e/etc/passwd' \
		'/..%2f..%2f..%2fetc%2fpasswd' '/..%5c..%5c..%5cetc%5cpasswd' \
		'/..\..\..\etc\passwd' '/%5c..%5c..%5cetc/passwd' '/dir\..\..\etc\passwd' \
		'/cgi-bin\env.sh' '/..;/..;/etc/passwd' '/./../etc/passwd' '//../etc/passwd' \
		'/%2e%2e%2f' '/.%2E/outside/secret.txt'
	# dot-segments that stay inside are fine
	http GET '/dir/%2e%2e/hello.txt'
	assert_code 200
	assert_body 'hello, world'
}

@test "symbolic links out of the root are neither served nor run" {
	start_listen
	refuse /etc-link/passwd /etc-link/ /passwd.txt /outside.txt /outside-abs.txt /sibling.txt \
		/sub/up/outside/secret.txt /sub/up/www/hello.txt /cgi-bin/outside.sh /cgi-bin/sys/id \
		/cgi-bin/sys/env /loop /loop/x
}

@test "a listed name with ':' stays a relative link (--list-dirs)" {
	mkdir -p "$ROOT/colon"
	: >"$ROOT/colon/javascript:alert(1)"
	start_listen --list-dirs
	local rc=0
	http GET /colon/ || rc=$?
	rm -rf "$ROOT/colon"
	[ "$rc" -eq 0 ] || return 1
	assert_code 200
	assert_body_contains 'href="./javascript:alert(1)"'
	refute_body_contains 'href="javascript:'
}

@test "hidden files and directories are never served, run or listed" {
	start_listen --list-dirs
	refuse /.hidden /%2ehidden /%2Ehidden /.git/config /.git/ /.git /%2egit/config \
		/sub/.htpasswd /sub/%2ehtpasswd /dir/../.hidden /.well-known/../.hidden \
		/.well-known/.secret /cgi-bin/.secret.sh /cgi-bin/%2esecret.sh
	# RFC 8615 names stay reachable
	http GET /.well-known/public.txt
	assert_code 200
	assert_body WELLKNOWN-PUBLIC
	# listings leave hidden names out
	http GET /sub/
	assert_code 200
	refute_body_contains htpasswd
	http GET /.well-known/
	assert_code 200
	assert_body_contains public.txt
	refute_body_contains .secret
}

@test "a script's source is never disclosed (trailing dots, spaces, %00, slashes, case)" {
	start_listen
	local p src1='Print the environment the server gave us' src2='selected by its .cgi suffix'
	for p in '/cgi-bin/env.sh.' '/cgi-bin/env.sh%20' '/cgi-bin/env.sh%00.txt' '/cgi-bin/env.sh/' \
		'/cgi-bin/env.sh..' '/cgi-bin/env.sh::$DATA' '/cgi-bin/env.sh;.txt' '/cgi-bin/env.sh%3b.txt' \
		'/cgi-bin/env.sh%2f' '/cgi-bin/ENV.SH' '/CGI-BIN/env.sh' '/cgi-bin//env.sh' \
		'/./cgi-bin/env.sh' '/sub/../cgi-bin/env.sh' '/%63gi-bin/env.sh' '/cgi-bin/env%2esh' \
		'/cgi-bin/env.sh~' '/cgi-bin/env.sh.bak' '/cgi-bin/env.sh%09' '/cgi-bin/env.sh%ff' \
		'/sub/script.cgi.' '/sub/script.cgi%20' '/sub/script.cgi%00.txt' '/sub/script.cgi/' \
		'/sub/script.cgi/x.txt' '/sub/script.cgi..' '/sub/script.cgi;.txt' '/sub/SCRIPT.CGI' \
		'/sub/script.CGI' '/sub/script%2ecgi' '/sub/./script.cgi' '/sub/script.cgi::$DATA'; do
		for method in GET HEAD; do
			conversation "$(request_file "$method $p HTTP/1.1\r\nHost: x\r\nRange: bytes=0-1000\r\nConnection: close\r\n\r\n")"
			[ "$END" != deadline ] || fail "$method $p: no end of response"
			if grep -aqF -e "$src1" -e "$src2" -e '#!/bin/sh' "$RAW"; then
				show_file "response" "$RAW" >&2
				fail "$method $p disclosed a script's source"
			fi
		done
	done
}
