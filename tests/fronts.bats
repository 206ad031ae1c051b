#!/usr/bin/env bats
# cgid behind front servers: SCGI and FastCGI (--protocol), with nginx and
# lighttpd started here on loopback with private configurations
# (tests/fronts/*.conf), over Unix sockets and TCP, in every activation
# mode; the protocols' rules with a raw client (tests/fronts/client.pl);
# -l unix:PATH; and units/cgid-fcgi.socket + cgid-fcgi@.service.
#
# The same CGI programs as in HTTP mode (tests/www) must give the same
# results through a front server as directly over HTTP.

load lib
load deploy/helpers

CLIENT=$BATS_TEST_DIRNAME/fronts/client.pl

setup_file() {
	prepare_root
	cp "$BATS_TEST_DIRNAME"/fronts/cgi-bin/* "$ROOT/cgi-bin/"
	# several MiB of random bytes, for sizes and hashes
	head -c 5000000 /dev/urandom >"$ROOT/data.bin"
	chmod -R u+rwX,go-w "$ROOT"
	ROOT_REAL=$(cd "$ROOT" && pwd -P)
	export ROOT_REAL
	DATA_SHA=$(sha256sum <"$ROOT/data.bin" | cut -d' ' -f1)
	export DATA_SHA
}

teardown() {
	stop_front
	stop_reference
	common_teardown
	show_file "front server error log" "${FRONT_DIR:-/nonexistent}/error.log" 30
}

# ---------------------------------------------------------------------------
# cgid, the front servers, and an HTTP-mode cgid to compare with

# start_cgid MODE ADDR [CGID OPTIONS...]
# MODE: listen (cgid -l), sd-accept, sd-inetd, sd-listen (systemd-socket-
# activate), tcpserver; ADDR: unix:PATH, or "tcp" for a free port on
# 127.0.0.1.  Sets CGID_ADDR (unix:PATH or 127.0.0.1:PORT) and what
# start_server sets, so that common_teardown stops it.
start_cgid() {
	local mode=$1 addr=$2 l path=
	shift 2
	server_files
	case $addr in
	unix:*)
		path=${addr#unix:}
		l=$path
		CGID_ADDR=$addr
		;;
	*)
		CGID_PORT=$(free_port)
		l=127.0.0.1:$CGID_PORT
		CGID_ADDR=$l
		;;
	esac
	cgid_opts
	sd_env
	local -a server=("$CGID" "${OPTS[@]}" "$@" "$ROOT") argv
	case $mode in
	listen) argv=("$CGID" -l "${path:+unix:}$l" "${OPTS[@]}" "$@" "$ROOT") ;;
	sd-accept) argv=(systemd-socket-activate "${SD_ENV[@]}" -l "$l" --accept "${server[@]}") ;;
	sd-inetd) argv=(systemd-socket-activate "${SD_ENV[@]}" -l "$l" --accept --inetd "${server[@]}") ;;
	sd-listen) argv=(systemd-socket-activate "${SD_ENV[@]}" -l "$l" "${server[@]}") ;;
	tcpserver) argv=(tcpserver -q -H -R -l localhost 127.0.0.1 "$CGID_PORT" "${server[@]}") ;;
	*)
		fail "start_cgid: unknown mode '$mode'"
		return 1
		;;
	esac
	local i
	: >"$SERVER_OUT"
	spawn_group "$BATS_TEST_TMPDIR/server.pid" "$SERVER_OUT" "${argv[@]}" ||
		return 1
	SERVER_PID=$SPAWNED
	if [ -z "$path" ]; then
		wait_port "$CGID_PORT" || {
			show_file "server output" "$SERVER_OUT" >&2
			return 1
		}
		return 0
	fi
	for ((i = 0; i < WAIT_TENTHS; i++)); do
		[ -S "$path" ] && return 0
		server_alive || break
		sleep 0.1
	done
	show_file "server output" "$SERVER_OUT" >&2
	fail "no socket at $path"
}

# A Unix socket path in this test's directory.
sock() {
	echo "unix:$BATS_TEST_TMPDIR/${1:-cgid}.sock"
}

# start_front CONF  -- nginx-fastcgi, nginx-fastcgi-keep,
# nginx-fastcgi-unbuffered, nginx-scgi, lighttpd-fastcgi or lighttpd-scgi
# from tests/fronts, in front of
# CGID_ADDR.  PORT becomes the front server's, for http().
start_front() {
	local conf=$1 cgid user=
	FRONT_DIR=$BATS_TEST_TMPDIR/front
	mkdir -p "$FRONT_DIR"
	PORT=$(free_port)
	HOST=127.0.0.1
	case $conf in
	nginx-*)
		command -v nginx >/dev/null || skip "nginx is not installed"
		[ -f /etc/nginx/fastcgi_params ] && [ -f /etc/nginx/scgi_params ] ||
			skip "nginx's fastcgi_params and scgi_params are missing"
		# the files that "include" names, next to the configuration
		cp /etc/nginx/fastcgi_params /etc/nginx/scgi_params "$FRONT_DIR/"
		[ "$(id -u)" -eq 0 ] && user="user root;"
		cgid=$CGID_ADDR
		;;
	lighttpd-*)
		command -v lighttpd >/dev/null || skip "lighttpd is not installed"
		case $CGID_ADDR in
		unix:*) cgid="\"socket\" => \"${CGID_ADDR#unix:}\"" ;;
		*) cgid="\"host\" => \"127.0.0.1\", \"port\" => ${CGID_ADDR##*:}" ;;
		esac
		;;
	esac
	sed -e "s|@DIR@|$FRONT_DIR|g" -e "s|@USER@|$user|" -e "s|@PORT@|$PORT|" \
		-e "s|@ROOT@|$ROOT|" -e "s|@CGID@|$cgid|" \
		"$BATS_TEST_DIRNAME/fronts/$conf.conf" >"$FRONT_DIR/front.conf"
	local -a argv
	case $conf in
	nginx-*) argv=(nginx -p "$FRONT_DIR" -c "$FRONT_DIR/front.conf"
		-e "$FRONT_DIR/error.log" -g 'daemon off;') ;;
	lighttpd-*) argv=(lighttpd -D -f "$FRONT_DIR/front.conf") ;;
	esac
	local i
	: >"$FRONT_DIR/out"
	spawn_group "$FRONT_DIR/front.pid" "$FRONT_DIR/out" "${argv[@]}" ||
		return 1
	FRONT_PID=$SPAWNED
	for ((i = 0; i < WAIT_TENTHS; i++)); do
		port_listening "$PORT" && return 0
		kill -0 "$FRONT_PID" 2>/dev/null || break
		sleep 0.1
	done
	show_file "front server output" "$FRONT_DIR/out" >&2
	show_file "front server error log" "$FRONT_DIR/error.log" >&2
	fail "$conf does not listen on $PORT"
}

stop_front() {
	[ -n "${FRONT_PID:-}" ] || return 0
	stop_group "$FRONT_PID"
	FRONT_PID=
}

# start_reference [CGID OPTIONS...]  -- an HTTP-mode cgid on REF_PORT, the
# reference for the same requests.
start_reference() {
	local i
	REF_PORT=$(free_port)
	REF_LOG=$BATS_TEST_TMPDIR/reference.log
	spawn_group "$BATS_TEST_TMPDIR/reference.pid" "$BATS_TEST_TMPDIR/reference.out" \
		"$CGID" -l "127.0.0.1:$REF_PORT" --log "$REF_LOG" \
		$([ "$(id -u)" -eq 0 ] && echo --allow-root) "$@" "$ROOT" || return 1
	REF_PID=$SPAWNED
	for ((i = 0; i < WAIT_TENTHS; i++)); do
		port_listening "$REF_PORT" && return 0
		sleep 0.1
	done
	fail "the reference cgid does not listen"
}

stop_reference() {
	[ -n "${REF_PID:-}" ] || return 0
	kill -TERM -- "-$REF_PID" 2>/dev/null || true
	sleep 0.1
	kill -KILL -- "-$REF_PID" 2>/dev/null || true
	REF_PID=
}

# fetch PORT OUT METHOD PATH [CURL OPTIONS...]  -- status, Content-Type,
# Location, X-Body-Length and the body's hash, one a line, into OUT.
fetch() {
	local port=$1 out=$2 method=$3 path=$4 h=$BATS_TEST_TMPDIR/f.head
	local b=$BATS_TEST_TMPDIR/f.body
	shift 4
	local -a m=()
	case $method in
	GET) ;;
	HEAD) m=(-I) ;;
	POST) m=(-H 'Expect:') ;;
	*) m=(-X "$method") ;;
	esac
	curl -sS --max-time 20 -o "$b" -D "$h" "${m[@]}" "$@" \
		"http://127.0.0.1:$port$path" || return 1
	{
		tr -d '\r' <"$h" | awk 'NR == 1 { print $2 }'
		tr -d '\r' <"$h" | grep -i '^\(content-type\|location\|x-body-length\|x-cgi-language\):' |
			tr 'A-Z' 'a-z' | sort
		# curl -I writes the head as the "body"
		[ "$method" = HEAD ] || sha256sum <"$b" | cut -d' ' -f1
	} >"$out"
}

# same_as_http METHOD PATH [CURL OPTIONS...]  -- the front server (PORT)
# and the HTTP-mode reference (REF_PORT) answer alike.
same_as_http() {
	local a=$BATS_TEST_TMPDIR/front.txt r=$BATS_TEST_TMPDIR/ref.txt
	fetch "$PORT" "$a" "$@" || fail "front server: curl failed for $*" || return 1
	fetch "$REF_PORT" "$r" "$@" || fail "reference: curl failed for $*" || return 1
	if ! cmp -s "$a" "$r"; then
		diff "$r" "$a" >&2
		fail "$1 $2: the front server's answer differs from HTTP mode's"
		return 1
	fi
}

# ---------------------------------------------------------------------------
# What every front configuration must do

# The test CGI programs give the same results as over HTTP.
check_same_as_http() {
	start_reference
	same_as_http GET '/cgi-bin/hello?a=b&c=%20d'
	same_as_http HEAD /cgi-bin/hello
	same_as_http GET /cgi-bin/status.sh
	same_as_http GET /cgi-bin/redirect.sh
	same_as_http GET /cgi-bin/local-redirect.sh
	same_as_http HEAD /cgi-bin/local-redirect.sh
	same_as_http GET /cgi-bin/redirect-cgi.sh
	same_as_http HEAD /cgi-bin/nobody.sh
	same_as_http GET '/cgi-bin/nobody.sh?204'
	same_as_http GET /cgi-bin/garbage.sh
	same_as_http GET /cgi-bin/stderr.sh
	same_as_http GET /cgi-bin/pwd.sh
	same_as_http GET /cgi-bin/fds.sh
	same_as_http GET /cgi-bin/exit3.sh
	same_as_http GET /cgi-bin/no-such-script
	same_as_http POST /cgi-bin/echo.pl --data-binary 'name=value&x=%41'
	same_as_http POST /cgi-bin/cat.sh --data-binary 'short body, read to its end'
	same_as_http GET /cgi-bin/big.sh
	same_as_http POST /cgi-bin/echo.pl --data-binary "@$ROOT/data.bin"
}

# The environment: the front's variables, cgid's, PATH_INFO, no leaks.
check_env() {
	http GET '/cgi-bin/env.sh/extra/path?q=1' -H 'Proxy: http://evil.example/' \
		-H 'Authorization: Basic dXNlcjpwYXNz' -H 'X-Custom: yes'
	assert_code 200
	assert_env "SCRIPT_NAME=/cgi-bin/env.sh"
	assert_env "PATH_INFO=/extra/path"
	assert_env "PATH_TRANSLATED=$ROOT_REAL/extra/path"
	assert_env "SCRIPT_FILENAME=$ROOT_REAL/cgi-bin/env.sh"
	assert_env "QUERY_STRING=q=1"
	assert_env "REQUEST_METHOD=GET"
	assert_env "REMOTE_ADDR=127.0.0.1"
	assert_env "GATEWAY_INTERFACE=CGI/1.1"
	assert_env "PATH=/usr/local/bin:/usr/bin:/bin"
	assert_env "HTTP_X_CUSTOM=yes"
	assert_env "FROM_CGID_ENV=1"
	assert_env_set SERVER_SOFTWARE
	assert_env_set SERVER_PORT
	assert_env_set REQUEST_URI
	refute_env HTTP_AUTHORIZATION SCGI
	refute_leaks
	# a PATH_INFO that ends in '/' keeps it (RFC 3875 §4.1.5), as in HTTP mode
	http GET /cgi-bin/env.sh/x/
	assert_code 200
	assert_env "SCRIPT_NAME=/cgi-bin/env.sh"
	assert_env "PATH_INFO=/x/"
	assert_env "PATH_TRANSLATED=$ROOT_REAL/x/"
}

check_post() {
	http POST /cgi-bin/echo.pl --data-binary 'a=1&b=2'
	assert_code 200
	assert_header X-Body-Length 7
	assert_body 'a=1&b=2'
}

# The script's stderr is in cgid's log and not in the response.
check_stderr_logged() {
	http GET /cgi-bin/stderr.sh
	assert_code 200
	assert_body STDOUT-BODY
	wait_log 'STDERR-MARKER-4711'
}

# Five requests one after the other: with FCGI_KEEP_CONN one cgid process
# (one connection) serves them all, else each has its own.
check_requests() {
	local want=$1 i seen=$BATS_TEST_TMPDIR/ppids n
	: >"$seen"
	for i in 1 2 3 4 5; do
		http GET "/cgi-bin/ppid.sh?n=$i"
		assert_code 200
		cat "$BODY" >>"$seen"
	done
	n=$(sort -u "$seen" | wc -l)
	[ "$n" -eq "$want" ] || fail "5 requests were served by $n cgid processes, not $want"
}

run_front_checks() {
	check_env
	check_post
	check_stderr_logged
	check_same_as_http
}

# --- nginx ------------------------------------------------------------------

@test "nginx FastCGI, Unix socket (-l unix:): same results as HTTP mode" {
	start_cgid listen "$(sock)" --protocol fastcgi --env FROM_CGID_ENV=1
	start_front nginx-fastcgi
	run_front_checks
	check_requests 5
}

@test "nginx FastCGI, TCP (-l): same results as HTTP mode" {
	start_cgid listen tcp --protocol fastcgi --env FROM_CGID_ENV=1
	start_front nginx-fastcgi
	run_front_checks
}

@test "nginx FastCGI with fastcgi_keep_conn, Unix socket: same results" {
	start_cgid listen "$(sock)" --protocol fastcgi --env FROM_CGID_ENV=1
	start_front nginx-fastcgi-keep
	run_front_checks
	check_requests 1
}

@test "nginx FastCGI with fastcgi_keep_conn, TCP: same results" {
	start_cgid listen tcp --protocol fastcgi --env FROM_CGID_ENV=1
	start_front nginx-fastcgi-keep
	run_front_checks
}

@test "nginx SCGI, Unix socket (-l unix:): same results as HTTP mode" {
	start_cgid listen "$(sock)" --protocol scgi --env FROM_CGID_ENV=1
	start_front nginx-scgi
	run_front_checks
}

@test "nginx SCGI, TCP (-l): same results as HTTP mode" {
	start_cgid listen tcp --protocol scgi --env FROM_CGID_ENV=1
	start_front nginx-scgi
	run_front_checks
}

@test "nginx FastCGI without request buffering: a chunked upload reaches the program with CONTENT_LENGTH" {
	start_cgid listen "$(sock)" --protocol fastcgi
	start_front nginx-fastcgi-unbuffered
	# nginx knows no length for a chunked body sent on as it comes: the
	# program still gets CONTENT_LENGTH (RFC 3875 §4.1.2), and echo.pl,
	# which reads exactly that many bytes, the whole body
	http POST /cgi-bin/echo.pl -H 'Transfer-Encoding: chunked' \
		--data-binary "@$ROOT/data.bin"
	assert_code 200
	assert_header X-Body-Length 5000000
	[ "$(sha256sum <"$BODY" | cut -d' ' -f1)" = "$DATA_SHA" ] ||
		fail "the body came back changed ($(wc -c <"$BODY") bytes)"
	http POST /cgi-bin/env.sh -H 'Transfer-Encoding: chunked' \
		-H 'Content-Type: text/plain' --data-binary 'twelve bytes'
	assert_code 200
	assert_env "CONTENT_LENGTH=12"
	assert_env "CONTENT_TYPE=text/plain"
	# a request without a body has no CONTENT_LENGTH, as in HTTP mode
	http GET /cgi-bin/env.sh
	assert_code 200
	refute_env CONTENT_LENGTH
	start_reference
	same_as_http POST /cgi-bin/echo.pl -H 'Transfer-Encoding: chunked' \
		--data-binary 'name=value&x=%41'
	same_as_http GET /cgi-bin/hello
}

@test "nginx FastCGI: --script-stderr front puts stderr in nginx's error log" {
	start_cgid listen "$(sock)" --protocol fastcgi --script-stderr front
	start_front nginx-fastcgi
	http GET /cgi-bin/stderr.sh
	assert_code 200
	assert_body STDOUT-BODY
	local i
	for ((i = 0; i < WAIT_TENTHS; i++)); do
		grep -q 'STDERR-MARKER-4711' "$FRONT_DIR/error.log" && break
		sleep 0.1
	done
	grep -q 'STDERR-MARKER-4711' "$FRONT_DIR/error.log" ||
		fail "the script's stderr is not in nginx's error log"
	! grep -q 'STDERR-MARKER-4711' "$LOG" || fail "the script's stderr is in cgid's log too"
}

@test "nginx FastCGI: a script outside cgi-bin is not run (403)" {
	start_cgid listen "$(sock)" --protocol fastcgi --cgi-dir /other/
	start_front nginx-fastcgi
	http GET /cgi-bin/hello
	assert_code 403
	wait_log 'not a CGI program'
}

@test "nginx FastCGI and SCGI: a request header with a long name is left out, as in HTTP mode" {
	local a b conf
	a=X-$(printf 'a%.0s' {1..200})
	b=X-$(printf 'b%.0s' {1..62})
	for conf in nginx-fastcgi nginx-scgi; do
		start_cgid listen "$(sock)" --protocol "${conf#nginx-}"
		start_front "$conf"
		http GET /cgi-bin/env.sh -H "$a: 1" -H "$b: 2"
		assert_code 200
		assert_env "HTTP_X_$(printf 'B%.0s' {1..62})=2"
		! grep -q '^HTTP_X_AAAA' "$BODY" || fail "$conf: the long name was passed"
		stop_front
		stop_server
	done
}

# --- activation modes ---------------------------------------------------------

check_activation() {
	http GET '/cgi-bin/hello?act'
	assert_code 200
	assert_header X-Cgi-Language C
	assert_body_contains 'query=act'
	http GET /cgi-bin/env.sh
	assert_code 200
	refute_leaks
	check_post
}

@test "FastCGI, systemd Accept=yes on a Unix socket, nginx keeping connections" {
	start_cgid sd-accept "$(sock)" --protocol fastcgi
	start_front nginx-fastcgi-keep
	check_activation
}

@test "FastCGI, systemd Accept=yes --inetd (fd 0/1) over TCP" {
	start_cgid sd-inetd tcp --protocol fastcgi
	start_front nginx-fastcgi
	check_activation
}

@test "FastCGI, systemd Accept=no on a Unix socket" {
	start_cgid sd-listen "$(sock)" --protocol fastcgi
	start_front nginx-fastcgi-keep
	check_activation
}

@test "FastCGI, tcpserver (UCSPI)" {
	command -v tcpserver >/dev/null || skip "tcpserver is not installed"
	start_cgid tcpserver tcp --protocol fastcgi
	start_front nginx-fastcgi
	check_activation
}

@test "SCGI, systemd Accept=yes on a Unix socket" {
	start_cgid sd-accept "$(sock)" --protocol scgi
	start_front nginx-scgi
	check_activation
}

@test "SCGI, systemd Accept=yes --inetd (fd 0/1) over TCP" {
	start_cgid sd-inetd tcp --protocol scgi
	start_front nginx-scgi
	check_activation
}

@test "SCGI, systemd Accept=no over TCP" {
	start_cgid sd-listen tcp --protocol scgi
	start_front nginx-scgi
	check_activation
}

@test "units/cgid-fcgi.socket + cgid-fcgi@.service under systemd-socket-activate" {
	local exec
	exec=$(sed -n 's/^ExecStart=//p' "$TOP_DIR/units/cgid-fcgi@.service")
	[[ $exec == /usr/local/bin/cgid\ *\ /srv/www ]] || fail "unexpected ExecStart=$exec"
	grep -qx 'Accept=yes' "$TOP_DIR/units/cgid-fcgi.socket" || fail "not Accept=yes"
	grep -qx 'ListenStream=/run/cgid-fcgi.sock' "$TOP_DIR/units/cgid-fcgi.socket" ||
		fail "unexpected ListenStream"
	# the unit's command line, with this cgid, this root and a log file
	local -a args
	read -ra args <<<"${exec#/usr/local/bin/cgid }"
	unset 'args[${#args[@]}-1]'
	start_cgid sd-accept "$(sock cgid-fcgi)" "${args[@]}"
	start_front nginx-fastcgi-keep
	check_activation
}

# --- lighttpd ---------------------------------------------------------------

@test "lighttpd FastCGI, Unix socket: same results as HTTP mode" {
	start_cgid listen "$(sock)" --protocol fastcgi --env FROM_CGID_ENV=1
	start_front lighttpd-fastcgi
	run_front_checks
}

@test "lighttpd SCGI, TCP: same results as HTTP mode" {
	start_cgid listen tcp --protocol scgi --env FROM_CGID_ENV=1
	start_front lighttpd-scgi
	run_front_checks
}

# lighttpd takes the element after its "/cgi-bin/" prefix for the script
# and sends the rest as PATH_INFO: a program in a subdirectory is found
# by walking on, as HTTP mode and nginx find it.
check_subdir_script() {
	mkdir -p "$ROOT/cgi-bin/sub"
	cp "$ROOT/cgi-bin/env.sh" "$ROOT/cgi-bin/sub/env.sh"
	chmod -R go-w "$ROOT/cgi-bin/sub"
	http GET '/cgi-bin/sub/env.sh/x/y?q=1'
	assert_code 200
	assert_env "SCRIPT_NAME=/cgi-bin/sub/env.sh"
	assert_env "SCRIPT_FILENAME=$ROOT_REAL/cgi-bin/sub/env.sh"
	assert_env "PATH_INFO=/x/y"
	assert_env "PATH_TRANSLATED=$ROOT_REAL/x/y"
	http GET /cgi-bin/sub/env.sh
	assert_code 200
	assert_env "SCRIPT_NAME=/cgi-bin/sub/env.sh"
	refute_env PATH_INFO
	http GET /cgi-bin/sub/
	assert_code 404
}

@test "lighttpd FastCGI and SCGI: a program in a subdirectory of the prefix runs" {
	start_cgid listen "$(sock)" --protocol fastcgi
	start_front lighttpd-fastcgi
	check_subdir_script
	stop_front
	stop_server
	start_cgid listen "$(sock scgi)" --protocol scgi
	start_front lighttpd-scgi
	check_subdir_script
}

# --- FastCGI protocol, raw --------------------------------------------------

# fcgi ACTION...  -- client.pl against cgid; transcript in $output,
# STDOUT in $BATS_TEST_TMPDIR/out, STDERR in .../err.
fcgi() {
	OUT=$BATS_TEST_TMPDIR/out ERR=$BATS_TEST_TMPDIR/err \
		run timeout 20 perl "$CLIENT" "$CGID_ADDR" "$@"
}

# script_ends PIDFILE  -- the program that wrote its pid to PIDFILE has
# started, and ends (bounded)
script_ends() {
	[ -s "$1" ] || fail "the script did not start"
	wait_gone "$(cat "$1")" "$WAIT_TENTHS"
}

assert_output_line() {
	if ! grep -qxF -- "$1" <<<"$output"; then
		printf '%s\n' "$output" >&2
		fail "no line '$1' in the transcript"
	fi
}

refute_output_line() {
	if grep -qxF -- "$1" <<<"$output"; then
		printf '%s\n' "$output" >&2
		fail "line '$1' in the transcript"
	fi
}

assert_out_contains() {
	grep -qF -- "$1" "$BATS_TEST_TMPDIR/out" ||
		fail "FCGI_STDOUT lacks '$1': $(cat "$BATS_TEST_TMPDIR/out")"
}

@test "FastCGI: a request, STDOUT with Status first, END_REQUEST, close" {
	start_cgid listen "$(sock)" --protocol fastcgi
	fcgi begin 1 1 0 param 1 "SCRIPT_FILENAME=$ROOT_REAL/cgi-bin/hello" \
		param 1 QUERY_STRING=x=1 params 1 stdin-end 1
	assert_output_line "END_REQUEST 1 app=0 protocol=0"
	assert_output_line "STDOUT 1 0"
	assert_output_line "EOF"
	head -n 1 "$BATS_TEST_TMPDIR/out" | grep -qx $'Status: 200 OK\r' ||
		fail "first line: $(head -n 1 "$BATS_TEST_TMPDIR/out")"
	assert_out_contains "query=x=1"
}

@test "FastCGI: FCGI_GET_VALUES answered, unknown names left out" {
	start_cgid listen "$(sock)" --protocol fastcgi
	fcgi get-values FCGI_MAX_CONNS FCGI_MAX_REQS FCGI_MPXS_CONNS X_UNKNOWN sleep 0.3 shut
	assert_output_line "GET_VALUES_RESULT 0 FCGI_MAX_CONNS=64 FCGI_MAX_REQS=64 FCGI_MPXS_CONNS=0"
}

@test "FastCGI: FCGI_MAX_CONNS is --max-connections when the listener serves fewer than 64" {
	start_cgid listen "$(sock)" --protocol fastcgi --max-connections 8
	fcgi get-values FCGI_MAX_CONNS FCGI_MAX_REQS sleep 0.3 shut
	assert_output_line "GET_VALUES_RESULT 0 FCGI_MAX_CONNS=8 FCGI_MAX_REQS=8"
}

@test "FastCGI: unknown record types get FCGI_UNKNOWN_TYPE" {
	start_cgid listen "$(sock)" --protocol fastcgi
	fcgi record 42 0 x record 200 1 yy sleep 0.3 shut
	assert_output_line "UNKNOWN_TYPE 0 type=42"
	assert_output_line "UNKNOWN_TYPE 0 type=200"
}

@test "FastCGI: records for a request id that is not active are ignored, FCGI_STDOUT and the like too" {
	start_cgid listen "$(sock)" --protocol fastcgi
	# FCGI_STDOUT, FCGI_STDERR, FCGI_END_REQUEST, FCGI_GET_VALUES_RESULT
	# for request 5, before and while request 1 is active
	fcgi record 6 5 x record 7 5 x record 3 5 12345678 record 10 5 x \
		begin 1 1 0 param 1 SCRIPT_NAME=/cgi-bin/hello params 1 \
		record 6 5 x record 3 5 12345678 stdin-end 1
	assert_output_line "END_REQUEST 1 app=0 protocol=0"
	assert_out_contains "Hello from C"
	# for the active request, such a record breaks the protocol
	fcgi begin 1 1 0 param 1 SCRIPT_NAME=/cgi-bin/hello params 1 \
		record 6 1 x stdin-end 1
	assert_output_line "EOF"
	refute_output_line "END_REQUEST 1 app=0 protocol=0"
	wait_log 'unexpected record of type 6'
}

@test "FastCGI: roles other than Responder get FCGI_UNKNOWN_ROLE; without FCGI_KEEP_CONN the connection ends" {
	start_cgid listen "$(sock)" --protocol fastcgi
	SECONDS=0
	fcgi begin 1 2 1 begin 2 3 0 sleep 0.3
	assert_output_line "END_REQUEST 1 app=0 protocol=3"
	assert_output_line "END_REQUEST 2 app=0 protocol=3"
	assert_output_line "EOF"
	[ "$SECONDS" -lt 5 ] || fail "the connection ended after $SECONDS s"
}

@test "FastCGI: a second BEGIN_REQUEST while one is active gets FCGI_CANT_MPX_CONN" {
	start_cgid listen "$(sock)" --protocol fastcgi
	fcgi begin 1 1 0 param 1 SCRIPT_NAME=/cgi-bin/hello begin 2 1 0 \
		params 1 stdin-end 1 params 2 stdin-end 2
	assert_output_line "END_REQUEST 2 app=0 protocol=1"
	assert_output_line "END_REQUEST 1 app=0 protocol=0"
	assert_out_contains "Hello from C"
}

@test "FastCGI: FCGI_KEEP_CONN carries several requests, one after the other" {
	start_cgid listen "$(sock)" --protocol fastcgi
	fcgi begin 1 1 1 param 1 SCRIPT_NAME=/cgi-bin/hello param 1 QUERY_STRING=first \
		params 1 stdin-end 1 wait 1 \
		begin 1 1 1 param 1 SCRIPT_NAME=/cgi-bin/echo.pl param 1 CONTENT_LENGTH=5 \
		params 1 stdin 1 hello stdin-end 1 wait 2 \
		begin 7 1 0 param 7 SCRIPT_NAME=/cgi-bin/status.sh params 7 stdin-end 7
	[ "$(grep -c '^END_REQUEST' <<<"$output")" -eq 3 ] || fail "$output"
	assert_output_line "END_REQUEST 7 app=0 protocol=0"
	assert_output_line "EOF"
	assert_out_contains "query=first"
	assert_out_contains "hello"
	assert_out_contains "Status: 404 Not Here"
}

@test "FastCGI: FCGI_KEEP_CONN: a request answered before its FCGI_STDIN came keeps the connection" {
	start_cgid listen "$(sock)" --protocol fastcgi
	# answered (404, and a program that reads no input) while the body
	# is still on its way; its late records are dropped
	fcgi begin 1 1 1 param 1 SCRIPT_NAME=/cgi-bin/no-such param 1 CONTENT_LENGTH=5 \
		params 1 wait 1 stdin 1 hello stdin-end 1 \
		begin 2 1 1 param 2 SCRIPT_NAME=/cgi-bin/hello param 2 CONTENT_LENGTH=5 \
		params 2 wait 2 stdin 2 hello stdin-end 2 \
		begin 3 1 0 param 3 SCRIPT_NAME=/cgi-bin/echo.pl param 3 CONTENT_LENGTH=3 \
		params 3 stdin 3 abc stdin-end 3
	assert_output_line "END_REQUEST 1 app=0 protocol=0"
	assert_output_line "END_REQUEST 2 app=0 protocol=0"
	assert_output_line "END_REQUEST 3 app=0 protocol=0"
	assert_output_line "EOF"
	assert_out_contains "Status: 404 Not Found"
	assert_out_contains "Hello from C"
	assert_out_contains "X-Body-Length: 3"
}

@test "FastCGI: HEAD, 204 and 304 with a Content-Length end their stream, and the connection goes on" {
	start_cgid listen "$(sock)" --protocol fastcgi
	fcgi begin 1 1 1 param 1 SCRIPT_NAME=/cgi-bin/nobody.sh param 1 REQUEST_METHOD=HEAD \
		params 1 stdin-end 1 wait 1 \
		begin 1 1 1 param 1 SCRIPT_NAME=/cgi-bin/nobody.sh param 1 QUERY_STRING=204 \
		params 1 stdin-end 1 wait 2 \
		begin 1 1 1 param 1 SCRIPT_NAME=/cgi-bin/nobody.sh param 1 QUERY_STRING=304 \
		params 1 stdin-end 1 wait 3 \
		begin 7 1 0 param 7 SCRIPT_NAME=/cgi-bin/hello params 7 stdin-end 7
	[ "$(grep -c '^END_REQUEST' <<<"$output")" -eq 4 ] || fail "$output"
	assert_output_line "END_REQUEST 7 app=0 protocol=0"
	assert_out_contains "Status: 204 No Content"
	assert_out_contains "Status: 304 Not Modified"
	assert_out_contains "Hello from C"
	# the HEAD keeps its length; the 204 and the 304 have none (§8.6)
	[ "$(grep -c '^Content-Length: 6' "$BATS_TEST_TMPDIR/out")" -eq 1 ] ||
		fail "$(cat "$BATS_TEST_TMPDIR/out")"
}

@test "FastCGI: a script holding its output open after its Content-Length ends its request after the linger" {
	# as in HTTP mode (scripts.bats): 2 s, then the next request
	make_script hold-cl.sh '#!/bin/sh' \
		"printf 'Content-Type: text/plain\\nContent-Length: 7\\n\\nHOLD-CL'" 'exec sleep 30'
	start_cgid listen "$(sock)" --protocol fastcgi
	local t0=$SECONDS
	fcgi begin 1 1 1 param 1 SCRIPT_NAME=/cgi-bin/hold-cl.sh params 1 stdin-end 1 wait 1 \
		begin 7 1 0 param 7 SCRIPT_NAME=/cgi-bin/hello params 7 stdin-end 7
	rm -f "$ROOT/cgi-bin/hold-cl.sh"
	[ "$(grep -c '^END_REQUEST' <<<"$output")" -eq 2 ] || fail "$output"
	[ $((SECONDS - t0)) -lt 6 ] || fail "the two requests took $((SECONDS - t0)) s"
	assert_out_contains HOLD-CL
	assert_out_contains "Hello from C"
	grep -q 'hold-cl.sh: output still open after its response ended' "$LOG" ||
		fail "no log line for the held output: $(cat "$LOG")"
}

@test "FastCGI: a HEAD to a script holding its output open after its Content-Length ends after the linger too" {
	make_script hold-head.sh '#!/bin/sh' \
		"printf 'Content-Type: text/plain\\nContent-Length: 7\\n\\n'" 'exec sleep 30'
	start_cgid listen "$(sock)" --protocol fastcgi --cgi-idle-timeout 10
	local t0=$SECONDS
	fcgi begin 1 1 1 param 1 SCRIPT_NAME=/cgi-bin/hold-head.sh \
		param 1 REQUEST_METHOD=HEAD params 1 stdin-end 1 wait 1 \
		begin 7 1 0 param 7 SCRIPT_NAME=/cgi-bin/hello params 7 stdin-end 7
	rm -f "$ROOT/cgi-bin/hold-head.sh"
	[ "$(grep -c '^END_REQUEST' <<<"$output")" -eq 2 ] || fail "$output"
	[ $((SECONDS - t0)) -lt 6 ] || fail "the two requests took $((SECONDS - t0)) s"
	assert_out_contains "Content-Length: 7"
	assert_out_contains "Hello from C"
	grep -q 'hold-head.sh: output still open after its response ended' "$LOG" ||
		fail "no log line for the held output: $(cat "$LOG")"
	! grep -q 'ended before its Content-Length' "$LOG" || fail "$(cat "$LOG")"
}

@test "FastCGI: SIGTERM closes a connection kept between requests at once, not after --grace" {
	start_cgid listen "$(sock)" --protocol fastcgi --grace 10
	local t=$BATS_TEST_TMPDIR/client.txt i
	OUT=$BATS_TEST_TMPDIR/out timeout 20 perl "$CLIENT" "$CGID_ADDR" \
		begin 1 1 1 param 1 SCRIPT_NAME=/cgi-bin/hello params 1 \
		stdin-end 1 wait 1 >"$t" 2>&1 &
	local client=$!
	for ((i = 0; i < 50; i++)); do
		grep -q '^END_REQUEST 1' "$t" && break
		sleep 0.1
	done
	grep -q '^END_REQUEST 1' "$t" || fail "no answer: $(cat "$t")"
	[ "$(pgrep -c -P "$SERVER_PID")" -eq 1 ] || fail "no child holds the connection"
	SECONDS=0
	kill -TERM "$SERVER_PID"
	wait_gone "$SERVER_PID" 50
	wait "$client" || true
	grep -q '^EOF' "$t" || fail "the connection was not closed: $(cat "$t")"
	[ "$SECONDS" -le 3 ] || fail "closed after $SECONDS s"
}

@test "FastCGI: a connection kept after a refused or aborted first request is idle between requests (SIGTERM closes it at once)" {
	start_cgid listen "$(sock)" --protocol fastcgi --grace 30
	local t=$BATS_TEST_TMPDIR/client.txt i kind
	for kind in role abort; do
		: >"$t"
		if [ "$kind" = role ]; then
			timeout 40 perl "$CLIENT" "$CGID_ADDR" begin 1 2 1 wait 1 >"$t" 2>&1 &
		else
			timeout 40 perl "$CLIENT" "$CGID_ADDR" begin 1 1 1 \
				param 1 SCRIPT_NAME=/cgi-bin/hello abort 1 wait 1 >"$t" 2>&1 &
		fi
		local client=$!
		for ((i = 0; i < 50; i++)); do
			grep -q '^END_REQUEST 1' "$t" && break
			sleep 0.1
		done
		grep -q '^END_REQUEST 1' "$t" || fail "$kind: no answer: $(cat "$t")"
		SECONDS=0
		kill -TERM "$SERVER_PID"
		wait_gone "$SERVER_PID" 150
		wait "$client" || true
		grep -q '^EOF' "$t" || fail "$kind: the connection was not closed: $(cat "$t")"
		[ "$SECONDS" -le 3 ] || fail "$kind: closed after $SECONDS s"
		[ "$kind" = abort ] || { stop_server; start_cgid listen "$(sock)" --protocol fastcgi --grace 30; }
	done
}

@test "FastCGI and SCGI: a request header given twice reaches the script joined, as in HTTP mode" {
	start_cgid listen "$(sock)" --protocol fastcgi
	fcgi begin 1 1 0 param 1 SCRIPT_NAME=/cgi-bin/env.sh param 1 HTTP_X_A=1 \
		param 1 HTTP_COOKIE=a=1 param 1 HTTP_X_A=2 param 1 HTTP_COOKIE=b=2 \
		params 1 stdin-end 1
	assert_output_line "END_REQUEST 1 app=0 protocol=0"
	BODY=$BATS_TEST_TMPDIR/out
	assert_env "HTTP_X_A=1, 2"
	assert_env "HTTP_COOKIE=a=1; b=2"
	[ "$(grep -c '^HTTP_X_A=' "$BODY")" -eq 1 ] || fail "HTTP_X_A twice"
	stop_server
	start_cgid listen "$(sock)" --protocol scgi
	scgi scgi CONTENT_LENGTH=0 SCGI=1 SCRIPT_NAME=/cgi-bin/env.sh HTTP_X_A=1 HTTP_X_A=2
	[[ $output == *$'\nHTTP_X_A=1, 2\n'* ]] || fail "$output"
}

@test "FastCGI: the access log escapes quotes in its fields, as in HTTP mode" {
	start_cgid listen "$(sock)" --protocol fastcgi
	fcgi begin 1 1 0 param 1 SCRIPT_NAME=/cgi-bin/hello param 1 REQUEST_METHOD=GET \
		param 1 REQUEST_URI=/cgi-bin/hello param 1 SERVER_PROTOCOL=HTTP/1.1 \
		param 1 'HTTP_USER_AGENT=Mozilla" 200 999 "-" "evil' \
		param 1 'HTTP_REFERER=http://r/"x' params 1 stdin-end 1
	assert_output_line "END_REQUEST 1 app=0 protocol=0"
	wait_log '"GET /cgi-bin/hello HTTP/1.1" 200 '
	grep -qF '"http://r/\"x" "Mozilla\" 200 999 \"-\" \"evil" ' "$LOG" || {
		show_file "cgid log" "$LOG" >&2
		fail "the quotes of the fields are not escaped"
	}
}

@test "FastCGI: ABORT_REQUEST stops the script; END_REQUEST; the connection goes on" {
	start_cgid listen "$(sock)" --protocol fastcgi
	local pidf=$BATS_TEST_TMPDIR/slow.pid
	fcgi begin 1 1 1 param 1 SCRIPT_NAME=/cgi-bin/slow.sh param 1 "QUERY_STRING=$pidf" \
		params 1 stdin-end 1 sleep 0.5 abort 1 wait 1 \
		begin 2 1 0 param 2 SCRIPT_NAME=/cgi-bin/hello params 2 stdin-end 2
	assert_output_line "END_REQUEST 1 app=143 protocol=0"
	assert_output_line "END_REQUEST 2 app=0 protocol=0"
	assert_out_contains "SLOW-STARTED"
	assert_out_contains "Hello from C"
	[ -s "$pidf" ] || fail "the script did not start"
	! kill -0 "$(cat "$pidf")" 2>/dev/null || fail "the script still runs"
	wait_log 'aborted by the front server'
}

@test "FastCGI: an ABORT_REQUEST that came with the request stops the script" {
	start_cgid listen "$(sock)" --protocol fastcgi
	SECONDS=0
	fcgi hold begin 1 1 0 param 1 SCRIPT_NAME=/cgi-bin/slow.sh \
		param 1 "QUERY_STRING=$BATS_TEST_TMPDIR/slow.pid" params 1 stdin-end 1 \
		abort 1 flush wait 1
	assert_output_line "END_REQUEST 1 app=143 protocol=0"
	[ "$SECONDS" -lt 10 ] || fail "the request took $SECONDS s"
	wait_log 'aborted by the front server'
}

@test "FastCGI: a BEGIN_REQUEST and FCGI_GET_VALUES that came with the request are answered while the script runs" {
	start_cgid listen "$(sock)" --protocol fastcgi
	local pidf=$BATS_TEST_TMPDIR/slow.pid
	# the client is stopped after 3 s, while the script still sleeps
	run timeout 3 perl "$CLIENT" "$CGID_ADDR" \
		hold begin 1 1 0 param 1 SCRIPT_NAME=/cgi-bin/slow.sh \
		param 1 "QUERY_STRING=$pidf" params 1 stdin-end 1 begin 2 1 0 \
		get-values FCGI_MPXS_CONNS flush
	assert_output_line "END_REQUEST 2 app=0 protocol=1"
	assert_output_line "GET_VALUES_RESULT 0 FCGI_MPXS_CONNS=0"
	grep -q '^STDOUT 1 [1-9]' <<<"$output" || fail "no output of the script: $output"
	refute_output_line "END_REQUEST 1 app=143 protocol=0"
	# and the client's going away ends the script
	script_ends "$pidf"
}

@test "FastCGI: the front server closing the connection stops the script" {
	start_cgid listen "$(sock)" --protocol fastcgi
	local pidf=$BATS_TEST_TMPDIR/slow.pid
	fcgi begin 1 1 0 param 1 SCRIPT_NAME=/cgi-bin/slow.sh param 1 "QUERY_STRING=$pidf" \
		params 1 stdin-end 1 sleep 0.5 shut
	# client.pl waited for the end: the script must be gone by now, or soon
	script_ends "$pidf"
}

@test "FastCGI: END_REQUEST carries the script's exit status" {
	start_cgid listen "$(sock)" --protocol fastcgi
	fcgi begin 1 1 0 param 1 SCRIPT_NAME=/cgi-bin/exit3.sh params 1 stdin-end 1
	assert_output_line "END_REQUEST 1 app=3 protocol=0"
	assert_out_contains "EXIT-THREE"
}

@test "FastCGI: full 64 KiB records with padding, body and output hashed" {
	start_cgid listen "$(sock)" --protocol fastcgi
	fcgi begin 1 1 0 param 1 SCRIPT_NAME=/cgi-bin/echo.pl param 1 CONTENT_LENGTH=5000000 \
		params 1 stdin-file 1 "$ROOT/data.bin" stdin-end 1
	assert_output_line "END_REQUEST 1 app=0 protocol=0"
	# the body is what follows the header block
	perl -0777 -ne 'print $1 if /\r\n\r\n(.*)\z/s' "$BATS_TEST_TMPDIR/out" >"$BATS_TEST_TMPDIR/body"
	[ "$(sha256sum <"$BATS_TEST_TMPDIR/body" | cut -d' ' -f1)" = "$DATA_SHA" ] ||
		fail "the body came back changed ($(wc -c <"$BATS_TEST_TMPDIR/body") bytes)"
}

@test "FastCGI: --script-stderr front sends FCGI_STDERR, ended by an empty record" {
	start_cgid listen "$(sock)" --protocol fastcgi --script-stderr front
	fcgi begin 1 1 0 param 1 SCRIPT_NAME=/cgi-bin/stderr.sh params 1 stdin-end 1
	assert_output_line "STDERR 1 0"
	assert_output_line "END_REQUEST 1 app=0 protocol=0"
	grep -q STDERR-MARKER-4711 "$BATS_TEST_TMPDIR/err" || fail "no stderr: $output"
}

@test "FastCGI: a record of another version closes the connection, logged" {
	start_cgid listen "$(sock)" --protocol fastcgi
	fcgi raw 0201000100080000000100000000000000
	assert_output_line "EOF"
	refute_output_line "END_REQUEST 1 app=0 protocol=0"
	wait_log 'FastCGI: record of version 2'
}

@test "FastCGI: FCGI_PARAMS over the limit closes the connection, logged" {
	start_cgid listen "$(sock)" --protocol fastcgi
	fcgi begin 1 1 0 long-param 1 HTTP_X_BIG 70000 params 1 stdin-end 1
	assert_output_line "EOF"
	wait_log 'FCGI_PARAMS longer than'
}

@test "FastCGI: a name given twice closes the connection, logged" {
	start_cgid listen "$(sock)" --protocol fastcgi
	fcgi begin 1 1 0 param 1 SCRIPT_NAME=/cgi-bin/hello param 1 SCRIPT_NAME=/cgi-bin/env.sh \
		params 1 stdin-end 1
	assert_output_line "EOF"
	refute_output_line "END_REQUEST 1 app=0 protocol=0"
	wait_log 'parameter name given twice'
}

@test "FastCGI: FCGI_STDIN longer than CONTENT_LENGTH closes the connection" {
	start_cgid listen "$(sock)" --protocol fastcgi
	fcgi begin 1 1 0 param 1 SCRIPT_NAME=/cgi-bin/cat.sh param 1 CONTENT_LENGTH=3 \
		params 1 stdin 1 "more than three" stdin-end 1
	assert_output_line "EOF"
	wait_log 'FCGI_STDIN longer than CONTENT_LENGTH'
}

@test "FastCGI: a body without CONTENT_LENGTH is spooled; the program gets CONTENT_LENGTH and the body" {
	start_cgid listen "$(sock)" --protocol fastcgi
	# many full records, with management records between them, on a
	# connection kept for a second request
	fcgi begin 1 1 1 param 1 SCRIPT_NAME=/cgi-bin/echo.pl params 1 \
		stdin-file 1 "$ROOT/data.bin" get-values FCGI_MPXS_CONNS record 42 0 x \
		stdin 1 END-OF-BODY stdin-end 1 wait 1 \
		begin 2 1 0 param 2 SCRIPT_NAME=/cgi-bin/hello params 2 stdin-end 2
	assert_output_line "END_REQUEST 1 app=0 protocol=0"
	assert_output_line "GET_VALUES_RESULT 0 FCGI_MPXS_CONNS=0"
	assert_output_line "UNKNOWN_TYPE 0 type=42"
	assert_output_line "END_REQUEST 2 app=0 protocol=0"
	assert_output_line "EOF"
	assert_out_contains "X-Body-Length: 5000011"
	assert_out_contains "Hello from C"
	# the first response's body is what follows its header block
	perl -0777 -ne '/\r\n\r\n/g and print substr($_, pos, 5000011)' \
		"$BATS_TEST_TMPDIR/out" >"$BATS_TEST_TMPDIR/body"
	local want
	want=$({ cat "$ROOT/data.bin"; printf END-OF-BODY; } | sha256sum | cut -d' ' -f1)
	[ "$(sha256sum <"$BATS_TEST_TMPDIR/body" | cut -d' ' -f1)" = "$want" ] ||
		fail "the body came back changed ($(wc -c <"$BATS_TEST_TMPDIR/body") bytes)"
	# a short body: CONTENT_LENGTH in the environment
	fcgi begin 1 1 0 param 1 SCRIPT_NAME=/cgi-bin/env.sh params 1 \
		stdin 1 abc stdin 1 defg stdin-end 1
	assert_output_line "END_REQUEST 1 app=0 protocol=0"
	BODY=$BATS_TEST_TMPDIR/out
	assert_env CONTENT_LENGTH=7
	# an empty body: none, as in HTTP mode for a request without a body
	fcgi begin 1 1 0 param 1 SCRIPT_NAME=/cgi-bin/env.sh params 1 stdin-end 1
	assert_output_line "END_REQUEST 1 app=0 protocol=0"
	refute_env CONTENT_LENGTH
}

@test "FastCGI: a body without CONTENT_LENGTH over --max-body: 413 as in HTTP mode, and the connection goes on" {
	local big=$BATS_TEST_TMPDIR/big
	head -c 150000 "$ROOT/data.bin" >"$big"
	start_cgid listen "$(sock)" --protocol fastcgi --max-body 100000
	start_reference --max-body 100000
	HOST=127.0.0.1 PORT=$REF_PORT http POST /cgi-bin/echo.pl \
		-H 'Transfer-Encoding: chunked' --data-binary "@$big"
	[ "$CODE" = 413 ] || fail "HTTP mode answered $CODE"
	fcgi begin 1 1 1 param 1 SCRIPT_NAME=/cgi-bin/echo.pl params 1 \
		stdin-file 1 "$big" stdin-end 1 wait 1 \
		begin 2 1 0 param 2 SCRIPT_NAME=/cgi-bin/hello params 2 stdin-end 2
	head -n 1 "$BATS_TEST_TMPDIR/out" | grep -qx $'Status: 413 Content Too Large\r' ||
		fail "first line: $(head -n 1 "$BATS_TEST_TMPDIR/out")"
	assert_output_line "END_REQUEST 1 app=0 protocol=0"
	assert_output_line "END_REQUEST 2 app=0 protocol=0"
	assert_out_contains "Hello from C"
	wait_log 'request body larger than 100000 bytes'
}

@test "FastCGI: ABORT_REQUEST while a body without CONTENT_LENGTH is spooled: no program, END_REQUEST" {
	start_cgid listen "$(sock)" --protocol fastcgi
	local pidf=$BATS_TEST_TMPDIR/slow.pid
	fcgi begin 1 1 1 param 1 SCRIPT_NAME=/cgi-bin/slow.sh param 1 "QUERY_STRING=$pidf" \
		params 1 stdin 1 part-of-a-body sleep 0.5 abort 1 wait 1 \
		begin 2 1 0 param 2 SCRIPT_NAME=/cgi-bin/hello params 2 stdin-end 2
	assert_output_line "END_REQUEST 1 app=0 protocol=0"
	assert_output_line "END_REQUEST 2 app=0 protocol=0"
	assert_out_contains "Hello from C"
	# the program runs only once its body is complete
	[ ! -e "$pidf" ] || fail "the program ran before its body was complete"
	wait_log 'aborted by the front server'
}

# fcgi_status PARAM...  -- one request with these parameters; STATUS is the
# status of the answer.
fcgi_status() {
	local -a a=(begin 1 1 0)
	local p
	for p in "$@"; do a+=(param 1 "$p"); done
	fcgi "${a[@]}" params 1 stdin-end 1
	STATUS=$(head -n 1 "$BATS_TEST_TMPDIR/out" | tr -d '\r' | sed -n 's/^Status: \([0-9]*\).*/\1/p')
}

