#!/usr/bin/env bats
# Command line, HTTP protocol handling, error responses, logging and the
# CGI/1.1 interface, with cgid listening itself (-l).

load lib
bats_require_minimum_version 1.5.0

setup_file() {
	prepare_root
}

teardown() {
	common_teardown
}

# run_cgid ARGS...  -- run cgid in the foreground (bounded), stdout in
# $output, stderr in $stderr, exit status in $status.
run_cgid() {
	SAN_DIR=$BATS_TEST_TMPDIR/sanitizer
	mkdir -p "$SAN_DIR"
	export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:log_path=$SAN_DIR/asan"
	export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$SAN_DIR/ubsan"
	run --separate-stderr timeout 10 "$CGID" "$@" </dev/null
}

# A request head with the given extra header lines (escapes as for raw,
# left for raw to interpret).
get_with() {
	printf '%s' "GET /hello.txt HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n$1Connection: close\\r\\n\\r\\n"
}

# Every error response closes the connection and is dated and signed.
assert_error_response() {
	assert_code_in "$@"
	assert_header Connection close
	assert_header Date
	assert_header Server
}

# --- command line -----------------------------------------------------------

@test "--help prints usage and exits 0" {
	run_cgid --help
	[ "$status" -eq 0 ] || fail "exit status $status"
	[[ $output == *cgid* ]] || fail "no usage on stdout: $output"
	[[ $output == *ROOT* || $output == *[Uu]sage* ]] || fail "no usage on stdout: $output"
}

@test "--version prints the version and exits 0" {
	run_cgid --version
	[ "$status" -eq 0 ] || fail "exit status $status"
	[[ $output =~ ^cgid\ [0-9] ]] || fail "unexpected version output: $output"
}

@test "missing ROOT: exit status 2 and a message on stderr" {
	run_cgid
	[ "$status" -eq 2 ] || fail "exit status $status"
	[ -n "$stderr" ] || fail "nothing on stderr"
	# the message names nothing after it: no dangling ": "
	[ "${stderr%%$'\n'*}" = "cgid: missing ROOT" ] || fail "message: $stderr"
	run_cgid "$ROOT" extra
	[ "$status" -eq 2 ] || fail "exit status $status with two arguments"
	[ "${stderr%%$'\n'*}" = "cgid: too many arguments" ] || fail "message: $stderr"
}

@test "an unknown option: exit status 2 and a message on stderr" {
	run_cgid --bogus "$ROOT"
	[ "$status" -eq 2 ] || fail "exit status $status"
	[ -n "$stderr" ] || fail "nothing on stderr"
	[ -z "$output" ] || fail "something on stdout: $output"
}

@test "a value given to an option that takes none: exit status 2, the option named" {
	local args
	for args in --allow-root=1 --https= --bogus=1; do
		run_cgid "$args" "$ROOT"
		[ "$status" -eq 2 ] || fail "exit status $status for $args"
		[ "${stderr%%$'\n'*}" = "cgid: invalid option: $args" ] ||
			fail "for $args: $stderr"
	done
}

@test "unknown option with -l: exit status 2, nothing served" {
	local port
	port=$(free_port)
	run_cgid -l "127.0.0.1:$port" --bogus "$ROOT"
	[ "$status" -eq 2 ] || fail "exit status $status"
	! port_listening "$port" || fail "something listens on $port"
}

@test "ROOT that is not a directory: exit status 1" {
	local port
	port=$(free_port)
	run_cgid -l "127.0.0.1:$port" "$ROOT/hello.txt"
	[ "$status" -eq 1 ] || fail "exit status $status for a file"
	[ -n "$stderr" ] || fail "nothing on stderr"
	run_cgid -l "127.0.0.1:$port" "$BATS_TEST_TMPDIR/does-not-exist"
	[ "$status" -eq 1 ] || fail "exit status $status for a missing path"
	[ -n "$stderr" ] || fail "nothing on stderr"
}

# --- documents --------------------------------------------------------------

@test "GET /: index.html with full headers" {
	start_server listen
	http GET /
	assert_code 200
	assert_body_contains "<h1>cgid test root</h1>"
	assert_header_match Content-Type '^text/html'
	assert_header Content-Length "$(wc -c <"$ROOT/index.html" | tr -d ' ')"
	local date='^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$'
	assert_header_match Date "$date"
	assert_header_match Last-Modified "$date"
	assert_header_match Server '^cgid'
}

