#!/usr/bin/env bats
# The demo site (examples/www) in a real browser: Debian's Chromium,
# headless, driven by playwright-core (tests/browser/drive.js) through the
# start page, the fields form (urlencoded) and the upload form (multipart),
# over kept-alive connections.
#
# Needs the Debian packages chromium, nodejs and npm; playwright-core is
# installed from tests/browser/package-lock.json into
# tests/browser/node_modules on the first run.  CHROMIUM names another
# Chromium binary.

load lib
bats_require_minimum_version 1.5.0

BROWSER_DIR=$BATS_TEST_DIRNAME/browser
: "${CHROMIUM:=/usr/bin/chromium}"
export CHROMIUM

setup_file() {
	[ -x "$CHROMIUM" ] || return 0
	command -v node >/dev/null || fail "node is missing (apt-get install nodejs npm)" || return 1
	# playwright-core as pinned in package.json, installed when missing or
	# another version.
	local want have
	want=$(cd "$BROWSER_DIR" && node -p 'require("./package.json").dependencies["playwright-core"]')
	have=$(cd "$BROWSER_DIR" && node -p 'require("./node_modules/playwright-core/package.json").version' 2>/dev/null) || have=
	if [ "$want" != "$have" ]; then
		command -v npm >/dev/null || fail "npm is missing (apt-get install npm)" || return 1
		(cd "$BROWSER_DIR" && timeout 300 npm install --no-audit --no-fund --loglevel=error) >&2 ||
			fail "npm install in tests/browser failed" || return 1
	fi
}

setup() {
	[ -x "$CHROMIUM" ] || skip "Chromium is not installed ($CHROMIUM; apt-get install chromium)"
	ROOT=$BATS_TEST_TMPDIR/demo
	cp -R "$TOP_DIR/examples/www" "$ROOT"
	chmod -R go-w "$ROOT"
	OUT=$BATS_TEST_TMPDIR/browser
	mkdir -p "$OUT"
	# A file to upload: random bytes under a name that needs HTML escaping.
	UPLOAD="$BATS_TEST_TMPDIR/notes & <draft>.bin"
	head -c 300000 /dev/urandom >"$UPLOAD"
	UPLOAD_SUM=$(sha256sum <"$UPLOAD" | cut -d' ' -f1)
}

teardown() {
	common_teardown
}

# assert_line_in FILE LINE  -- FILE has LINE as one whole line
assert_line_in() {
	if ! grep -qxF -- "$2" "$1"; then
		show_file "$(basename "$1")" "$1" 40 >&2
		fail "$(basename "$1") lacks the line '$2'"
	fi
}

# The port a result page of form.cgi says the request came from.
page_port() {
	sed -n 's/^Received from 127\.0\.0\.1, port \([0-9][0-9]*\)\.$/\1/p' "$1"
}

