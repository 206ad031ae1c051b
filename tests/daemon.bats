#!/usr/bin/env bats
# The long-running mode (systemd Accept=no, inetd wait, -l): readiness and
# status notifications, the watchdog, --idle-exit, a graceful stop on
# SIGTERM with --grace, --max-connections; and the privileges and limits
# the programs run with: --user, --chroot, --allow-root, --limit.
#
# systemd itself is not there: systemd-socket-activate hands over the
# listening socket as systemd does for Accept=no, and a small listener
# (deploy/notify-listen.pl) takes the place of the service manager's
# notification socket.

load lib
load deploy/helpers

setup_file() {
	deploy_root
}

setup() {
	MARKS=$BATS_TEST_TMPDIR/marks
	mkdir -p "$MARKS"
	chmod 1777 "$MARKS"
	EXTRA_GROUPS=$BATS_TEST_TMPDIR/extra-groups
}

teardown() {
	hold_close
	common_teardown
	kill_extra_groups
	notify_stop
}

# daemon [ACTIVATOR ENV...] -- CGID OPTIONS  -- cgid as systemd runs it for
# Accept=no: systemd-socket-activate passes the listening socket on fd 3,
# and execs cgid in its own place at the first connection (so SERVER_PID
# is cgid's pid from then on).  ACTIVATOR ENV are -E NAME=VALUE options.
daemon() {
	local -a env=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		env+=("$1")
		shift
	done
	shift
	PORT=$(free_port)
	HOST=127.0.0.1
	LOG=$BATS_TEST_TMPDIR/cgid.log
	: >"$LOG"
	cgid_opts
	server_env
	sd_env
	# WATCHDOG_PID names cgid (the shell's pid, kept by every exec) unless
	# the test sets it.
	local self='-E WATCHDOG_PID=$$'
	[[ " ${env[*]} " == *" WATCHDOG_PID="* ]] && self=
	launch sh -c "exec systemd-socket-activate $self \"\$@\"" sh \
		"${SD_ENV[@]}" "${env[@]}" -l "127.0.0.1:$PORT" \
		"$CGID" "${OPTS[@]}" --env "MARK_DIR=$MARKS" "$@" "$ROOT"
	wait_listen "$PORT"
}

# listen_daemon CGID OPTIONS  -- cgid -l 127.0.0.1:PORT; started through
# the command in the array WRAP when the caller sets one
listen_daemon() {
	PORT=$(free_port)
	HOST=127.0.0.1
	LOG=$BATS_TEST_TMPDIR/cgid.log
	: >"$LOG"
	cgid_opts
	launch "${WRAP[@]}" "$CGID" -l "127.0.0.1:$PORT" "${OPTS[@]}" \
		--env "MARK_DIR=$MARKS" "$@" "$ROOT"
	wait_listen "$PORT"
}

# server_status [TENTHS]  -- wait (bounded) until the server has ended;
# its exit status goes to RC.  (wait must run in the test's own shell, the
# server's parent, not in a $(...) subshell.)
server_status() {
	wait_gone "$SERVER_PID" "${1:-100}" || return 1
	RC=0
	wait "$SERVER_PID" 2>/dev/null || RC=$?
}

# The newest slow.sh marker: "PID START".
slow_mark() {
	cat "$(ls -t "$MARKS"/slow.* | head -n 1)"
}

# --- notifications ----------------------------------------------------------

@test "Accept=no: READY=1 once accepting, STATUS with counters, STOPPING=1 and exit 0 on SIGTERM" {
	notify_listen
	daemon -- 
	# systemd-socket-activate starts cgid at the first connection
	http GET /hello.txt
	assert_code 200
	assert_body "hello, world"
	wait_notify '^READY=1$'
	wait_notify '^STATUS=accepting connections$'
	http GET '/cgi-bin/hello?x'
	assert_code 200
	wait_notify '^STATUS=0 open, 2 served$'
	# READY=1 came before the first STATUS with counters
	local ready first
	ready=$(grep -n ' READY=1$' "$NOTIFY_OUT" | head -n 1 | cut -d: -f1)
	first=$(grep -n ' STATUS=[0-9]* open' "$NOTIFY_OUT" | head -n 1 | cut -d: -f1)
	[ "$ready" -lt "$first" ] || fail "READY=1 after the first counters"
	kill -TERM "$SERVER_PID"
	wait_notify '^STOPPING=1$'
	wait_notify '^STATUS=stopping, 0 open$'
	server_status 50
	[ "$RC" -eq 0 ] || fail "exit status $RC after SIGTERM"
	[ "$(notify_count '^WATCHDOG=1$')" -eq 0 ] || fail "WATCHDOG=1 without WATCHDOG_USEC"
}

