# Shared helpers for the cgid end-to-end tests (bats).
#
# Environment:
#   CGID   the server binary to test (default: ./cgid at the top of the tree)
#   CC     C compiler for the compiled test CGI program (default: cc)
#
# A test starts a server with `start_server MODE [OPTIONS...]`; the common
# teardown stops it and fails the test if a sanitizer wrote a report.

TESTS_DIR=$BATS_TEST_DIRNAME
TOP_DIR=$(cd "$TESTS_DIR/.." && pwd)

: "${CGID:=$TOP_DIR/cgid}"
case $CGID in
/*) ;;
*/*) CGID=$PWD/$CGID ;;
*) CGID=$(command -v "$CGID" || echo "$CGID") ;;
esac
export CGID

# How long (in tenths of a second) to wait for a port or a log line.
WAIT_TENTHS=50

fail() {
	printf '%s\n' "$*" >&2
	return 1
}

# ---------------------------------------------------------------------------
# Document tree

# Copy tests/www into this file's temporary directory (the server refuses
# group- or world-writable scripts, so tidy the modes) and build the C CGI.
prepare_root() {
	ROOT=$BATS_FILE_TMPDIR/www
	export ROOT
	rm -rf "$ROOT"
	cp -R "$TESTS_DIR/www" "$ROOT"
	rm -f "$ROOT/cgi-bin/hello.c"
	"${CC:-cc}" -O2 -Wall -o "$ROOT/cgi-bin/hello" "$TESTS_DIR/www/cgi-bin/hello.c"
	chmod -R u+rwX,go-w "$ROOT"
}

# ---------------------------------------------------------------------------
# Servers

# Print a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
	perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1",
			LocalPort => 0, Proto => "tcp") or die "free_port: $!\n";
		print $s->sockport, "\n";'
}

# True when a TCP socket (IPv4 or IPv6, any address) listens on PORT.
port_listening() {
	local hex
	hex=$(printf '%04X' "$1")
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v p=":$hex" '
		$4 == "0A" && substr($2, length($2) - 4) == p { found = 1 }
		END { exit !found }'
}

server_alive() {
	[ -n "${SERVER_PID:-}" ] && kill -0 "$SERVER_PID" 2>/dev/null
}

# Wait (bounded) until PORT is listening and the server still runs.
wait_port() {
	local i
	for ((i = 0; i < WAIT_TENTHS; i++)); do
		if port_listening "$1"; then
			return 0
		fi
		if ! server_alive; then
			fail "server exited before listening on port $1"
			return 1
		fi
		sleep 0.1
	done
	fail "nothing listens on port $1 after $((WAIT_TENTHS / 10)) s"
}

# start_server MODE [CGID OPTIONS...]
# MODE is one of:
#   listen     cgid -l 127.0.0.1:PORT          (cgid listens and forks)
#   listen6    cgid -l [::1]:PORT
#   sd-accept  systemd-socket-activate --accept (connection on fd 3)
#   sd-inetd   systemd-socket-activate --accept --inetd (connection on fd 0/1)
#   sd-listen  systemd-socket-activate          (listening socket on fd 3)
#   tcpserver  tcpserver (UCSPI: fd 0 reads, fd 1 writes)
# Sets HOST, PORT, LOG, SERVER_PID, SERVER_OUT, SAN_DIR.
start_server() {
	local mode=$1
	shift
	PORT=$(free_port)
	HOST=127.0.0.1
	server_files

	cgid_opts
	sd_env
	local -a server=("$CGID" "${OPTS[@]}" "$@" "$ROOT")
	local -a argv
	case $mode in
	listen) argv=("$CGID" -l "127.0.0.1:$PORT" "${OPTS[@]}" "$@" "$ROOT") ;;
	listen6)
		argv=("$CGID" -l "[::1]:$PORT" "${OPTS[@]}" "$@" "$ROOT")
		HOST='[::1]'
		;;
	sd-accept) argv=(systemd-socket-activate "${SD_ENV[@]}" -l "127.0.0.1:$PORT" --accept "${server[@]}") ;;
	sd-inetd) argv=(systemd-socket-activate "${SD_ENV[@]}" -l "127.0.0.1:$PORT" --accept --inetd "${server[@]}") ;;
	sd-listen) argv=(systemd-socket-activate "${SD_ENV[@]}" -l "127.0.0.1:$PORT" "${server[@]}") ;;
	tcpserver) argv=(tcpserver -q -H -R -l localhost 127.0.0.1 "$PORT" "${server[@]}") ;;
	*)
		fail "start_server: unknown mode '$mode'"
		return 1
		;;
	esac

	SERVER_MODE=$mode
	: >"$SERVER_OUT"
	spawn_group "$BATS_TEST_TMPDIR/server.pid" "$SERVER_OUT" "${argv[@]}" ||
		return 1
	SERVER_PID=$SPAWNED
	wait_port "$PORT" || {
		show_file "server output" "$SERVER_OUT" >&2
		return 1
	}
}

