#!/usr/bin/env bats
# The same basic checks under every way cgid can be started: listening
# itself (-l), systemd socket activation with and without --accept and in
# inetd style, and UCSPI (tcpserver).  Each uses the real activator.

load lib

setup_file() {
	prepare_root
}

teardown() {
	common_teardown
}

# --- checks -----------------------------------------------------------------

check_document() {
	http GET /hello.txt
	assert_code 200
	assert_body "hello, world"
	assert_header_match Content-Type '^text/plain'
	assert_header Content-Length 13
	assert_header Last-Modified
	assert_header Date
	assert_header Server

	http GET /index.html
	assert_code 200
	assert_body_contains "<h1>cgid test root</h1>"
	assert_header_match Content-Type '^text/html'
	assert_header Content-Length "$(wc -c <"$ROOT/index.html" | tr -d ' ')"
}

check_head() {
	raw 'HEAD /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'
	assert_code 200
	assert_header Content-Length 13
	assert_header_match Content-Type '^text/plain'
	assert_header Last-Modified
	assert_body_empty
}

check_not_found() {
	http GET /no-such-file.html
	assert_code 404
	assert_header Connection close
	refute_body_contains "cgid test root"
}

check_dir_redirect() {
	http GET /dir
	assert_code 301
	assert_header_match Location '^(http://[^/]+)?/dir/$'
}

check_dir_index() {
	http GET /dir/
	assert_code 200
	assert_body_contains DIR-INDEX-MARKER
	assert_header_match Content-Type '^text/html'
}

check_cgi_env() {
	http GET '/cgi-bin/env.sh/extra/path?x=1&y=%41' \
		-A 'cgid-test/1.0' -H 'Proxy: http://127.0.0.1:9/' -H 'X-Test-Header: yes'
	assert_code 200
	assert_header_match Content-Type '^text/plain'
	assert_env GATEWAY_INTERFACE=CGI/1.1
	assert_env REQUEST_METHOD=GET
	assert_env SCRIPT_NAME=/cgi-bin/env.sh
	assert_env PATH_INFO=/extra/path
	assert_env 'QUERY_STRING=x=1&y=%41'
	assert_env REMOTE_ADDR=127.0.0.1
	assert_env "SERVER_PORT=$PORT"
	assert_env HTTP_USER_AGENT=cgid-test/1.0
	assert_env HTTP_X_TEST_HEADER=yes
	refute_leaks
}

check_post_length() {
	local data=$BATS_TEST_TMPDIR/post.data
	printf 'first line\nsecond line & more=stuff\n\001\002 binary\n' >"$data"
	http POST /cgi-bin/echo.pl --data-binary "@$data" -H 'Content-Type: application/octet-stream'
	assert_code 200
	assert_header X-Body-Length "$(wc -c <"$data" | tr -d ' ')"
	cmp "$data" "$BODY" || fail "echoed body differs from the request body"
}

check_post_eof() {
	local data=$BATS_TEST_TMPDIR/post.data
	printf 'read until end of input\nline two\n' >"$data"
	http POST /cgi-bin/cat.sh --data-binary "@$data" -H 'Content-Type: text/plain'
	assert_code 200
	cmp "$data" "$BODY" || fail "echoed body differs from the request body"
}

check_c_cgi() {
	http GET '/cgi-bin/hello?name=world'
	assert_code 200
	assert_header X-Cgi-Language C
	assert_body "$(printf 'Hello from C\nquery=name=world')"
}

check_several_connections() {
	local i
	for i in 1 2 3; do
		http GET "/hello.txt?seq=$i"
		assert_code 200
		assert_body "hello, world"
	done
	# A few at once, as separate connections.
	parallel_hello 4
}

# --- cgid -l ----------------------------------------------------------------

