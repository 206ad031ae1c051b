#!/usr/bin/env bats
# Misbehaving CGI programs (tests/www/cgi-bin/bad-*): scripts that hang,
# flood, lie about their length, leave children behind or fork without
# end.  Whatever a script does, the client gets a correct response or a
# clean close, the script's processes are gone afterwards, the server's
# connection process ends, and no process, zombie or descriptor is left.

load lib
load invariants

setup_file() {
	prepare_root
}

teardown() {
	local rc=0
	check_invariants || rc=1
	common_teardown || rc=1
	return "$rc"
}

# --- clients ----------------------------------------------------------------

# timed_curl PATH [CURL OPTIONS]  -- like http, but a failed transfer is
# recorded (CURL_RC) rather than fatal, and ELAPSED holds the seconds.
timed_curl() {
	local path=$1 t0 t1
	shift
	HEAD=$BATS_TEST_TMPDIR/resp.head
	BODY=$BATS_TEST_TMPDIR/resp.body
	: >"$HEAD"
	: >"$BODY"
	t0=$(date +%s.%N)
	CURL_RC=0
	curl -sS --max-time 15 -g --path-as-is -D "$HEAD" -o "$BODY" "$@" \
		"http://127.0.0.1:$PORT$path" 2>"$BATS_TEST_TMPDIR/curl.err" || CURL_RC=$?
	t1=$(date +%s.%N)
	ELAPSED=$(echo "$t0 $t1" | awk '{ printf "%.1f", $2 - $1 }')
	CODE=$(status_code)
}

# elapsed_below SECONDS
elapsed_below() {
	awk -v e="$ELAPSED" -v m="$1" 'BEGIN { exit !(e < m) }' ||
		fail "took ${ELAPSED} s, expected less than $1 s"
}

# elapsed_above SECONDS
elapsed_above() {
	awk -v e="$ELAPSED" -v m="$1" 'BEGIN { exit !(e >= m) }' ||
		fail "took ${ELAPSED} s, expected at least $1 s"
}

# --- scripts that never answer ----------------------------------------------

@test "a script that hangs silently: 504 after --cgi-idle-timeout, script ended" {
	start_listen
	timed_curl /cgi-bin/bad-hang.sh
	[ "$CURL_RC" -eq 0 ] || fail "curl exit status $CURL_RC: $(cat "$BATS_TEST_TMPDIR/curl.err")"
	assert_code 504
	assert_header Connection close
	elapsed_above 1.5
	elapsed_below 5
	wait_log 'bad-hang\.sh: no output for 2 s'
	check_invariants 3
}

@test "a script that drips its header block: 504 after --cgi-timeout, script ended" {
	start_listen
	timed_curl /cgi-bin/bad-drip-head.sh
	[ "$CURL_RC" -eq 0 ] || fail "curl exit status $CURL_RC: $(cat "$BATS_TEST_TMPDIR/curl.err")"
	assert_code 504
	elapsed_above 2.5
	elapsed_below 7
	refute_body_contains XXX
	wait_log 'bad-drip-head\.sh: timed out after 3 s'
	check_invariants 3
}

@test "a hanging script is ended in the per-connection (inetd) mode too" {
	start_server sd-inetd --cgi-timeout 3 --cgi-idle-timeout 2
	timed_curl /cgi-bin/bad-hang.sh
	assert_code 504
	elapsed_below 5
	wait_no_scripts 3
	# the per-connection cgid ends: only the activator is left
	local i others
	for ((i = 0; i < 30; i++)); do
		others=$(pgrep -g "$SERVER_PID" | grep -vx "$SERVER_PID" || true)
		[ -z "$others" ] && break
		sleep 0.1
	done
	[ -z "$others" ] || { show_pids "$others"; fail "cgid processes left: $others"; }
}

# --- broken header blocks -----------------------------------------------------

@test "endless header fields: 502, nothing of them relayed" {
	start_listen
	timed_curl /cgi-bin/bad-endless-headers.sh
	assert_code 502
	elapsed_below 5
	if grep -aq 'X-Endless\|ENDLESS' "$HEAD" "$BODY"; then
		dump_response >&2
		fail "the script's header fields reached the client"
	fi
	wait_log 'bad-endless-headers\.sh: bad header block'
	check_invariants 3
}

@test "a header field longer than the 16 KiB block: 502" {
	start_listen
	timed_curl /cgi-bin/bad-long-header.sh
	assert_code 502
	refute_header X-Long
	refute_body_contains LONG-HEADER-BODY
	wait_log 'bad-long-header\.sh: bad header block: header block too large'
	check_invariants 3
}

@test "a header value with a bare CR (response splitting): 502" {
	start_listen
	timed_curl /cgi-bin/bad-header-split.sh
	assert_code 502
	if grep -aq 'SPLIT' "$HEAD" "$BODY"; then
		dump_response >&2
		fail "the split header reached the client"
	fi
	check_invariants 3
}