# The options every cgid of the tests gets, in OPTS: the log file, and as
# root --allow-root (scripts run as root only when told to; ALLOW_ROOT=no:
# don't).
cgid_opts() {
	OPTS=(--log "$LOG")
	if [ "$(id -u)" -eq 0 ] && [ "${ALLOW_ROOT:-yes}" = yes ]; then
		OPTS+=(--allow-root)
	fi
}

# Environment options for systemd-socket-activate, which passes its child
# only a few variables of its own.
sd_env() {
	SD_ENV=(-E "ASAN_OPTIONS=$ASAN_OPTIONS" -E "UBSAN_OPTIONS=$UBSAN_OPTIONS"
		-E "CGID_LEAK_TEST=leaked-from-the-test-environment")
	[ -n "${NOTIFY_SOCKET:-}" ] && SD_ENV+=(-E "NOTIFY_SOCKET=$NOTIFY_SOCKET")
	return 0
}

# spawn_group PIDFILE OUT COMMAND...  -- start COMMAND in a session of its
# own, so that stop_group can end all of it (an activator, cgid, their
# children), with only fds 0-2 (bats' own descriptors must not reach
# it), its output appended to OUT; SPAWNED is its pid.
spawn_group() {
	local pidfile=$1 out=$2 i
	shift 2
	rm -f "$pidfile"
	setsid sh -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" \
		</dev/null >>"$out" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	for ((i = 0; i < WAIT_TENTHS; i++)); do
		[ -s "$pidfile" ] && break
		sleep 0.1
	done
	SPAWNED=$(cat "$pidfile" 2>/dev/null)
	[ -n "$SPAWNED" ] || fail "no pid for $*"
}

# End process group PGID: TERM, a bounded wait, then KILL.
stop_group() {
	local i
	kill -TERM -- "-$1" 2>/dev/null || true
	for ((i = 0; i < WAIT_TENTHS; i++)); do
		kill -0 -- "-$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL -- "-$1" 2>/dev/null || true
}

# The files and environment of a server run: an empty log, the output
# file, sanitizer reports in files the teardown looks for, and two
# variables that must not reach a CGI program's environment.
server_files() {
	LOG=$BATS_TEST_TMPDIR/cgid.log
	SERVER_OUT=$BATS_TEST_TMPDIR/server.out
	SAN_DIR=$BATS_TEST_TMPDIR/sanitizer
	mkdir -p "$SAN_DIR"
	: >"$LOG"
	export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:log_path=$SAN_DIR/asan"
	export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$SAN_DIR/ubsan"
	export CGID_LEAK_TEST=leaked-from-the-test-environment
	export NOTIFY_SOCKET=$BATS_TEST_TMPDIR/notify.sock
}

# parallel_hello N  -- N requests to the C CGI at once, on separate
# connections; each must get its own answer.
parallel_hello() {
	local i
	local -a pids=()
	for ((i = 1; i <= $1; i++)); do
		curl -sS --max-time 10 -o "$BATS_TEST_TMPDIR/par.$i" \
			"http://127.0.0.1:$PORT/cgi-bin/hello?par=$i" &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || fail "parallel request $((i + 1)) failed"
	done
	for ((i = 1; i <= $1; i++)); do
		grep -qx "query=par=$i" "$BATS_TEST_TMPDIR/par.$i" ||
			fail "parallel request $i: wrong answer: $(cat "$BATS_TEST_TMPDIR/par.$i")"
	done
}

