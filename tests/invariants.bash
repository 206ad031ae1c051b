# Invariants of the end-to-end tests of hostile clients and misbehaving
# scripts (hostile.bats, scripts.bats, soak.bats, valgrind.bats): after an
# exchange no script, connection process, zombie or descriptor of the
# server may be left.  Loaded after lib.bash.

# wait_no_scripts [SECONDS]  -- no script process may be left (bounded wait)
wait_no_scripts() {
	local secs=${1:-5} i pids
	for ((i = 0; i <= secs * 10; i++)); do
		pids=$(script_pids)
		[ -z "$pids" ] && return 0
		sleep 0.1
	done
	show_pids "$pids"
	fail "script processes still running ${secs} s later: $(echo $pids)"
}

# The connection processes of the listening server (its children).
conn_pids() {
	pgrep -P "$SERVER_PID" 2>/dev/null || true
}

# wait_no_conns [SECONDS]  -- every connection process has ended
wait_no_conns() {
	local secs=${1:-5} i pids
	for ((i = 0; i <= secs * 10; i++)); do
		pids=$(conn_pids)
		[ -z "$pids" ] && return 0
		sleep 0.1
	done
	show_pids "$pids"
	fail "connection processes still running ${secs} s later: $(echo $pids)"
}

# Zombies whose parent is one of the server's own processes (its group).
server_zombies() {
	ps -e -o pid=,ppid=,pgid=,stat=,comm= | awk -v g="$SERVER_PID" '
		{ pg[$1] = $3; pp[$1] = $2; st[$1] = $4; line[$1] = $0 }
		END { for (p in st) if (st[p] ~ /^Z/ && pg[pp[p]] == g) print line[p] }'
}

wait_no_zombies() {
	local i z
	for ((i = 0; i <= 20; i++)); do
		z=$(server_zombies)
		[ -z "$z" ] && return 0
		sleep 0.1
	done
	fail "zombie processes of the server: $z"
}

# fd_count PID  -- its open descriptors, not counting the listener's
# watches of its kept documents (an inotify descriptor and mountinfo,
# opened once at the first copy); more than one of either is a leak.
fd_count() {
	local f n=0 ino=0 mnt=0 l
	for f in /proc/$1/fd/*; do
		l=$(readlink "$f") || continue
		case $l in
		anon_inode:inotify) ino=$((ino + 1)) ;;
		/proc/*/mountinfo) mnt=$((mnt + 1)) ;;
		*) n=$((n + 1)) ;;
		esac
	done
	[ "$ino" -le 1 ] && [ "$mnt" -le 1 ] || n=$((n + ino + mnt))
	echo "$n"
}

start_listen() {
	start_server listen --cgi-timeout 3 --cgi-idle-timeout 2 "$@"
	LISTENER_FDS=$(fd_count "$SERVER_PID")
}

# check_invariants [SECONDS]  -- while the server still runs, nothing of a
# finished exchange is left (scripts and connection processes get SECONDS,
# 5 by default, to end); a listening server is alive with the
# descriptors it started with.
check_invariants() {
	[ -n "${SERVER_PID:-}" ] || return 0
	wait_no_scripts "${1:-5}" || return 1
	wait_no_zombies || return 1
	if [ "${SERVER_MODE:-}" = listen ]; then
		server_alive || fail "the listening server died" || return 1
		wait_no_conns "${1:-5}" || return 1
		local n
		n=$(fd_count "$SERVER_PID")
		[ "$n" -eq "${LISTENER_FDS:-$n}" ] ||
			fail "the listener has $n descriptors, it started with $LISTENER_FDS"
	fi
}

# conversation REQUEST-FILE  -- send the request on one connection and read
# until the server closes it or 12 s pass; RAW holds what came back, END
# how the connection ended (eof, reset, deadline), ELAPSED the seconds;
# HEAD, BODY and CODE as for raw (the first response).
conversation() {
	RAW=$BATS_TEST_TMPDIR/conv.raw
	local out
	out=$(timeout 20 perl -MIO::Socket::INET -MIO::Select -MTime::HiRes=time -e '
		use strict;
		my ($port, $file, $raw) = @ARGV;
		open(my $f, "<", $file) or die "$file: $!\n";
		binmode $f;
		my $req = do { local $/; <$f> };
		open(my $o, ">", $raw) or die "$raw: $!\n";
		binmode $o;
		my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1",
			PeerPort => $port, Proto => "tcp", Timeout => 5)
			or die "connect: $!\n";
		$SIG{PIPE} = "IGNORE";
		my ($t0, $off, $end) = (time, 0, "deadline");
		my $sel = IO::Select->new($s);
		while (time - $t0 < 12) {
			my ($r, $w) = IO::Select->select($sel,
				$off < length($req) ? $sel : undef, undef, 0.2);
			if ($r && @$r) {
				my $n = sysread($s, my $buf, 65536);
				if (!defined $n) { $end = "reset"; last }
				if ($n == 0) { $end = "eof"; last }
				print $o $buf;
			}
			if ($w && @$w) {
				my $n = syswrite($s, $req, 65536, $off);
				$off = defined $n ? $off + $n : length($req);
			}
		}
		printf "%s %.1f\n", $end, time - $t0;
	' "$PORT" "$1" "$RAW")
	END=${out% *}
	ELAPSED=${out#* }
	HEAD=$BATS_TEST_TMPDIR/conv.head
	BODY=$BATS_TEST_TMPDIR/conv.body
	split_response "$RAW"
	CODE=$(status_code)
}

# request_file 'REQUEST'  -- printf %b escapes into a file; prints its name
request_file() {
	local f=$BATS_TEST_TMPDIR/req.$((++REQ_SEQ))
	printf '%b' "$1" >"$f"
	echo "$f"
}

status_lines() {
	grep -ac '^HTTP/1\.[01] [0-9][0-9][0-9]' "$RAW" || true
}