@test "STATUS counts open connections: 2 open while two requests run" {
	notify_listen
	daemon --
	http GET /hello.txt
	wait_notify '^STATUS=0 open, 1 served$'
	bg_get a '/cgi-bin/slow.sh?1.5'
	bg_get b '/cgi-bin/slow.sh?1.5'
	wait_notify '^STATUS=2 open, 3 served$'
	bg_wait a
	bg_wait b
	wait_notify '^STATUS=0 open, 3 served$'
	[ "$(cat "$BATS_TEST_TMPDIR/a.code")" = 200 ] || fail "request a: $(cat "$BATS_TEST_TMPDIR/a.code")"
	[ "$(cat "$BATS_TEST_TMPDIR/b.code")" = 200 ] || fail "request b: $(cat "$BATS_TEST_TMPDIR/b.code")"
}

@test "NOTIFY_SOCKET in the abstract namespace (@name) gets READY=1" {
	notify_listen "@cgid-test-$$-$RANDOM"
	daemon --
	http GET /hello.txt
	assert_code 200
	wait_notify '^READY=1$'
}

@test "-l: READY=1 and STOPPING=1 as well" {
	notify_listen
	listen_daemon
	wait_notify '^READY=1$'
	http GET /hello.txt
	assert_code 200
	kill -TERM "$SERVER_PID"
	wait_notify '^STOPPING=1$'
	server_status 50
	[ "$RC" -eq 0 ] || fail "exit status $RC"
}

@test "watchdog: WATCHDOG=1 every half of WATCHDOG_USEC" {
	notify_listen
	daemon -E WATCHDOG_USEC=200000 --
	http GET /hello.txt
	assert_code 200
	wait_notify '^READY=1$'
	sleep 1.2
	local n
	n=$(notify_count '^WATCHDOG=1$')
	# every 100 ms: about 12 in 1.2 s
	[ "$n" -ge 6 ] || { show_file notifications "$NOTIFY_OUT" 40 >&2; fail "only $n WATCHDOG=1 in 1.2 s"; }
	[ "$n" -le 30 ] || fail "$n WATCHDOG=1 in 1.2 s: far too many"
	# and it goes on while a request runs
	bg_get a '/cgi-bin/slow.sh?1'
	local before
	before=$(notify_count '^WATCHDOG=1$')
	bg_wait a
	n=$(notify_count '^WATCHDOG=1$')
	[ "$((n - before))" -ge 4 ] || fail "only $((n - before)) WATCHDOG=1 during a 1 s request"
}

@test "watchdog: none when WATCHDOG_PID names another process" {
	notify_listen
	daemon -E WATCHDOG_USEC=200000 -E WATCHDOG_PID=1 --
	http GET /hello.txt
	assert_code 200
	wait_notify '^READY=1$'
	sleep 0.7
	[ "$(notify_count '^WATCHDOG=1$')" -eq 0 ] || fail "WATCHDOG=1 sent for another process"
}

# --- --idle-exit --------------------------------------------------------------

@test "--idle-exit 1: exits with status 0 when no connection came for 1 s" {
	notify_listen
	listen_daemon --idle-exit 1
	wait_notify '^READY=1$'
	local t0=$SECONDS
	server_status 60
	[ "$RC" -eq 0 ] || fail "exit status $RC"
	[ $((SECONDS - t0)) -le 4 ] || fail "took $((SECONDS - t0)) s to exit"
	wait_log 'no connection for 1 s'
	wait_notify '^STOPPING=1$'
}

@test "--idle-exit 1: not while a connection is open; exits after it" {
	daemon -- --idle-exit 1
	bg_get a '/cgi-bin/slow.sh?2.5'
	wait_file "$MARKS/slow.*"
	sleep 1.8
	alive "$SERVER_PID" || fail "exited with a connection open"
	bg_wait a
	[ "$(cat "$BATS_TEST_TMPDIR/a.code")" = 200 ] || fail "request: $(cat "$BATS_TEST_TMPDIR/a.code")"
	grep -q '^slept 2.5$' "$BATS_TEST_TMPDIR/a.body" || fail "incomplete body"
	# the second without a connection counts from the connection's end
	sleep 0.5
	alive "$SERVER_PID" || fail "exited at once when the connection ended"
	server_status 40
	[ "$RC" -eq 0 ] || fail "exit status $RC"
}