# Split a raw response in file $1 into $HEAD and $BODY.
split_response() {
	perl -e '
		my ($raw, $head, $body) = @ARGV;
		open(my $f, "<", $raw) or die; binmode $f;
		my $all = do { local $/; <$f> };
		my ($h, $b) = ($all, "");
		if ($all =~ /\r?\n\r?\n/) { $h = $`; $b = $'"'"'; }
		open(my $H, ">", $head) or die; binmode $H; print $H "$h\r\n";
		open(my $B, ">", $body) or die; binmode $B; print $B $b;
	' "$1" "$HEAD" "$BODY"
}

# Stop the server and everything in its process group (bounded).
stop_server() {
	[ -n "${SERVER_PID:-}" ] || return 0
	stop_group "$SERVER_PID"
	SERVER_PID=
}

show_file() {
	printf -- '--- %s (%s) ---\n' "$1" "$2"
	if [ ! -f "$2" ]; then
		echo "(missing)"
	elif LC_ALL=C grep -q '[^[:print:][:space:]]' "$2"; then
		echo "(binary, $(wc -c <"$2" | tr -d ' ') bytes)"
	else
		tail -n "${3:-40}" "$2"
	fi
}

# Fail when a sanitizer report exists (as a file under SAN_DIR or in the
# server's output or log).
check_sanitizers() {
	local f bad=0
	if [ -n "${SAN_DIR:-}" ] && [ -d "$SAN_DIR" ]; then
		for f in "$SAN_DIR"/*; do
			[ -e "$f" ] || continue
			show_file "sanitizer report" "$f" 60 >&2
			bad=1
		done
	fi
	for f in "${SERVER_OUT:-}" "${LOG:-}"; do
		[ -n "$f" ] && [ -f "$f" ] || continue
		if grep -Eq 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' "$f"; then
			show_file "sanitizer output" "$f" 60 >&2
			bad=1
		fi
	done
	[ "$bad" -eq 0 ] || fail "sanitizer report(s) found"
}

# The teardown every end-to-end test uses.
# Pids of the processes working in a directory of ROOT: a script runs in
# its own directory, and so does everything it starts.
script_pids() {
	perl -e '
		my $real = shift;
		for my $d (glob "/proc/[0-9]*") {
			my $c = readlink("$d/cwd") // next;
			print substr($d, 6), "\n" if $c eq $real || index($c, "$real/") == 0;
		}' "$(cd "$ROOT" && pwd -P)"
}

show_pids() {
	[ -n "$1" ] && ps -o pid,ppid,pgid,stat,etime,args -p "$(echo $1 | tr ' ' ,)" >&2
	return 0
}

# After the server stopped: anything still working in ROOT escaped it.
# Those processes are ended here (by pid) so that later tests start clean.
reap_strays() {
	local pids i
	for ((i = 0; i < 30; i++)); do
		pids=$(script_pids)
		[ -z "$pids" ] && return 0
		sleep 0.1
	done
	show_pids "$pids"
	kill -KILL $pids 2>/dev/null || true
	fail "processes outlived the server: $(echo $pids)"
}

common_teardown() {
	local rc=0
	stop_server
	# Give children that were still finishing a moment to write reports.
	sleep 0.1
	# Shown only when the test failed.
	show_file "cgid log" "${LOG:-}" 30
	show_file "server output" "${SERVER_OUT:-}" 30
	check_sanitizers || rc=1
	# No script process may outlive the server (scripts run in ROOT).
	[ -z "${ROOT:-}" ] || reap_strays || rc=1
	return "$rc"
}

# ---------------------------------------------------------------------------
# Requests and responses
#
# After a request, HEAD holds the response head (status line and header
# fields) and BODY the body; CODE is the status code of the final response.

# http METHOD PATH [CURL OPTIONS...]  -- a well-formed request with curl.
http() {
	local method=$1 path=$2
	shift 2
	HEAD=$BATS_TEST_TMPDIR/resp.head
	BODY=$BATS_TEST_TMPDIR/resp.body
	: >"$HEAD"
	: >"$BODY"
	local -a m=()
	case $method in
	GET) ;;
	POST) m=(-H 'Expect:') ;;
	*) m=(-X "$method") ;;
	esac
	local rc=0
	curl -sS --max-time 10 -g --path-as-is -D "$HEAD" -o "$BODY" "${m[@]}" "$@" \
		"http://$HOST:$PORT$path" || rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "curl $method $path failed with exit status $rc"
		return 1
	fi
	CODE=$(status_code)
}

# raw 'REQUEST'  -- send REQUEST (printf %b escapes: \r \n) as it is and
# read the reply until the server closes the connection (bounded).
raw() {
	local req=$BATS_TEST_TMPDIR/req.raw
	printf '%b' "$1" >"$req"
	raw_file "$req"
}

# nosys_wrapper SYSCALL... [-- LINE...]  -- a kernel without these system
# calls: $CGID becomes a script that runs the real cgid with a preloaded
# syscall() failing with ENOSYS for each (as before Linux 5.6 for openat2,
# 5.9 for close_range), after the shell LINEs.  The real cgid is left in
# REAL_CGID.  Skipped for the sanitizer build, whose library must be
# loaded first.
nosys_wrapper() {
	local src=$BATS_TEST_TMPDIR/nosys.c cond="" lines=()
	ldd "$CGID" | grep -q libasan && skip "the sanitizer's library must be loaded first"
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		cond+="n == SYS_$1 || "
		shift
	done
	[ "${1-}" = -- ] && shift && lines=("$@")
	cat >"$src" <<EOF
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <sys/syscall.h>
static long (*real)(long, ...);
__attribute__((constructor)) static void init(void) { real = dlsym(RTLD_NEXT, "syscall"); }
long syscall(long n, ...)
{
	va_list ap; long a[6]; int i;
	va_start(ap, n);
	for (i = 0; i < 6; i++) a[i] = va_arg(ap, long);
	va_end(ap);
	if (${cond}0) { errno = ENOSYS; return -1; }
	return real(n, a[0], a[1], a[2], a[3], a[4], a[5]);
}
EOF
	cc -shared -fPIC -o "$BATS_TEST_TMPDIR/nosys.so" "$src" -ldl ||
		fail "cannot build the preload library"
	REAL_CGID=$CGID
	CGID=$BATS_TEST_TMPDIR/cgid-nosys
	printf '%s\n' '#!/bin/bash' "${lines[@]}" \
		"LD_PRELOAD='$BATS_TEST_TMPDIR/nosys.so' exec '$REAL_CGID' \"\$@\"" >"$CGID"
	chmod 755 "$CGID"
}

# make_script NAME LINE...  -- $ROOT/cgi-bin/NAME of these lines, executable
make_script() {
	local name=$1
	shift
	printf '%s\n' "$@" >"$ROOT/cgi-bin/$name"
	chmod 755 "$ROOT/cgi-bin/$name"
}

# raw_file FILE  -- like raw, with the request bytes taken from FILE.
# With HALF_CLOSE=1 the client shuts down its sending side once the
# request is out (as nc -N does).
raw_file() {
	RAW=$BATS_TEST_TMPDIR/resp.raw
	HEAD=$BATS_TEST_TMPDIR/resp.head
	BODY=$BATS_TEST_TMPDIR/resp.body
	local rc=0
	timeout 15 perl -MIO::Socket::INET -MIO::Select -e '
		use strict;
		my ($port, $file, $half) = @ARGV;
		open(my $f, "<", $file) or die "$file: $!\n";
		binmode $f;
		my $req = do { local $/; <$f> };
		my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1",
			PeerPort => $port, Proto => "tcp", Timeout => 5)
			or die "connect: $!\n";
		$SIG{PIPE} = "IGNORE";
		binmode STDOUT;
		my $off = 0;
		my $sel = IO::Select->new($s);
		my $deadline = time + 10;
		# Write the request while reading whatever comes back, so that an
		# early answer (the server gave up on us) is not lost.
		while (time < $deadline) {
			my ($r, $w) = IO::Select->select($sel,
				$off < length($req) ? $sel : undef, undef, 0.5);
			if ($r && @$r) {
				my $n = sysread($s, my $buf, 65536);
				last unless $n;      # EOF or reset: done
				print $buf;
			}
			if ($w && @$w && $off < length($req)) {
				my $n = syswrite($s, $req, 65536, $off);
				if (defined $n) { $off += $n } else { $off = length($req) }
				shutdown($s, 1) if $half && $off >= length($req);
			}
		}
		exit(time < $deadline ? 0 : 3);
	' "$PORT" "$1" "${HALF_CLOSE:-0}" >"$RAW" || rc=$?
	split_response "$RAW"
	CODE=$(status_code)
	if [ "$rc" -ne 0 ]; then
		show_file "partial response" "$RAW" >&2
		fail "raw request failed (status $rc; 3 = no end of response within 10 s, 124 = timeout)"
		return 1
	fi
}

# The status code of the last response in HEAD.
status_code() {
	tr -d '\r' <"$HEAD" | awk '/^HTTP\// { c = $2 } END { print c }'
}

# The status line (without CR) of the last response in HEAD.
status_line() {
	tr -d '\r' <"$HEAD" | grep '^HTTP/' | tail -n 1
}

# header NAME  -- the value of header field NAME in the last response.
header() {
	tr -d '\r' <"$HEAD" | awk -v name="$1" '
		/^HTTP\// { found = 0; val = "" }
		{
			i = index($0, ":")
			if (i > 1 && tolower(substr($0, 1, i - 1)) == tolower(name)) {
				v = substr($0, i + 1)
				sub(/^[ \t]+/, "", v)
				sub(/[ \t]+$/, "", v)
				val = v
				found = 1
			}
		}
		END { if (found) print val; exit !found }'
}

# ---------------------------------------------------------------------------
# Assertions (each prints what it saw when it fails)

dump_response() {
	show_file "response head" "$HEAD" 60
	show_file "response body" "$BODY" 20
}

assert_code() {
	if [ "$CODE" != "$1" ]; then
		dump_response >&2
		fail "expected status $1, got '${CODE}'"
		return 1
	fi
}

# assert_code_in CODE...  -- any of the codes will do
assert_code_in() {
	local c
	for c in "$@"; do
		[ "$CODE" = "$c" ] && return 0
	done
	dump_response >&2
	fail "expected status in {$*}, got '${CODE}'"
}

assert_header() {
	local v
	if ! v=$(header "$1"); then
		dump_response >&2
		fail "no header field $1"
		return 1
	fi
	if [ $# -ge 2 ] && [ "$v" != "$2" ]; then
		dump_response >&2
		fail "header $1: expected '$2', got '$v'"
		return 1
	fi
}

# assert_header_match NAME ERE
assert_header_match() {
	local v
	if ! v=$(header "$1") || ! [[ $v =~ $2 ]]; then
		dump_response >&2
		fail "header $1 ('${v:-absent}') does not match /$2/"
		return 1
	fi
}

refute_header() {
	local v
	if v=$(header "$1"); then
		dump_response >&2
		fail "unexpected header field $1: $v"
		return 1
	fi
}

assert_body() {
	local got
	got=$(cat "$BODY")
	if [ "$got" != "$1" ]; then
		dump_response >&2
		fail "body differs; expected: $1"
		return 1
	fi
}

assert_body_contains() {
	if ! grep -qF -- "$1" "$BODY"; then
		dump_response >&2
		fail "body does not contain '$1'"
		return 1
	fi
}

refute_body_contains() {
	if grep -qF -- "$1" "$BODY"; then
		dump_response >&2
		fail "body contains '$1'"
		return 1
	fi
}

assert_body_empty() {
	if [ -s "$BODY" ]; then
		dump_response >&2
		fail "body not empty ($(wc -c <"$BODY") bytes)"
		return 1
	fi
}

# The body is an env(1) listing: assert a NAME=VALUE line is in it.
assert_env() {
	if ! grep -qxF -- "$1" "$BODY"; then
		show_file "environment" "$BODY" 80 >&2
		fail "environment lacks '$1'"
		return 1
	fi
}

# assert_env_set NAME  -- NAME is present with a non-empty value
assert_env_set() {
	if ! grep -q "^$1=." "$BODY"; then
		show_file "environment" "$BODY" 80 >&2
		fail "environment lacks a value for $1"
		return 1
	fi
}

refute_env() {
	local n
	for n in "$@"; do
		if grep -q "^$n=" "$BODY"; then
			show_file "environment" "$BODY" 80 >&2
			fail "environment must not contain $n"
			return 1
		fi
	done
}

# What activators and the test itself put into the server's environment
# and a CGI program must not see.
ACTIVATION_VARS=(LISTEN_PID LISTEN_FDS LISTEN_FDNAMES NOTIFY_SOCKET PROTO
	TCPREMOTEIP TCPREMOTEPORT TCPREMOTEHOST TCPREMOTEINFO
	TCPLOCALIP TCPLOCALPORT TCPLOCALHOST)

refute_leaks() {
	refute_env "${ACTIVATION_VARS[@]}" CGID_LEAK_TEST HTTP_PROXY ASAN_OPTIONS UBSAN_OPTIONS || return 1
	if grep -q '^BATS_' "$BODY"; then
		show_file "environment" "$BODY" 80 >&2
		fail "environment contains the test runner's variables"
		return 1
	fi
}

# wait_log ERE [COUNT]  -- wait (bounded) until the log has COUNT lines
# (default 1) matching ERE; the log is written after the response.
wait_log() {
	local want=${2:-1} n i
	for ((i = 0; i < WAIT_TENTHS; i++)); do
		n=$(grep -Ec -- "$1" "$LOG" 2>/dev/null || true)
		[ "${n:-0}" -ge "$want" ] && return 0
		sleep 0.1
	done
	show_file "cgid log" "$LOG" >&2
	fail "log has ${n:-0} line(s) matching /$1/, expected $want"
}

# log_count ERE  -- how many log lines match now
log_count() {
	grep -Ec -- "$1" "$LOG" 2>/dev/null || true
}
