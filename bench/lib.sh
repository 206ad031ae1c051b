# Helpers for bench/run.sh: dependencies, the document tree, the servers
# and the load generators.  POSIX sh; sourced, not run.
#
# Expects: BENCH (this directory), W (the work directory), WWW (the
# document tree, $W/www), BIN ($W/bin, compiled helpers), CGID (the server
# under test), and the knobs set in run.sh.
#
# Lists ($CGID_ARGS, the numbers a tool prints) are split into words on
# purpose, and "A && B || die" means "die unless A and B".
# shellcheck disable=SC2086,SC2046,SC2015

say() {
	printf 'bench: %s\n' "$*" >&2
}

die() {
	printf 'bench: FAILED: %s\n' "$*" >&2
	exit 1
}

# ---------------------------------------------------------------------------
# Dependencies

# need PACKAGE PROBE: PROBE is a command name, an absolute path, or empty
# for "the package is installed".
need() {
	case $2 in
	/*) [ -e "$2" ] && return 0 ;;
	"") dpkg -s "$1" >/dev/null 2>&1 && return 0 ;;
	*) command -v "$2" >/dev/null 2>&1 && return 0 ;;
	esac
	missing="$missing $1"
}

install_deps() {
	missing=
	sudo=
	need lighttpd /usr/sbin/lighttpd
	[ -x /usr/sbin/nginx ] || need nginx-light /usr/sbin/nginx
	need fcgiwrap /usr/sbin/fcgiwrap
	need busybox busybox
	need mini-httpd /usr/sbin/mini_httpd
	need wrk wrk
	need apache2-utils ab
	need curl curl
	need gnuplot-nox gnuplot
	need systemd /usr/bin/systemd-socket-activate
	need gcc gcc
	need libc6-dev ""
	need binutils strip
	need musl-tools musl-gcc
	need perl perl
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" -eq 0 ]; then
		:
	elif command -v sudo >/dev/null 2>&1; then
		sudo=sudo
	else
		die "missing:$missing (not root and no sudo: install them by hand)"
	fi
	command -v apt-get >/dev/null 2>&1 ||
		die "missing:$missing (no apt-get: install them by hand)"
	say "installing:$missing"
	$sudo apt-get update -q || die "apt-get update"
	# lighttpd and nginx would each start their system service on port 80
	# when installed, and the second one's installation would fail.  The
	# benchmark starts its own instances and needs neither service, so
	# while it installs, a policy-rc.d (Debian's switch for installing
	# without starting services) keeps them from being started; it is
	# removed right after.  An existing policy-rc.d is left alone.
	policy=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		policy=/usr/sbin/policy-rc.d
		printf '#!/bin/sh\n# cgid bench/run.sh: no service starts while it installs\nexit 101\n' |
			$sudo tee "$policy" >/dev/null && $sudo chmod 755 "$policy" ||
			policy=
	fi
	rc=0
	$sudo env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends $missing || rc=$?
	[ -z "$policy" ] || $sudo rm -f "$policy"
	policy=
	[ $rc -eq 0 ] || die "apt-get install$missing"
}

# ---------------------------------------------------------------------------
# Helpers and the document tree

build_helpers() {
	mkdir -p "$BIN" "$WWW/cgi-bin"
	cflags="-O2 -Wall -Wextra"
	for p in hello big sink; do
		gcc $cflags -static -o "$WWW/cgi-bin/$p.cgi" "$BENCH/$p.c" ||
			die "cannot compile bench/$p.c"
	done
	gcc $cflags -static -o "$BIN/trivial-static" "$BENCH/trivial.c" ||
		die "cannot compile bench/trivial.c"
	gcc $cflags -o "$BIN/trivial-dynamic" "$BENCH/trivial.c" ||
		die "cannot compile bench/trivial.c"
	musl-gcc $cflags -static -o "$BIN/trivial-musl" "$BENCH/trivial.c" ||
		die "cannot compile bench/trivial.c with musl-gcc"
	for p in startcost peakrss freeport upload; do
		gcc $cflags -o "$BIN/$p" "$BENCH/$p.c" ||
			die "cannot compile bench/$p.c"
	done
}

# index.html: a small document of exactly 1024 bytes.
make_tree() {
	{
		printf '<!DOCTYPE html>\n<html><head><title>cgid benchmark'
		printf '</title></head><body>\n'
		i=0
		while [ $i -lt 14 ]; do
			printf '<p>Lorem ipsum dolor sit amet, consectetur '
			printf 'adipiscing elit %02d.</p>\n' $i
			i=$((i + 1))
		done
		printf '</body></html>\n'
	} >"$WWW/index.html"
	[ "$(wc -c <"$WWW/index.html")" -eq 1024 ] ||
		die "index.html is not 1024 bytes"
	chmod -R u=rwX,go=rX "$WWW"
	chmod 755 "$W"
	head -c "$UP_BYTES" /dev/zero >"$W/upload.bin"
}

# ---------------------------------------------------------------------------
# Servers
#
# Each server NAME gets a port ($W/run/NAME.port) and runs in a session of
# its own ($W/run/NAME.pid holds the leader), so that stopping it ends
# every process it started.  Logs go to $W/log/NAME.log.

# shellcheck disable=SC2034 # used by run.sh
SERVERS="cgid-inetd cgid-static-inetd cgid cgid-static-l lighttpd nginx busybox
	busybox-inetd mini_httpd"

label() {
	case $1 in
	cgid-inetd) echo "cgid, per connection (socket activator)" ;;
	cgid-static-inetd) echo "cgid static (musl), per connection (socket activator)" ;;
	cgid) echo "cgid, long-running (-l)" ;;
	cgid-static-l) echo "cgid static (musl), long-running (-l)" ;;
	lighttpd) echo "lighttpd + mod_cgi" ;;
	nginx) echo "nginx + fcgiwrap" ;;
	busybox) echo "busybox httpd" ;;
	busybox-inetd) echo "busybox httpd -i (socket activator)" ;;
	mini_httpd) echo "mini_httpd" ;;
	*) echo "$1" ;;
	esac
}

# Name of the process that serves one connection, and whose parent is the
# process started (the activator or the listener); "" when there is no
# such process of the server's own: lighttpd and nginx serve connections
# in long-lived workers, and mini_httpd's connection process becomes the
# CGI program (exec) and relays its output through a fork of itself.
conn_comm() {
	case $1 in
	cgid-inetd | cgid) echo cgid ;;
	cgid-static-inetd | cgid-static-l) echo cgid-static ;;
	busybox | busybox-inetd) echo busybox ;;
	*) echo "" ;;
	esac
}

conn_comm_why() {
	case $1 in
	mini_httpd) echo "the connection's process becomes the CGI program" ;;
	*) echo "no process per connection" ;;
	esac
}

port_of() {
	cat "$W/run/$1.port"
}

pid_of() {
	cat "$W/run/$1.pid"
}

# launch NAME COMMAND...: start COMMAND in a session of its own.
launch() {
	_launch=$1
	shift
	setsid "$@" >>"$W/log/$_launch.log" 2>&1 &
	echo $! >"$W/run/$_launch.pid"
}

conf_lighttpd() {
	d=$W/lighttpd
	mkdir -p "$d/tmp"
	cat >"$d/lighttpd.conf" <<EOF
server.document-root = "$WWW"
server.bind = "127.0.0.1"
server.port = $1
server.modules = ("mod_cgi")
server.errorlog = "$d/error.log"
server.upload-dirs = ("$d/tmp")
server.max-keep-alive-requests = 1000000
server.max-keep-alive-idle = 30
server.stream-request-body = $LIGHTTPD_STREAM_REQUEST
server.stream-response-body = $LIGHTTPD_STREAM_RESPONSE
index-file.names = ("index.html")
mimetype.assign = (".html" => "text/html", ".txt" => "text/plain")
cgi.assign = (".cgi" => "")
\$HTTP["url"] =~ "^/cgi-bin/" { cgi.assign = ("" => "") }
EOF
}

conf_nginx() {
	d=$W/nginx
	mkdir -p "$d/tmp"
	user=
	[ "$(id -u)" -eq 0 ] && user="user $(id -un) $(id -gn);"
	cat >"$d/nginx.conf" <<EOF
$user
worker_processes auto;
pid $d/nginx.pid;
error_log $d/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $d/tmp/body;
	proxy_temp_path $d/tmp/proxy;
	fastcgi_temp_path $d/tmp/fastcgi;
	uwsgi_temp_path $d/tmp/uwsgi;
	scgi_temp_path $d/tmp/scgi;
	types { text/html html; text/plain txt; }
	default_type application/octet-stream;
	sendfile on;
	keepalive_requests 1000000;
	client_max_body_size 0;
	server {
		listen 127.0.0.1:$1;
		root $WWW;
		index index.html;
		location ~ \\.cgi\$ {
			fastcgi_pass unix:$d/fcgiwrap.sock;
			fastcgi_request_buffering $NGINX_REQUEST_BUFFERING;
			fastcgi_buffering $NGINX_RESPONSE_BUFFERING;
			fastcgi_max_temp_file_size 0;
			fastcgi_buffers 16 64k;
			fastcgi_param GATEWAY_INTERFACE CGI/1.1;
			fastcgi_param SERVER_SOFTWARE nginx;
			fastcgi_param SERVER_PROTOCOL \$server_protocol;
			fastcgi_param SERVER_NAME \$server_name;
			fastcgi_param SERVER_ADDR \$server_addr;
			fastcgi_param SERVER_PORT \$server_port;
			fastcgi_param REMOTE_ADDR \$remote_addr;
			fastcgi_param REMOTE_PORT \$remote_port;
			fastcgi_param REQUEST_METHOD \$request_method;
			fastcgi_param REQUEST_URI \$request_uri;
			fastcgi_param QUERY_STRING \$query_string;
			fastcgi_param CONTENT_TYPE \$content_type;
			fastcgi_param CONTENT_LENGTH \$content_length;
			fastcgi_param SCRIPT_NAME \$fastcgi_script_name;
			fastcgi_param DOCUMENT_ROOT \$document_root;
			fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
		}
	}
}
EOF
}

start_server() {
	name=$1
	port=$2
	echo "$port" >"$W/run/$name.port"
	case $name in
	cgid-inetd)
		launch "$name" systemd-socket-activate -l "127.0.0.1:$port" \
			--accept --inetd "$CGID" $CGID_ARGS "$WWW" ;;
	cgid-static-inetd)
		launch "$name" systemd-socket-activate -l "127.0.0.1:$port" \
			--accept --inetd "$CGID_STATIC" $CGID_ARGS "$WWW" ;;
	cgid)
		launch "$name" "$CGID" -l "127.0.0.1:$port" $CGID_ARGS "$WWW" ;;
	cgid-static-l)
		launch "$name" "$CGID_STATIC" -l "127.0.0.1:$port" $CGID_ARGS "$WWW" ;;
	lighttpd)
		conf_lighttpd "$port"
		launch "$name" lighttpd -D -f "$W/lighttpd/lighttpd.conf" ;;
	nginx)
		conf_nginx "$port"
		launch fcgiwrap fcgiwrap -c "$FCGI_CHILDREN" \
			-s "unix:$W/nginx/fcgiwrap.sock"
		launch "$name" nginx -e "$W/nginx/error.log" -p "$W/nginx" \
			-c "$W/nginx/nginx.conf" -g 'daemon off;' ;;
	busybox)
		: >"$W/busybox-httpd.conf"
		launch "$name" busybox httpd -f -p "127.0.0.1:$port" \
			-h "$WWW" -c "$W/busybox-httpd.conf" ;;
	busybox-inetd)
		: >"$W/busybox-httpd.conf"
		launch "$name" systemd-socket-activate -l "127.0.0.1:$port" \
			--accept --inetd busybox httpd -i -h "$WWW" \
			-c "$W/busybox-httpd.conf" ;;
	mini_httpd)
		launch "$name" mini_httpd -D -p "$port" -h 127.0.0.1 -d "$WWW" \
			-c '**.cgi' -l /dev/null -u "$(id -un)" ;;
	*) die "unknown server $name" ;;
	esac
	i=0
	until curl -fsS -o /dev/null --max-time 2 \
		"http://127.0.0.1:$port/index.html" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -ge 100 ] || ! kill -s 0 "$(pid_of "$name")" 2>/dev/null
		then
			tail -n 20 "$W/log/$name.log" >&2
			die "$(label "$name") did not start on port $port"
		fi
		sleep 0.1
	done
}

# Stop the session led by the process in $W/run/NAME.pid: TERM, then KILL
# after 3 s.
stop_one() {
	f=$W/run/$1.pid
	[ -f "$f" ] || return 0
	p=$(cat "$f")
	rm -f "$f"
	kill -s TERM -- "-$p" 2>/dev/null || kill -s TERM "$p" 2>/dev/null ||
		true
	i=0
	while kill -s 0 -- "-$p" 2>/dev/null && [ $i -lt 30 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -s KILL -- "-$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	return 0
}

stop_all() {
	[ -d "$W/run" ] || return 0
	for f in "$W"/run/*.pid; do
		[ -f "$f" ] || continue
		n=${f##*/}
		stop_one "${n%.pid}"
	done
}