@test "--idle-exit: each new connection starts the wait again" {
	listen_daemon --idle-exit 2
	local i
	for i in 1 2 3 4; do
		sleep 0.8
		http GET /hello.txt
		assert_code 200
	done
	# 3.2 s since the start, never 2 s without a connection
	alive "$SERVER_PID" || fail "exited although connections kept coming"
	server_status 50
}

# --- SIGTERM and --grace ---------------------------------------------------

@test "--idle-exit of 40 days (more milliseconds than an int holds): the listener serves and waits" {
	listen_daemon --idle-exit 3456000
	sleep 1
	alive "$SERVER_PID" || fail "exited at once: $(cat "$LOG")"
	http GET /hello.txt
	assert_code 200
	! grep -q 'poll:' "$LOG" || fail "$(cat "$LOG")"
}

@test "SIGTERM blocked by cgid's parent: the listener still stops on it" {
	local real=$CGID
	CGID=$BATS_TEST_TMPDIR/cgid-blocked
	printf '%s\n' '#!/usr/bin/python3' 'import os, signal, sys' \
		'signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGCHLD})' \
		"os.execv('$real', ['$real'] + sys.argv[1:])" >"$CGID"
	chmod 755 "$CGID"
	listen_daemon
	CGID=$real
	http GET '/cgi-bin/hello?blocked'
	assert_code 200
	kill -TERM "$SERVER_PID"
	server_status 50 || fail "still running 5 s after SIGTERM"
	[ "$RC" -eq 0 ] || fail "exit status $RC"
}


@test "SIGTERM: an open request completes, new connections are refused, then exit" {
	notify_listen
	daemon -- --grace 10
	http GET /hello.txt
	assert_code 200
	bg_get a '/cgi-bin/slow.sh?2'
	wait_file "$MARKS/slow.*"
	local t0=$SECONDS
	kill -TERM "$SERVER_PID"
	wait_notify '^STOPPING=1$'
	wait_notify '^STATUS=stopping, 1 open$'
	wait_refused
	bg_wait a
	[ "$(cat "$BATS_TEST_TMPDIR/a.rc")" -eq 0 ] || fail "curl: $(cat "$BATS_TEST_TMPDIR/a.err")"
	[ "$(cat "$BATS_TEST_TMPDIR/a.code")" = 200 ] || fail "request: $(cat "$BATS_TEST_TMPDIR/a.code")"
	grep -q '^slept 2$' "$BATS_TEST_TMPDIR/a.body" || fail "incomplete body"
	server_status 50
	[ "$RC" -eq 0 ] || fail "exit status $RC"
	# it did not wait for the whole grace period
	[ $((SECONDS - t0)) -le 6 ] || fail "exit took $((SECONDS - t0)) s"
}

# stop_closes_idle  -- SIGTERM the server: it must end (exit status 0)
# within 3 s, and the connection hold_open keeps idle close within 2 s.
stop_closes_idle() {
	kill -TERM "$SERVER_PID"
	server_status 30
	[ "$RC" -eq 0 ] || fail "exit status $RC"
	wait_file "$BATS_TEST_TMPDIR/hold.end"
	awk '{ exit !($1 < 2) }' "$BATS_TEST_TMPDIR/hold.end" ||
		fail "the idle connection closed after $(cat "$BATS_TEST_TMPDIR/hold.end") s"
}

@test "SIGTERM: a connection idle between requests is closed at once" {
	# cgid's own listening socket (TCP_DEFER_ACCEPT): the connection is
	# accepted with its request, which the listener answers and holds.
	# (On a socket without it, a connection accepted before its request's
	# bytes goes to a child: the next test.)
	listen_daemon --grace 10
	hold_open 'GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n'
	stop_closes_idle
}

@test "SIGTERM: a connection idle between requests in a child is closed at once" {
	# a document larger than the listener answers itself: a child serves
	# it and keeps the connection for the next request
	head -c 20000 /dev/zero | tr '\0' x >"$ROOT/big.txt"
	listen_daemon --grace 10
	hold_open 'GET /big.txt HTTP/1.1\r\nHost: x\r\n\r\n'
	[ "$(pgrep -c -P "$SERVER_PID")" -eq 1 ] || fail "no child holds the connection"
	stop_closes_idle
	rm "$ROOT/big.txt"
}

