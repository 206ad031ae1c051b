#!/usr/bin/env bats
# Real CGI programs as people run them, from Debian's packages:
#   git http-backend (git)       clone, push with a chunked body, fetch
#   php-cgi (php-cgi)            $_SERVER, a form, an upload, via --interpreter
#   CGI.pm (libcgi-pm-perl)      a form handler: GET, POST, an upload
# The document root is tests/programs/www.

load lib
bats_require_minimum_version 1.5.0

GIT_BACKEND=/usr/lib/git-core/git-http-backend
PHP_CGI=/usr/bin/php-cgi

setup_file() {
	ROOT=$BATS_FILE_TMPDIR/www
	export ROOT
	rm -rf "$ROOT"
	cp -R "$TESTS_DIR/programs/www" "$ROOT"
	chmod -R u+rwX,go-w "$ROOT"
}

setup() {
	# The git client: no system or user configuration, never a prompt,
	# an identity for commits, and a time limit on every command.
	export HOME=$BATS_TEST_TMPDIR GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0
	export GIT_AUTHOR_NAME=Tester GIT_AUTHOR_EMAIL=tester@example.invalid
	export GIT_COMMITTER_NAME=Tester GIT_COMMITTER_EMAIL=tester@example.invalid
}

teardown() {
	common_teardown
}

# require FILE PACKAGE  -- fail with the package to install when FILE is missing
require() {
	[ -e "$1" ] || fail "$1 is missing: apt-get install $2 (tests/deps.sh)"
}

g() {
	timeout 60 git "$@"
}

# A bare repository project.git under $REPOS with one commit, that
# accepts pushes over HTTP; and cgid serving it as a real admin would:
# cgi-bin/git execs git-http-backend, which finds the repositories through
# --env GIT_PROJECT_ROOT.
git_setup() {
	require "$GIT_BACKEND" git || return 1
	REPOS=$BATS_TEST_TMPDIR/repos
	BARE=$REPOS/project.git
	mkdir -p "$REPOS"
	g init -q --bare -b main "$BARE"
	g -C "$BARE" config http.receivepack true
	local seed=$BATS_TEST_TMPDIR/seed
	g init -q -b main "$seed"
	echo "hello from the first commit" >"$seed/README"
	g -C "$seed" add README
	g -C "$seed" commit -q -m "First commit"
	g -C "$seed" push -q "$BARE" main
	start_server listen --env "GIT_PROJECT_ROOT=$REPOS" --env GIT_HTTP_EXPORT_ALL=1
	URL=http://$HOST:$PORT/cgi-bin/git/project.git
}