# ---------------------------------------------------------------------------
# Checks that every server answers right before anything is timed

# get SERVER PATH OUTFILE: GET with curl; prints the status code.
get() {
	curl -sS --max-time 20 -o "$3" -w '%{http_code}' \
		"http://127.0.0.1:$(port_of "$1")$2" 2>>"$W/log/curl.log" || true
}

check_server() {
	s=$1
	code=$(get "$s" /index.html "$W/body")
	[ "$code" = 200 ] && cmp -s "$W/body" "$WWW/index.html" ||
		die "$(label "$s"): GET /index.html: status $code or wrong body"
	code=$(get "$s" /cgi-bin/hello.cgi "$W/body")
	[ "$code" = 200 ] && [ "$(cat "$W/body")" = hello ] ||
		die "$(label "$s"): GET /cgi-bin/hello.cgi: status $code or wrong body"
	code=$(get "$s" "/cgi-bin/big.cgi?100000" "$W/body")
	[ "$code" = 200 ] && [ "$(wc -c <"$W/body")" -eq 100000 ] ||
		die "$(label "$s"): GET /cgi-bin/big.cgi: status $code or wrong length"
	# Persistent connections: does a second request reuse the first
	# connection?  (curl counts the connections each transfer opened.)
	for path in /index.html /cgi-bin/hello.cgi; do
		n=$(curl -sS --max-time 20 -o /dev/null -o /dev/null \
			-w '%{num_connects}\n' \
			"http://127.0.0.1:$(port_of "$s")$path" \
			"http://127.0.0.1:$(port_of "$s")$path" | tail -n 1)
		case $path in
		/index.html) echo "${n:-1}" >"$W/run/$s.ka-doc" ;;
		*) echo "${n:-1}" >"$W/run/$s.ka-hello" ;;
		esac
	done
}

