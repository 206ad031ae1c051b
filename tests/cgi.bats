#!/usr/bin/env bats
# The CGI/1.1 interface end to end (RFC 3875), with cgid listening itself
# (-l): the environment a program gets, its command line, the request body
# it reads, how its response head and body reach the client, the checks
# made before a program runs, and the memory a large upload costs.
# The programs are tests/www/cgi-bin/t3-* and env.sh, echo.pl.

load lib
bats_require_minimum_version 1.5.0

setup_file() {
	prepare_root
}

teardown() {
	common_teardown
}

# The real path of the document root, as cgid resolves it.
real_root() {
	(cd "$ROOT" && pwd -P)
}

# assert_env_count NAME N  -- NAME appears N times in the env(1) listing
assert_env_count() {
	local n
	n=$(grep -c "^$1=" "$BODY" || true)
	if [ "$n" -ne "$2" ]; then
		show_file "environment" "$BODY" 80 >&2
		fail "$1 appears $n times, expected $2"
		return 1
	fi
}

# header_count NAME  -- how many fields NAME the last response head has
header_count() {
	tr -d '\r' <"$HEAD" | grep -ic "^$1:" || true
}

# After two requests on one connection (raw), the first answer having no
# body: assert that the second status line follows the first head at once,
# so nothing (no body, no chunk) was sent in between.
assert_no_body_then_next() {
	perl -e '
		my ($raw, $code) = @ARGV;
		open(my $f, "<", $raw) or die "$raw: $!\n";
		binmode $f;
		my $all = do { local $/; <$f> };
		$all =~ m{\AHTTP/1\.[01] $code [^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n}
			or die "the first response is not a $code with a head\n";
		my $rest = substr($all, length($&));
		$rest =~ m{\AHTTP/1\.1 200 }
			or die "bytes between the $code head and the next response: [" .
				substr($rest, 0, 80) . "]\n";
		$rest =~ /hello, world/
			or die "the second response lacks its body\n";
	' "$RAW" "$1" || {
		show_file "raw response" "$RAW" >&2
		return 1
	}
}

# --- environment --------------------------------------------------------------

@test "--pass-env passes cgid's own variable, --env adds one, others stay out" {
	T3_PASSED=from-cgid-env T3_NOT_NAMED=must-not-pass \
		start_server listen --pass-env T3_PASSED --env T3_ADDED=added-value
	http GET /cgi-bin/env.sh
	assert_code 200
	assert_env T3_PASSED=from-cgid-env
	assert_env T3_ADDED=added-value
	refute_env T3_NOT_NAMED
	refute_leaks
}

@test "--env and --pass-env given again for a name: its last value, once" {
	# the environment as exec(2) gave it: a shell would drop duplicates
	make_script raw-env.sh '#!/bin/sh' 'printf "Content-Type: text/plain\n\n"' \
		'tr "\0" "\n" </proc/$$/environ'
	T3_TWICE=from-cgid-env start_server listen --env T3_TWICE=first \
		--env T3_ONCE=once --env T3_TWICE=second --pass-env T3_TWICE \
		--env T3_LAST=a --env T3_LAST=b
	http GET /cgi-bin/raw-env.sh
	assert_code 200
	assert_env T3_TWICE=from-cgid-env
	assert_env_count T3_TWICE 1
	assert_env T3_LAST=b
	assert_env_count T3_LAST 1
	assert_env T3_ONCE=once
}

@test "PATH_INFO is decoded and PATH_TRANSLATED maps it under the root" {
	start_server listen
	http GET '/cgi-bin/env.sh/a%20b/c'
	assert_code 200
	assert_env 'PATH_INFO=/a b/c'
	assert_env "PATH_TRANSLATED=$(real_root)/a b/c"
	assert_env SCRIPT_NAME=/cgi-bin/env.sh
	http GET /cgi-bin/env.sh
	assert_code 200
	refute_env PATH_INFO PATH_TRANSLATED
}

@test "QUERY_STRING: present and empty without a query, raw with one" {
	start_server listen
	http GET /cgi-bin/env.sh
	assert_code 200
	assert_env QUERY_STRING=
	http GET '/cgi-bin/env.sh?%41=%42+c'
	assert_code 200
	assert_env 'QUERY_STRING=%41=%42+c'
}