@test "FastCGI: the script must lie beneath ROOT (403), and exist (404)" {
	start_cgid listen "$(sock)" --protocol fastcgi
	fcgi_status SCRIPT_FILENAME=/bin/sh
	[ "$STATUS" = 403 ] || fail "outside ROOT: $STATUS"
	fcgi_status "SCRIPT_FILENAME=$ROOT_REAL/cgi-bin/../../../bin/sh"
	[ "$STATUS" = 404 ] || fail "with ..: $STATUS"
	fcgi_status DOCUMENT_ROOT=/ SCRIPT_NAME=/bin/sh
	[ "$STATUS" = 403 ] || fail "DOCUMENT_ROOT outside ROOT: $STATUS"
	fcgi_status DOCUMENT_ROOT=/elsewhere "SCRIPT_FILENAME=$ROOT_REAL/cgi-bin/hello"
	[ "$STATUS" = 200 ] || fail "SCRIPT_FILENAME beneath ROOT, DOCUMENT_ROOT not: $STATUS"
	fcgi_status "SCRIPT_FILENAME=${ROOT_REAL}x/cgi-bin/hello"
	[ "$STATUS" = 403 ] || fail "a sibling of ROOT: $STATUS"
	fcgi_status SCRIPT_NAME=/cgi-bin/no-such-thing
	[ "$STATUS" = 404 ] || fail "missing: $STATUS"
	fcgi_status SCRIPT_NAME=/hello.txt
	[ "$STATUS" = 403 ] || fail "a document: $STATUS"
	fcgi_status
	[ "$STATUS" = 500 ] || fail "no script named: $STATUS"
	fcgi_status "DOCUMENT_ROOT=$ROOT_REAL/cgi-bin" SCRIPT_NAME=/hello
	[ "$STATUS" = 200 ] || fail "DOCUMENT_ROOT beneath ROOT: $STATUS"
	fcgi_status SCRIPT_NAME=/cgi-bin/hello PATH_INFO=/x
	[ "$STATUS" = 200 ] || fail "PATH_INFO given: $STATUS"
	fcgi_status SCRIPT_NAME=/cgi-bin/hello/x PATH_INFO=/x
	[ "$STATUS" = 404 ] || fail "PATH_INFO given, and a path beyond the file: $STATUS"
}