@test "a Content-Length too large for any integer: 502, no crash" {
	# cgi_parse_head multiplies before it checks: signed overflow.
	start_listen
	timed_curl /cgi-bin/bad-huge-length.sh
	assert_code 502
	refute_body_contains HUGE-LENGTH-BODY
	check_invariants 3
}

@test "a script killed by a signal before any output: 500, the log says why" {
	start_listen
	timed_curl /cgi-bin/bad-crash.sh
	assert_code 500
	refute_body_contains BAD-CRASH
	wait_log 'bad-crash\.sh: exited with status 139 before any output'
	wait_log 'bad-crash\.sh: BAD-CRASH about to die'
	check_invariants 3
}

@test "a script's Status 100 or 101 is never sent as the final response" {
	start_listen
	local s
	for s in 100 101; do
		conversation "$(request_file "GET /cgi-bin/bad-status-$s.sh HTTP/1.1\r\nHost: x\r\n\r\n")"
		if grep -aq "^HTTP/1.1 $s " "$RAW"; then
			show_file "response" "$RAW" >&2
			fail "the script's interim status $s went to the client as its answer"
		fi
		[ "$END" != deadline ] || fail "no end of the exchange for status $s"
		awk -v e="$ELAPSED" 'BEGIN { exit !(e < 3) }' ||
			fail "status $s: the client waited ${ELAPSED} s for a final response"
		assert_code 502 || fail "for status $s"
	done
}

@test "a local redirect loop ends with 500 after a bounded number of runs" {
	start_listen
	timed_curl /cgi-bin/bad-redirect-loop.sh
	[ "$CURL_RC" -eq 0 ] || fail "curl exit status $CURL_RC"
	assert_code 500
	elapsed_below 5
	wait_log 'too many local redirects'
	check_invariants 3
}

@test "local redirects out of the root or to hidden files are refused" {
	echo "HIDDEN-IN-ROOT" >"$ROOT/.hidden-in-root"
	start_listen
	local q
	for q in 1 2 3 4; do
		timed_curl "/cgi-bin/bad-redirect-escape.sh?$q"
		assert_code_in 400 403 404 500 502 || fail "for redirect $q"
		refute_body_contains 'root:' || fail "for redirect $q"
		refute_body_contains HIDDEN-IN-ROOT || fail "for redirect $q"
	done
	check_invariants 3
}

@test "an NPH script that keeps writing is not cut off as silent" {
	# an nph- script's output is relayed as it comes, and counts as
	# output like any script's (--cgi-idle-timeout 2 here).
	make_script nph-ticks.sh '#!/bin/sh' \
		"printf 'HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\nConnection: close\\r\\n\\r\\n'" \
		'i=0' \
		'while [ "$i" -lt 8 ]; do echo "tick $i"; sleep 0.5; i=$((i + 1)); done' \
		'echo done'
	# it runs 4 s: past the idle timeout, within the total one
	start_listen --cgi-timeout 10
	timed_curl /cgi-bin/nph-ticks.sh
	rm -f "$ROOT/cgi-bin/nph-ticks.sh"
	assert_code 200
	assert_body_contains 'tick 7' || fail "the NPH script was ended while it was writing"
	assert_body_contains done
	check_invariants 3
}

@test "an NPH script whose client stalls in the request body is ended by the timeouts" {
	# The script reads its body; the client sends 10 of the 100 bytes it
	# announced and waits.  The script's output is relayed, and the
	# connection's descriptor stays non-blocking: --cgi-timeout (3 s)
	# ends it, where a blocking read of the body would wait for ever.
	make_script nph-cat.sh '#!/bin/sh' \
		"printf 'HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\n\\r\\n'" \
		'cat >/dev/null' 'echo done'
	start_listen
	local t0 t1
	t0=$(date +%s)
	perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$ARGV[0]")
			or die "connect: $!\n";
		print $s "POST /cgi-bin/nph-cat.sh HTTP/1.1\r\nHost: x\r\n" .
			"Content-Length: 100\r\n\r\n0123456789";
		$SIG{ALRM} = sub { exit 0 };
		alarm 15;
		1 while sysread($s, my $b, 4096);' "$PORT"
	t1=$(date +%s)
	rm -f "$ROOT/cgi-bin/nph-cat.sh"
	[ $((t1 - t0)) -le 8 ] || fail "the connection was still open after $((t1 - t0)) s"
	check_invariants 3
}

@test "an NPH script that cannot be executed: 500, as for any script" {
	make_script nph-bad.sh '#!/nonexistent/interpreter'
	start_listen
	timed_curl /cgi-bin/nph-bad.sh
	rm -f "$ROOT/cgi-bin/nph-bad.sh"
	assert_code 500
	wait_log "could not be executed"
	check_invariants 3
}