@test "SIGTERM: a request longer than --grace is cut and its script killed" {
	daemon -- --grace 1
	http GET /hello.txt
	assert_code 200
	bg_get a '/cgi-bin/slow.sh?30'
	wait_file "$MARKS/slow.*"
	local spid t0=$SECONDS
	spid=$(slow_mark | cut -d' ' -f1)
	alive "$spid" || fail "the script is not running"
	kill -TERM "$SERVER_PID"
	server_status 80
	[ $((SECONDS - t0)) -le 6 ] || fail "exit took $((SECONDS - t0)) s with --grace 1"
	bg_wait a 100
	grep -q '^slept' "$BATS_TEST_TMPDIR/a.body" 2>/dev/null && fail "the request was not cut"
	# the script and its process group (its sleep) are gone
	wait_gone "$spid" 30
	local i
	for ((i = 0; i < 30; i++)); do
		kill -0 -- "-$spid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 -- "-$spid" 2>/dev/null && fail "processes of the script's group survive: $(pgrep -g "$spid" | tr '\n' ' ')"
	wait_log 'still open after 1 s'
	[ "$RC" -eq 0 ] || fail "exit status $RC after the grace"
}

@test "per-connection mode (Accept=yes): SIGTERM to cgid ends the running script too" {
	PORT=$(free_port)
	HOST=127.0.0.1
	LOG=$BATS_TEST_TMPDIR/cgid.log
	: >"$LOG"
	cgid_opts
	server_env
	sd_env
	launch systemd-socket-activate "${SD_ENV[@]}" -l "127.0.0.1:$PORT" --accept \
		"$CGID" "${OPTS[@]}" --env "MARK_DIR=$MARKS" "$ROOT"
	wait_listen "$PORT"
	bg_get a '/cgi-bin/slow.sh?30'
	wait_file "$MARKS/slow.*"
	local spid kid
	spid=$(slow_mark | cut -d' ' -f1)
	kid=$(children_of "$SERVER_PID" | head -n 1)
	[ -n "$kid" ] || fail "no cgid process for the connection"
	# as inetd, xinetd or tcpserver would stop it (systemd ends the whole
	# control group anyway)
	kill -TERM "$kid"
	wait_gone "$kid" 30
	bg_wait a 100
	local i
	for ((i = 0; i < 30; i++)); do
		kill -0 -- "-$spid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 -- "-$spid" 2>/dev/null; then
		local left
		left=$(pgrep -g "$spid" -a | tr '\n' ';')
		kill -KILL -- "-$spid" 2>/dev/null || true
		fail "the script's processes outlive cgid: $left"
	fi
}

# --- --max-connections ------------------------------------------------------

@test "--max-connections 2: a third client waits in the backlog and is served once one finishes" {
	notify_listen
	daemon -- --max-connections 2
	http GET /hello.txt
	assert_code 200
	wait_notify '^STATUS=0 open, 1 served$'
	bg_get a '/cgi-bin/slow.sh?1.5'
	bg_get b '/cgi-bin/slow.sh?1.5'
	wait_notify '^STATUS=2 open'
	bg_get c '/cgi-bin/slow.sh?0.2'
	bg_wait a
	bg_wait b
	bg_wait c
	local x
	for x in a b c; do
		[ "$(cat "$BATS_TEST_TMPDIR/$x.code")" = 200 ] ||
			fail "request $x: $(cat "$BATS_TEST_TMPDIR/$x.code") $(cat "$BATS_TEST_TMPDIR/$x.err")"
	done
	# c started only after a or b had ended
	local end_a end_b start_c
	end_a=$(sed -n 's/^end //p' "$BATS_TEST_TMPDIR/a.body")
	end_b=$(sed -n 's/^end //p' "$BATS_TEST_TMPDIR/b.body")
	start_c=$(sed -n 's/^start //p' "$BATS_TEST_TMPDIR/c.body")
	perl -e 'my ($a, $b, $c) = @ARGV; my $m = $a < $b ? $a : $b;
		exit($c >= $m - 0.05 ? 0 : 1)' "$end_a" "$end_b" "$start_c" ||
		fail "the third script started at $start_c, before the first two ended ($end_a, $end_b)"
	[ "$(notify_count '^STATUS=3 open')" -eq 0 ] || fail "three connections were open at once"
	alive "$SERVER_PID" || fail "the daemon has gone"
	http GET /hello.txt
	assert_code 200
}