@test "server and request variables: SERVER_NAME from Host, REQUEST_URI raw, real paths" {
	start_server listen
	http GET '/cgi-bin/env.sh/p%20i?q=%41' -H 'Host: example.test:8080'
	assert_code 200
	assert_env SERVER_NAME=example.test
	assert_env "SERVER_PORT=$PORT"
	assert_env HTTP_HOST=example.test:8080
	assert_env REMOTE_ADDR=127.0.0.1
	assert_env REMOTE_HOST=127.0.0.1
	assert_env_set REMOTE_PORT
	assert_env 'REQUEST_URI=/cgi-bin/env.sh/p%20i?q=%41'
	assert_env "SCRIPT_FILENAME=$(real_root)/cgi-bin/env.sh"
	assert_env "DOCUMENT_ROOT=$(real_root)"
	assert_env REDIRECT_STATUS=200
	assert_env GATEWAY_INTERFACE=CGI/1.1
	assert_env SERVER_PROTOCOL=HTTP/1.1
	grep -q '^SERVER_SOFTWARE=cgid/' "$BODY" ||
		fail "SERVER_SOFTWARE: $(grep '^SERVER_SOFTWARE=' "$BODY")"
	refute_env REMOTE_USER
}

@test "ROOT named by a relative path through a symbolic link: DOCUMENT_ROOT is its real path, in every mode" {
	local real mode top=$ROOT
	real=$(real_root)
	ln -s "$real" "$BATS_TEST_TMPDIR/site"
	cd "$BATS_TEST_TMPDIR"
	ROOT=site
	for mode in listen sd-inetd sd-accept; do
		start_server "$mode"
		http GET /cgi-bin/env.sh
		assert_code 200
		assert_env "DOCUMENT_ROOT=$real"
		assert_env "SCRIPT_FILENAME=$real/cgi-bin/env.sh"
		# RFC 3875 §7.2: the program runs in its own directory
		assert_env "PWD=$real/cgi-bin"
		stop_server
	done
	ROOT=$top
}

@test "SERVER_NAME for a Host with an empty name (\":PORT\"): the server's address" {
	start_server listen
	http GET /cgi-bin/env.sh -H "Host: :$PORT"
	assert_code 200
	assert_env SERVER_NAME=127.0.0.1
}

@test "--env names a variable of cgid's own: the option's value, once" {
	start_server listen --env SERVER_NAME=admin.example --env REDIRECT_STATUS=1
	http GET /cgi-bin/env.sh -H 'Host: example.test'
	assert_code 200
	[ "$(grep -c '^SERVER_NAME=' "$BODY")" -eq 1 ] || fail "$(grep '^SERVER_NAME=' "$BODY")"
	assert_env SERVER_NAME=admin.example
	[ "$(grep -c '^REDIRECT_STATUS=' "$BODY")" -eq 1 ] || fail "$(grep '^REDIRECT_STATUS=' "$BODY")"
	assert_env REDIRECT_STATUS=1
	# a request header the option names too: the option's, once
	stop_server
	start_server listen --env HTTP_X_A=option
	http GET /cgi-bin/env.sh -H 'X-A: one' -H 'X-A: two' -H 'Accept: text/plain'
	[ "$(grep -c '^HTTP_X_A=' "$BODY")" -eq 1 ] || fail "$(grep '^HTTP_X_A=' "$BODY")"
	assert_env HTTP_X_A=option
	assert_env HTTP_ACCEPT=text/plain
}

@test "a local redirect after a POST: the GET it becomes has no CONTENT_TYPE (RFC 3875 §4.1.3)" {
	make_script to-env.sh '#!/bin/sh' "printf 'Location: /cgi-bin/env.sh\\n\\n'"
	start_server listen
	local rc=0
	http POST /cgi-bin/to-env.sh -H 'Content-Type: application/x-www-form-urlencoded' \
		--data-binary 'a=1' || rc=$?
	rm -f "$ROOT/cgi-bin/to-env.sh"
	[ "$rc" -eq 0 ] || fail "no answer"
	assert_code 200
	assert_env REQUEST_METHOD=GET
	refute_env CONTENT_LENGTH
	refute_env CONTENT_TYPE
}

@test "--https: HTTPS=on and REQUEST_SCHEME=https; without it http and no HTTPS" {
	start_server listen
	http GET /cgi-bin/env.sh
	assert_code 200
	assert_env REQUEST_SCHEME=http
	refute_env HTTPS
	stop_server
	start_server listen --https
	http GET /cgi-bin/env.sh
	assert_code 200
	assert_env HTTPS=on
	assert_env REQUEST_SCHEME=https
}