@test "listen: GET a document" { start_server listen; check_document; }
@test "listen: HEAD a document" { start_server listen; check_head; }
@test "listen: 404 for a missing file" { start_server listen; check_not_found; }
@test "listen: /dir redirects to /dir/" { start_server listen; check_dir_redirect; }
@test "listen: /dir/ serves its index.html" { start_server listen; check_dir_index; }
@test "listen: sh CGI environment" { start_server listen; check_cgi_env; }
@test "listen: POST read by CONTENT_LENGTH" { start_server listen; check_post_length; }
@test "listen: POST read to end of input" { start_server listen; check_post_eof; }
@test "listen: compiled C CGI" { start_server listen; check_c_cgi; }
@test "listen: several connections" { start_server listen; check_several_connections; }

# --- systemd-socket-activate --accept (connection on fd 3) ------------------

@test "sd-accept: GET a document" { start_server sd-accept; check_document; }
@test "sd-accept: HEAD a document" { start_server sd-accept; check_head; }
@test "sd-accept: 404 for a missing file" { start_server sd-accept; check_not_found; }
@test "sd-accept: /dir redirects to /dir/" { start_server sd-accept; check_dir_redirect; }
@test "sd-accept: /dir/ serves its index.html" { start_server sd-accept; check_dir_index; }
@test "sd-accept: sh CGI environment" { start_server sd-accept; check_cgi_env; }
@test "sd-accept: POST read by CONTENT_LENGTH" { start_server sd-accept; check_post_length; }
@test "sd-accept: POST read to end of input" { start_server sd-accept; check_post_eof; }
@test "sd-accept: compiled C CGI" { start_server sd-accept; check_c_cgi; }
@test "sd-accept: several connections" { start_server sd-accept; check_several_connections; }

# --- systemd-socket-activate --accept --inetd (connection on fd 0/1) --------

@test "sd-inetd: GET a document" { start_server sd-inetd; check_document; }
@test "sd-inetd: HEAD a document" { start_server sd-inetd; check_head; }
@test "sd-inetd: 404 for a missing file" { start_server sd-inetd; check_not_found; }
@test "sd-inetd: /dir redirects to /dir/" { start_server sd-inetd; check_dir_redirect; }
@test "sd-inetd: /dir/ serves its index.html" { start_server sd-inetd; check_dir_index; }
@test "sd-inetd: sh CGI environment" { start_server sd-inetd; check_cgi_env; }
@test "sd-inetd: POST read by CONTENT_LENGTH" { start_server sd-inetd; check_post_length; }
@test "sd-inetd: POST read to end of input" { start_server sd-inetd; check_post_eof; }
@test "sd-inetd: compiled C CGI" { start_server sd-inetd; check_c_cgi; }
@test "sd-inetd: several connections" { start_server sd-inetd; check_several_connections; }

# --- systemd-socket-activate without --accept (listening socket on fd 3) ----

@test "sd-listen: GET a document" { start_server sd-listen; check_document; }
@test "sd-listen: HEAD a document" { start_server sd-listen; check_head; }
@test "sd-listen: 404 for a missing file" { start_server sd-listen; check_not_found; }
@test "sd-listen: /dir redirects to /dir/" { start_server sd-listen; check_dir_redirect; }
@test "sd-listen: /dir/ serves its index.html" { start_server sd-listen; check_dir_index; }
@test "sd-listen: sh CGI environment" { start_server sd-listen; check_cgi_env; }
@test "sd-listen: POST read by CONTENT_LENGTH" { start_server sd-listen; check_post_length; }
@test "sd-listen: POST read to end of input" { start_server sd-listen; check_post_eof; }
@test "sd-listen: compiled C CGI" { start_server sd-listen; check_c_cgi; }
@test "sd-listen: several connections" { start_server sd-listen; check_several_connections; }

# --- tcpserver (UCSPI) ------------------------------------------------------