@test "--max-connections 1 with two listeners ready at once: the limit holds, no place is lost" {
	local port2
	port2=$(free_port)
	listen_daemon --max-connections 1 -l "127.0.0.1:$port2"
	wait_listen "$port2"
	# both connections wait in their backlogs while the listener is
	# stopped, so that one poll finds both listeners ready
	kill -STOP "$SERVER_PID"
	bg_get a '/cgi-bin/slow.sh?1'
	PORT=$port2 bg_get b '/cgi-bin/slow.sh?1'
	sleep 0.5
	kill -CONT "$SERVER_PID"
	local i n most=0
	for ((i = 0; i < 8; i++)); do
		n=$(pgrep -c -P "$SERVER_PID" || true)
		[ "$n" -gt "$most" ] && most=$n
		sleep 0.1
	done
	bg_wait a
	bg_wait b
	[ "$most" -le 1 ] || fail "$most connection processes at once"
	[ "$(cat "$BATS_TEST_TMPDIR/a.code")" = 200 ] || fail "a: $(cat "$BATS_TEST_TMPDIR/a.code")"
	[ "$(cat "$BATS_TEST_TMPDIR/b.code")" = 200 ] || fail "b: $(cat "$BATS_TEST_TMPDIR/b.code")"
	# both places are free again: a new connection is served
	http GET '/cgi-bin/hello?after'
	assert_code 200
	PORT=$port2 http GET '/cgi-bin/hello?after2'
	assert_code 200
}

@test "--max-connections 1: a burst of 20 connections is served in turn, no crash" {
	daemon -- --max-connections 1
	http GET /hello.txt
	local i
	for i in $(seq 1 20); do
		bg_get "r$i" "/cgi-bin/hello?$i"
	done
	for i in $(seq 1 20); do
		bg_wait "r$i" 200
		[ "$(cat "$BATS_TEST_TMPDIR/r$i.code")" = 200 ] ||
			fail "request $i: $(cat "$BATS_TEST_TMPDIR/r$i.code") $(cat "$BATS_TEST_TMPDIR/r$i.err")"
		grep -qx "query=$i" "$BATS_TEST_TMPDIR/r$i.body" || fail "request $i: wrong body"
	done
	alive "$SERVER_PID" || fail "the daemon has gone"
}

@test "--max-connections 1: a connection idle between requests is closed to make room" {
	# the listener answers the document and holds the connection, kept
	# alive, for its next request (up to 5 s); cgid's own listening
	# socket, so that the connection is accepted with its request (see
	# the SIGTERM test above)
	listen_daemon --max-connections 1
	hold_open 'GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n'
	http GET '/cgi-bin/hello?room'
	assert_code 200
	wait_file "$BATS_TEST_TMPDIR/hold.end"
	awk '{ exit !($1 < 4) }' "$BATS_TEST_TMPDIR/hold.end" ||
		fail "the idle connection closed after $(cat "$BATS_TEST_TMPDIR/hold.end") s, not to make room"
	http GET /hello.txt
	assert_code 200
}

@test "out of descriptors: the held connections make way for new ones" {
	# 20 files: a listener that holds kept-alive connections soon has
	# no descriptor left for accept (the document and its directories
	# unchanged for 2 s, so that it is kept in memory and no open of it
	# fails first)
	sleep 2.1
	local real=$CGID
	CGID=$BATS_TEST_TMPDIR/cgid-20-files
	printf '%s\n' '#!/bin/sh' 'ulimit -n 20' "exec '$real' \"\$@\"" >"$CGID"
	chmod 755 "$CGID"
	listen_daemon
	CGID=$real
	run timeout 20 python3 - "$PORT" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
kept = []
for i in range(24):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n")
    kept.append(s)
time.sleep(1)
t0 = time.time()
p = socket.create_connection(("127.0.0.1", port))
p.sendall(b"GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
p.settimeout(15)
out = b""
while True:
    b = p.recv(4096)
    if not b:
        break
    out += b
print("%.1f %s" % (time.time() - t0, out.split(b"\r\n")[0].decode()))
PY
	[ "$status" -eq 0 ] || fail "$output"
	[[ $output == *"HTTP/1.1 200 OK" ]] || fail "$output"
	awk -v t="${output%% *}" 'BEGIN { exit !(t < 2.5) }' ||
		fail "answered after ${output%% *} s"
	[ "$(log_count 'accept: ')" -le 3 ] || fail "$(log_count 'accept: ') accept errors logged"
}

# --- the log -----------------------------------------------------------------

@test "SIGHUP: the listener opens its --log file again and goes on" {
	listen_daemon
	http GET /hello.txt
	assert_code 200
	mv "$LOG" "$LOG.1"
	kill -HUP "$SERVER_PID"
	wait_file "$LOG"
	http GET '/hello.txt?after-hup'
	assert_code 200
	wait_log 'GET /hello\.txt\?after-hup '
	alive "$SERVER_PID" || fail "the listener is gone"
	grep -q 'GET /hello\.txt HTTP' "$LOG.1" || fail "the first request is not in the old file"
}


@test "a client that reads a whole CGI response, then closes: no error in the log" {
	listen_daemon
	local i
	for i in $(seq 1 20); do
		http GET "/cgi-bin/env.sh?$i"
		assert_code 200
		assert_env "QUERY_STRING=$i"
	done
	sleep 0.5
	[ "$(log_count 'error:')" -eq 0 ] || {
		show_file "cgid log" "$LOG" 60 >&2
		fail "$(log_count 'error:') error lines for 20 complete responses"
	}
}

# --- --user ---------------------------------------------------------------

need_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	id nobody >/dev/null 2>&1 || skip "no user nobody"
}