# keepalive SERVER WORKLOAD: true when SERVER keeps connections open for
# the path of WORKLOAD.
keepalive() {
	case $2 in
	hello-*) [ "$(cat "$W/run/$1.ka-hello")" = 0 ] ;;
	*) [ "$(cat "$W/run/$1.ka-doc")" = 0 ] ;;
	esac
}

# ---------------------------------------------------------------------------
# Measurements; each appends "WORKLOAD<TAB>SERVER<TAB>ROUND<TAB>VALUE" to
# $RESULTS.

record() {
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$RESULTS"
}

note() {
	printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$NOTES"
}

# rate_run SERVER WORKLOAD ROUND: requests per second.
#
# One request per connection (*-close) is measured with ab, which opens
# exactly one connection per request (HTTP/1.0, no keep-alive).  wrk with
# "Connection: close" does not: when a response ends with the connection,
# as a CGI response without Content-Length does, wrk reconnects twice and
# every request costs the server an extra, empty connection.  Keep-alive
# (*-ka) is measured with wrk.
rate_run() {
	case $2 in
	hello-*) _path=/cgi-bin/hello.cgi ;;
	doc-*) _path=/index.html ;;
	esac
	_url=http://127.0.0.1:$(port_of "$1")$_path
	_out=$W/log/$2-$1-$3.txt
	case $2 in
	*-close)
		ab -q -c "$CONNS" -t "$SECS" -n $((SECS * 40000)) "$_url" \
			>"$_out" 2>&1 ||
			{ tail -n 5 "$_out" >&2; die "ab failed on $(label "$1") $2"; }
		_rps=$(awk '/^Requests per second:/ { print $4 }' "$_out")
		_total=$(awk '/^Complete requests:/ { print $3 }' "$_out")
		_failed=$(awk '/^Failed requests:/ { print $3 }' "$_out")
		_bad=$(awk '/^Non-2xx responses:/ { print $3 }' "$_out")
		[ -n "$_rps" ] && [ "${_total:-0}" -gt 0 ] ||
			die "$(label "$1") $2: no requests completed (see ab's output above)"
		[ "${_failed:-0}" -eq 0 ] ||
			{ cat "$_out" >&2; die "$(label "$1") $2: $_failed failed requests"; }
		[ "${_bad:-0}" -eq 0 ] ||
			die "$(label "$1") $2: $_bad responses with a status other than 2xx"
		;;
	*)
		wrk -t1 -c"$CONNS" -d"${SECS}s" --timeout 5s "$_url" \
			>"$_out" 2>&1 ||
			{ cat "$_out" >&2; die "wrk failed on $(label "$1") $2"; }
		_rps=$(awk '/^Requests\/sec:/ { print $2 }' "$_out")
		_total=$(awk '/ requests in / { print $1 }' "$_out")
		_bad=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$_out")
		set -- "$1" "$2" "$3" $(sed -n \
			's/.*Socket errors: connect \([0-9]*\), read \([0-9]*\), write \([0-9]*\), timeout \([0-9]*\).*/\1 \2 \3 \4/p' \
			"$_out")
		[ -n "$_rps" ] && [ "${_total:-0}" -gt 0 ] ||
			{ cat "$_out" >&2; die "$(label "$1") $2: no requests completed"; }
		[ "${_bad:-0}" -eq 0 ] ||
			{ cat "$_out" >&2; die "$(label "$1") $2: $_bad responses with status >= 400"; }
		[ "${4:-0}" -eq 0 ] && [ "${6:-0}" -eq 0 ] && [ "${7:-0}" -eq 0 ] ||
			{ cat "$_out" >&2; die "$(label "$1") $2: connect, write or timeout errors"; }
		# A server may end a kept-alive connection after some number of
		# requests (cgid after 1000).  When its last response ends with
		# the connection, wrk counts a read error: accept one per 500
		# requests and one per connection, no more.
		[ "${5:-0}" -le $((_total / 500 + CONNS)) ] ||
			{ cat "$_out" >&2; die "$(label "$1") $2: ${5} read errors in $_total requests"; }
		;;
	esac
	record "$2" "$1" "$3" "$_rps"
}