@test "an NPH script that hangs before writing anything: 504, as for any script" {
	# Nothing of its response was sent, so the client still gets one
	# (and the log says 504, not the 200 an NPH script is taken for).
	make_script nph-hang.sh '#!/bin/sh' 'sleep 30'
	start_listen
	timed_curl /cgi-bin/nph-hang.sh
	rm -f "$ROOT/cgi-bin/nph-hang.sh"
	[ "$CURL_RC" -eq 0 ] || fail "curl exit status $CURL_RC: $(cat "$BATS_TEST_TMPDIR/curl.err")"
	assert_code 504
	elapsed_below 5
	wait_log 'nph-hang\.sh: no output for 2 s'
	wait_log '"GET /cgi-bin/nph-hang\.sh HTTP/1\.1" 504 '
	check_invariants 3
}

@test "a script reading a slow request body is not silent (--cgi-idle-timeout)" {
	# 5000 bytes at 1000 a second, twice the least rate a body may have;
	# the script answers only once it has read them all, 5 s later, past
	# --cgi-idle-timeout 2.
	make_script read-all.sh '#!/bin/sh' 'n=$(wc -c)' \
		"printf 'Content-Type: text/plain\\n\\nread %s\\n' \"\$n\""
	start_listen --cgi-timeout 20
	perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$ARGV[0]")
			or die "connect: $!\n";
		print $s "POST /cgi-bin/read-all.sh HTTP/1.1\r\nHost: x\r\n" .
			"Connection: close\r\nContent-Length: 5000\r\n\r\n";
		for (1 .. 10) { select(undef, undef, undef, 0.5); print $s "x" x 500; }
		local $/;
		print <$s>;' "$PORT" >"$BATS_TEST_TMPDIR/resp.raw"
	rm -f "$ROOT/cgi-bin/read-all.sh"
	grep -q '^HTTP/1.1 200' "$BATS_TEST_TMPDIR/resp.raw" ||
		fail "$(head -c 300 "$BATS_TEST_TMPDIR/resp.raw")"
	grep -q '^read 5000' "$BATS_TEST_TMPDIR/resp.raw" ||
		fail "$(head -c 300 "$BATS_TEST_TMPDIR/resp.raw")"
	check_invariants 3
}