# wait_child [NAME]  -- print the pid of the server's first child (named
# NAME, when given) once there is one, within 3 s
wait_child() {
	local kid i
	for ((i = 0; i < 30; i++)); do
		kid=$(children_of "$SERVER_PID" | head -n 1)
		if [ -n "$kid" ] && { [ -z "${1:-}" ] ||
			[ "$(proc_field "$kid" Name)" = "$1" ]; }; then
			echo "$kid"
			return 0
		fi
		sleep 0.1
	done
	return 1
}

@test "--user nobody: daemon, connection process and CGI run as nobody, the old groups gone" {
	need_root
	local ng
	ng=$(id -g nobody)
	# start as root with supplementary groups, which must not survive
	PORT=$(free_port)
	HOST=127.0.0.1
	LOG=$BATS_TEST_TMPDIR/cgid.log
	: >"$LOG"
	launch setpriv --groups 4,24,27 "$CGID" -l "127.0.0.1:$PORT" --log "$LOG" \
		--user nobody "$ROOT"
	wait_listen "$PORT"
	[ "$(proc_field "$SERVER_PID" Uid)" = "65534 65534 65534 65534" ] ||
		fail "daemon Uid: $(proc_field "$SERVER_PID" Uid)"
	[ "$(proc_field "$SERVER_PID" Gid)" = "$ng $ng $ng $ng" ] ||
		fail "daemon Gid: $(proc_field "$SERVER_PID" Gid)"
	[ "$(proc_field "$SERVER_PID" Groups)" = "$ng" ] ||
		fail "daemon Groups: $(proc_field "$SERVER_PID" Groups)"
	# a connection's process, before it has read a byte
	hold_open
	local kid
	kid=$(wait_child) || fail "no process for the connection"
	[ "$(proc_field "$kid" Uid)" = "65534 65534 65534 65534" ] ||
		fail "connection process Uid: $(proc_field "$kid" Uid)"
	[ "$(proc_field "$kid" Groups)" = "$ng" ] ||
		fail "connection process Groups: $(proc_field "$kid" Groups)"
	hold_close
	# a CGI program, without --allow-root
	http GET /cgi-bin/probe.sh
	assert_code 200
	assert_value uid 65534
	assert_value gid "$ng"
	assert_value groups "$ng"
	assert_value status-Uid "65534 65534 65534 65534"
	assert_value status-Gid "$ng $ng $ng $ng"
	assert_value status-CapEff 0000000000000000
	http GET /hello.txt
	assert_code 200
}

@test "--user nobody:daemon: the named group instead of nobody's" {
	need_root
	getent group daemon >/dev/null || skip "no group daemon"
	local g
	g=$(getent group daemon | cut -d: -f3)
	listen_daemon --user nobody:daemon
	[ "$(proc_field "$SERVER_PID" Gid)" = "$g $g $g $g" ] ||
		fail "daemon Gid: $(proc_field "$SERVER_PID" Gid)"
	http GET /cgi-bin/probe.sh
	assert_code 200
	assert_value uid 65534
	assert_value gid "$g"
	assert_value groups "$g"
}

@test "Accept=yes with --user: the process has dropped to nobody before the request's first byte" {
	need_root
	PORT=$(free_port)
	HOST=127.0.0.1
	LOG=$BATS_TEST_TMPDIR/cgid.log
	: >"$LOG"
	server_env
	sd_env
	launch systemd-socket-activate "${SD_ENV[@]}" -l "127.0.0.1:$PORT" --accept \
		setpriv --groups 4,27 "$CGID" --log "$LOG" --user nobody "$ROOT"
	wait_listen "$PORT"
	hold_open
	local kid
	kid=$(wait_child "$(basename "$CGID" | cut -c1-15)") ||
		fail "no cgid process for the connection"
	[ "$(proc_field "$kid" Uid)" = "65534 65534 65534 65534" ] ||
		fail "Uid before the first byte: $(proc_field "$kid" Uid)"
	[ "$(proc_field "$kid" Groups)" = "$(id -g nobody)" ] ||
		fail "Groups before the first byte: $(proc_field "$kid" Groups)"
	hold_close
	http GET /cgi-bin/probe.sh
	assert_code 200
	assert_value uid 65534
	assert_value groups "$(id -g nobody)"
}