@test "a large document arrives intact" {
	head -c 3000000 /dev/urandom >"$ROOT/large.bin"
	start_server listen
	http GET /large.bin
	assert_code 200
	assert_header Content-Length 3000000
	cmp "$ROOT/large.bin" "$BODY" || fail "the body differs from the file"
}

@test "Range: bytes=0-4 gives 206 and five bytes" {
	start_server listen
	http GET /hello.txt -H 'Range: bytes=0-4'
	assert_code 206
	assert_header_match Content-Range '^bytes 0-4/13$'
	assert_body hello
}

@test "If-Modified-Since the Last-Modified date: 304 without a body" {
	start_server listen
	http GET /hello.txt
	assert_code 200
	local lm
	lm=$(header Last-Modified)
	http GET /hello.txt -H "If-Modified-Since: $lm"
	assert_code 304
	assert_body_empty
}

@test "OPTIONS on a document: 204 with Allow" {
	start_server listen
	http OPTIONS /hello.txt
	assert_code 204
	assert_header_match Allow 'GET'
	assert_body_empty
}

@test "HTTP/1.1 request without Host: 400" {
	start_server listen
	raw 'GET /hello.txt HTTP/1.1\r\nConnection: close\r\n\r\n'
	assert_error_response 400
}

@test "conflicting body framing: 400" {
	start_server listen
	# Two different lengths.
	raw 'POST /cgi-bin/echo.pl HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd'
	assert_error_response 400
	refute_body_contains abc
	# Content-Length together with chunked.
	raw 'POST /cgi-bin/echo.pl HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'
	assert_error_response 400
	refute_body_contains abc
}

@test "HTTP/1.0 request: answered, then the connection is closed" {
	start_server listen
	raw 'GET /hello.txt HTTP/1.0\r\n\r\n'
	assert_code 200
	assert_body "hello, world"
	[[ $(status_line) =~ ^HTTP/1\.[01]\ 200 ]] || fail "status line: $(status_line)"
}

@test "a plain file outside cgi-bin is served, not run" {
	start_server listen
	http GET /sub/tool.run
	assert_code 200
	assert_body_contains "RUN-EXT-MARKER"
	assert_body_contains "#!/bin/sh"
}

@test "a .cgi file outside cgi-bin is run" {
	start_server listen
	http GET /sub/script.cgi
	assert_code 200
	assert_body EXT-CGI-MARKER
}

@test "--cgi-ext replaces the default suffix" {
	start_server listen --cgi-ext .run
	http GET /sub/tool.run
	assert_code 200
	assert_body RUN-EXT-MARKER
	http GET /sub/script.cgi
	assert_code 200
	assert_body_contains "#!/bin/sh"
}

@test "-l [::1]:PORT serves IPv6 clients" {
	perl -MIO::Socket::IP -e 'IO::Socket::IP->new(Listen => 1, LocalHost => "::1") or exit 1' ||
		skip "no IPv6 loopback here"
	start_server listen6
	http GET /hello.txt
	assert_code 200
	assert_body "hello, world"
	http GET /cgi-bin/env.sh
	assert_code 200
	assert_env REMOTE_ADDR=::1
	assert_env "SERVER_PORT=$PORT"
	# no Host: SERVER_NAME is the address, in brackets (RFC 3875 §4.1.14)
	run perl -MIO::Socket::IP -e '
		my $s = IO::Socket::IP->new(PeerHost => "::1", PeerPort => $ARGV[0])
			or die "connect: $!\n";
		print $s "GET /cgi-bin/env.sh HTTP/1.0\r\n\r\n";
		local $/;
		print <$s>;' "$PORT"
	[ "$status" -eq 0 ] || fail "$output"
	grep -qx 'SERVER_NAME=\[::1\]' <<<"$output" || fail "$(grep SERVER_NAME <<<"$output")"
}