@test "FastCGI and SCGI: a \"//\" in the script's path names the same file, as in HTTP mode" {
	start_cgid listen "$(sock)" --protocol fastcgi
	# nginx with SCRIPT_FILENAME $document_root/$fastcgi_script_name
	fcgi_status "SCRIPT_FILENAME=$ROOT_REAL//cgi-bin/hello"
	[ "$STATUS" = 200 ] || fail "SCRIPT_FILENAME with //: $STATUS"
	fcgi begin 1 1 0 param 1 "SCRIPT_FILENAME=$ROOT_REAL/cgi-bin//env.sh//a//b" \
		param 1 SCRIPT_NAME=/cgi-bin//env.sh//a//b params 1 stdin-end 1
	assert_output_line "END_REQUEST 1 app=0 protocol=0"
	BODY=$BATS_TEST_TMPDIR/out
	assert_env "SCRIPT_NAME=/cgi-bin/env.sh"
	assert_env "PATH_INFO=/a/b"
	assert_env "SCRIPT_FILENAME=$ROOT_REAL/cgi-bin/env.sh"
	fcgi_status "DOCUMENT_ROOT=$ROOT_REAL/" SCRIPT_NAME=//cgi-bin//hello
	[ "$STATUS" = 200 ] || fail "SCRIPT_NAME with //: $STATUS"
	# and it still must lie beneath ROOT
	fcgi_status "SCRIPT_FILENAME=$ROOT_REAL//../cgi-bin/hello"
	[ "$STATUS" = 404 ] || fail "with //..: $STATUS"
	stop_server
	start_cgid listen "$(sock)" --protocol scgi
	scgi scgi CONTENT_LENGTH=0 SCGI=1 "SCRIPT_FILENAME=$ROOT_REAL//cgi-bin/hello"
	[[ $output == $'Status: 200 OK\r\n'* ]] || fail "$output"
}

