#!/usr/bin/env bats
# The shipped deployment files, each run by its real activator: the
# systemd units (checked with systemd-analyze, and their fd passing run
# with systemd-socket-activate in the unit's mode and under an
# approximation of the unit's sandbox), the inetd line (openbsd-inetd,
# nowait and wait), the xinetd service (xinetd), busybox's inetd (built
# by tests/busybox.sh from Debian's source package, whose binary packages
# leave the applet out), and the tcpserver run script.  The files are used as
# shipped, rewritten only for the port, the address (loopback) and the
# paths of the program and the document root.
#
# Also: the README holds every file of units/ word for word, the man page's
# excerpts match the files, the man page is clean for groff and mandoc,
# make install/uninstall, and make static.

load lib
load deploy/helpers

setup_file() {
	deploy_root
	# The units' system call filters, for deploy/sandbox.sh
	SECCOMP_DIR=$BATS_FILE_TMPDIR/seccomp
	local u
	for u in cgid@.service cgid.service; do
		sh "$DEPLOY_DIR/syscall-filter.sh" "$TOP_DIR/units/$u" "$SECCOMP_DIR" ||
			fail "cannot prepare the system call filter of $u"
	done
	export SECCOMP_DIR
}

setup() {
	EXTRA_GROUPS=$BATS_TEST_TMPDIR/extra-groups
	WORK=$BATS_TEST_TMPDIR/work
	mkdir -p "$WORK"
}

teardown() {
	common_teardown
	kill_extra_groups
	notify_stop
}

# The words of a unit file's key, e.g. unit_value cgid.socket Accept
unit_value() {
	sed -n "s/^$2=//p" "$TOP_DIR/units/$1" | tail -n 1
}

# Rewrite a shipped file for this test: program and root paths.
rewrite_paths() {
	sed -e "s|/usr/local/bin/cgid|$CGID|g" -e "s|/var/www|$ROOT|g" "$@"
}

# Documents and programs through whatever listens on PORT.
# check_inetd_service [N]: a super-server's entry at work: documents and
# programs, run as www-data, and a burst of N (40) connections does not
# stop the service (inetd's .10000, xinetd's cps: their defaults would).
check_inetd_service() {
	check_serves
	http GET /cgi-bin/probe.sh
	assert_code 200
	assert_value uid "$(id -u www-data)"
	local i
	for i in $(seq 1 "${1:-40}"); do
		curl -sS --max-time 5 -o /dev/null "http://127.0.0.1:$PORT/hello.txt" || fail "request $i"
	done
	http GET /hello.txt
	assert_code 200
}

check_serves() {
	http GET /hello.txt
	assert_code 200
	assert_body "hello, world"
	http GET '/cgi-bin/hello?q=1'
	assert_code 200
	assert_header X-Cgi-Language C
	assert_body "$(printf 'Hello from C\nquery=q=1')"
	http GET '/cgi-bin/env.sh/more?x=1' -A deploy-test/1
	assert_code 200
	assert_env REMOTE_ADDR=127.0.0.1
	assert_env "SERVER_PORT=$PORT"
	assert_env PATH_INFO=/more
	assert_env HTTP_USER_AGENT=deploy-test/1
	refute_leaks
	parallel_hello 4
}

# --- systemd: the unit files ------------------------------------------------

# unit_comment_commands UNIT HEADING  -- the commands ("#   " lines) that
# follow the comment line starting with HEADING in a unit's leading
# comment, to be run as they are at the top of the tree.
unit_comment_commands() {
	awk -v start="$2" '
		index($0, start) == 1 { on = 1; next }
		on && /^#   / { sub(/^#   /, ""); print; got = 1; next }
		got { exit }' "$TOP_DIR/units/$1"
}

@test "cgid.socket + cgid@.service: the verify command of their comment passes, silent" {
	local script
	script=$(unit_comment_commands cgid.socket "# Verify")
	[[ $script == *"systemd-analyze verify"* ]] || fail "no verify command in cgid.socket"
	[[ $script != *systemctl* ]] || fail "more than the verify commands: $script"
	run env TMPDIR="$WORK" bash -ec "cd '$TOP_DIR'; $script"
	[ "$status" -eq 0 ] || fail "verify failed ($status): $output"
	[ -z "$output" ] || fail "verify printed: $output"
	# the same command in cgid@.service
	[[ $(unit_comment_commands cgid@.service "# Verify") == *"$script"* ]] ||
		fail "cgid@.service's verify command differs from cgid.socket's"
}

@test "cgid-daemon.socket + cgid.service: the verify command of their comment passes, silent" {
	local script
	script=$(unit_comment_commands cgid-daemon.socket "# Verify")
	[[ $script == *"systemd-analyze verify"* ]] || fail "no verify command in cgid-daemon.socket"
	run env TMPDIR="$WORK" bash -ec "cd '$TOP_DIR'; $script"
	[ "$status" -eq 0 ] || fail "verify failed ($status): $output"
	[ -z "$output" ] || fail "verify printed: $output"
	[[ $(unit_comment_commands cgid.service "# Verify") == *"$script"* ]] ||
		fail "cgid.service's verify command differs from cgid-daemon.socket's"
}