@test "-l given twice: both addresses are served" {
	local port2
	port2=$(free_port)
	start_server listen -l "127.0.0.1:$port2"
	wait_port "$port2"
	http GET /hello.txt
	assert_code 200
	PORT=$port2 http GET /cgi-bin/env.sh
	assert_code 200
	assert_env "SERVER_PORT=$port2"
}

@test "two requests on one connection" {
	start_server listen
	raw 'GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /other.html HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'
	assert_code 200
	assert_body_contains "hello, world"
	assert_body_contains OTHER-PAGE-MARKER
	[ "$(grep -c '^HTTP/1.1 200 ' "$RAW")" -eq 2 ] || fail "expected two responses"
}

# --- malformed and refused requests -----------------------------------------

@test "malformed request line: 400" {
	start_server listen
	raw 'GARBAGE\r\n\r\n'
	assert_error_response 400
	raw 'GET /hello.txt FOO/1.1\r\nHost: 127.0.0.1\r\n\r\n'
	assert_error_response 400
}

@test "header field without a colon: 400" {
	start_server listen
	raw "$(get_with 'NoColonHere\r\n')"
	assert_error_response 400
}

@test "whitespace between field name and colon: 400" {
	start_server listen
	raw "$(get_with 'X-Spaced : value\r\n')"
	assert_error_response 400
}

@test "HTTP/2.0 and HTTP/3.1: 505" {
	start_server listen
	raw 'GET /hello.txt HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n'
	assert_error_response 505
	raw 'GET /hello.txt HTTP/3.1\r\nHost: 127.0.0.1\r\n\r\n'
	assert_error_response 505
}

@test "URI longer than 8 KiB: 414" {
	start_server listen
	local long
	long=$(head -c 9000 /dev/zero | tr '\0' a)
	raw "GET /$long HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
	assert_error_response 414
}

@test "more than 100 header fields: 431" {
	start_server listen
	local fields='' i
	for ((i = 0; i < 110; i++)); do
		fields+="X-Field-$i: $i\r\n"
	done
	raw "$(get_with "$fields")"
	assert_error_response 431
}

@test "request head over 16 KiB: 431" {
	start_server listen
	local fields='' i value
	value=$(head -c 1000 /dev/zero | tr '\0' v)
	for ((i = 0; i < 20; i++)); do
		fields+="X-Big-$i: $value\r\n"
	done
	raw "$(get_with "$fields")"
	assert_error_response 431
}

@test "unknown method on a document: 405 or 501" {
	start_server listen
	raw 'BREW /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'
	assert_error_response 405 501
}

@test "PUT to a document: 405 with Allow" {
	start_server listen
	http PUT /hello.txt --data-binary 'new content'
	assert_code 405
	assert_header_match Allow 'GET'
	assert_header Connection close
	[ "$(cat "$ROOT/hello.txt")" = "hello, world" ] || fail "the document changed"
}

@test "path traversal does not disclose /etc/passwd" {
	start_server listen
	local path
	for path in /../etc/passwd /%2e%2e/%2e%2e/etc/passwd /../../../../../../etc/passwd \
		/cgi-bin/../../../../../etc/passwd /dir/..%2f..%2f..%2f..%2fetc/passwd \
		/%2E%2E/%2E%2E/%2E%2E/%2E%2E/etc/passwd; do
		raw "GET $path HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
		assert_code_in 400 404 || fail "for $path"
		refute_body_contains 'root:' || fail "for $path"
	done
}

# --- CGI responses ----------------------------------------------------------

@test "missing CGI program: 404" {
	start_server listen
	http GET /cgi-bin/no-such-script
	assert_code 404
}

@test "group- or world-writable CGI program is refused" {
	cp "$ROOT/cgi-bin/env.sh" "$ROOT/cgi-bin/writable.sh"
	chmod 777 "$ROOT/cgi-bin/writable.sh"
	start_server listen
	http GET /cgi-bin/writable.sh
	assert_code_in 403 500
	refute_body_contains GATEWAY_INTERFACE
}

@test "chunked POST reaches the CGI with CONTENT_LENGTH" {
	start_server listen
	local data=$BATS_TEST_TMPDIR/post.data
	printf 'chunked body\nsecond line\n' >"$data"
	http POST /cgi-bin/echo.pl --data-binary "@$data" -H 'Transfer-Encoding: chunked'
	assert_code 200
	assert_header X-Body-Length "$(wc -c <"$data" | tr -d ' ')"
	cmp "$data" "$BODY" || fail "echoed body differs from the request body"
}