@test "FastCGI: a local redirect to a directory gives its index, or 301 without the final '/', as in HTTP mode" {
	make_script lr-dir.sh '#!/bin/sh' 'printf "Location: %s\n\n" "$QUERY_STRING"'
	mkdir -p "$ROOT/cgi-bin/ix"
	printf '%s\n' '#!/bin/sh' 'printf "Content-Type: text/plain\n\nINDEX-CGI %s\n" "$SCRIPT_NAME"' \
		>"$ROOT/cgi-bin/ix/index.cgi"
	chmod 755 "$ROOT/cgi-bin/ix/index.cgi"
	start_cgid listen "$(sock)" --protocol fastcgi
	fcgi_status SCRIPT_NAME=/cgi-bin/lr-dir.sh QUERY_STRING=/dir/
	[ "$STATUS" = 200 ] || fail "/dir/: $STATUS"
	assert_out_contains DIR-INDEX-MARKER
	fcgi_status SCRIPT_NAME=/cgi-bin/lr-dir.sh QUERY_STRING=/cgi-bin/ix/
	[ "$STATUS" = 200 ] || fail "/cgi-bin/ix/: $STATUS"
	assert_out_contains "INDEX-CGI /cgi-bin/ix/index.cgi"
	fcgi_status SCRIPT_NAME=/cgi-bin/lr-dir.sh 'QUERY_STRING=/dir?a=b'
	[ "$STATUS" = 301 ] || fail "/dir: $STATUS"
	assert_out_contains $'Location: /dir/?a=b\r'
	# (appStatus is the redirecting program's, which may be ended early)
	grep -q '^END_REQUEST 1 app=[0-9]* protocol=0$' <<<"$output" || fail "$output"
	# a directory without an index: 404, as in HTTP mode without --list-dirs
	fcgi_status SCRIPT_NAME=/cgi-bin/lr-dir.sh QUERY_STRING=/sub/
	[ "$STATUS" = 404 ] || fail "/sub/: $STATUS"
	rm -rf "$ROOT/cgi-bin/lr-dir.sh" "$ROOT/cgi-bin/ix"
}