@test "--pass-authorization: Authorization and AUTH_TYPE only with it, never REMOTE_USER" {
	start_server listen
	http GET /cgi-bin/env.sh -u 't3user:t3secret'
	assert_code 200
	refute_env HTTP_AUTHORIZATION AUTH_TYPE REMOTE_USER
	refute_body_contains dDN1c2VyOnQzc2VjcmV0
	stop_server
	start_server listen --pass-authorization
	http GET /cgi-bin/env.sh -u 't3user:t3secret'
	assert_code 200
	assert_env 'HTTP_AUTHORIZATION=Basic dDN1c2VyOnQzc2VjcmV0'
	assert_env AUTH_TYPE=Basic
	refute_env REMOTE_USER
}

@test "request header fields: repeated ones joined, dangerous and odd ones left out" {
	start_server listen
	http GET /cgi-bin/env.sh -H 'X-Multi: one' -H 'X-Multi: two' \
		-H 'Cookie: a=1' -H 'Cookie: b=2' -H 'Proxy: http://127.0.0.1:9/' \
		-H 'Proxy-Authorization: Basic cHJveHk6c2VjcmV0' -H 'X_Under: underscore'
	assert_code 200
	assert_env 'HTTP_X_MULTI=one, two'
	assert_env_count HTTP_X_MULTI 1
	assert_env 'HTTP_COOKIE=a=1; b=2'
	assert_env_count HTTP_COOKIE 1
	refute_env HTTP_PROXY HTTP_PROXY_AUTHORIZATION HTTP_X_UNDER
	refute_body_contains cHJveHk6c2VjcmV0
	refute_body_contains underscore
}

@test "request header fields: Content-Length and Content-Type only as CONTENT_*" {
	start_server listen
	http POST /cgi-bin/env.sh --data-binary 'abcdef' -H 'Content-Type: text/x-t3'
	assert_code 200
	assert_env CONTENT_LENGTH=6
	assert_env CONTENT_TYPE=text/x-t3
	refute_env HTTP_CONTENT_LENGTH HTTP_CONTENT_TYPE
}

@test "a Content-Type field without a body is CONTENT_TYPE still (RFC 3875 §4.1.3), without CONTENT_LENGTH" {
	start_server listen
	http GET /cgi-bin/env.sh -H 'Content-Type: application/json'
	assert_code 200
	assert_env CONTENT_TYPE=application/json
	refute_env CONTENT_LENGTH HTTP_CONTENT_TYPE
	http GET /cgi-bin/env.sh
	assert_code 200
	refute_env CONTENT_TYPE CONTENT_LENGTH
}

@test "chunked request body: CONTENT_LENGTH set, no HTTP_TRANSFER_ENCODING" {
	start_server listen
	http POST /cgi-bin/env.sh --data-binary 'chunked-t3-body' \
		-H 'Transfer-Encoding: chunked' -H 'Content-Type: text/plain'
	assert_code 200
	assert_env CONTENT_LENGTH=15
	refute_env HTTP_TRANSFER_ENCODING HTTP_CONTENT_LENGTH
}

# --- command line -------------------------------------------------------------

@test "ISINDEX query: decoded words as arguments; none when the query has '='" {
	start_server listen
	http GET '/cgi-bin/t3-args.sh?foo+bar%21'
	assert_code 200
	assert_body "$(printf 'argc=2\narg=[foo]\narg=[bar!]')"
	http GET '/cgi-bin/t3-args.sh?a=b'
	assert_code 200
	assert_body argc=0
	http GET /cgi-bin/t3-args.sh
	assert_code 200
	assert_body argc=0
}

@test "--interpreter runs a non-executable file outside cgi-bin; \$0 is its file name" {
	cat >"$ROOT/sub/t3-interp.pl" <<'EOF'
print "Content-Type: text/plain\r\n\r\n";
print "ZERO=$0\n";
print "T3-INTERP-RAN\n";
EOF
	chmod 644 "$ROOT/sub/t3-interp.pl"
	start_server listen --interpreter .pl=/usr/bin/perl
	http GET /sub/t3-interp.pl
	assert_code 200
	assert_body "$(printf 'ZERO=t3-interp.pl\nT3-INTERP-RAN')"
}

# --- request body -------------------------------------------------------------

