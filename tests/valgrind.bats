#!/usr/bin/env bats
# cgid under valgrind, one process per connection (systemd-socket-activate
# --accept --inetd), for a representative set of requests: documents,
# HEAD, 404, scripts with GET, POST and chunked bodies, bad requests,
# broken and hanging scripts, escapes through symbolic links.  No process
# may report an invalid access, a use of uninitialised memory or a
# definite leak, and at exit only the log and the root may still be open.
#
# valgrind 3.19 does not know openat2(2) or pidfd_open(2), so cgid takes
# its fallbacks for kernels without them here: they are checked too.
#
# valgrind cannot run an AddressSanitizer build: with CGID=./cgid-asan
# the tests are skipped (the sanitizers check that build everywhere else).

load lib
load invariants

setup_file() {
	prepare_root
	mkdir -p "$BATS_FILE_TMPDIR/outside" "$BATS_FILE_TMPDIR/www2"
	echo "OUTSIDE-SECRET-4242" >"$BATS_FILE_TMPDIR/outside/secret.txt"
	echo "SIBLING-SECRET-4242" >"$BATS_FILE_TMPDIR/www2/secret.txt"
	ln -s /etc/passwd "$ROOT/passwd.txt"
	ln -s ../.. "$ROOT/sub/up"
	ln -s ../www2/secret.txt "$ROOT/sibling.txt"
	ln -s /usr/bin "$ROOT/cgi-bin/sys"
}

setup() {
	command -v valgrind >/dev/null || skip "valgrind is not installed (apt-get install valgrind)"
	if grep -qa __asan_init "$CGID"; then
		skip "valgrind cannot run an AddressSanitizer build"
	fi
	VG_DIR=$BATS_TEST_TMPDIR/valgrind
	mkdir -p "$VG_DIR"
	# One valgrind log per process, and the exit status of each cgid.
	VG_WRAPPER=$BATS_TEST_TMPDIR/cgid-valgrind
	cat >"$VG_WRAPPER" <<EOF
#!/bin/sh
# cgid under valgrind for one connection; records its exit status.
valgrind -q --error-exitcode=99 --leak-check=full \\
	--show-leak-kinds=definite --errors-for-leak-kinds=definite \\
	--track-fds=yes --child-silent-after-fork=yes \\
	--log-file="$VG_DIR/vg.%p" "$CGID" "\$@"
echo \$? >"$VG_DIR/rc.\$\$"
EOF
	chmod 755 "$VG_WRAPPER"
	CONNECTIONS=0
}

teardown() {
	local rc=0
	common_teardown || rc=1
	return "$rc"
}

# Start the activator with cgid under valgrind.
start_valgrind() {
	local real=$CGID
	CGID=$VG_WRAPPER
	start_server sd-inetd "$@"
	CGID=$real
}

# One connection per request, each counted.
vg_http() {
	CONNECTIONS=$((CONNECTIONS + 1))
	http "$@"
}

vg_raw() {
	CONNECTIONS=$((CONNECTIONS + 1))
	raw "$@"
}