@test "FastCGI: the script checks of HTTP mode (executable, not group-writable)" {
	cp "$ROOT/cgi-bin/hello" "$ROOT/cgi-bin/noexec"
	chmod 644 "$ROOT/cgi-bin/noexec"
	cp "$ROOT/cgi-bin/hello" "$ROOT/cgi-bin/groupw"
	chmod 775 "$ROOT/cgi-bin/groupw"
	start_cgid listen "$(sock)" --protocol fastcgi
	fcgi_status SCRIPT_NAME=/cgi-bin/noexec
	[ "$STATUS" = 403 ] || fail "not executable: $STATUS"
	fcgi_status SCRIPT_NAME=/cgi-bin/groupw
	[ "$STATUS" = 403 ] || fail "group-writable: $STATUS"
	rm -f "$ROOT/cgi-bin/noexec" "$ROOT/cgi-bin/groupw"
}

@test "FastCGI: the environment is built from scratch through the filters" {
	start_cgid listen "$(sock)" --protocol fastcgi --env ADMIN_SET=admin
	fcgi begin 1 1 0 param 1 SCRIPT_NAME=/cgi-bin/env.sh \
		param 1 HTTP_PROXY=http://evil/ param 1 LISTEN_FDS=3 \
		param 1 NOTIFY_SOCKET=/x param 1 TCPREMOTEIP=6.6.6.6 \
		param 1 PATH=/evil param 1 SERVER_SOFTWARE=evil \
		param 1 GATEWAY_INTERFACE=evil param 1 ADMIN_SET=front \
		param 1 "SCRIPT_FILENAME=$ROOT_REAL/cgi-bin/env.sh" \
		param 1 BAD-NAME=1 param 1 CUSTOM_VAR=passed param 1 HTTPS=on \
		param 1 HTTP_TRANSFER_ENCODING=chunked params 1 stdin-end 1
	assert_output_line "END_REQUEST 1 app=0 protocol=0"
	BODY=$BATS_TEST_TMPDIR/out
	refute_env HTTP_PROXY LISTEN_FDS NOTIFY_SOCKET TCPREMOTEIP BAD-NAME \
		HTTP_TRANSFER_ENCODING
	refute_leaks
	assert_env "PATH=/usr/local/bin:/usr/bin:/bin"
	assert_env "GATEWAY_INTERFACE=CGI/1.1"
	assert_env "ADMIN_SET=admin"
	assert_env "CUSTOM_VAR=passed"
	assert_env "HTTPS=on"
	assert_env "QUERY_STRING="
	[ "$(grep -c '^PATH=' "$BODY")" -eq 1 ] || fail "PATH twice"
	[ "$(grep -c '^SERVER_SOFTWARE=' "$BODY")" -eq 1 ] || fail "SERVER_SOFTWARE twice"
}