@test "Expect: 100-continue: the interim 100 comes before the body is sent" {
	start_server listen
	local interim=$BATS_TEST_TMPDIR/interim.head
	RAW=$BATS_TEST_TMPDIR/resp.raw
	HEAD=$BATS_TEST_TMPDIR/resp.head
	BODY=$BATS_TEST_TMPDIR/resp.body
	timeout 15 perl -MIO::Socket::INET -MIO::Select -e '
		use strict;
		my ($port, $interim_file) = @ARGV;
		my $body = "T3-CONTINUE-BODY";
		my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1",
			PeerPort => $port, Proto => "tcp", Timeout => 5)
			or die "connect: $!\n";
		$SIG{PIPE} = "IGNORE";
		syswrite($s, "POST /cgi-bin/echo.pl HTTP/1.1\r\nHost: 127.0.0.1\r\n" .
			"Content-Type: text/plain\r\nContent-Length: " . length($body) .
			"\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n") or die;
		my $sel = IO::Select->new($s);
		my $buf = "";
		my $deadline = time + 5;
		while ($buf !~ /\r\n\r\n/) {
			my $left = $deadline - time;
			die "no interim response within 5 s (got: $buf)\n"
				if $left <= 0 || !$sel->can_read($left);
			my $n = sysread($s, $buf, 4096, length $buf);
			die "connection closed before an interim response (got: $buf)\n"
				unless $n;
		}
		my ($first, $rest) = split /\r\n\r\n/, $buf, 2;
		open(my $i, ">", $interim_file) or die; print $i "$first\r\n";
		close $i;
		die "first response is not 100 Continue: $first\n"
			unless $first =~ m{\AHTTP/1\.1 100 Continue\z};
		syswrite($s, $body) == length($body) or die "write: $!\n";
		binmode STDOUT;
		print $rest;
		$deadline = time + 10;
		while (time < $deadline && $sel->can_read($deadline - time)) {
			my $n = sysread($s, my $b, 65536);
			last unless $n;
			print $b;
		}
	' "$PORT" "$interim" >"$RAW"
	split_response "$RAW"
	CODE=$(status_code)
	assert_code 200
	assert_header X-Body-Length 16
	assert_body T3-CONTINUE-BODY
}

@test "Expect: empty list elements are ignored, an empty Expect expects nothing; another expectation is 417" {
	# RFC 9110 §10.1.1: Expect is a #list, whose empty elements a
	# recipient ignores (§5.6.1.2)
	start_server listen
	local e
	for e in 'Expect:' 'Expect: 100-continue,' 'Expect: , 100-continue'; do
		raw "POST /cgi-bin/echo.pl HTTP/1.1\r\nHost: x\r\n$e\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbody"
		assert_code 200 || fail "for '$e'" || return 1
		assert_body body
	done
	raw "POST /cgi-bin/echo.pl HTTP/1.1\r\nHost: x\r\nExpect: 100-continue, x-other\r\nContent-Length: 4\r\n\r\nbody"
	assert_code 417
}

@test "a 512 MiB upload is streamed: the count is right and memory stays flat" {
	start_server listen
	local size=536870912 samples=$BATS_TEST_TMPDIR/hwm cpid p hwm rc=0
	HEAD=$BATS_TEST_TMPDIR/resp.head
	BODY=$BATS_TEST_TMPDIR/resp.body
	: >"$samples"
	head -c "$size" /dev/zero |
		curl -sS --max-time 60 -H 'Expect:' -H 'Content-Type: application/octet-stream' \
			--data-binary @- -D "$HEAD" -o "$BODY" \
			"http://$HOST:$PORT/cgi-bin/t3-count.sh" &
	cpid=$!
	# VmHWM (kB) of each connection process (the listener's children),
	# sampled while the upload runs.
	while kill -0 "$cpid" 2>/dev/null; do
		for p in $(pgrep -P "$SERVER_PID"); do
			hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status" 2>/dev/null) &&
				[ -n "$hwm" ] && echo "$hwm" >>"$samples"
		done
		sleep 0.02
	done
	wait "$cpid" || rc=$?
	[ "$rc" -eq 0 ] || fail "curl exit status $rc"
	CODE=$(status_code)
	assert_code 200
	assert_body "$size"
	local n first max
	n=$(wc -l <"$samples")
	[ "$n" -ge 3 ] || fail "only $n memory sample(s) of the connection process"
	first=$(head -n 1 "$samples")
	max=$(sort -n "$samples" | tail -n 1)
	echo "VmHWM samples: $n, first $first kB, max $max kB" >&2
	if grep -qa __asan_init "$CGID"; then
		# The sanitizer runtime has a large footprint of its own: only
		# the growth during the upload counts.
		[ $((max - first)) -lt 4096 ] ||
			fail "VmHWM grew from $first kB to $max kB during the upload"
	else
		[ "$max" -lt 4096 ] || fail "VmHWM reached $max kB (first sample $first kB)"
	fi
}