@test "systemd-analyze verify catches a broken copy (the check can fail)" {
	local f
	for f in cgid.socket cgid@.service; do
		sed "s|/usr/local/bin/cgid|$CGID|" "$TOP_DIR/units/$f" >"$WORK/$f"
	done
	sed -i 's/^Accept=yes$/Accept=perhaps/' "$WORK/cgid.socket"
	run systemd-analyze verify --man=no "$WORK/cgid.socket" "$WORK/cgid@.service"
	[ "$status" -ne 0 ] || [ -n "$output" ] || fail "a broken unit passed verify silently"
	# and a unit whose program does not exist
	sed "s|/usr/local/bin/cgid|$WORK/no-such-program|" "$TOP_DIR/units/cgid@.service" >"$WORK/cgid@.service"
	cp "$TOP_DIR/units/cgid.socket" "$WORK/cgid.socket"
	run systemd-analyze verify --man=no "$WORK/cgid.socket" "$WORK/cgid@.service"
	[ "$status" -ne 0 ] || fail "verify passed a unit whose program is missing: $output"
}

# exposure UNIT  -- the overall exposure level systemd-analyze security gives
exposure() {
	systemd-analyze security --offline=true "$TOP_DIR/units/$1" 2>&1 |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'
}

check_security() {
	local unit=$1 level claimed
	level=$(exposure "$unit")
	[ -n "$level" ] || fail "no exposure level for $unit: $(systemd-analyze security --offline=true "$TOP_DIR/units/$unit" 2>&1 | tail -n 3)"
	echo "# $unit: exposure $level" >&3
	perl -e 'exit($ARGV[0] <= 2.0 ? 0 : 1)' "$level" || fail "$unit: exposure $level > 2.0"
	# the command of the unit's comment, with its threshold
	local cmd
	cmd=$(unit_comment_commands "$unit" "# Security review")
	[[ $cmd == "systemd-analyze security "* ]] || fail "$unit: no security command in its comment: $cmd"
	run bash -c "cd '$TOP_DIR'; $cmd"
	[ "$status" -eq 0 ] || fail "the security command of $unit's comment failed ($status)"
	# the level the comment and the README claim, for the systemd they name
	claimed=$(sed -n 's/^# Security review, exposure \([0-9.]*\) with systemd \([0-9]*\).*/\1 \2/p' "$TOP_DIR/units/$unit")
	[ -n "$claimed" ] || fail "$unit: no 'Security review, exposure N with systemd V' comment"
	if [ "$(systemd-analyze --version | sed -n 's/^systemd \([0-9]*\).*/\1/p')" = "${claimed#* }" ]; then
		[ "${claimed% *}" = "$level" ] || fail "$unit: the comment says ${claimed% *}, systemd-analyze says $level"
		grep -q "exposure $level" "$TOP_DIR/README.md" || fail "the README does not give exposure $level"
	fi
}

@test "cgid@.service: systemd-analyze security exposure 2.0 or less" {
	check_security cgid@.service
}

@test "cgid.service: systemd-analyze security exposure 2.0 or less" {
	check_security cgid.service
}

@test "the socket units pass what their services expect" {
	[ "$(unit_value cgid.socket Accept)" = yes ] || fail "cgid.socket: Accept= is not yes"
	[ "$(unit_value cgid-daemon.socket Accept)" = no ] || fail "cgid-daemon.socket: Accept= is not no"
	[ "$(unit_value cgid-daemon.socket Service)" = cgid.service ] || fail "cgid-daemon.socket: Service="
	[ "$(unit_value cgid.service Sockets)" = cgid-daemon.socket ] || fail "cgid.service: Sockets="
	[ "$(unit_value cgid.service Type)" = notify ] || fail "cgid.service: Type= is not notify"
	[ "$(unit_value cgid.service KillMode)" = mixed ] || fail "cgid.service: KillMode= is not mixed"
	[ -n "$(unit_value cgid.service WatchdogSec)" ] || fail "cgid.service: no WatchdogSec="
	# the connection on fd 3: no StandardInput=socket
	local u
	for u in cgid@.service cgid.service; do
		[ "$(unit_value "$u" StandardInput)" = null ] || fail "$u: StandardInput= is not null"
		# the program where the README says, and ReadOnlyPaths= naming
		# the root that ExecStart= serves ("change both together")
		local exec_start ro
		exec_start=$(unit_value "$u" ExecStart)
		ro=$(unit_value "$u" ReadOnlyPaths)
		[[ $exec_start == "/usr/local/bin/cgid "* ]] || fail "$u: ExecStart=$exec_start"
		[ "${exec_start##* }" = "${ro#-}" ] ||
			fail "$u: ExecStart= serves ${exec_start##* }, ReadOnlyPaths= is $ro"
	done
}