@test "CGI output without a header block: 502, output not relayed" {
	start_server listen
	http GET /cgi-bin/garbage.sh
	assert_code 502
	refute_body_contains GARBAGE-OUTPUT
	assert_header Connection close
}

@test "CGI Status header sets the status line" {
	start_server listen
	http GET /cgi-bin/status.sh
	[ "$(status_line)" = "HTTP/1.1 404 Not Here" ] || fail "status line: $(status_line)"
	assert_body STATUS-SCRIPT-BODY
	refute_header Status
}

@test "CGI absolute Location without Status: 302" {
	start_server listen
	http GET /cgi-bin/redirect.sh
	assert_code 302
	assert_header Location http://example.com/
}

@test "CGI local redirect: the server serves the new path" {
	start_server listen
	http GET /cgi-bin/local-redirect.sh
	assert_code 200
	assert_body_contains OTHER-PAGE-MARKER
	refute_header Location
}

@test "CGI Location with a path and a fragment: 302 to the client, not a local redirect" {
	# RFC 3986 §3.5: the fragment is the client's; served locally it
	# became part of the file name (404)
	make_script frag.sh '#!/bin/sh' "printf 'Location: /hello.txt#top\\r\\n\\r\\n'"
	start_server listen
	http GET /cgi-bin/frag.sh
	rm -f "$ROOT/cgi-bin/frag.sh"
	assert_code 302
	assert_header Location '/hello.txt#top'
}

@test "CGI stderr goes to the log, not to the client" {
	start_server listen
	http GET /cgi-bin/stderr.sh
	assert_code 200
	assert_body STDOUT-BODY
	refute_body_contains STDERR-MARKER
	wait_log 'STDERR-MARKER-4711 something went sideways'
	grep 'STDERR-MARKER-4711' "$LOG" | grep -q '/cgi-bin/stderr\.sh' ||
		fail "script name missing from the log line: $(grep STDERR-MARKER "$LOG")"
}

@test "HEAD on a CGI: headers only" {
	start_server listen
	raw 'HEAD /cgi-bin/hello HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'
	assert_code 200
	assert_header X-Cgi-Language C
	assert_body_empty
}

@test "as root, scripts are refused without --allow-root" {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	ALLOW_ROOT=no start_server listen
	http GET /cgi-bin/hello
	assert_code 500
	refute_body_contains "Hello from C"
	wait_log 'error: .*root'
	# RFC 9110 §10.1.1: decided from the head, so no 100 Continue first
	raw 'POST /cgi-bin/hello HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\nConnection: close\r\n\r\n'
	assert_code 500
	! grep -aq '100 Continue' "$RAW" || fail "100 Continue before the refusal"
}

@test "CGI working directory is the script's directory" {
	start_server listen
	http GET /cgi-bin/pwd.sh
	assert_code 200
	assert_body "$(cd "$ROOT/cgi-bin" && pwd -P)"
}

@test "CGI gets only file descriptors 0, 1 and 2" {
	start_server listen
	http GET /cgi-bin/fds.sh
	assert_code 200
	assert_body "$(printf '0\n1\n2')"
}

@test "CGI gets only 0, 1 and 2 on a kernel without close_range, descriptors inherited too" {
	# close_range(2) made to fail as before Linux 5.9, and descriptors
	# that cgid's own parent left open, one above the soft limit of open
	# files that cgid starts with
	[ "$(ulimit -Hn)" -ge 4000 ] || skip "the hard limit of open files is below 4000"
	nosys_wrapper close_range -- "exec 7<'$ROOT/hello.txt' 3999<'$ROOT/hello.txt'" \
		"ulimit -Sn 1024"
	start_server listen
	CGID=$REAL_CGID
	[ -e "/proc/$SERVER_PID/fd/7" ] || fail "cgid did not inherit fd 7"
	[ -e "/proc/$SERVER_PID/fd/3999" ] || fail "cgid did not inherit fd 3999"
	http GET /cgi-bin/fds.sh
	assert_code 200
	assert_body "$(printf '0\n1\n2')"
}