# --- response -----------------------------------------------------------------

@test "several Set-Cookie fields reach the client in order" {
	start_server listen
	http GET '/cgi-bin/t3-resp.sh?cookies'
	assert_code 200
	local got
	got=$(tr -d '\r' <"$HEAD" | grep -i '^Set-Cookie:')
	[ "$got" = "$(printf 'Set-Cookie: first=1; Path=/\nSet-Cookie: second=2; Path=/\nSet-Cookie: third=3; Path=/')" ] ||
		fail "Set-Cookie fields: $got"
	assert_body T3-COOKIES
}

@test "Status: 201 Made keeps its reason phrase" {
	start_server listen
	http GET '/cgi-bin/t3-resp.sh?made'
	[ "$(status_line)" = "HTTP/1.1 201 Made" ] || fail "status line: $(status_line)"
	refute_header Status
	assert_body T3-MADE
}

@test "Status: 204 and 304 from a script: no body and no chunk on a kept connection" {
	start_server listen
	local q
	for q in 204 304; do
		raw "GET /cgi-bin/t3-resp.sh?$q HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
		assert_no_body_then_next "$q" || fail "for Status: $q"
	done
}

@test "Status: 304 with a Content-Length from a script: the length is not sent (RFC 9110 §8.6)" {
	start_server listen
	raw "GET /cgi-bin/t3-resp.sh?304length HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
	assert_no_body_then_next 304
	sed -n '1,/^\r$/p' "$RAW" | grep -qi '^Content-Length' &&
		fail "$(cat "$RAW")"
	return 0
}

@test "Status: 204 from a script that writes a body anyway: the body is not sent" {
	start_server listen
	raw 'GET /cgi-bin/t3-resp.sh?204body HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'
	grep -q T3-BODY-OF-204 "$RAW" && fail "the body of a 204 reached the client"
	assert_no_body_then_next 204
}

@test "Status: 205 from a script that writes a body anyway: no body, Content-Length: 0 (RFC 9110 §15.3.6)" {
	start_server listen
	local m
	for m in GET HEAD; do
		raw "$m /cgi-bin/t3-resp.sh?205body HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
		grep -q T3-BODY-OF-205 "$RAW" && fail "$m: the body of a 205 reached the client"
		assert_no_body_then_next 205 || fail "for $m"
		# a 205 is not bodiless by its status (RFC 9112 §6.3): its
		# empty content is framed
		sed -n '1,/^\r$/p' "$RAW" | tr -d '\r' | grep -q '^Content-Length: 0$' ||
			fail "$m: no Content-Length: 0 in the 205 head"
		sed -n '1,/^\r$/p' "$RAW" | grep -qi '^Transfer-Encoding' &&
			fail "$m: a 205 head with Transfer-Encoding"
	done
	return 0
}

@test "HEAD to a script: the head, no body and no chunk on a kept connection" {
	start_server listen
	raw 'HEAD /cgi-bin/t3-resp.sh?chunk HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'
	grep -q T3-CHUNKED "$RAW" && fail "the body of a HEAD response reached the client"
	assert_no_body_then_next 200
	# HEAD holds the first response's head: the script's fields are there.
	assert_header_match Content-Type '^text/plain'
}

@test "HEAD to a script that redirects locally: the target's head, no body, the connection kept" {
	start_server listen
	raw 'HEAD /cgi-bin/local-redirect.sh HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'
	assert_no_body_then_next 200
	assert_header Content-Length "$(wc -c <"$ROOT/other.html")"
}

@test "a script's 404 with its length keeps the connection, and says nothing of closing" {
	start_server listen
	raw 'GET /cgi-bin/t3-resp.sh?404 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'
	grep -q T3-MISSING "$RAW" || fail "the script's body is missing"
	perl -e '
		my $all = do { local $/; open(my $f, "<", $ARGV[0]) or die; <$f> };
		$all =~ m{\AHTTP/1\.1 404 [^\r\n]*\r\n((?:[^\r\n]+\r\n)*)\r\nT3-MISSING\n}
			or die "the first response is not the 404 with its body\n";
		$1 =~ /^Connection:/mi and die "the 404 has a Connection field\n";
		substr($all, length($&)) =~ m{\AHTTP/1\.1 200 [^\0]*hello, world}
			or die "no second response on the connection\n";
	' "$RAW" || { show_file "raw response" "$RAW" >&2; return 1; }
}