@test "--user root: scripts are still refused (500 and a log line), documents served" {
	need_root
	ALLOW_ROOT=no listen_daemon --user root
	http GET /cgi-bin/probe.sh
	assert_code 500
	refute_body_contains "uid="
	wait_log 'error: .*refusing to run a script as root'
	http GET /hello.txt
	assert_code 200
}

@test "--user nobody: a set-user-ID root program is refused (403) without --allow-root" {
	need_root
	cp "$ROOT/cgi-bin/ids" "$ROOT/cgi-bin/ids-suid"
	chown root "$ROOT/cgi-bin/ids-suid"
	chmod 4755 "$ROOT/cgi-bin/ids-suid"
	ALLOW_ROOT=no listen_daemon --user nobody
	http GET /cgi-bin/ids-suid
	assert_code 403
	refute_body_contains "uids="
	wait_log 'ids-suid: setuid root'
	http GET /cgi-bin/ids
	assert_code 200
	assert_value uids "65534 65534 65534"
	stop_server
	listen_daemon --user nobody --allow-root
	http GET /cgi-bin/ids-suid
	rm -f "$ROOT/cgi-bin/ids-suid"
	assert_code 200
	assert_value uids "65534 0 0"
}

@test "as root under Accept=no without --allow-root: 500 and a log line; with it: 200" {
	need_root
	ALLOW_ROOT=no daemon --
	http GET /cgi-bin/probe.sh
	assert_code 500
	wait_log 'error: /cgi-bin/probe.sh: refusing to run a script as root'
	stop_server
	daemon --
	http GET /cgi-bin/probe.sh
	assert_code 200
	assert_value uid 0
}

@test "--user with an unknown user or group: exit status 1 and a message, nothing served" {
	need_root
	run "$CGID" -l "127.0.0.1:$(free_port)" --user no-such-user-here "$ROOT"
	[ "$status" -eq 1 ] || fail "status $status: $output"
	[[ $output == *no-such-user-here* ]] || fail "message: $output"
	run "$CGID" -l "127.0.0.1:$(free_port)" --user nobody:no-such-group-here "$ROOT"
	[ "$status" -eq 1 ] || fail "status $status: $output"
	[[ $output == *no-such-group-here* ]] || fail "message: $output"
	# a malformed one is a usage error
	local spec
	for spec in :root nobody: ''; do
		run "$CGID" -l "127.0.0.1:$(free_port)" --user "$spec" "$ROOT"
		[ "$status" -eq 2 ] || fail "--user '$spec': status $status: $output"
	done
}

# --- --chroot -------------------------------------------------------------

# A new root: www/ with a document, the static program and a shell script
# whose interpreter, /bin/sh, is copied in with its libraries.
make_chroot() {
	CHROOT=$BATS_TEST_TMPDIR/jail
	mkdir -p "$CHROOT/www/cgi-bin" "$CHROOT/bin"
	echo "inside the jail" >"$CHROOT/www/inside.txt"
	cp "$ROOT/cgi-bin/ids" "$CHROOT/www/cgi-bin/ids"
	printf '#!/bin/sh\nprintf "Content-Type: text/plain\\n\\n"\necho "sh in the jail, pwd $(pwd)"\n' \
		>"$CHROOT/www/cgi-bin/sh.sh"
	printf '#!/usr/bin/perl\nprint "Content-Type: text/plain\\n\\nperl\\n";\n' \
		>"$CHROOT/www/cgi-bin/perl.pl"
	local sh lib
	sh=$(readlink -f /bin/sh)
	cp "$sh" "$CHROOT/bin/sh"
	for lib in $(ldd "$sh" | grep -o '/[^ ]*'); do
		mkdir -p "$CHROOT$(dirname "$lib")"
		cp -L "$lib" "$CHROOT$lib"
	done
	chmod -R u+rwX,go-w,go+rX "$CHROOT"
	chmod 755 "$CHROOT/www/cgi-bin/"*
	open_parents "$CHROOT"
}