@test "CGI environment (RFC 3875 meta-variables)" {
	start_server listen
	http GET '/cgi-bin/env.sh/extra/path?a=1&b=%41%20c&c=%2F' \
		-A 'cgid-test/1.0' -H 'X-Test-Header: yes' -H 'Proxy: http://127.0.0.1:9/'
	assert_code 200
	assert_env GATEWAY_INTERFACE=CGI/1.1
	assert_env SERVER_PROTOCOL=HTTP/1.1
	assert_env REQUEST_METHOD=GET
	assert_env SCRIPT_NAME=/cgi-bin/env.sh
	assert_env PATH_INFO=/extra/path
	assert_env 'QUERY_STRING=a=1&b=%41%20c&c=%2F'
	assert_env REMOTE_ADDR=127.0.0.1
	assert_env "SERVER_PORT=$PORT"
	assert_env_set SERVER_NAME
	assert_env_set SERVER_SOFTWARE
	assert_env HTTP_USER_AGENT=cgid-test/1.0
	assert_env HTTP_X_TEST_HEADER=yes
	assert_env "HTTP_HOST=127.0.0.1:$PORT"
	refute_leaks
}

@test "CGI environment for POST has CONTENT_LENGTH and CONTENT_TYPE" {
	start_server listen
	http POST /cgi-bin/env.sh --data-binary 'a=1&b=2' \
		-H 'Content-Type: application/x-www-form-urlencoded'
	assert_code 200
	assert_env REQUEST_METHOD=POST
	assert_env CONTENT_LENGTH=7
	assert_env CONTENT_TYPE=application/x-www-form-urlencoded
	refute_leaks
}

@test "large POST streamed through a CGI that echoes as it reads" {
	start_server listen
	local data=$BATS_TEST_TMPDIR/big.data
	head -c 262144 /dev/urandom >"$data"
	http POST /cgi-bin/cat.sh --data-binary "@$data" -H 'Content-Type: application/octet-stream'
	assert_code 200
	cmp "$data" "$BODY" || fail "echoed body differs ($(wc -c <"$BODY") bytes back)"
}

@test "large POST to a CGI that does not read it still gets an answer" {
	start_server listen
	local data=$BATS_TEST_TMPDIR/big.data
	head -c 262144 /dev/zero >"$data"
	http POST /cgi-bin/env.sh --data-binary "@$data" -H 'Content-Type: application/octet-stream'
	assert_code 200
	assert_env CONTENT_LENGTH=262144
	server_alive || fail "the server died"
}

# --- logging ----------------------------------------------------------------