@test "git http-backend: smart HTTP clone, chunked push, fetch" {
	git_setup
	local work=$BATS_TEST_TMPDIR/work other=$BATS_TEST_TMPDIR/other

	# The smart protocol's advertisement, not the dumb one.
	http GET '/cgi-bin/git/project.git/info/refs?service=git-upload-pack'
	assert_code 200
	assert_header Content-Type application/x-git-upload-pack-advertisement
	http GET '/cgi-bin/git/project.git/info/refs?service=git-receive-pack'
	assert_code 200
	assert_header Content-Type application/x-git-receive-pack-advertisement

	g clone -q "$URL" "$work"
	[ "$(cat "$work/README")" = "hello from the first commit" ] || fail "clone: README differs"
	g clone -q "$URL" "$other"

	# A commit with 200 KB that do not compress; with a 1 KiB post buffer
	# git sends the pack as a chunked request body.
	head -c 200000 /dev/urandom >"$work/blob.bin"
	g -C "$work" add blob.bin
	g -C "$work" commit -q -m "Add a blob"
	local trace=$BATS_TEST_TMPDIR/push.trace rc=0
	GIT_TRACE_CURL=$trace GIT_TRACE_CURL_NO_DATA=1 \
		g -C "$work" -c http.postBuffer=1024 push origin main 2>"$BATS_TEST_TMPDIR/push.err" || rc=$?
	[ "$rc" -eq 0 ] || {
		show_file "git push" "$BATS_TEST_TMPDIR/push.err" >&2
		fail "git push failed with exit status $rc"
	}
	grep -q 'Send header: POST /cgi-bin/git/project\.git/git-receive-pack ' "$trace" ||
		fail "no POST to git-receive-pack in the trace"
	grep -q 'Send header: Transfer-Encoding: chunked' "$trace" ||
		fail "the push did not send a chunked body"
	wait_log '"POST /cgi-bin/git/project\.git/git-receive-pack HTTP/1\.1" 200 '

	# The push landed in the bare repository, whole.
	local head
	head=$(g -C "$work" rev-parse HEAD)
	[ "$(g --git-dir="$BARE" rev-parse main)" = "$head" ] || fail "the bare repository's main is not the pushed commit"
	[ "$(g --git-dir="$BARE" log -1 --format=%s main)" = "Add a blob" ] || fail "wrong last commit message"
	g --git-dir="$BARE" cat-file blob main:blob.bin | cmp - "$work/blob.bin" ||
		fail "blob.bin differs in the bare repository"
	g --git-dir="$BARE" fsck --no-progress 2>&1 || fail "git fsck failed on the bare repository"

	# The other clone fetches it.
	g -C "$other" fetch -q origin
	[ "$(g -C "$other" rev-parse origin/main)" = "$head" ] || fail "fetch did not bring the pushed commit"
	g -C "$other" merge -q --ff-only origin/main
	cmp "$other/blob.bin" "$work/blob.bin" || fail "blob.bin differs after the fetch"
}

@test "git http-backend: clones log no errors" {
	# A clone ends with git closing the connection as soon as it has the
	# whole response; that is no error of the client's.
	git_setup
	local i
	for i in 1 2 3 4 5; do
		g clone -q "$URL" "$BATS_TEST_TMPDIR/clone$i"
		[ -f "$BATS_TEST_TMPDIR/clone$i/README" ] || fail "clone $i has no README"
	done
	wait_log '"POST /cgi-bin/git/project\.git/git-upload-pack HTTP/1\.1" 200 ' 10
	if grep -n 'error:' "$LOG" >&2; then
		fail "the log has error lines for complete, successful clones"
	fi
}

@test "php-cgi: \$_SERVER and \$_GET for a path and a query" {
	require "$PHP_CGI" php-cgi
	start_server listen --interpreter ".php=$PHP_CGI"
	http GET '/php/info.php/extra/path?x=1&y=a%20b'
	assert_code 200
	assert_header_match Content-Type '^text/plain'
	assert_env REQUEST_METHOD=GET
	assert_env SCRIPT_NAME=/php/info.php
	assert_env PATH_INFO=/extra/path
	assert_env 'QUERY_STRING=x=1&y=a%20b'
	assert_env "SCRIPT_FILENAME=$ROOT/php/info.php"
	assert_env PHP_SELF=/php/info.php/extra/path
	assert_env 'REQUEST_URI=/php/info.php/extra/path?x=1&y=a%20b'
	assert_env GATEWAY_INTERFACE=CGI/1.1
	assert_env REDIRECT_STATUS=200
	assert_env 'GET[x]=1'
	assert_env 'GET[y]=a b'
	# The source itself never reaches the client.
	refute_body_contains '<?php'
}

@test "php-cgi: an urlencoded form POST" {
	require "$PHP_CGI" php-cgi
	start_server listen --interpreter ".php=$PHP_CGI"
	http POST /php/form.php -H 'Content-Type: application/x-www-form-urlencoded' \
		--data-binary 'name=Ada+%26+%3Cb%3ELovelace%3C%2Fb%3E&tags%5B%5D=red&tags%5B%5D=blue'
	assert_code 200
	assert_body_contains '<p>method=POST</p>'
	assert_body_contains '<p>type=application/x-www-form-urlencoded</p>'
	assert_body_contains '<p>name=Ada &amp; &lt;b&gt;Lovelace&lt;/b&gt;</p>'
	assert_body_contains '<p>tags=red,blue</p>'
}