@test "client redirect with a document keeps its status and body" {
	start_server listen
	http GET '/cgi-bin/t3-resp.sh?moved'
	assert_code 301
	assert_header Location http://x/
	assert_header_match Content-Type '^text/html'
	assert_body '<p>T3-MOVED-DOCUMENT</p>'
}

@test "hop-by-hop fields of a script are not passed on" {
	start_server listen
	# HTTP/1.1: cgid frames the body itself, once.
	http GET '/cgi-bin/t3-resp.sh?hop'
	assert_code 200
	assert_body T3-HOP-BODY
	refute_header Keep-Alive
	[ "$(header_count Transfer-Encoding)" -le 1 ] || fail "two Transfer-Encoding fields"
	if header Connection | grep -qi x-t3-hop; then
		fail "the script's Connection field was passed on: $(header Connection)"
	fi
	# HTTP/1.0: no framing from cgid, so any Transfer-Encoding is the script's.
	raw 'GET /cgi-bin/t3-resp.sh?hop HTTP/1.0\r\n\r\n'
	assert_code 200
	refute_header Transfer-Encoding
	refute_header Keep-Alive
	if header Connection | grep -qi x-t3-hop; then
		fail "the script's Connection field was passed on: $(header Connection)"
	fi
	assert_body T3-HOP-BODY
}

@test "a script's empty Content-Type: 502, nothing of it relayed" {
	make_script empty-type.sh '#!/bin/sh' 'printf "Content-Type:\\nX-Mark: EMPTY-TYPE\\n\\nEMPTY-TYPE-BODY"'
	start_server listen
	http GET /cgi-bin/empty-type.sh
	assert_code 502
	refute_body_contains EMPTY-TYPE
	wait_log 'empty Content-Type'
	http GET /cgi-bin/env.sh
	assert_code 200
}

@test "a script's Date field is replaced by the server's" {
	start_server listen
	http GET '/cgi-bin/t3-resp.sh?date'
	assert_code 200
	[ "$(header_count Date)" -eq 1 ] || fail "$(header_count Date) Date fields"
	assert_header_match Date ' GMT$'
	if header Date | grep -q 2001; then
		fail "the script's Date was passed on: $(header Date)"
	fi
	assert_body T3-DATE
}

# --- framing ------------------------------------------------------------------

@test "framing: the script's Content-Length is used" {
	start_server listen
	http GET '/cgi-bin/t3-resp.sh?length'
	assert_code 200
	assert_header Content-Length 10
	refute_header Transfer-Encoding
	assert_body T3-LENGTH
}

@test "framing: without Content-Length HTTP/1.1 gets chunked and the connection stays open" {
	start_server listen
	# A second request follows on the same connection (a request with
	# "Connection: close" may be answered with a close-delimited body).
	raw 'GET /cgi-bin/t3-resp.sh?chunk HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'
	assert_code 200
	assert_header Transfer-Encoding chunked
	refute_header Content-Length
	perl -e 'local $/; my $b = <STDIN>; exit($b =~ /\A[0-9a-fA-F]+\r\nT3-CHUNKED\n\r\n(?:.*?\r\n)?0\r\n\r\nHTTP\/1\.1 200 .*hello, world/s ? 0 : 1)' <"$BODY" ||
		fail "the body is not chunked, or no second response: $(od -c "$BODY" | head -n 12)"
	# Two requests in one curl run: one connection, the same client port.
	local out1=$BATS_TEST_TMPDIR/one out2=$BATS_TEST_TMPDIR/two err=$BATS_TEST_TMPDIR/curl.err
	curl -sS -v --max-time 10 -o "$out1" "http://$HOST:$PORT/cgi-bin/env.sh" \
		-o "$out2" "http://$HOST:$PORT/cgi-bin/env.sh" 2>"$err" ||
		fail "curl failed: $(tail -n 5 "$err")"
	local p1 p2
	p1=$(grep '^REMOTE_PORT=' "$out1")
	p2=$(grep '^REMOTE_PORT=' "$out2")
	[ -n "$p1" ] && [ "$p1" = "$p2" ] || fail "two connections: $p1 and $p2"
	grep -qi 'Re-using existing connection' "$err" || fail "curl did not reuse the connection"
	[ "$(grep -ci '^< Transfer-Encoding: chunked' "$err")" -eq 2 ] || fail "the responses were not chunked"
}