# --- systemd: fd passing and the sandbox, with systemd-socket-activate ------

# sandboxed SOCKET SERVICE [ACTIVATOR OPTIONS]  -- systemd-socket-activate
# in SOCKET's mode (Accept=yes: --accept), running SERVICE's ExecStart=
# under deploy/sandbox.sh, system call filter included.
sandboxed() {
	local socket=$1 service=$2
	shift 2
	[ "$(id -u)" -eq 0 ] || skip "the sandbox needs root (mount namespaces)"
	local -a mode=()
	[ "$(unit_value "$socket" Accept)" = yes ] && mode=(--accept)
	PORT=$(free_port)
	HOST=127.0.0.1
	LOG=$BATS_TEST_TMPDIR/cgid.log # unused: the unit logs to stderr
	: >"$LOG"
	server_env
	# LeakSanitizer stops the process with ptrace(2), which the unit's
	# filter does not allow (@debug is not in @system-service): a
	# sanitizer build checks everything else.
	ASAN_OPTIONS=${ASAN_OPTIONS/detect_leaks=1/detect_leaks=0}
	sd_env
	launch systemd-socket-activate "${SD_ENV[@]}" -E "SANDBOX_SECCOMP_DIR=$SECCOMP_DIR" \
		"$@" -l "127.0.0.1:$PORT" "${mode[@]}" \
		"$DEPLOY_DIR/sandbox.sh" "$TOP_DIR/units/$service" "$CGID" "$ROOT" "$SAN_DIR"
	wait_listen "$PORT"
}