@test "php-cgi: a multipart upload of 300 KB, with a length and chunked" {
	require "$PHP_CGI" php-cgi
	local file=$BATS_TEST_TMPDIR/upload.bin sum
	head -c 300000 /dev/urandom >"$file"
	sum=$(sha256sum <"$file" | cut -d' ' -f1)
	start_server listen --interpreter ".php=$PHP_CGI"
	http POST /php/upload.php --form-string 'title=A & B' -F "file=@$file;filename=report <1>.bin"
	assert_code 200
	assert_env method=POST
	assert_env 'field title=A & B'
	assert_env "file file: name=report <1>.bin error=0 size=300000 sha256=$sum"
	# php-cgi reads CONTENT_LENGTH bytes: a chunked body must arrive with
	# its decoded length.
	http POST /php/upload.php -H 'Transfer-Encoding: chunked' \
		--form-string 'title=chunked' -F "file=@$file;filename=chunked.bin"
	assert_code 200
	assert_env 'field title=chunked'
	assert_env "file file: name=chunked.bin error=0 size=300000 sha256=$sum"
	grep -qE '^length=[0-9]+$' "$BODY" || fail "no CONTENT_LENGTH for the chunked body"
}

@test "CGI.pm: GET with a path and a query, and a redirect" {
	require /usr/share/perl5/CGI.pm libcgi-pm-perl
	start_server listen
	http GET '/cgi-bin/cgipm.pl/some/path?a=1&a=2&b=%3Cx%3E+y'
	assert_code 200
	assert_header_match Content-Type '^text/html; charset=utf-8'
	assert_body_contains '<p>method=GET</p>'
	assert_body_contains "<p>url=http://127.0.0.1:$PORT/cgi-bin/cgipm.pl</p>"
	assert_body_contains '<p>path_info=/some/path</p>'
	assert_body_contains '<p>param a=1</p>'
	assert_body_contains '<p>param a=2</p>'
	assert_body_contains '<p>param b=&lt;x&gt; y</p>'
	# CGI.pm's redirect with a status: passed on, not followed by cgid.
	http GET '/cgi-bin/cgipm.pl?redirect=1'
	assert_code 303
	assert_header Location /hello.html
}

@test "CGI.pm: urlencoded POST and a multipart upload" {
	require /usr/share/perl5/CGI.pm libcgi-pm-perl
	local file=$BATS_TEST_TMPDIR/upload.bin sum
	head -c 300000 /dev/urandom >"$file"
	sum=$(sha256sum <"$file" | cut -d' ' -f1)
	start_server listen
	http POST /cgi-bin/cgipm.pl -H 'Content-Type: application/x-www-form-urlencoded' \
		--data-binary 'name=Ada+%26+%3Cb%3E&colour=green'
	assert_code 200
	assert_body_contains '<p>method=POST</p>'
	assert_body_contains '<p>param colour=green</p>'
	assert_body_contains '<p>param name=Ada &amp; &lt;b&gt;</p>'
	http POST /cgi-bin/cgipm.pl --form-string 'note=<v> & w' \
		-F "file=@$file;filename=data <1>.bin;type=application/x-test"
	assert_code 200
	assert_body_contains '<p>param note=&lt;v&gt; &amp; w</p>'
	assert_body_contains "<p>file file: name=data &lt;1&gt;.bin type=application/x-test size=300000 sha256=$sum</p>"
	# The same upload as a chunked body.
	http POST /cgi-bin/cgipm.pl -H 'Transfer-Encoding: chunked' -F "file=@$file;filename=c.bin"
	assert_code 200
	assert_body_contains "<p>file file: name=c.bin type=application/octet-stream size=300000 sha256=$sum</p>"
}