@test "framing: without Content-Length HTTP/1.0 gets a close-delimited body" {
	start_server listen
	raw 'GET /cgi-bin/t3-resp.sh?chunk HTTP/1.0\r\n\r\n'
	assert_code 200
	refute_header Transfer-Encoding
	refute_header Content-Length
	[ "$(cat "$BODY")" = T3-CHUNKED ] && [ "$(wc -c <"$BODY")" -eq 11 ] ||
		fail "body: $(od -c "$BODY" | head -n 5)"
	http GET '/cgi-bin/t3-resp.sh?chunk' -0
	assert_code 200
	refute_header Transfer-Encoding
	assert_body T3-CHUNKED
}

# --- checks before a program runs -----------------------------------------------

@test "a group-writable script: 403 and a log line; --allow-writable-scripts runs it" {
	printf '#!/bin/sh\nprintf "Content-Type: text/plain\\n\\n"\necho T3-GW-RAN\n' >"$ROOT/cgi-bin/t3-gw.sh"
	chmod 775 "$ROOT/cgi-bin/t3-gw.sh"
	start_server listen
	http GET /cgi-bin/t3-gw.sh
	assert_code 403
	refute_body_contains T3-GW-RAN
	wait_log '/cgi-bin/t3-gw\.sh: group or world writable'
	stop_server
	start_server listen --allow-writable-scripts
	http GET /cgi-bin/t3-gw.sh
	assert_code 200
	assert_body T3-GW-RAN
}

@test "a non-executable file under /cgi-bin/: 403, its source never sent" {
	printf '#!/bin/sh\n# T3-SOURCE-SECRET\nprintf "Content-Type: text/plain\\n\\n"\necho T3-NOEXEC-RAN\n' >"$ROOT/cgi-bin/t3-noexec.sh"
	chmod 644 "$ROOT/cgi-bin/t3-noexec.sh"
	start_server listen
	http GET /cgi-bin/t3-noexec.sh
	assert_code 403
	refute_body_contains T3-SOURCE-SECRET
	refute_body_contains T3-NOEXEC-RAN
	refute_body_contains '#!/bin/sh'
	raw 'HEAD /cgi-bin/t3-noexec.sh HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'
	assert_code 403
	grep -q T3-SOURCE-SECRET "$RAW" && fail "the source reached the client"
	true
}

# --- failures -----------------------------------------------------------------

@test "a local redirect loop ends with 500 after 8 redirects, and a log line" {
	start_server listen
	http GET /cgi-bin/t3-loop.sh
	assert_code 500
	wait_log 'error: too many local redirects'
	# The first run and the 8 redirects followed.
	wait_log '/cgi-bin/t3-loop\.sh: T3-LOOP-RUN' 9
	local n
	n=$(log_count 'T3-LOOP-RUN')
	[ "$n" -eq 9 ] || fail "the script ran $n times, expected 9"
}

@test "a script failing before output: 500; stderr lines logged with its path" {
	start_server listen
	http GET /cgi-bin/t3-fail.sh
	assert_code 500
	refute_body_contains T3-FAIL-STDERR
	wait_log 'cgid\[[0-9]+\]: /cgi-bin/t3-fail\.sh: T3-FAIL-STDERR first line$'
	wait_log 'cgid\[[0-9]+\]: /cgi-bin/t3-fail\.sh: T3-FAIL-STDERR second line$'
}

@test "a line of stderr written in pieces is one line of the log" {
	make_script pieces.pl '#!/usr/bin/perl' '$| = 1; select(STDERR); $| = 1;' \
		'print STDERR "T3-PIECES one "; select(undef, undef, undef, 0.3);' \
		'print STDERR "two\n"; print STDOUT "Content-Type: text/plain\n\nok\n";'
	start_server listen
	http GET /cgi-bin/pieces.pl
	rm -f "$ROOT/cgi-bin/pieces.pl"
	assert_code 200
	wait_log 'pieces\.pl: T3-PIECES one two$'
	grep -Eq 'pieces\.pl: T3-PIECES one $' "$LOG" && fail "the line was logged in two"
	return 0
}