check_sandbox_probe() {
	http GET /cgi-bin/probe.sh
	assert_code 200
	# DynamicUser=yes, NoNewPrivileges=yes, no capabilities
	assert_value uid 61234
	assert_value status-Uid "61234 61234 61234 61234"
	assert_value status-Groups ""
	assert_value status-NoNewPrivs 1
	assert_value status-CapEff 0000000000000000
	assert_value status-CapBnd 0000000000000000
	# SystemCallFilter= and RestrictAddressFamilies= (seccomp mode 2)
	assert_value status-Seccomp 2
	assert_value af-packet EAFNOSUPPORT
	# ProtectProc=invisible, PrivateTmp=yes, ProtectSystem=strict,
	# ProtectHome=yes, UMask=0077, PrivateDevices=yes
	assert_value pid1 invisible
	assert_value tmp writable
	# nothing in /tmp but the way to the sanitizer directory kept writable
	local keep=
	case $SAN_DIR in /tmp/*) keep=${SAN_DIR#/tmp/} keep="${keep%%/*} " ;; esac
	assert_value tmp-entries "$keep"
	assert_value root not-writable
	assert_value home not-listable
	assert_value umask 0077
	[[ $(body_value devices) != *sda* && $(body_value devices) != *vda* ]] ||
		fail "block devices visible: $(body_value devices)"
	# cgid's own limits for programs still apply
	assert_value limit-nofile "1024 1024"
}

@test "cgid.socket + cgid@.service: connection on fd 3 (--accept), under the unit's sandbox" {
	sandboxed cgid.socket cgid@.service
	check_serves
	check_sandbox_probe
	# cgid logs to stderr, the journal under systemd
	grep -q '"GET /hello.txt HTTP/1.1" 200 13' "$SERVER_OUT" ||
		{ show_file "server output" "$SERVER_OUT" >&2; fail "no access line on stderr"; }
}

@test "cgid-daemon.socket + cgid.service: listening socket on fd 3, Type=notify, under the unit's sandbox" {
	notify_listen "@cgid-deploy-$$-$RANDOM"
	local usec
	usec=$(unit_value cgid.service WatchdogSec)
	usec=$((${usec%s} * 1000000))
	sandboxed cgid-daemon.socket cgid.service -E "WATCHDOG_USEC=$usec"
	# started at the first connection, as systemd-socket-activate does
	check_serves
	wait_notify '^READY=1$'
	# WatchdogSec=30s: the first ping at once, the next after 15 s
	wait_notify '^WATCHDOG=1$'
	check_sandbox_probe
	wait_notify '^STATUS=0 open, [0-9]+ served$'
	# KillMode=mixed: SIGTERM to the main process alone
	kill -TERM "$SERVER_PID"
	wait_notify '^STOPPING=1$'
	wait_gone "$SERVER_PID" 50
	local rc=0
	wait "$SERVER_PID" 2>/dev/null || rc=$?
	[ "$rc" -eq 0 ] || fail "exit status $rc after SIGTERM"
}

@test "the sandbox's system call filter bites: setrlimit(2) and chroot(2) fail with EPERM" {
	command -v perl >/dev/null || skip "no perl"
	local nrs
	nrs=$(printf '#include <sys/syscall.h>\nNR __NR_setrlimit __NR_chroot __NR_prlimit64\n' |
		"${CC:-cc}" -E -P - | sed -n 's/^NR //p')
	set -- $nrs
	# as root and unfiltered, both work
	run perl -e 'my ($sr, $ch) = @ARGV; $! = 0;
		my ($lim, $root) = (pack("QQ", 1000, 1000), "/");
		my $a = syscall($sr, 7, $lim); my $ea = 0 + $!;
		my $b = syscall($ch, $root); my $eb = 0 + $!;
		print "$a/$ea $b/$eb\n"' "$1" "$2"
	[ "$output" = "0/0 0/0" ] || [ "$(id -u)" -ne 0 ] || fail "unfiltered: $output"
	run setpriv --no-new-privs "$SECCOMP_DIR/seccomp-exec" "$SECCOMP_DIR/cgid@.service.numbers" \
		"$(cat "$SECCOMP_DIR/cgid@.service.families")" -- "$(command -v perl)" -MPOSIX -e '
		my ($sr, $ch, $pl) = @ARGV;
		my ($lim, $root, $old) = (pack("QQ", 1000, 1000), "/", "\0" x 16);
		my $a = syscall($sr, 7, $lim) < 0 && $! == EPERM ? "EPERM" : "allowed";
		my $b = syscall($ch, $root) < 0 && $! == EPERM ? "EPERM" : "allowed";
		my $c = syscall($pl, 0, 7, 0, $old) == 0 ? "allowed" : "denied $!";
		print "setrlimit=$a chroot=$b prlimit64=$c\n"' "$1" "$2" "$3"
	[ "$output" = "setrlimit=EPERM chroot=EPERM prlimit64=allowed" ] || fail "filtered: $output"
}

# --- inetd (openbsd-inetd) --------------------------------------------------

have_openbsd_inetd() {
	INETD=$(command -v inetd || echo /usr/sbin/inetd)
	[ -x "$INETD" ] && dpkg -s openbsd-inetd >/dev/null 2>&1 ||
		skip "openbsd-inetd is not installed"
	return 0
}

# inetd_conf LINE  -- a private inetd.conf: the shipped LINE with the
# service (http) made the test's port, on 127.0.0.1 only.
inetd_conf() {
	INETD_CONF=$WORK/inetd.conf
	{
		echo "127.0.0.1:"
		printf '%s\n' "$1" | rewrite_paths | sed "s/^http\([[:space:]]\)/$PORT\1/"
	} >"$INETD_CONF"
}

start_inetd() {
	PORT=$(free_port)
	HOST=127.0.0.1
	LOG=$BATS_TEST_TMPDIR/cgid.log
	inetd_conf "$1"
	# -i: stay in the foreground; -d: tell what happens (on stderr)
	launch "$INETD" -i -d "$INETD_CONF"
	wait_listen "$PORT"
}

@test "inetd.conf nowait line: openbsd-inetd starts cgid per connection (fd 0/1), as www-data" {
	have_openbsd_inetd
	id www-data >/dev/null 2>&1 || skip "no user www-data"
	local line
	line=$(grep -E '^http[[:space:]]' "$TOP_DIR/units/inetd.conf")
	[ "$(printf '%s\n' "$line" | wc -l)" -eq 1 ] || fail "not one active line in units/inetd.conf"
	[[ $line == *nowait* ]] || fail "the active line is not nowait: $line"
	start_inetd "$line"
	check_inetd_service
}

@test "inetd.conf wait line: one cgid takes the listening socket (fd 0), forks per connection, exits idle, is started again" {
	have_openbsd_inetd
	id www-data >/dev/null 2>&1 || skip "no user www-data"
	local line
	line=$(sed -n 's/^#\(http[[:space:]].*[[:space:]]wait[[:space:]].*\)/\1/p' "$TOP_DIR/units/inetd.conf")
	[ -n "$line" ] || fail "no wait line in units/inetd.conf"
	[[ $line == *" --idle-exit "* ]] || fail "the wait line has no --idle-exit: $line"
	# ten minutes of idleness are too long to wait for here: 2 s
	line=$(printf '%s\n' "$line" | sed 's/--idle-exit [0-9]*/--idle-exit 2/')
	start_inetd "$line"
	http GET /hello.txt
	assert_code 200
	local first
	first=$(children_of "$SERVER_PID")
	note_children "$SERVER_PID"
	[ "$(echo "$first" | wc -w)" -eq 1 ] || fail "inetd has children: $first"
	check_serves
	# still the same single server, which accepted every connection
	[ "$(children_of "$SERVER_PID")" = "$first" ] ||
		fail "inetd started another server: $(children_of "$SERVER_PID")"
	local u
	u=$(id -u www-data)
	[ "$(proc_field "$first" Uid)" = "$u $u $u $u" ] || fail "server Uid: $(proc_field "$first" Uid)"
	# unused for 2 s, it exits; inetd starts it again at the next connection
	wait_gone "$first" 60
	http GET /hello.txt
	assert_code 200
	note_children "$SERVER_PID"
	local second
	second=$(children_of "$SERVER_PID")
	[ -n "$second" ] && [ "$second" != "$first" ] || fail "no new server: '$second'"
	# the same after SIGTERM
	kill -TERM "$second"
	wait_gone "$second" 50
	http GET '/cgi-bin/hello?again'
	assert_code 200
	note_children "$SERVER_PID"
}