# Walk through the demo site with Chromium, then check every page it saw.
walk_demo() {
	local rc=0
	timeout 180 node "$BROWSER_DIR/drive.js" "http://$HOST:$PORT" "$OUT" "$UPLOAD" \
		>"$OUT/drive.out" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ]; then
		show_file "drive.js output" "$OUT/drive.out" 40 >&2
		fail "the browser walk failed (exit status $rc; 124 = timeout)"
		return 1
	fi

	assert_line_in "$OUT/index.txt" "cgid demo site" || return 1
	# env.cgi, reached by the start page's link with a path and a query
	assert_line_in "$OUT/env.txt" "$(printf 'PATH_INFO\t/extra/path')" || return 1
	assert_line_in "$OUT/env.txt" "$(printf 'QUERY_STRING\ta=1&b=two')" || return 1
	assert_line_in "$OUT/env.txt" "$(printf 'SCRIPT_NAME\t/cgi-bin/env.cgi')" || return 1
	assert_line_in "$OUT/env.txt" "$(printf 'REQUEST_METHOD\tGET')" || return 1
	assert_line_in "$OUT/form.txt" "Forms" || return 1

	# The fields form: decoded, and escaped so that the markup typed in
	# shows as text (innerText would lose an unescaped <b>).
	local f=$OUT/fields.txt
	assert_line_in "$f" "POST request, 92 byte(s) of form data as application/x-www-form-urlencoded." || return 1
	assert_line_in "$f" "$(printf 'name\tAda & <b>Lovelace</b>')" || return 1
	assert_line_in "$f" "$(printf 'colour\tblue')" || return 1
	assert_line_in "$f" "$(printf 'note\tline one')" || return 1
	assert_line_in "$f" 'line "two" <i>' || return 1
	grep -qF 'Ada &amp; &lt;b&gt;Lovelace&lt;/b&gt;' "$OUT/fields.html" ||
		fail "fields.html: the name is not HTML-escaped" || return 1

	# The upload: the file arrived whole, under its own name.
	f=$OUT/upload.txt
	assert_line_in "$f" "$(printf 'title\tAn upload')" || return 1
	assert_line_in "$f" "$(printf 'file\tnotes & <draft>.bin\t300000\t%s' "$UPLOAD_SUM")" || return 1
	grep -qE '^POST request, 300[0-9]{3} byte\(s\) of form data as multipart/form-data\.$' "$f" ||
		fail "upload.txt: no multipart POST line" || return 1

	# Screenshots: real PNG files of some size.
	local png
	for png in form upload; do
		[ "$(head -c 8 "$OUT/$png.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
			fail "$png.png is not a PNG" || return 1
		[ "$(wc -c <"$OUT/$png.png")" -gt 10000 ] || fail "$png.png is suspiciously small" || return 1
	done

	# Browser and server agree on the connections: the two form
	# submissions came over the same connection (Chromium's connection id)
	# exactly when form.cgi saw the same client port.
	FIELDS_PORT=$(page_port "$OUT/fields.txt")
	UPLOAD_PORT=$(page_port "$OUT/upload.txt")
	[ -n "$FIELDS_PORT" ] && [ -n "$UPLOAD_PORT" ] ||
		fail "a result page does not show the client port" || return 1
	local -a posts
	mapfile -t posts < <(awk -F'\t' '$1 == "POST" && $3 ~ /\/cgi-bin\/form\.cgi$/ { print $4 }' "$OUT/responses.tsv")
	[ "${#posts[@]}" -eq 2 ] || fail "expected 2 POST responses, the browser saw ${#posts[@]}" || return 1
	if [ "${posts[0]}" = "${posts[1]}" ]; then
		[ "$FIELDS_PORT" = "$UPLOAD_PORT" ] ||
			fail "one browser connection, but ports $FIELDS_PORT and $UPLOAD_PORT" || return 1
	else
		[ "$FIELDS_PORT" != "$UPLOAD_PORT" ] ||
			fail "two browser connections, but one port $FIELDS_PORT" || return 1
	fi
	# Chromium reused a connection for at least one request.
	awk -F'\t' '$5 == 1 { found = 1 } END { exit !found }' "$OUT/responses.tsv" ||
		fail "Chromium reused no connection" || return 1

	# Requests that reached the server (not answered from the browser's
	# cache) all show in the access log.
	REQUESTS=$(awk -F'\t' '$6 == 0' "$OUT/responses.tsv" | wc -l)
	wait_log '^127\.0\.0\.1 - - \[.*\] "(GET|POST) [^"]*" [0-9]{3} ' "$REQUESTS"
}

@test "Chromium: the demo site's forms and an upload, with cgid listening (-l)" {
	start_server listen
	walk_demo
}

@test "Chromium: several requests per connection (systemd-socket-activate --accept)" {
	# The activator starts one cgid per connection and says so
	# ("Connection from ADDR:PORT to ..."): an exact count of connections
	# to hold against the number of requests in the access log.
	start_server sd-accept
	walk_demo
	local conns requests
	mapfile -t conns < <(sed -n 's/^Connection from 127\.0\.0\.1:\([0-9][0-9]*\) to .*/\1/p' "$SERVER_OUT")
	requests=$(log_count '^127\.0\.0\.1 - - \[.*\] "(GET|POST) [^"]*" [0-9]{3} ')
	[ "${#conns[@]}" -ge 1 ] || fail "the activator reported no connection" || return 1
	[ "$requests" -gt "${#conns[@]}" ] ||
		fail "$requests request(s) over ${#conns[@]} connection(s): no connection was kept alive" || return 1
	# The ports form.cgi saw are connections the activator accepted.
	local p
	for p in "$FIELDS_PORT" "$UPLOAD_PORT"; do
		printf '%s\n' "${conns[@]}" | grep -qx "$p" ||
			fail "port $p (from form.cgi) is none of the accepted connections: ${conns[*]}" || return 1
	done
}