# rss_watch SERVER: start peakrss on the per-connection processes of
# SERVER (if it has any); rss_collect reads its answer.
rss_watch() {
	rss_pid=
	comm=$(conn_comm "$1")
	[ -n "$comm" ] || return 0
	"$BIN/peakrss" "$(pid_of "$1")" "$comm" "$XFER_TIMEOUT" >"$W/rss.out" &
	rss_pid=$!
}

# rss_collect SERVER WORKLOAD ROUND
rss_collect() {
	[ -n "$rss_pid" ] || return 0
	# peakrss ends when the process it follows has exited: give that 5 s.
	_rss=0
	while kill -s 0 "$rss_pid" 2>/dev/null && [ $_rss -lt 50 ]; do
		sleep 0.1
		_rss=$((_rss + 1))
	done
	kill -s TERM "$rss_pid" 2>/dev/null || true
	wait "$rss_pid" || true
	read -r kib nproc <"$W/rss.out" || die "peakrss gave no answer"
	[ "$nproc" -ge 1 ] && [ "$kib" -gt 0 ] ||
		die "$(label "$1"): no per-connection process seen during $2"
	record "rss-$2" "$1" "$3" "$kib"
}

# A failed transfer fails the benchmark at once for cgid.  A peer gets up
# to five tries per round, and a round in which all fail has no value for
# it: mini_httpd 1.30 loses about half of its responses to large POSTs
# (its relay of the request body shuts the connection down before the
# response is written), and one bug of a peer should not hide all other
# results.  Every failed try is counted in the report.
tries_of() {
	case $1 in
	cgid*) echo 1 ;;
	*) echo 5 ;;
	esac
}