# --- xinetd -----------------------------------------------------------------

# Find xinetd: $XINETD, one installed, or Debian's package unpacked into
# this file's temporary directory (xinetd and openbsd-inetd cannot be
# installed together).
find_xinetd() {
	local cache=$BATS_FILE_TMPDIR/xinetd-pkg
	XINETD=${XINETD:-$(command -v xinetd || true)}
	[ -n "$XINETD" ] && [ -x "$XINETD" ] && return 0
	XINETD=$cache/usr/sbin/xinetd
	[ -x "$XINETD" ] && return 0
	command -v apt-get >/dev/null && command -v dpkg >/dev/null ||
		skip "no xinetd, and no apt-get to fetch it"
	mkdir -p "$cache/deb"
	(cd "$cache/deb" && apt-get download xinetd) >"$cache/download.log" 2>&1 ||
		skip "no xinetd: apt-get download xinetd failed: $(tail -n 2 "$cache/download.log")"
	dpkg -x "$cache"/deb/xinetd_*.deb "$cache" || skip "cannot unpack the xinetd package"
	[ -x "$XINETD" ] || skip "no xinetd in the package"
	# its libraries (libwrap0, libtirpc3, libselinux1)
	if ldd "$XINETD" | grep -q 'not found'; then
		skip "xinetd's libraries are missing: $(ldd "$XINETD" | grep 'not found' | tr '\n' ' ')"
	fi
}

@test "xinetd.d-cgid: xinetd starts cgid per connection (fd 0, 1, 2), empty environment, as www-data" {
	[ "$(id -u)" -eq 0 ] || skip "xinetd needs root"
	id www-data >/dev/null 2>&1 || skip "no user www-data"
	find_xinetd
	PORT=$(free_port)
	HOST=127.0.0.1
	LOG=$BATS_TEST_TMPDIR/cgid.log
	# xinetd wants a service named in /etc/services on that port: on
	# another port it has to be an unlisted service of another name.
	rewrite_paths "$TOP_DIR/units/xinetd.d-cgid" |
		sed -e "s/^\([[:space:]]*port[[:space:]]*=[[:space:]]*\)80$/\1$PORT/" \
			-e 's/^service http$/service cgid-test/' \
			-e 's/^{$/{\n\ttype\t\t= UNLISTED\n\tbind\t\t= 127.0.0.1/' >"$WORK/xinetd.conf"
	grep -q "port.*= $PORT\$" "$WORK/xinetd.conf" || fail "no port line rewritten"
	launch "$XINETD" -dontfork -f "$WORK/xinetd.conf" -filelog "$WORK/xinetd.log"
	wait_listen "$PORT" || { show_file "xinetd log" "$WORK/xinetd.log" >&2; return 1; }
	# cps 10000 1: a burst over xinetd's default of 50 a second
	check_inetd_service 60
}

# --- busybox inetd ----------------------------------------------------------

@test "inetd.conf nowait line: busybox inetd (routers), when a busybox has the applet" {
	# tests/busybox.sh (run by tests/deps.sh) builds one from Debian's
	# source package: Debian's busybox and busybox-static leave inetd out.
	local bb=${BUSYBOX:-}
	if [ -z "$bb" ]; then
		bb=$TOP_DIR/tests/.cache/busybox/busybox
		[ -x "$bb" ] || bb=busybox
	fi
	command -v "$bb" >/dev/null || skip "no busybox"
	if ! "$bb" --list 2>/dev/null | grep -qx inetd; then
		skip "$bb has no inetd applet (Debian's busybox and busybox-static are built without it; sh tests/busybox.sh builds one); set BUSYBOX to one that has"
	fi
	id www-data >/dev/null 2>&1 || skip "no user www-data"
	[ "$(id -u)" -eq 0 ] || skip "inetd switches to www-data: needs root"
	PORT=$(free_port)
	HOST=127.0.0.1
	LOG=$BATS_TEST_TMPDIR/cgid.log
	# busybox's inetd takes the address in the service field: ADDR:PORT
	grep -E '^http[[:space:]]' "$TOP_DIR/units/inetd.conf" | rewrite_paths |
		sed "s/^http\([[:space:]]\)/127.0.0.1:$PORT\1/" >"$WORK/inetd.conf"
	grep -q "^127.0.0.1:$PORT[[:space:]]" "$WORK/inetd.conf" || fail "no service field rewritten"
	# -f: foreground, -e: log to stderr
	launch "$bb" inetd -f -e "$WORK/inetd.conf"
	wait_listen "$PORT"
	check_inetd_service
	http GET /cgi-bin/probe.sh
	assert_value gid "$(id -g www-data)"
}

# --- tcpserver --------------------------------------------------------------