@test "--chroot with --user: documents, a static program and a script whose interpreter is inside" {
	need_root
	make_chroot
	PORT=$(free_port)
	HOST=127.0.0.1
	LOG=$BATS_TEST_TMPDIR/cgid.log
	: >"$LOG"
	launch "$CGID" -l "127.0.0.1:$PORT" --log "$LOG" --chroot "$CHROOT" --user nobody /www
	wait_listen "$PORT"
	[ "$(readlink "/proc/$SERVER_PID/root")" = "$CHROOT" ] ||
		fail "root of the daemon: $(readlink "/proc/$SERVER_PID/root")"
	http GET /inside.txt
	assert_code 200
	assert_body "inside the jail"
	http GET /cgi-bin/ids
	assert_code 200
	assert_value uids "65534 65534 65534"
	assert_value groups "$(id -g nobody)"
	assert_value document-root /www
	assert_value cwd /www/cgi-bin
	assert_value etc-passwd absent
	http GET /cgi-bin/sh.sh
	assert_code 200
	assert_body "sh in the jail, pwd /www/cgi-bin"
	# no perl inside: the program cannot start
	http GET /cgi-bin/perl.pl
	assert_code_in 500 502
	# nothing outside the new root can be reached
	http GET /../../../../etc/passwd
	assert_code_in 400 404
}

@test "--chroot to a missing directory: exit status 1" {
	need_root
	run "$CGID" -l "127.0.0.1:$(free_port)" --chroot "$BATS_TEST_TMPDIR/no-such-dir" /www
	[ "$status" -eq 1 ] || fail "status $status: $output"
	[[ $output == *chroot* ]] || fail "message: $output"
}

# --- --limit ------------------------------------------------------------------

@test "script limits: the defaults (cpu = --cgi-timeout, as 1 GiB, nofile 1024, nproc 1024)" {
	daemon --
	http GET /cgi-bin/probe.sh
	assert_code 200
	assert_value limit-cpu "300 300"
	assert_value limit-as "1073741824 1073741824"
	assert_value limit-nofile "1024 1024"
	assert_value limit-nproc "1024 1024"
}

@test "script limits: the cpu default follows --cgi-timeout" {
	listen_daemon --cgi-timeout 40
	http GET /cgi-bin/probe.sh
	assert_code 200
	assert_value limit-cpu "40 40"
}

@test "script limits: --limit overrides each, 0 leaves it as cgid had it" {
	local as_before
	as_before=$(awk '/^Max address space/ { print $4 " " $5 }' /proc/self/limits)
	listen_daemon --limit cpu=7 --limit as=536870912 --limit nofile=64 --limit nproc=50
	http GET /cgi-bin/probe.sh
	assert_code 200
	assert_value limit-cpu "7 7"
	assert_value limit-as "536870912 536870912"
	assert_value limit-nofile "64 64"
	assert_value limit-nproc "50 50"
	stop_server
	listen_daemon --limit as=0 --limit cpu=0
	http GET /cgi-bin/probe.sh
	assert_code 200
	assert_value limit-as "$as_before"
	[ "$(body_value limit-cpu)" != "300 300" ] || fail "cpu=0 kept the default"
}

@test "script limits: the static program sees them too, as nobody" {
	need_root
	listen_daemon --user nobody --limit nofile=100
	http GET /cgi-bin/ids
	assert_code 200
	assert_value limit-nofile "100 100"
	assert_value limit-nproc "1024 1024"
	assert_value uids "65534 65534 65534"
}

@test "script limits: a lower hard limit cgid was started with stays, and programs run (as nobody)" {
	# Only root may raise a hard limit: as nobody, the default nofile of
	# 1024 cannot be set over an inherited 256, which is tighter anyway.
	need_root
	local -a WRAP=(prlimit --nofile=256:256)
	listen_daemon --user nobody
	http GET /cgi-bin/ids
	assert_code 200
	assert_value limit-nofile "256 256"
	assert_value limit-nproc "1024 1024"
}

@test "invalid --limit, --max-connections, --grace, --idle-exit, --env: exit status 2" {
	local bad long
	long=$(head -c 128 /dev/zero | tr '\0' N)
	for bad in "--limit cpu" "--limit stack=1" "--limit nofile=-1" "--max-connections 0" \
		"--max-connections x" "--grace -1" "--idle-exit 1.5" "--env =x" "--env NAME" \
		"--env $long=x" "--pass-env $long"; do
		# shellcheck disable=SC2086
		run timeout 10 "$CGID" $bad -l "127.0.0.1:$(free_port)" "$ROOT"
		[ "$status" -eq 2 ] || fail "$bad: status $status: $output"
	done
}