@test "output held up by a client that waits is no silence of the script's" {
	# 8 MB, more than the socket's buffers; the client reads nothing for
	# 4 s (past --cgi-idle-timeout 2), then all of it.  The script was
	# blocked on its full pipe, not silent.
	make_script eight.sh '#!/bin/sh' "printf 'Content-Type: application/octet-stream\\n\\n'" \
		'exec head -c 8000000 /dev/zero'
	start_listen --cgi-timeout 30
	local n
	n=$(perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$ARGV[0]")
			or die "connect: $!\n";
		print $s "GET /cgi-bin/eight.sh HTTP/1.0\r\nHost: x\r\n\r\n";
		sleep 4;
		my ($all, $b) = ("");
		$all .= $b while sysread($s, $b, 65536);
		$all =~ s/\A.*?\r\n\r\n//s;
		print length $all;' "$PORT")
	rm -f "$ROOT/cgi-bin/eight.sh"
	[ "$n" -eq 8000000 ] || fail "$n of 8000000 bytes"
	check_invariants 3
}

@test "a background child holding the output: what the pipe holds is sent, then the end" {
	# The script writes 16 MB, more than the socket and the pipe hold,
	# and exits, leaving a child that holds its stdout; the client starts
	# reading 5 s later (past --cgi-idle-timeout 2).  Every byte comes,
	# then the chunked body's end.
	head -c 16000000 /dev/urandom >"$BATS_TEST_TMPDIR/big.bin"
	make_script bg-out.sh '#!/bin/sh' "printf 'Content-Type: application/octet-stream\\n\\n'" \
		"cat '$BATS_TEST_TMPDIR/big.bin'" 'sleep 60 &'
	start_listen --cgi-timeout 30
	perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$ARGV[0]")
			or die "connect: $!\n";
		print $s "GET /cgi-bin/bg-out.sh HTTP/1.1\r\nHost: x\r\n\r\n";
		sleep 5;
		my ($all, $b) = ("");
		$SIG{ALRM} = sub { die "no end after 20 s\n" };
		alarm 20;
		# chunked on a kept connection: read until its end, or EOF
		$all .= $b while $all !~ /\r\n0\r\n\r\n\z/ && sysread($s, $b, 65536);
		$all =~ s/\A.*?\r\n\r\n//s or die "no head\n";
		my $body = "";
		while ($all =~ s/\A([0-9a-fA-F]+)\r\n//) {
			my $n = hex $1;
			if ($n == 0) { print $body; exit 0; }
			$body .= substr($all, 0, $n, "");
			$all =~ s/\A\r\n// or die "bad chunk\n";
		}
		die "no end of the chunked body after " . length($body) . " bytes\n";' \
		"$PORT" >"$BATS_TEST_TMPDIR/got.bin"
	rm -f "$ROOT/cgi-bin/bg-out.sh"
	cmp "$BATS_TEST_TMPDIR/big.bin" "$BATS_TEST_TMPDIR/got.bin" ||
		fail "the body differs ($(wc -c <"$BATS_TEST_TMPDIR/got.bin") bytes)"
	check_invariants 5
}

@test "clients reading slowly but steadily are served past the 30 s without progress (40 s)" {
	# 20 KB a second from a large document and from a script's output:
	# the socket's queue (megabytes on the loopback) drains too slowly for
	# POLLOUT within TIMEOUT_IO_MS, but bytes leave it all the time.
	head -c 10000000 /dev/zero >"$ROOT/slow.bin"
	make_script slow.sh '#!/bin/sh' "printf 'Content-Type: application/octet-stream\\n\\n'" \
		"exec cat '$ROOT/slow.bin'"
	start_listen --cgi-timeout 120
	local path pids=() i=0
	for path in /slow.bin /cgi-bin/slow.sh; do
		# a small receive window: the bytes wait in the server's queue
		perl -MSocket -e '
			socket(my $s, PF_INET, SOCK_STREAM, 0) or die "socket: $!\n";
			setsockopt($s, SOL_SOCKET, SO_RCVBUF, 4096);
			connect($s, sockaddr_in($ARGV[0], inet_aton("127.0.0.1")))
				or die "connect: $!\n";
			syswrite($s, "GET $ARGV[1] HTTP/1.0\r\nHost: x\r\n\r\n");
			my ($got, $b, $t0) = (0, "", time);
			while (time - $t0 < 40) {
				my $n = sysread($s, $b, 1024);
				if (!$n) { print "EOF after $got bytes\n"; exit 1; }
				$got += $n;
				select(undef, undef, undef, $n / 20000);
			}
			print "$got\n";' "$PORT" "$path" >"$BATS_TEST_TMPDIR/slow.$i.out" &
		pids+=($!)
		i=$((i + 1))
	done
	# Both take far longer than 40 s: an access log line before the
	# clients stop means that cgid ended one.  (The client would not see
	# it yet: what cgid queued takes minutes to read.)
	sleep 36
	local ended
	ended=$(grep -E '"GET /(slow\.bin|cgi-bin/slow\.sh) ' "$LOG" || true)
	local rc=0
	for i in 0 1; do
		wait "${pids[$i]}" || rc=1
	done
	rm -f "$ROOT/slow.bin" "$ROOT/cgi-bin/slow.sh"
	[ -z "$ended" ] || fail "ended while the client read: $ended $(grep error "$LOG")"
	[ "$rc" -eq 0 ] || fail "document: $(cat "$BATS_TEST_TMPDIR/slow.0.out"); script: $(cat "$BATS_TEST_TMPDIR/slow.1.out")"
	check_invariants 3
}

# --- scripts that misbehave after their header block --------------------------

@test "a script that closes stdout and runs on: complete response, script ended" {
	start_listen
	timed_curl /cgi-bin/bad-close-stdout.sh
	[ "$CURL_RC" -eq 0 ] || fail "curl exit status $CURL_RC: $(cat "$BATS_TEST_TMPDIR/curl.err")"
	assert_code 200
	assert_body CLOSED-STDOUT-BODY
	elapsed_below 3
	check_invariants 5
}

@test "a background child holding the pipe (HTTP/1.1): the chunked response is complete" {
	start_listen
	timed_curl /cgi-bin/bad-background.sh
	assert_code 200
	assert_body BACKGROUND-BODY
	[ "$CURL_RC" -eq 0 ] ||
		fail "curl exit status $CURL_RC after ${ELAPSED} s ($(cat "$BATS_TEST_TMPDIR/curl.err")): the chunked body was never ended"
	elapsed_below 5
	check_invariants 5
}

@test "a background child holding the pipe: a keep-alive connection stays usable" {
	start_listen
	local req
	req=$(request_file 'GET /cgi-bin/bad-background.sh HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')
	conversation "$req"
	[ "$END" = eof ] || fail "connection ended by $END after ${ELAPSED} s"
	# Either both answers, properly framed, or the first one ended with a
	# close; never a hang until the keep-alive timeout.
	awk -v e="$ELAPSED" 'BEGIN { exit !(e < 5) }' ||
		fail "the exchange took ${ELAPSED} s (the first response was never ended)"
	grep -aq BACKGROUND-BODY "$RAW" || fail "no body from the script"
	if [ "$(status_lines)" -eq 2 ]; then
		grep -aq $'^0\r$' "$RAW" || fail "two responses but no last chunk"
		grep -aq 'hello, world' "$RAW" || fail "second response without its body"
	fi
	check_invariants 5
}

@test "a script that holds its output open after its Content-Length: the next request waits only the linger" {
	# The body is complete once Content-Length bytes have come: the
	# script then has the 2 s that one closing its output has before its
	# group is killed, and the connection goes on.  The idle clock no
	# longer applies (it ended the connection, here after 2 s).
	make_script hold-cl.sh '#!/bin/sh' \
		"printf 'Content-Type: text/plain\\r\\nContent-Length: 7\\r\\n\\r\\nHOLD-CL'" \
		'exec sleep 30'
	start_listen
	local req
	req=$(request_file 'GET /cgi-bin/hold-cl.sh HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')
	conversation "$req"
	rm -f "$ROOT/cgi-bin/hold-cl.sh"
	[ "$END" = eof ] || fail "connection ended by $END after ${ELAPSED} s"
	awk -v e="$ELAPSED" 'BEGIN { exit !(e < 5) }' ||
		fail "the exchange took ${ELAPSED} s"
	# the second status line follows the first body on its line
	perl -0777 -ne 'exit !m{\r\n\r\nHOLD-CLHTTP/1\.1 200 OK\r\n}' "$RAW" ||
		fail "not the script's body, then the second response"
	grep -aq 'hello, world' "$RAW" || fail "second response without its body"
	grep -q 'hold-cl.sh: output still open after its response ended' "$LOG" ||
		fail "no log line for the held output"
	check_invariants 5
}

@test "Content-Length: 0, a HEAD, a 204, held open: complete with the head, the next request waits only the linger" {
	# An empty body is complete with the head, and so is the answer to a
	# HEAD (whether the script writes the body, discarded, or not) or a
	# 204.  None may wait for the idle clock (4 s here), which ended the
	# connection with the next request unanswered.
	make_script hold-cl0.sh '#!/bin/sh' \
		"printf 'Status: 201 Created\\r\\nContent-Length: 0\\r\\n\\r\\n'" \
		'exec sleep 30'
	make_script hold-204.sh '#!/bin/sh' \
		"printf 'Status: 204 No Content\\r\\n\\r\\n'" 'exec sleep 30'
	make_script hold-head.sh '#!/bin/sh' \
		"printf 'Content-Type: text/plain\\r\\nContent-Length: 7\\r\\n\\r\\n'" \
		'exec sleep 30'
	make_script hold-cl.sh '#!/bin/sh' \
		"printf 'Content-Type: text/plain\\r\\nContent-Length: 7\\r\\n\\r\\nHOLD-CL'" \
		'exec sleep 30'
	start_listen --cgi-idle-timeout 4
	local req first
	for first in 'GET /cgi-bin/hold-cl0.sh' 'HEAD /cgi-bin/hold-cl.sh' \
		'GET /cgi-bin/hold-204.sh' 'HEAD /cgi-bin/hold-head.sh'; do
		req=$(request_file "$first HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
		conversation "$req"
		[ "$END" = eof ] || fail "$first: connection ended by $END after ${ELAPSED} s"
		awk -v e="$ELAPSED" 'BEGIN { exit !(e < 3.5) }' ||
			fail "$first: the exchange took ${ELAPSED} s"
		grep -aq 'hello, world' "$RAW" ||
			fail "$first: the next request was not answered"
		grep -aq HOLD-CL "$RAW" && fail "$first: a HEAD answered with a body"
	done
	rm -f "$ROOT/cgi-bin/hold-"*.sh
	wait_log 'hold-[^ ]*\.sh: output still open after its response ended' 4
	check_invariants 5
}

@test "a background child holding the pipe (HTTP/1.0): response, then close" {
	start_listen
	timed_curl /cgi-bin/bad-background.sh --http1.0
	[ "$CURL_RC" -eq 0 ] || fail "curl exit status $CURL_RC"
	assert_code 200
	assert_body BACKGROUND-BODY
	elapsed_below 5
	check_invariants 5
}

@test "stderr flood: the log gets the lines, the client a normal response" {
	start_listen
	timed_curl /cgi-bin/bad-stderr-flood.sh
	[ "$CURL_RC" -eq 0 ] || fail "curl exit status $CURL_RC"
	assert_code 200
	assert_body STDERR-FLOOD-BODY
	if grep -aq 'STDERR-FLOOD line\|EEEE' "$HEAD" "$BODY"; then
		fail "stderr output reached the client"
	fi
	wait_log 'bad-stderr-flood\.sh: STDERR-FLOOD line 1999 ' 1
	local n
	n=$(log_count 'bad-stderr-flood\.sh: STDERR-FLOOD line [0-9]+ ')
	[ "$n" -eq 2000 ] || fail "log has $n of the 2000 stderr lines"
	# the long line without a newline is logged in bounded pieces
	n=$(log_count 'bad-stderr-flood\.sh: EEEE')
	[ "$n" -ge 100 ] || fail "the 300000-byte stderr line gave $n log lines"
	awk 'length($0) > 4096 { exit 1 }' "$LOG" || fail "a log line longer than 4 KiB"
	check_invariants 3
}

@test "a script that exits in the middle of its Content-Length: close, no hang, no extra bytes" {
	start_listen
	local req
	req=$(request_file 'GET /cgi-bin/bad-short-body.sh HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
	conversation "$req"
	[ "$END" = eof ] || [ "$END" = reset ] || fail "connection not closed (ended by $END after ${ELAPSED} s)"
	awk -v e="$ELAPSED" 'BEGIN { exit !(e < 4) }' || fail "the close came after ${ELAPSED} s"
	assert_code 200
	assert_header Content-Length 1000
	[ "$(cat "$BODY")" = SHORT-BODY ] || { dump_response >&2; fail "body is not the 11 bytes sent"; }
	[ "$(wc -c <"$BODY")" -eq 11 ] || fail "body has $(wc -c <"$BODY") bytes, the script sent 11"
	wait_log 'script output ended before its Content-Length'
	check_invariants 3
}

@test "a script that writes past its Content-Length: exactly the declared bytes, then close" {
	start_listen
	local req
	req=$(request_file 'GET /cgi-bin/bad-long-body.sh HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
	conversation "$req"
	[ "$END" != deadline ] || fail "connection still open after ${ELAPSED} s"
	if grep -aq SMUGGLED "$RAW"; then
		show_file "response" "$RAW" >&2
		fail "bytes past the declared Content-Length reached the client"
	fi
	# The first response carries exactly 5 body bytes; whatever follows
	# can only be the server's own answer to the second request.
	perl -e '
		open(my $f, "<", $ARGV[0]) or die; binmode $f;
		my $all = do { local $/; <$f> };
		$all =~ /\A(HTTP\/1\.1 200 [^\r\n]*\r\n(?:[^\r\n]+\r\n)*?Content-Length: 5\r\n(?:[^\r\n]+\r\n)*\r\n)FIRST/
			or die "first response is not 200 with the 5 declared bytes\n";
		my $rest = substr($all, length($1) + 5);
		exit 0 if $rest eq "";
		$rest =~ /\AHTTP\/1\.1 200 .*hello, world\n\z/s
			or die "unexpected bytes after the declared length: " . substr($rest, 0, 60) . "\n";
	' "$RAW" || { show_file "response" "$RAW" >&2; fail "bad framing"; }
	check_invariants 3
}

# --- processes ----------------------------------------------------------------

@test "a script that forks 300 children: all of them are ended with it" {
	start_listen
	timed_curl /cgi-bin/bad-fork.pl
	[ "$CURL_RC" -eq 0 ] || fail "curl exit status $CURL_RC"
	assert_code 200
	assert_body_contains FORKED
	check_invariants 5
}

@test "a fork loop is contained by --limit nproc (as nobody)" {
	id nobody >/dev/null 2>&1 || skip "no user nobody"
	[ "$(id -u)" -eq 0 ] || skip "needs root to start cgid with --user nobody"
	# nobody must reach ROOT: open the search permission of its parents
	local d=$ROOT
	while [ "$d" != / ] && [ -n "$d" ]; do
		d=$(dirname "$d")
		[ "$d" = / ] && break
		chmod o+x "$d" 2>/dev/null || true
	done
	if ! setpriv --reuid=65534 --regid=65534 --clear-groups \
		test -x "$ROOT/cgi-bin/bad-fork.pl" 2>/dev/null; then
		skip "user nobody cannot reach the temporary ROOT on this machine"
	fi
	if [ -n "$(pgrep -u nobody 2>/dev/null)" ]; then
		skip "processes of nobody already run here; the count would not be ours"
	fi
	mkdir -p "$BATS_TEST_TMPDIR/sanitizer"
	chmod 1777 "$BATS_TEST_TMPDIR/sanitizer"
	start_listen --user nobody --limit nproc=20
	timed_curl /cgi-bin/bad-fork.pl
	[ "$CURL_RC" -eq 0 ] || fail "curl exit status $CURL_RC"
	assert_code 200
	local n
	n=$(sed -n 's/^FORKED \([0-9]*\)$/\1/p' "$BODY")
	[ -n "$n" ] || { dump_response >&2; fail "no count from the script"; }
	echo "the script forked $n children under nproc=20"
	[ "$n" -lt 20 ] || fail "the script forked $n children despite nproc=20"
	check_invariants 5
}

@test "a script sees only descriptors 0, 1 and 2 (chunked body, inetd mode)" {
	start_server sd-inetd
	http POST /cgi-bin/fds.sh -H 'Transfer-Encoding: chunked' --data-binary 'spooled body'
	assert_code 200
	assert_body "$(printf '0\n1\n2')"
	wait_no_scripts 3
}

@test "a connection's descriptors stay the same over a keep-alive series" {
	# default CGI timeouts: the script that closes stdout early is then
	# ended by the linger, and the connection goes on
	start_server listen
	LISTENER_FDS=$(fd_count "$SERVER_PID")
	local data=$BATS_TEST_TMPDIR/series
	# One connection; after each answer the client counts the descriptors
	# of its connection process.  Every request here keeps it open.  (The
	# listener answers documents itself while a connection asks for
	# nothing else: the script comes first, so that the connection has a
	# process of its own from the first answer on.)
	timeout 40 perl -MIO::Socket::INET -e '
		use strict;
		my ($port, $listener) = @ARGV;
		my @reqs = (
			["cgi", "GET /cgi-bin/hello HTTP/1.1\r\nHost: x\r\n\r\n"],
			["document", "GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n"],
			["head", "HEAD /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n"],
			["cgi-post", "POST /cgi-bin/echo.pl HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"],
			["cgi-chunked", "POST /cgi-bin/cat.sh HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"],
			["local-redirect", "GET /cgi-bin/local-redirect.sh HTTP/1.1\r\nHost: x\r\n\r\n"],
			["stderr", "GET /cgi-bin/stderr.sh HTTP/1.1\r\nHost: x\r\n\r\n"],
			["close-stdout", "GET /cgi-bin/bad-close-stdout.sh HTTP/1.1\r\nHost: x\r\n\r\n"],
			["fork", "GET /cgi-bin/bad-fork.pl HTTP/1.1\r\nHost: x\r\n\r\n"],
			["document-again", "GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n"],
		);
		my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1",
			PeerPort => $port, Timeout => 5) or die "connect: $!\n";
		$s->autoflush(1);
		sub conn_pid {
			for my $d (glob "/proc/[0-9]*") {
				open(my $f, "<", "$d/stat") or next;
				my $st = <$f>;
				return $1 if $st =~ /^(\d+) \(.*\) \S+ (\d+)/ && $2 == $listener;
			}
			return undef;
		}
		sub children {
			my ($parent) = @_;
			my $n = 0;
			for my $d (glob "/proc/[0-9]*") {
				open(my $f, "<", "$d/stat") or next;
				my $st = <$f>;
				$n++ if defined $st && $st =~ /^\d+ \(.*\) \S+ (\d+)/ && $1 == $parent;
			}
			return $n;
		}
		my $buf = "";
		for my $r (@reqs) {
			print $s $r->[1];
			# read one response: head, then Content-Length or chunks
			my $deadline = time + 10;
			my $done = 0;
			while (!$done) {
				die "$r->[0]: no complete response\n" if time > $deadline;
				if ($buf =~ /\A(HTTP\/1\.1 (\d+)[^\n]*\n.*?\r\n\r\n)/s) {
					my ($h, $code) = ($1, $2);
					my $rest = substr($buf, length $h);
					if ($r->[0] =~ /^head/ || $code == 304) {
						$buf = $rest; $done = 1; last;
					} elsif ($h =~ /Content-Length: (\d+)/i) {
						if (length($rest) >= $1) { $buf = substr($rest, $1); $done = 1; last }
					} elsif ($h =~ /Transfer-Encoding: chunked/i) {
						if ($rest =~ /\A((?:[0-9a-f]+\r\n.*?\r\n)*?0\r\n\r\n)/si) {
							$buf = substr($rest, length $1); $done = 1; last;
						}
					} else {
						die "$r->[0]: response without framing\n";
					}
				}
				my $n = sysread($s, my $chunk, 65536);
				die "$r->[0]: connection closed\n" unless $n;
				$buf .= $chunk;
			}
			# count once the script is reaped (bounded wait)
			my $pid = conn_pid() or die "$r->[0]: no connection process\n";
			for (1 .. 50) {
				last unless children($pid);
				select(undef, undef, undef, 0.1);
			}
			select(undef, undef, undef, 0.1);
			my @fds = glob "/proc/$pid/fd/*";
			my @names = map { my $l = readlink($_) // "?"; s{.*/}{}r . "=" . $l } @fds;
			print "$r->[0] " . scalar(@fds) . " @names\n";
		}
	' "$PORT" "$SERVER_PID" >"$data" 2>&1 || { cat "$data" >&2; fail "the series failed"; }
	local first n
	first=$(awk 'NR == 1 { print $2 }' "$data")
	n=$(awk -v f="$first" '$2 != f' "$data" | wc -l)
	if [ "$n" -ne 0 ]; then
		cat "$data" >&2
		fail "descriptors of the connection process changed during the series"
	fi
	check_invariants 5
}

# --- diagnostics never reach the client ----------------------------------------

@test "inetd mode with stderr on the socket: only HTTP responses on the wire" {
	# fd 0, 1 and 2 are all the client socket, and no --log is given:
	# cgid must see that stderr is the client and log elsewhere.
	PORT=$(free_port)
	LOG=$BATS_TEST_TMPDIR/cgid.log
	: >"$LOG"
	SERVER_OUT=$BATS_TEST_TMPDIR/server.out
	SAN_DIR=$BATS_TEST_TMPDIR/sanitizer
	mkdir -p "$SAN_DIR"
	export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:log_path=$SAN_DIR/asan"
	export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$SAN_DIR/ubsan"
	: >"$SERVER_OUT"
	spawn_group "$BATS_TEST_TMPDIR/server.pid" "$SERVER_OUT" \
		systemd-socket-activate -l "127.0.0.1:$PORT" --accept --inetd \
		sh -c 'exec "$0" "$@" 2>&1' "$CGID" --allow-root \
		--cgi-timeout 3 --cgi-idle-timeout 2 "$ROOT"
	SERVER_PID=$SPAWNED
	wait_port "$PORT"

	local req path
	# Each request provokes a diagnostic of cgid or of the script; a
	# second request follows it on the same connection, to be answered or
	# not, and to close the connection when the first one keeps it.
	local next='GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
	for req in \
		'GET /no-such-file HTTP/1.1\r\nHost: x\r\n\r\n' \
		'GARBAGE\r\n\r\n' \
		'GET /cgi-bin/stderr.sh HTTP/1.1\r\nHost: x\r\n\r\n' \
		'GET /cgi-bin/bad-crash.sh HTTP/1.1\r\nHost: x\r\n\r\n' \
		'GET /cgi-bin/garbage.sh HTTP/1.1\r\nHost: x\r\n\r\n' \
		'GET /cgi-bin/bad-header-split.sh HTTP/1.1\r\nHost: x\r\n\r\n' \
		'GET /cgi-bin/bad-stderr-flood.sh HTTP/1.1\r\nHost: x\r\n\r\n' \
		'GET /cgi-bin/bad-hang.sh HTTP/1.1\r\nHost: x\r\n\r\n' \
		'GET /cgi-bin/bad-short-body.sh HTTP/1.1\r\nHost: x\r\n\r\n' \
		'GET /cgi-bin/bad-long-body.sh HTTP/1.1\r\nHost: x\r\n\r\n' \
		'POST /cgi-bin/cat.sh HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n' \
		'GET /hello.txt HTTP/9.9\r\nHost: x\r\n\r\n'; do
		conversation "$(request_file "$req$next")"
		[ "$END" != deadline ] || fail "connection still open after ${ELAPSED} s for: $req"
		# The bytes are HTTP responses, each framed, and nothing else.
		perl -e '
			open(my $f, "<", $ARGV[0]) or die; binmode $f;
			my $all = do { local $/; <$f> };
			die "diagnostic on the wire\n"
				if $all =~ /cgid\[\d+\]|error:|STDERR-MARKER|BAD-CRASH|STDERR-FLOOD line|EEEE/;
			my $n = 0;
			while (length $all) {
				$n++;
				$all =~ s/\A(HTTP\/1\.1 \d\d\d [^\r\n]*\r\n(?:[A-Za-z0-9-]+: [^\r\n]*\r\n)*\r\n)//
					or die "response $n: no well-formed head\n";
				my $h = $1;
				if ($h =~ /\nContent-Length: (\d+)\r/) {
					# bad-short-body declares 1000 bytes and sends 11
					my $want = $1 == 1000 && length($all) < 1000 ? length($all) : $1;
					die "response $n: body shorter than its length\n" if length($all) < $want;
					substr($all, 0, $want, "");
				} elsif ($h =~ /\nTransfer-Encoding: chunked\r/) {
					while ($all =~ s/\A([0-9a-fA-F]+)\r\n//) {
						my $len = hex $1;
						substr($all, 0, $len, "");
						$all =~ s/\A\r\n// or die "response $n: bad chunk\n";
						last if $len == 0;
					}
				} else {
					$all = "";    # ends with the connection
				}
				die "response $n: more after a closing response\n"
					if $h =~ /\nConnection: close\r/ && length $all;
				die "more than two responses\n" if $n > 2;
			}
			die "no response\n" unless $n;
		' "$RAW" || {
			show_file "wire" "$RAW" >&2
			fail "more than HTTP responses on the wire for: $req"
		}
	done
	wait_no_scripts 3
}