@test "tcpserver.run: the run script serves through tcpserver, as www-data, log on its stdout" {
	command -v tcpserver >/dev/null || skip "no tcpserver (ucspi-tcp)"
	id www-data >/dev/null 2>&1 || skip "no user www-data"
	[ "$(id -u)" -eq 0 ] || skip "the script switches to www-data: needs root"
	PORT=$(free_port)
	HOST=127.0.0.1
	LOG=$BATS_TEST_TMPDIR/cgid.log
	rewrite_paths "$TOP_DIR/units/tcpserver.run" |
		sed "s/^\([[:space:]]*\)0\.0\.0\.0 80 /\1127.0.0.1 $PORT /" >"$WORK/run"
	grep -q "127.0.0.1 $PORT" "$WORK/run" || fail "no address line rewritten"
	chmod 755 "$WORK/run"
	[ -x "$TOP_DIR/units/tcpserver.run" ] || fail "units/tcpserver.run is not executable"
	launch "$WORK/run"
	wait_listen "$PORT"
	check_serves
	http GET /cgi-bin/probe.sh
	assert_code 200
	assert_value uid "$(id -u www-data)"
	assert_value gid "$(id -g www-data)"
	assert_value groups "$(id -g www-data)"
	# exec 2>&1: cgid's log is the run script's stdout
	local i
	for ((i = 0; i < 30; i++)); do
		grep -q '"GET /hello.txt HTTP/1.1" 200 13' "$SERVER_OUT" && break
		sleep 0.1
	done
	grep -q '"GET /hello.txt HTTP/1.1" 200 13' "$SERVER_OUT" ||
		{ show_file "server output" "$SERVER_OUT" >&2; fail "no access line on the script's output"; }
}

# --- the documentation ----------------------------------------------------

@test "README.md holds every file of units/ word for word, as a block of its own" {
	local f missing=
	for f in "$TOP_DIR"/units/*; do
		perl -e '
			local $/;
			open(my $r, "<", $ARGV[0]) or die; my $readme = <$r>;
			open(my $u, "<", $ARGV[1]) or die; my $unit = <$u>;
			exit($readme =~ /^```[a-z]*\n\Q$unit\E```$/m ? 0 : 1);
		' "$TOP_DIR/README.md" "$f" || missing="$missing ${f##*/}"
	done
	[ -z "$missing" ] || fail "not in README.md as they are:$missing"
}