@test "one access log line per request, in Combined Log Format" {
	start_server listen
	http GET '/hello.txt?log=1' -A 'log-agent/2' -e 'http://referer.example/'
	assert_code 200
	http GET '/no-such.html?log=2'
	assert_code 404
	http GET '/cgi-bin/hello?log=3'
	assert_code 200
	wait_log '"GET /cgi-bin/hello\?log=3 HTTP/1\.1" 200 '
	wait_log '"GET /no-such\.html\?log=2 HTTP/1\.1" 404 '
	local i
	for i in 1 2 3; do
		[ "$(log_count "^127\.0\.0\.1 .*\?log=$i HTTP/1\.1\" ")" -eq 1 ] ||
			fail "expected one access line for log=$i"
	done
	local line
	line=$(grep '?log=1 ' "$LOG")
	[[ $line =~ ^127\.0\.0\.1\ -\ -\ \[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2}\ [-+][0-9]{4}\]\ \"GET\ /hello\.txt\?log=1\ HTTP/1\.1\"\ 200\ 13\ \"http://referer\.example/\"\ \"log-agent/2\"\ [0-9]+$ ]] ||
		fail "access line not in Combined Log Format plus duration: $line"
}

@test "an access line stays whole with a 3000-byte request line and long fields" {
	start_server listen
	local q r
	q=$(head -c 3000 /dev/zero | tr '\0' q)
	r=$(head -c 300 /dev/zero | tr '\0' r)
	http GET "/hello.txt?$q" -H "User-Agent: agent-$r" -H "Referer: http://ref.example/$r"
	assert_code 200
	wait_log '" 200 13 "http://ref\.example/r+" "agent-r+" [0-9]+$'
	[[ $(grep -c "^127\.0\.0\.1 - - .*GET /hello\.txt?q\{3000\} HTTP/1\.1\" 200 13 " "$LOG") -eq 1 ]] ||
		fail "$(cut -c 1-300 "$LOG")"
}

@test "the log never holds a request's header fields" {
	start_server listen
	http GET /no-such-page.html -H 'Cookie: id=COOKIE-SECRET-123'
	assert_code 404
	raw 'GET /hello.txt HTTP/9.9\r\nHost: 127.0.0.1\r\nCookie: s=COOKIE-SECRET-456\r\n\r\n'
	assert_code 505
	wait_log '"GET /no-such-page\.html HTTP/1\.1" 404 '
	wait_log ' 505 '
	if grep -E 'COOKIE-SECRET|Cookie:|User-Agent:' "$LOG"; then
		fail "request header fields were written to the log"
	fi
}

@test "refused requests are logged too" {
	start_server listen
	raw 'GET /hello.txt HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n'
	assert_code 505
	# The request line as the client sent it.
	wait_log '"GET /hello\.txt HTTP/2\.0" 505 '
	raw 'GARBAGE\r\n\r\n'
	assert_code 400
	wait_log ' 400 [0-9-]+ '
}

# --- the demo site ------------------------------------------------------------

@test "demo site: start page, env.cgi and the form" {
	ROOT=$BATS_TEST_TMPDIR/demo
	cp -R "$TOP_DIR/examples/www" "$ROOT"
	chmod -R go-w "$ROOT"
	start_server listen
	http GET /
	assert_code 200
	assert_body_contains 'href="form.html"'
	http GET /form.html
	assert_code 200
	assert_body_contains 'action="cgi-bin/form.cgi"'
	http GET '/cgi-bin/env.cgi?a=1&b=2'
	assert_code 200
	assert_header_match Content-Type '^text/html'
	assert_body_contains '<tr><th>GATEWAY_INTERFACE</th><td>CGI/1.1</td></tr>'
	assert_body_contains '<tr><th>QUERY_STRING</th><td>a=1&amp;b=2</td></tr>'
	http POST /cgi-bin/form.cgi --data-binary 'name=Ada+%26+%3Cb%3E&colour=green' \
		-H 'Content-Type: application/x-www-form-urlencoded'
	assert_code 200
	assert_body_contains '<tr><th>name</th><td>Ada &amp; &lt;b&gt;</td></tr>'
	assert_body_contains '<tr><th>colour</th><td>green</td></tr>'
}

@test "demo site: make run serves it from a checkout made under umask 002" {
	# group-writable scripts are refused (403): make run takes the
	# group's and others' write permission off the demo tree first
	local src=$BATS_TEST_TMPDIR/src
	mkdir "$src"
	cp -R "$TOP_DIR/Makefile" "$TOP_DIR"/*.c "$TOP_DIR"/*.h "$TOP_DIR/examples" "$src/"
	chmod -R g+w "$src/examples"
	PORT=$(free_port)
	HOST=127.0.0.1
	setsid make -s -C "$src" run DEMO_ADDR="127.0.0.1:$PORT" \
		>"$BATS_TEST_TMPDIR/run.out" 2>&1 </dev/null &
	SERVER_PID=$!
	WAIT_TENTHS=900 wait_port "$PORT" ||
		fail "make run: $(cat "$BATS_TEST_TMPDIR/run.out")"
	http GET '/cgi-bin/env.cgi?a=1'
	assert_code 200
	assert_body_contains '<tr><th>QUERY_STRING</th><td>a=1</td></tr>'
}

@test "access log: a kept-alive request's time leaves out the idle wait before it" {
	start_server listen
	timeout 10 perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new("127.0.0.1:$ARGV[0]") or die;
		print $s "GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n"; sleep 2;
		print $s "GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
		1 while <$s>;' "$PORT"
	wait_log '"GET /hello\.txt HTTP/1\.1" 200 ' 2
	local t
	t=$(grep '"GET /hello\.txt' "$LOG" | tail -n 1 | awk '{print $NF}')
	[ "$t" -lt 1000000 ] || fail "second request logged as taking $t us"
}