@test "FastCGI: a DOCUMENT_ROOT ending in '/' (lighttpd's) gives PATH_TRANSLATED one '/'" {
	start_cgid listen "$(sock)" --protocol fastcgi
	fcgi begin 1 1 0 param 1 "DOCUMENT_ROOT=$ROOT_REAL/" \
		param 1 SCRIPT_NAME=/cgi-bin/env.sh param 1 PATH_INFO=/a/b \
		param 1 "SCRIPT_FILENAME=$ROOT_REAL/cgi-bin/env.sh" params 1 stdin-end 1
	assert_output_line "END_REQUEST 1 app=0 protocol=0"
	BODY=$BATS_TEST_TMPDIR/out
	assert_env "PATH_INFO=/a/b"
	assert_env "PATH_TRANSLATED=$ROOT_REAL/a/b"
}

@test "FastCGI: more variables than MAX_ENV: 431" {
	start_cgid listen "$(sock)" --protocol fastcgi
	local -a a=(begin 1 1 0 param 1 SCRIPT_NAME=/cgi-bin/env.sh)
	local i
	for ((i = 0; i < 300; i++)); do a+=(param 1 "HTTP_X_$i=v"); done
	fcgi "${a[@]}" params 1 stdin-end 1
	assert_output_line "END_REQUEST 1 app=0 protocol=0"
	head -n 1 "$BATS_TEST_TMPDIR/out" | grep -q '^Status: 431' ||
		fail "$(head -n 1 "$BATS_TEST_TMPDIR/out")"
}