@test "cgid.8: the excerpts of the configurations match the files of units/" {
	# Each line of a literal block in ACTIVATION, blanks squeezed, is a line
	# of the file it shows (an inetd line may be the commented one).
	run perl -e '
		use strict;
		my ($man, $units) = @ARGV;
		open(my $m, "<", $man) or die;
		my (%file, $sect, $name, $in, @bad, $blocks);
		my %by_sect = (inetd => "inetd.conf", xinetd => "xinetd.d-cgid",
			tcpserver => "tcpserver.run");
		sub norm { my $s = shift; $s =~ s/\\e/\\/g; $s =~ s/^#(?=http)//;
			$s =~ s/\s+/ /g; $s =~ s/^ | $//g; return $s }
		sub lines { my $f = shift; open(my $u, "<", "$units/$f") or die "$f\n";
			my %l = map { norm($_) => 1 } <$u>; return \%l }
		while (my $l = <$m>) {
			chomp $l;
			if ($l =~ /^\.Sh /) { $sect = $name = undef; next }
			if ($l =~ /^\.Ss (\S+)/) { $sect = $1; $name = $by_sect{$1}; next }
			if ($l =~ m{^\.Pa /etc/systemd/system/(\S+)}) { $name = $1; next }
			if ($l =~ /^\.Bd -literal/) { $in = 1; $blocks++; next }
			if ($l =~ /^\.Ed/) { $in = 0; next }
			next unless $in && defined $sect && length norm($l);
			next unless defined $name && -f "$units/$name";
			$file{$name} ||= lines($name);
			push @bad, "$name: $l" unless $file{$name}{norm($l)};
		}
		print "$_\n" for @bad;
		exit(@bad ? 1 : 0);
	' "$TOP_DIR/cgid.8" "$TOP_DIR/units"
	[ "$status" -eq 0 ] || fail "lines of cgid.8 not in the files:"$'\n'"$output"
}

@test "cgid.8: no warnings from groff -ww or mandoc -T lint, and man renders it" {
	command -v groff >/dev/null || skip "no groff"
	run groff -ww -z -mandoc "$TOP_DIR/cgid.8"
	[ "$status" -eq 0 ] && [ -z "$output" ] || fail "groff: $output"
	if command -v mandoc >/dev/null; then
		run mandoc -T lint -W warning "$TOP_DIR/cgid.8"
		[ "$status" -eq 0 ] && [ -z "$output" ] || fail "mandoc: $output"
	fi
	if command -v man >/dev/null; then
		run env MANPAGER=cat MANWIDTH=80 man -l "$TOP_DIR/cgid.8"
		[ "$status" -eq 0 ] || fail "man -l: $output"
		[[ $output == *ACTIVATION* && $output == *"one long-running process"* ]] ||
			fail "man -l: not the page: ${output:0:300}"
	fi
}

# --- make install, make static ------------------------------------------------

# A copy of the sources, so that building does not touch the tree.
copy_tree() {
	SRC=$BATS_FILE_TMPDIR/src
	[ -f "$SRC/Makefile" ] && return 0
	mkdir -p "$SRC"
	(cd "$TOP_DIR" && cp -R Makefile ./*.c ./*.h cgid.8 README.md units examples "$SRC/")
}

@test "make install DESTDIR PREFIX=/usr: the files, their modes, the paths in them; make uninstall" {
	copy_tree
	local dest=$WORK/dest
	run make -C "$SRC" -s install DESTDIR="$dest" PREFIX=/usr
	[ "$status" -eq 0 ] || fail "make install: $output"
	local got want
	got=$(cd "$dest" && find . ! -type d -printf '%m %p\n' | sort -k2)
	want=$(
		{
			echo "755 ./usr/bin/cgid"
			echo "644 ./usr/share/man/man8/cgid.8"
			for f in cgid.socket cgid@.service cgid-daemon.socket cgid.service \
				cgid-fcgi.socket cgid-fcgi@.service; do
				echo "644 ./usr/lib/systemd/system/$f"
			done
			echo "644 ./usr/share/doc/cgid/README.md"
			echo "644 ./usr/share/doc/cgid/inetd.conf"
			echo "644 ./usr/share/doc/cgid/xinetd.d-cgid"
			echo "755 ./usr/share/doc/cgid/tcpserver.run"
			(cd "$TOP_DIR/examples" && find www -type f) | while read -r f; do
				if [ -x "$TOP_DIR/examples/$f" ]; then m=755; else m=644; fi
				echo "$m ./usr/share/doc/cgid/examples/$f"
			done
		} | sort -k2
	)
	[ "$got" = "$want" ] || fail "installed files differ:"$'\n'"$(diff <(echo "$want") <(echo "$got"))"
	# the scripts of the demo site stay executable
	[ -x "$dest/usr/share/doc/cgid/examples/www/cgi-bin/env.cgi" ] || fail "env.cgi not executable"
	# the units and examples name the installed program
	grep -qx 'ExecStart=/usr/bin/cgid /srv/www' "$dest/usr/lib/systemd/system/cgid@.service" ||
		fail "cgid@.service: $(grep ExecStart= "$dest/usr/lib/systemd/system/cgid@.service")"
	grep -qx 'ExecStart=/usr/bin/cgid /srv/www' "$dest/usr/lib/systemd/system/cgid.service" ||
		fail "cgid.service: $(grep ExecStart= "$dest/usr/lib/systemd/system/cgid.service")"
	grep -q '/usr/bin/cgid' "$dest/usr/share/doc/cgid/inetd.conf" || fail "inetd.conf"
	grep -q '/usr/bin/cgid' "$dest/usr/share/doc/cgid/tcpserver.run" || fail "tcpserver.run"
	grep -rq /usr/local "$dest/usr/lib/systemd/system" "$dest/usr/share/doc/cgid/inetd.conf" \
		"$dest/usr/share/doc/cgid/xinetd.d-cgid" "$dest/usr/share/doc/cgid/tcpserver.run" &&
		fail "/usr/local left in installed files"
	# otherwise as shipped
	diff <(sed 's|/usr/bin/cgid|/usr/local/bin/cgid|g' "$dest/usr/lib/systemd/system/cgid.service") \
		"$TOP_DIR/units/cgid.service" || fail "installed cgid.service differs beyond the path"
	cmp "$dest/usr/share/man/man8/cgid.8" "$TOP_DIR/cgid.8" || fail "man page differs"
	# the program runs, the page renders
	run "$dest/usr/bin/cgid" --version
	[ "$status" -eq 0 ] && [[ $output == "cgid "* ]] || fail "--version: $output"
	if command -v man >/dev/null; then
		run env MANPAGER=cat man -l "$dest/usr/share/man/man8/cgid.8"
		[ "$status" -eq 0 ] || fail "man -l on the installed page: $output"
	fi
	# the installed units verify
	if command -v systemd-analyze >/dev/null; then
		local u=$WORK/units
		mkdir -p "$u"
		for f in cgid.socket cgid@.service cgid-daemon.socket cgid.service; do
			sed "s|/usr/bin/cgid|$dest/usr/bin/cgid|" "$dest/usr/lib/systemd/system/$f" >"$u/$f"
		done
		run systemd-analyze verify --man=no "$u/cgid.socket" "$u/cgid@.service"
		[ "$status" -eq 0 ] && [ -z "$output" ] || fail "installed cgid@.service: $output"
		run systemd-analyze verify --man=no "$u/cgid-daemon.socket" "$u/cgid.service"
		[ "$status" -eq 0 ] && [ -z "$output" ] || fail "installed cgid.service: $output"
	fi
	# make uninstall leaves no file behind
	run make -C "$SRC" -s uninstall DESTDIR="$dest" PREFIX=/usr
	[ "$status" -eq 0 ] || fail "make uninstall: $output"
	got=$(cd "$dest" && find . ! -type d)
	[ -z "$got" ] || fail "left after make uninstall: $got"
	[ ! -e "$dest/usr/share/doc/cgid" ] || fail "make uninstall left the documentation directory"
}

@test "make install with the default PREFIX: /usr/local, the units exactly as shipped" {
	copy_tree
	local dest=$WORK/dest
	run make -C "$SRC" -s install DESTDIR="$dest"
	[ "$status" -eq 0 ] || fail "make install: $output"
	[ -x "$dest/usr/local/bin/cgid" ] || fail "no $dest/usr/local/bin/cgid"
	[ -f "$dest/usr/local/share/man/man8/cgid.8" ] || fail "no man page"
	local f
	for f in cgid.socket cgid@.service cgid-daemon.socket cgid.service; do
		cmp "$dest/usr/local/lib/systemd/system/$f" "$TOP_DIR/units/$f" || fail "$f differs"
	done
	for f in inetd.conf xinetd.d-cgid tcpserver.run; do
		cmp "$dest/usr/local/share/doc/cgid/$f" "$TOP_DIR/units/$f" || fail "$f differs"
	done
}

@test "make FRONTS=no: the router build is at most 64 KiB stripped (gcc), without fronts, listings and virtual hosts, and serves" {
	copy_tree
	local src=$BATS_TEST_TMPDIR/nofronts size
	cp -R "$SRC" "$src"
	run make -C "$src" -s -B cgid FRONTS=no CC=gcc
	[ "$status" -eq 0 ] || fail "make FRONTS=no: $output"
	strip -o "$WORK/nofronts.stripped" "$src/cgid"
	size=$(wc -c <"$WORK/nofronts.stripped")
	echo "# stripped size of the router build: $size bytes" >&3
	[ "$size" -le 65536 ] || fail "the router build is $size bytes stripped"
	run "$src/cgid" --protocol fastcgi /
	[ "$status" -eq 2 ] || fail "--protocol fastcgi in a build without fronts: status $status"
	run "$src/cgid" --list-dirs /
	[ "$status" -eq 2 ] || fail "--list-dirs in the router build: status $status"
	run "$src/cgid" --vhosts /
	[ "$status" -eq 2 ] || fail "--vhosts in the router build: status $status"
	local save=$CGID
	CGID=$src/cgid
	start_server listen
	CGID=$save
	check_serves
	# its request bodies are copied to the program, not spliced
	head -c 3000000 /dev/urandom >"$BATS_TEST_TMPDIR/body"
	http POST /cgi-bin/cat.sh --data-binary "@$BATS_TEST_TMPDIR/body" \
		-H 'Content-Type: application/octet-stream'
	assert_code 200
	cmp -s "$BATS_TEST_TMPDIR/body" "$BODY" || fail "the body came back changed"
}

@test "make static: ./cgid-static is linked statically with musl and serves; sizes" {
	command -v musl-gcc >/dev/null || skip "no musl-gcc (musl-tools)"
	copy_tree
	run make -C "$SRC" -s static
	[ "$status" -eq 0 ] || fail "make static: $output"
	local bin=$SRC/cgid-static
	[ -x "$bin" ] || fail "no cgid-static"
	if LC_ALL=C readelf -l "$bin" | grep -q INTERP; then
		fail "cgid-static has a program interpreter: not static"
	fi
	LC_ALL=C readelf -d "$bin" 2>&1 | grep -q NEEDED && fail "cgid-static needs shared libraries"
	run "$bin" --version
	[ "$status" -eq 0 ] && [[ $output == "cgid "* ]] || fail "--version: $output"
	# it serves, documents and programs
	local save=$CGID
	CGID=$bin
	start_server listen
	CGID=$save
	check_serves
	# sizes, stripped
	run make -C "$SRC" -s cgid
	[ "$status" -eq 0 ] || fail "make: $output"
	local s d
	strip -o "$WORK/static.stripped" "$bin"
	strip -o "$WORK/dynamic.stripped" "$SRC/cgid"
	s=$(wc -c <"$WORK/static.stripped")
	d=$(wc -c <"$WORK/dynamic.stripped")
	echo "# stripped sizes: cgid $d bytes, cgid-static $s bytes" >&3
	[ "$d" -le 131072 ] || fail "the dynamic build is $d bytes stripped"
	[ "$s" -le 262144 ] || fail "the static build is $s bytes stripped"
	# make install STATIC=yes installs it as the program
	run make -C "$SRC" -s install STATIC=yes DESTDIR="$WORK/dest"
	[ "$status" -eq 0 ] || fail "make install STATIC=yes: $output"
	cmp "$bin" "$WORK/dest/usr/local/bin/cgid" || fail "the installed program is not cgid-static"
}
