# Helpers for tests/deploy.bats and tests/daemon.bats, on top of
# tests/lib.bash: servers started by other activators than start_server
# knows (inetd, xinetd, the shipped run script, a unit's sandbox), the
# notification socket of the service manager, and processes.

DEPLOY_DIR=$TESTS_DIR/deploy

# ---------------------------------------------------------------------------
# The document root

# prepare_root, plus the programs of tests/deploy/cgi-bin and a static
# C program (ids) that needs no file at all, for chroots.
deploy_root() {
	prepare_root
	cp "$DEPLOY_DIR"/cgi-bin/* "$ROOT/cgi-bin/"
	"${CC:-cc}" -static -O2 -o "$ROOT/cgi-bin/ids" "$DEPLOY_DIR/ids.c" ||
		fail "cannot build a static program with ${CC:-cc} -static"
	chmod -R u+rwX,go-w,go+rX "$ROOT"
	open_parents "$ROOT"
}

# Let other users reach DIR: search permission on each of its parents
# (the temporary directories are private by default).
open_parents() {
	local d=$1
	while [ "$d" != / ] && [ -n "$d" ]; do
		d=$(dirname "$d")
		[ "$d" = / ] && break
		chmod o+x "$d" 2>/dev/null || true
	done
}

# ---------------------------------------------------------------------------
# Servers

# server_env  -- set LOG, SERVER_OUT and SAN_DIR and export the sanitizer
# options, the way start_server does, so that common_teardown works.
server_env() {
	LOG=${LOG:-$BATS_TEST_TMPDIR/cgid.log}
	SERVER_OUT=$BATS_TEST_TMPDIR/server.out
	SAN_DIR=$BATS_TEST_TMPDIR/sanitizer
	mkdir -p "$SAN_DIR"
	chmod 1777 "$SAN_DIR"
	[ -e "$LOG" ] || : >"$LOG"
	export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:log_path=$SAN_DIR/asan"
	export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$SAN_DIR/ubsan"
}

# launch ARGV...  -- start ARGV in a session and process group of its own
# (as start_server does), output to SERVER_OUT (see server_env); sets
# SERVER_PID.  Waits for nothing.
launch() {
	server_env
	spawn_group "$BATS_TEST_TMPDIR/server.pid" "$SERVER_OUT" "$@" || return 1
	SERVER_PID=$SPAWNED
}

# Wait (bounded) until PORT listens; fail when the server has gone.
wait_listen() {
	wait_port "$1" || {
		show_file "server output" "$SERVER_OUT" >&2
		return 1
	}
}

# alive PID  -- the process exists and is not a zombie
alive() {
	local st
	st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# wait_gone PID TENTHS  -- wait until PID has ended; fail after TENTHS
wait_gone() {
	local i
	for ((i = 0; i < $2; i++)); do
		alive "$1" || return 0
		sleep 0.1
	done
	fail "process $1 still runs after $(($2 / 10)).$(($2 % 10)) s"
}

# The pids of PID's children (not of its grandchildren).
children_of() {
	pgrep -P "$1" 2>/dev/null || true
}

# proc_field PID NAME  -- a field of /proc/PID/status, tabs made spaces
proc_field() {
	awk -v n="$2:" '$1 == n { $1 = ""; sub(/^ +/, ""); print }' "/proc/$1/status"
}

# Kill (bounded) each process group named in the file EXTRA_GROUPS, one
# pgid a line: servers that super-servers start in sessions of their own.
kill_extra_groups() {
	local g
	[ -n "${EXTRA_GROUPS:-}" ] && [ -f "$EXTRA_GROUPS" ] || return 0
	while read -r g; do
		[ -n "$g" ] && kill -KILL -- "-$g" 2>/dev/null || true
	done <"$EXTRA_GROUPS"
}

# Note the sessions of PID's children (a super-server's servers) for
# kill_extra_groups.
note_children() {
	local p
	EXTRA_GROUPS=${EXTRA_GROUPS:-$BATS_TEST_TMPDIR/extra-groups}
	for p in $(children_of "$1"); do
		ps -o pgid= -p "$p" 2>/dev/null | tr -d ' ' >>"$EXTRA_GROUPS"
	done
}

# ---------------------------------------------------------------------------
# The service manager's notification socket

# notify_listen [SOCKET]  -- listen on SOCKET (default: a path in the
# test's directory; @NAME for the abstract namespace) and export
# NOTIFY_SOCKET; the messages go to NOTIFY_OUT.
notify_listen() {
	NOTIFY_SOCKET=${1:-$BATS_TEST_TMPDIR/notify.sock}
	NOTIFY_OUT=$BATS_TEST_TMPDIR/notify.out
	: >"$NOTIFY_OUT"
	if [ "${NOTIFY_SOCKET#@}" = "$NOTIFY_SOCKET" ] && [ ${#NOTIFY_SOCKET} -ge 108 ]; then
		fail "notification socket path too long for sockaddr_un: $NOTIFY_SOCKET"
		return 1
	fi
	perl "$DEPLOY_DIR/notify-listen.pl" "$NOTIFY_SOCKET" "$NOTIFY_OUT" 100 \
		</dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/notify.err" 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	NOTIFY_PID=$!
	export NOTIFY_SOCKET
	local i
	for ((i = 0; i < WAIT_TENTHS; i++)); do
		grep -q LISTENING=1 "$NOTIFY_OUT" && return 0
		sleep 0.1
	done
	cat "$BATS_TEST_TMPDIR/notify.err" >&2
	fail "the notification listener did not start"
}

notify_stop() {
	[ -n "${NOTIFY_PID:-}" ] || return 0
	kill "$NOTIFY_PID" 2>/dev/null || true
	wait "$NOTIFY_PID" 2>/dev/null || true
	NOTIFY_PID=
}

# notify_count ERE  -- messages so far whose NAME=VALUE matches ERE
notify_count() {
	cut -d' ' -f2- "$NOTIFY_OUT" | grep -Ec -- "$1" || true
}

# wait_notify ERE [COUNT]  -- wait (bounded) for COUNT (1) matching messages
wait_notify() {
	local want=${2:-1} n i
	for ((i = 0; i < WAIT_TENTHS; i++)); do
		n=$(notify_count "$1")
		[ "$n" -ge "$want" ] && return 0
		sleep 0.1
	done
	show_file "notifications" "$NOTIFY_OUT" 60 >&2
	fail "$n notification(s) match /$1/, expected $want"
}

# ---------------------------------------------------------------------------
# Clients

# connect_refused  -- true when a connection to PORT is refused
connect_refused() {
	perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1",
			PeerPort => $ARGV[0], Proto => "tcp", Timeout => 3);
		exit($s ? 1 : 0);' "$PORT"
}

# wait_refused  -- wait (bounded, 2 s) until connections to PORT are
# refused: the listening socket is closed
wait_refused() {
	local i
	for ((i = 0; i < 20; i++)); do
		connect_refused && return 0
		sleep 0.1
	done
	fail "connections to port $PORT are still accepted"
}

# hold_open [REQUEST]  -- open a connection to PORT and keep it for up to
# 20 s or until hold_close; HOLD_PID is the holder.  With REQUEST (\r and
# \n stand for CR and LF), send it and read its response first; the
# connection is then kept silent, and when the server closes it the
# seconds it stayed open after the response go to $BATS_TEST_TMPDIR/hold.end.
hold_open() {
	local ready=$BATS_TEST_TMPDIR/hold.ready
	rm -f "$ready" "$BATS_TEST_TMPDIR/hold.end"
	perl -MIO::Socket::INET -MTime::HiRes=time -e '
		my ($port, $ready, $end, $req) = @ARGV;
		my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1",
			PeerPort => $port, Proto => "tcp", Timeout => 3) or die "connect: $!\n";
		if (length $req) {
			$req =~ s/\\r/\r/g;
			$req =~ s/\\n/\n/g;
			syswrite $s, $req;
			my $got = "";
			until ($got =~ /\r\n\r\n/ && $got =~ /Content-Length: (\d+)/i &&
			       length($got) >= index($got, "\r\n\r\n") + 4 + $1) {
				sysread($s, $got, 65536, length $got) or die "no response\n";
			}
		}
		open(my $f, ">", $ready) or die; close $f;
		$SIG{TERM} = sub { exit 0 };
		my $t0 = time;
		my $rin = "";
		vec($rin, fileno $s, 1) = 1;
		if (select(my $r = $rin, undef, undef, 20) && !sysread($s, my $b, 1)) {
			open(my $e, ">", $end) or die;
			printf $e "%.1f\n", time - $t0;
		}' "$PORT" "$ready" "$BATS_TEST_TMPDIR/hold.end" "${1:-}" \
		</dev/null >/dev/null 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	HOLD_PID=$!
	local i
	for ((i = 0; i < WAIT_TENTHS; i++)); do
		[ -e "$ready" ] && return 0
		sleep 0.1
	done
	fail "could not open a connection to port $PORT"
}

hold_close() {
	[ -n "${HOLD_PID:-}" ] || return 0
	kill "$HOLD_PID" 2>/dev/null || true
	wait "$HOLD_PID" 2>/dev/null || true
	HOLD_PID=
}

# bg_get NAME PATH  -- GET PATH in the background; the body goes to
# $BATS_TEST_TMPDIR/NAME.body, curl's status to NAME.rc when it ends.
bg_get() {
	local out=$BATS_TEST_TMPDIR/$1
	rm -f "$out.rc" "$out.body"
	{
		local rc=0
		curl -sS --max-time 20 -o "$out.body" -w '%{http_code}' \
			"http://127.0.0.1:$PORT$2" >"$out.code" 2>"$out.err" || rc=$?
		echo "$rc" >"$out.rc"
	} </dev/null 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
}

# bg_wait NAME [TENTHS]  -- wait (bounded) until bg_get NAME ended
bg_wait() {
	local out=$BATS_TEST_TMPDIR/$1 i
	for ((i = 0; i < ${2:-250}; i++)); do
		[ -s "$out.rc" ] && return 0
		sleep 0.1
	done
	fail "request $1 did not end"
}

# wait_file GLOB [TENTHS]  -- wait (bounded) until a file matches GLOB
wait_file() {
	local i f
	for ((i = 0; i < ${2:-WAIT_TENTHS}; i++)); do
		for f in $1; do
			[ -e "$f" ] && return 0
		done
		sleep 0.1
	done
	fail "no file $1"
}

# A key's value in a NAME=VALUE body (the probe programs).
body_value() {
	sed -n "s/^$1=//p" "$BODY" | head -n 1
}

# assert_value NAME VALUE  -- NAME=VALUE is a line of the body
assert_value() {
	local v
	v=$(body_value "$1")
	if [ "$v" != "$2" ]; then
		show_file "response body" "$BODY" 40 >&2
		fail "$1: expected '$2', got '$v'"
		return 1
	fi
}