@test "FastCGI and SCGI: more parameters than MAX_PARAMS: 431, and the connection goes on" {
	start_cgid listen "$(sock)" --protocol fastcgi
	local -a a=(hold begin 1 1 1 param 1 SCRIPT_NAME=/cgi-bin/env.sh) s=()
	local i
	for ((i = 0; i < 600; i++)); do
		a+=(param 1 "HTTP_X_$i=v")
		s+=("HTTP_X_$i=v")
	done
	fcgi "${a[@]}" params 1 stdin-end 1 flush wait 1 \
		begin 2 1 0 param 2 SCRIPT_NAME=/cgi-bin/hello params 2 stdin-end 2
	assert_output_line "END_REQUEST 1 app=0 protocol=0"
	assert_output_line "END_REQUEST 2 app=0 protocol=0"
	head -n 1 "$BATS_TEST_TMPDIR/out" | grep -q '^Status: 431' ||
		fail "$(head -n 1 "$BATS_TEST_TMPDIR/out")"
	assert_out_contains "Hello from C"
	wait_log 'more than 512 parameters'
	stop_server
	start_cgid listen "$(sock)" --protocol scgi
	scgi scgi CONTENT_LENGTH=0 SCGI=1 SCRIPT_NAME=/cgi-bin/env.sh "${s[@]}"
	[[ $output == $'Status: 431 '* ]] || fail "$output"
}