# transfer SERVER WORKLOAD ROUND [rss]: one download or upload, checked;
# its rate is left in $_rate (empty: no value), or with rss the peak
# memory of the server's per-connection process is recorded instead (the
# watcher reads /proc every 2 ms, so a transfer it watches is not timed).
transfer() {
	_t=0
	_rate=
	_tries=$(tries_of "$1")
	_watch=${4:-}
	while :; do
		_t=$((_t + 1))
		rss_pid=
		[ -z "$_watch" ] || rss_watch "$1"
		rm -f "$W/body"
		case $2 in
		download)
			_res=$(curl -sS --max-time "$XFER_TIMEOUT" -o /dev/null \
				-w '%{http_code} %{size_download} %{time_total}' \
				"http://127.0.0.1:$(port_of "$1")/cgi-bin/big.cgi?$DOWN_BYTES" \
				2>>"$W/log/curl.log") || true
			_want=$DOWN_BYTES ;;
		upload)
			_res=$("$BIN/upload" "$(port_of "$1")" /cgi-bin/sink.cgi \
				"$W/upload.bin" "$W/body" "$XFER_TIMEOUT" \
				2>>"$W/log/upload.log") || true
			_want=$UP_BYTES ;;
		esac
		set -- "$1" "$2" "$3" $_res
		_got=
		[ "$2" = upload ] && _got=$(cat "$W/body" 2>/dev/null || true)
		if [ "${4:-}" = 200 ] && [ "${5:-0}" -eq "$_want" ] &&
			{ [ "$2" = download ] || [ "$_got" = "$UP_BYTES" ]; }; then
			break
		fi
		_why="status ${4:-none}, ${5:-0} of $_want bytes moved"
		[ "$2" = upload ] && _why="$_why, the CGI counted '$_got'"
		rss_collect_quiet
		[ "$_tries" -gt 1 ] || die "$(label "$1") $2: $_why"
		printf '%s\t%s\n' "$2" "$1" >>"$FAILURES"
		if [ $_t -ge "$_tries" ]; then
			say "$(label "$1") $2, try $_t: $_why; no value this round"
			return 0
		fi
		say "$(label "$1") $2, try $_t: $_why; trying again"
		set -- "$1" "$2" "$3"
	done
	if [ -n "$_watch" ]; then
		rss_collect "$1" "$2" "$3"
	else
		_rate=$(awk -v b="$5" -v t="$6" 'BEGIN { printf "%.1f", b / t / 1e6 }')
	fi
}

# timed_transfer SERVER WORKLOAD ROUND: $XFER_BEST transfers in a row, of
# which the fastest is recorded.  With the clients, the servers and the
# programs sharing two cores, a transfer now and then runs at a fraction
# of the usual rate, with every server alike (seen: under 500 MB/s where
# the same transfer mostly runs at 1500-2500); the best of a few measures
# the server rather than that.
timed_transfer() {
	_best=
	_i=0
	while [ $_i -lt "$XFER_BEST" ]; do
		_i=$((_i + 1))
		transfer "$1" "$2" "$3"
		if [ -n "$_rate" ] && { [ -z "$_best" ] ||
			awk -v a="$_rate" -v b="$_best" 'BEGIN { exit !(a > b) }'; }; then
			_best=$_rate
		fi
	done
	[ -z "$_best" ] || record "$2" "$1" "$3" "$_best"
}

rss_collect_quiet() {
	[ -n "$rss_pid" ] || return 0
	kill -s TERM "$rss_pid" 2>/dev/null || true
	wait "$rss_pid" || true
}