@test "tcpserver: GET a document" { start_server tcpserver; check_document; }
@test "tcpserver: HEAD a document" { start_server tcpserver; check_head; }
@test "tcpserver: 404 for a missing file" { start_server tcpserver; check_not_found; }
@test "tcpserver: /dir redirects to /dir/" { start_server tcpserver; check_dir_redirect; }
@test "tcpserver: /dir/ serves its index.html" { start_server tcpserver; check_dir_index; }
@test "tcpserver: sh CGI environment" { start_server tcpserver; check_cgi_env; }
@test "tcpserver: POST read by CONTENT_LENGTH" { start_server tcpserver; check_post_length; }
@test "tcpserver: POST read to end of input" { start_server tcpserver; check_post_eof; }
@test "tcpserver: compiled C CGI" { start_server tcpserver; check_c_cgi; }
@test "tcpserver: several connections" { start_server tcpserver; check_several_connections; }

# --- inetd and xinetd: fds 0, 1 and 2 are all the connection ----------------

# inetd_exchange REQUEST CGID-ARGUMENT...  -- cgid started as inetd does,
# with the connection on fds 0, 1 and 2; REQUEST (printf %b) is sent and
# what comes back until the close is in $RAW.
inetd_exchange() {
	local req=$BATS_TEST_TMPDIR/inetd.req
	RAW=$BATS_TEST_TMPDIR/inetd.raw
	printf '%b' "$1" >"$req"
	shift
	timeout 20 python3 - "$RAW" "$req" "$CGID" "$@" <<'PY'
import os, socket, sys
raw, req, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen(1)
c = socket.create_connection(l.getsockname())
a, _ = l.accept()
pid = os.fork()
if pid == 0:
    for fd in (0, 1, 2):
        os.dup2(a.fileno(), fd)
    os.execv(argv[0], argv)
a.close()
l.close()
c.sendall(open(req, "rb").read())
c.settimeout(10)
out = b""
try:
    while True:
        b = c.recv(65536)
        if not b:
            break
        out += b
except (socket.timeout, ConnectionResetError):
    pass
open(raw, "wb").write(out)
os.waitpid(pid, 0)
PY
}

@test "inetd, fd 2 the connection: errors of the start never reach the wire" {
	local args
	for args in "--bogus $ROOT" "--cgi-timeout" "--user no-such-user-here $ROOT" \
		"$ROOT/no-such-root" "--log /nonexistent/dir/log $ROOT"; do
		# shellcheck disable=SC2086
		inetd_exchange 'GET / HTTP/1.0\r\n\r\n' $args
		[ ! -s "$RAW" ] || fail "for '$args' the client got: $(cat -v "$RAW")"
	done
}

@test "inetd, fd 2 the connection: --log stderr writes no log line onto it" {
	inetd_exchange 'GET /no-such-file HTTP/1.0\r\n\r\n' --log stderr "$ROOT"
	head -c 12 "$RAW" | grep -qx 'HTTP/1.1 404' ||
		fail "the wire does not start with the status line: $(head -c 200 "$RAW" | cat -v)"
	! grep -aq 'cgid\[\|error:\|"GET /no-such-file' "$RAW" ||
		fail "a log line on the wire: $(cat -v "$RAW")"
}

@test "16 listening sockets from systemd and one -l more: refused, exit status 1" {
	# fds 3-18 listening, LISTEN_FDS=16, as systemd passes them
	local port
	port=$(free_port)
	run timeout 10 python3 - "$CGID" "$port" "$ROOT" <<'PY'
import os, socket, sys
cgid, port, root = sys.argv[1:]
socks = []
for i in range(16):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    os.dup2(s.fileno(), 3 + i)
    socks.append(s)
os.environ["LISTEN_FDS"] = "16"
os.environ["LISTEN_PID"] = str(os.getpid())
os.execv(cgid, [cgid, "-l", "127.0.0.1:" + port, "--log", "stderr", root])
PY
	[ "$status" -eq 1 ] || fail "exit status $status: $output"
	[[ $output == *"too many listening sockets"* ]] || fail "$output"
}