@test "SIGCHLD ignored by the super-server: scripts' exits are still seen" {
	command -v systemd-socket-activate >/dev/null || skip "no systemd-socket-activate"
	make_script no-interp.sh '#!/nonexistent/interpreter'
	local real=$CGID
	CGID=$BATS_TEST_TMPDIR/ignore-chld
	printf '%s\n' '#!/usr/bin/perl' '$SIG{CHLD} = "IGNORE";' "exec '$real', @ARGV or die;" >"$CGID"
	chmod 755 "$CGID"
	start_server sd-inetd
	CGID=$real
	local rc=0
	http GET /cgi-bin/no-interp.sh || rc=$?
	rm -f "$ROOT/cgi-bin/no-interp.sh"
	[ "$rc" -eq 0 ] || fail "no answer"
	assert_code 500
	wait_log 'no-interp\.sh: could not be executed'
}

@test "signals ignored by whoever started cgid are not ignored by scripts" {
	make_script sigign.sh '#!/bin/sh' 'printf "Content-Type: text/plain\n\n"' \
		'exec grep "^SigIgn:" /proc/self/status'
	local real=$CGID
	CGID=$BATS_TEST_TMPDIR/ignore-sigs
	# by system call: libc refuses to set the signals it reserves (32,
	# 33), which a starter can leave ignored all the same
	printf '%s\n' '#include <signal.h>' '#include <sys/syscall.h>' \
		'#include <unistd.h>' 'int main(int argc, char **argv) {' \
		'	static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGUSR1,' \
		'		SIGUSR2, SIGALRM, SIGTERM, 32, 33 };' \
		'	unsigned long ign[4] = { (unsigned long)SIG_IGN };' \
		'	for (unsigned i = 0; i < sizeof sigs / sizeof *sigs; i++)' \
		'		syscall(SYS_rt_sigaction, sigs[i], ign, 0, 8);' \
		'	(void)argc;' "	execv(\"$real\", argv);" '	return 127; }' \
		>"$BATS_TEST_TMPDIR/ignore-sigs.c"
	cc -o "$CGID" "$BATS_TEST_TMPDIR/ignore-sigs.c" || fail "cannot build the starter"
	# a listener sets them back once; a process per connection before
	# each program
	local mode
	for mode in listen sd-inetd; do
		start_server "$mode"
		http GET /cgi-bin/sigign.sh
		assert_code 200
		assert_body "$(printf 'SigIgn:\t0000000000000000')"
		stop_server
	done
	CGID=$real
	rm -f "$ROOT/cgi-bin/sigign.sh"
}

@test "a script exiting 0 without output: 502" {
	start_server listen
	http GET /cgi-bin/t3-silent.sh
	assert_code 502
	refute_body_contains T3-SILENT-STDERR
	wait_log 'cgid\[[0-9]+\]: /cgi-bin/t3-silent\.sh: T3-SILENT-STDERR$'
}

@test "a body taken whole but not read by its script: the connection goes on, or the response says close" {
	# RFC 9112 §9.6: a connection is closed after a response that says
	# close, never after one that lets the client send its next request
	# on it.  The script reads nothing; its body fills the stdin pipe
	# (1 MiB), and its last bytes are taken from the client all the same.
	start_server listen
	make_script t-noread.sh '#!/bin/sh' 'sleep 1' \
		"printf 'Content-Type: text/plain\\nContent-Length: 3\\n\\nok\\n'"
	local req=$BATS_TEST_TMPDIR/noread.req
	perl -e 'print "POST /cgi-bin/t-noread.sh HTTP/1.1\r\nHost: x\r\n",
		"Content-Length: 1100000\r\n\r\n", "x" x 1100000,
		"GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"' >"$req"
	raw_file "$req"
	perl -e '
		open(my $f, "<", $ARGV[0]) or die; binmode $f;
		my $all = do { local $/; <$f> };
		$all =~ m{\AHTTP/1\.1 200 [^\r\n]*\r\n((?:[^\r\n]+\r\n)*)\r\nok\n(.*)\z}s
			or die "no answer from the script\n";
		my ($head, $rest) = ($1, $2);
		exit 0 if $head =~ /^Connection: close\r$/mi;
		$rest =~ m{\AHTTP/1\.1 200 .*\r\n\r\nhello, world\n\z}s
			or die "closed after a response that did not say close\n";
	' "$RAW" || { show_file "response" "$RAW" >&2; fail "wrong end of the connection"; }
}