@test "FastCGI and SCGI: an error page to a HEAD is its head alone" {
	start_cgid listen "$(sock)" --protocol fastcgi
	fcgi_status SCRIPT_NAME=/cgi-bin/no-such-thing REQUEST_METHOD=HEAD
	[ "$STATUS" = 404 ] || fail "$STATUS"
	assert_output_line "END_REQUEST 1 app=0 protocol=0"
	# RFC 9110 §9.3.2: the GET's Content-Length, and no content
	grep -q '^Content-Length: [1-9]' "$BATS_TEST_TMPDIR/out" || fail "$(cat "$BATS_TEST_TMPDIR/out")"
	[ "$(tail -c 4 "$BATS_TEST_TMPDIR/out" | od -An -tx1 | tr -d ' ')" = 0d0a0d0a ] ||
		fail "a body: $(cat "$BATS_TEST_TMPDIR/out")"
	fcgi_status SCRIPT_NAME=/cgi-bin/no-such-thing
	grep -q '</html>' "$BATS_TEST_TMPDIR/out" || fail "no page to the GET"
	stop_server
	start_cgid listen "$(sock)" --protocol scgi
	scgi scgi CONTENT_LENGTH=0 SCGI=1 SCRIPT_NAME=/cgi-bin/no-such-thing REQUEST_METHOD=HEAD
	[[ $output == $'Status: 404 '* ]] || fail "$output"
	[[ $output == *'Content-Length: '[1-9]* && $output != *'<'* ]] || fail "a body: $output"
}

# --- SCGI protocol, raw -----------------------------------------------------

scgi() {
	run timeout 20 perl "$CLIENT" "$CGID_ADDR" "$@"
}

@test "SCGI: a request with a body; the answer starts with Status" {
	start_cgid listen "$(sock)" --protocol scgi
	scgi scgi CONTENT_LENGTH=5 SCGI=1 SCRIPT_NAME=/cgi-bin/echo.pl REQUEST_METHOD=POST body hello
	[[ $output == $'Status: 200 OK\r\n'* ]] || fail "$output"
	[[ $output == *$'X-Body-Length: 5\r\n'* ]] || fail "$output"
	[[ $output == *$'\r\n\r\nhello' ]] || fail "$output"
}

@test "SCGI: protocol errors close the connection and are logged" {
	start_cgid listen "$(sock)" --protocol scgi
	scgi scgi SCGI=1 CONTENT_LENGTH=0 SCRIPT_NAME=/cgi-bin/hello
	[ -z "$output" ] || fail "answered: $output"
	wait_log 'first SCGI header is not CONTENT_LENGTH'
	scgi scgi CONTENT_LENGTH=0 SCRIPT_NAME=/cgi-bin/hello
	[ -z "$output" ] || fail "answered: $output"
	wait_log 'no SCGI header with the value 1'
	scgi scgi CONTENT_LENGTH=0 SCGI=1 SCRIPT_NAME=/a SCRIPT_NAME=/cgi-bin/hello
	[ -z "$output" ] || fail "answered: $output"
	wait_log 'parameter name given twice'
	scgi scgi-raw "$(printf '024:CONTENT_LENGTH\0000\000SCGI\0001\000,' | od -An -tx1 | tr -d ' \n')"
	[ -z "$output" ] || fail "answered: $output"
	wait_log 'netstring length with a leading zero'
	scgi scgi-raw "$(printf '23:CONTENT_LENGTH\0000\000SCGI\0001\000;' | od -An -tx1 | tr -d ' \n')"
	[ -z "$output" ] || fail "answered: $output"
	wait_log "netstring not ended by ','"
	scgi scgi-raw "$(printf 'x:' | od -An -tx1 | tr -d ' \n')"
	wait_log 'netstring length is not a number'
	scgi scgi CONTENT_LENGTH=abc SCGI=1
	wait_log 'invalid CONTENT_LENGTH'
}

@test "SCGI: an error of the script is answered with Status: 502" {
	start_cgid listen "$(sock)" --protocol scgi
	scgi scgi CONTENT_LENGTH=0 SCGI=1 SCRIPT_NAME=/cgi-bin/garbage.sh
	[[ $output == $'Status: 502 Bad Gateway\r\n'* ]] || fail "$output"
	[[ $output != *GARBAGE-OUTPUT* ]] || fail "the script's output was relayed"
}

@test "SCGI: the front server closing the connection stops the script" {
	start_cgid listen "$(sock)" --protocol scgi
	local pidf=$BATS_TEST_TMPDIR/slow.pid
	scgi scgi CONTENT_LENGTH=0 SCGI=1 SCRIPT_NAME=/cgi-bin/slow.sh "QUERY_STRING=$pidf" \
		sleep 0.5 shut
	script_ends "$pidf"
	wait_log 'client went away'
	# nginx closes the connection when its client goes away
	rm -f "$pidf"
	start_front nginx-scgi
	curl -sS --max-time 1 -o /dev/null "http://127.0.0.1:$PORT/cgi-bin/slow.sh?$pidf" || true
	script_ends "$pidf"
}

# --- -l unix:PATH and the options ---------------------------------------------

@test "-l unix:PATH: mode 0660, HTTP over it; a stale socket is replaced" {
	local p=$BATS_TEST_TMPDIR/http.sock
	# a stale socket file: bound, never listened on, its process gone
	perl -MIO::Socket::UNIX -e 'IO::Socket::UNIX->new(Local => $ARGV[0], Listen => 0) or die' "$p"
	[ -S "$p" ] || skip "could not leave a stale socket"
	start_cgid listen "unix:$p"
	[ "$(stat -c %a "$p")" = 660 ] || fail "mode $(stat -c %a "$p")"
	run curl -sS --max-time 10 --unix-socket "$p" http://localhost/hello.txt
	[ "$status" -eq 0 ] && [ "$output" = "hello, world" ] || fail "$output"
}

@test "-l unix:PATH: tcpserver's TCP* variables of the listener are no client's address" {
	local p=$BATS_TEST_TMPDIR/http.sock
	TCPREMOTEIP=192.0.2.9 TCPREMOTEPORT=99 TCPLOCALIP=192.0.2.7 TCPLOCALPORT=77 \
		start_cgid listen "unix:$p"
	run curl -sS --max-time 10 --unix-socket "$p" http://localhost/cgi-bin/env.sh
	[ "$status" -eq 0 ] || fail "$output"
	! grep -q '192\.0\.2\.\|=77$\|=99$' <<<"$output" || fail "$(grep -E 'REMOTE|SERVER_(ADDR|PORT)' <<<"$output")"
	grep -qx 'REMOTE_ADDR=0.0.0.0' <<<"$output" || fail "$(grep REMOTE_ADDR <<<"$output")"
}

@test "-l unix:PATH: --socket-mode; a socket in use or another file is refused" {
	local p=$BATS_TEST_TMPDIR/s.sock f=$BATS_TEST_TMPDIR/plain
	start_cgid listen "unix:$p" --socket-mode 0600
	[ "$(stat -c %a "$p")" = 600 ] || fail "mode $(stat -c %a "$p")"
	run timeout 10 "$CGID" -l "unix:$p" "$ROOT"
	[ "$status" -eq 1 ] || fail "a socket in use: exit status $status"
	[[ $output == *"in use"* ]] || fail "$output"
	echo keep >"$f"
	run timeout 10 "$CGID" -l "unix:$f" "$ROOT"
	[ "$status" -eq 1 ] || fail "a plain file: exit status $status"
	[ "$(cat "$f")" = keep ] || fail "the file was touched"
}

@test "-l unix:PATH with --user: the socket is that user's and group's" {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	id nobody >/dev/null 2>&1 && getent group nogroup >/dev/null ||
		skip "no user nobody or group nogroup"
	local p=$BATS_TEST_TMPDIR/user.sock
	start_cgid listen "unix:$p" --protocol fastcgi --user nobody:nogroup
	[ "$(stat -c %U:%G:%a "$p")" = nobody:nogroup:660 ] ||
		fail "socket: $(stat -c %U:%G:%a "$p")"
}

@test "invalid --protocol, --script-stderr, --socket-mode: exit status 2" {
	run timeout 10 "$CGID" --protocol gopher "$ROOT"
	[ "$status" -eq 2 ] || fail "--protocol gopher: $status"
	run timeout 10 "$CGID" --script-stderr nowhere "$ROOT"
	[ "$status" -eq 2 ] || fail "--script-stderr nowhere: $status"
	run timeout 10 "$CGID" --socket-mode 0999 "$ROOT"
	[ "$status" -eq 2 ] || fail "--socket-mode 0999: $status"
	run timeout 10 "$CGID" --help
	[[ $output == *--protocol* && $output == *unix:PATH* ]] || fail "--help: $output"
}