# Wait (bounded) until every connection's cgid has exited, then check
# each valgrind log and exit status.
check_valgrind() {
	local i n
	for ((i = 0; i < 600; i++)); do
		n=$(find "$VG_DIR" -name 'rc.*' | wc -l)
		[ "$n" -ge "$CONNECTIONS" ] && break
		sleep 0.1
	done
	[ "$n" -ge "$CONNECTIONS" ] ||
		fail "only $n of $CONNECTIONS cgid processes ended within 60 s"
	local f bad=0
	for f in "$VG_DIR"/rc.*; do
		if [ "$(cat "$f")" != 0 ]; then
			echo "cgid under valgrind exited with status $(cat "$f") (99: valgrind errors)" >&2
			bad=1
		fi
	done
	for f in "$VG_DIR"/vg.*; do
		if grep -qE 'Invalid (read|write|free)|uninitialised|Mismatched free|definitely lost: [1-9]|Syscall param|Source and destination overlap|Process terminating' "$f"; then
			show_file "valgrind report" "$f" 60 >&2
			bad=1
		fi
		# At exit only the log, the root and what valgrind itself or the
		# activator passed in may be open: a pipe, a socket, a script's
		# directory or a body file would be a leak.
		if ! perl -e '
			my ($file, $log, $root) = @ARGV;
			open(my $f, "<", $file) or die;
			my @lines = <$f>;
			my $ok = 1;
			for my $i (0 .. $#lines) {
				next unless $lines[$i] =~ /Open (?:file descriptor|AF_\w+ socket) (\d+): ?(.*)$/;
				my ($fd, $what) = ($1, $2);
				next if $fd <= 2;
				next if ($lines[$i + 1] // "") =~ /inherited from parent/;
				next if $what eq $log || $what eq $root;
				print STDERR "descriptor $fd left open at exit: $what\n";
				$ok = 0;
			}
			exit !$ok;
		' "$f" "$LOG" "$(cd "$ROOT" && pwd -P)"; then
			show_file "valgrind report" "$f" 60 >&2
			bad=1
		fi
	done
	[ "$bad" -eq 0 ] || fail "valgrind found problems"
	n=$(find "$VG_DIR" -name 'vg.*' | wc -l)
	[ "$n" -ge "$CONNECTIONS" ] || fail "$n valgrind logs for $CONNECTIONS connections"
}

@test "valgrind: documents, HEAD, 404, directory, OPTIONS, bad requests" {
	start_valgrind
	vg_http GET /hello.txt
	assert_code 200
	assert_body "hello, world"
	vg_raw 'HEAD /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
	assert_code 200
	assert_body_empty
	vg_http GET /no-such-file.html
	assert_code 404
	vg_http GET /dir
	assert_code 301
	vg_raw 'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
	assert_code 204
	vg_raw 'GARBAGE\r\n\r\n'
	assert_code 400
	vg_raw 'GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n'
	assert_code 400
	vg_raw 'GET /hello.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc'
	assert_code 400
	vg_raw 'GET /hello.txt HTTP/2.0\r\n\r\n'
	assert_code 505
	# a keep-alive series: document, range, conditional, directory index
	local etag
	vg_http GET /hello.txt
	etag=$(header ETag)
	vg_raw "GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=0-4\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: x\r\nIf-None-Match: $etag\r\n\r\nGET /dir/ HTTP/1.0\r\n\r\n"
	assert_code 200
	assert_body_contains DIR-INDEX-MARKER
	check_valgrind
}

@test "valgrind: scripts with GET, POST, chunked POST, redirects and errors" {
	start_valgrind --cgi-timeout 3 --cgi-idle-timeout 2
	vg_http GET '/cgi-bin/hello?name=valgrind'
	assert_code 200
	assert_body_contains 'query=name=valgrind'
	vg_http POST /cgi-bin/echo.pl --data-binary 'posted body' -H 'Content-Type: text/plain'
	assert_code 200
	assert_body 'posted body'
	vg_http POST /cgi-bin/cat.sh -H 'Transfer-Encoding: chunked' --data-binary 'chunked body'
	assert_code 200
	assert_body 'chunked body'
	vg_http GET /cgi-bin/fds.sh
	assert_code 200
	assert_body "$(printf '0\n1\n2')"
	vg_http GET /cgi-bin/local-redirect.sh
	assert_code 200
	assert_body_contains OTHER-PAGE-MARKER
	vg_http GET /cgi-bin/stderr.sh
	assert_code 200
	vg_http GET /cgi-bin/garbage.sh
	assert_code 502
	vg_http GET /cgi-bin/bad-header-split.sh
	assert_code 502
	vg_http GET /cgi-bin/bad-crash.sh
	assert_code 500
	vg_http GET /cgi-bin/bad-hang.sh
	assert_code 504
	vg_http GET /cgi-bin/bad-short-body.sh || true
	vg_http GET /cgi-bin/bad-background.sh --http1.0
	assert_code 200
	# several requests on one connection, scripts among them
	vg_raw 'GET /cgi-bin/hello?a=1 HTTP/1.1\r\nHost: x\r\n\r\nPOST /cgi-bin/cat.sh HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
	assert_code 200
	assert_body_contains 'hello, world'
	check_valgrind
}

@test "valgrind: escapes through symbolic links (the fallback without openat2)" {
	start_valgrind
	local p
	for p in /passwd.txt /sub/up/outside/secret.txt /sibling.txt /cgi-bin/sys/id; do
		vg_raw "GET $p HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
		assert_code_in 403 404 || fail "for $p"
		refute_body_contains 'root:' || fail "for $p"
		refute_body_contains 'SECRET' || fail "for $p"
		refute_body_contains 'uid=' || fail "for $p"
	done
	check_valgrind
}
