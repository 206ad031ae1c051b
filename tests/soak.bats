#!/usr/bin/env bats
# A short soak of the long-running mode (cgid -l) on the loopback: wrk
# with 64 connections for a few seconds against a script and against a
# document.  Every response must be a 200 with the right body, no
# connection may fail, the listener must stay alive with a flat resident
# size and the descriptors it started with, and no connection process,
# script or zombie may be left once the load stops.

load lib
load invariants

# Seconds of load per run, and the listener's allowed growth in KiB.
SOAK_SECONDS=5
SOAK_CONNECTIONS=64
RSS_MARGIN_KB=512

setup_file() {
	prepare_root
}

teardown() {
	local rc=0
	common_teardown || rc=1
	return "$rc"
}

rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# soak PATH BODY-TEXT  -- load PATH; every answer must be 200 and hold
# BODY-TEXT.  Then check the listener and what is left.
soak() {
	local path=$1 text=$2 out=$BATS_TEST_TMPDIR/wrk.out
	local lua=$BATS_TEST_TMPDIR/check.lua i
	command -v wrk >/dev/null || skip "wrk is not installed (apt-get install wrk)"
	cat >"$lua" <<EOF
-- count every answer that is not a 200 holding the expected text
local threads = {}
function setup(thread)
	table.insert(threads, thread)
end
function init(args)
	bad = 0
	good = 0
end
function response(status, headers, body)
	if status == 200 and body ~= nil and string.find(body, "$text", 1, true) then
		good = good + 1
	else
		bad = bad + 1
	end
end
function done(summary, latency, requests)
	local b, g = 0, 0
	for _, t in ipairs(threads) do
		b = b + t:get("bad")
		g = g + t:get("good")
	end
	io.write(string.format("checked: %d good, %d bad\n", g, b))
end
EOF
	start_server listen
	# warm up, so that lazily loaded state is in place before measuring
	for ((i = 0; i < 20; i++)); do
		curl -sS --max-time 10 -o /dev/null "http://127.0.0.1:$PORT$path" ||
			fail "warm-up request $i failed"
	done
	local rss0 fds0
	rss0=$(rss_kb "$SERVER_PID")
	fds0=$(fd_count "$SERVER_PID")

	timeout $((SOAK_SECONDS + 30)) wrk -t2 -c"$SOAK_CONNECTIONS" -d"${SOAK_SECONDS}s" \
		--timeout 10s -s "$lua" "http://127.0.0.1:$PORT$path" >"$out" 2>&1 ||
		{ cat "$out" >&2; fail "wrk failed"; }
	cat "$out"

	local total good bad
	total=$(sed -n 's/^ *\([0-9][0-9]*\) requests in .*/\1/p' "$out")
	good=$(sed -n 's/^checked: \([0-9]*\) good, \([0-9]*\) bad$/\1/p' "$out")
	bad=$(sed -n 's/^checked: \([0-9]*\) good, \([0-9]*\) bad$/\2/p' "$out")
	[ -n "$total" ] && [ "$total" -gt 0 ] || { cat "$out" >&2; fail "wrk made no requests"; }
	[ "${bad:-x}" = 0 ] || { cat "$out" >&2; fail "${bad:-?} answers were not a 200 with '$text'"; }
	[ "${good:-0}" -gt 0 ] || fail "no good answers"
	if grep -q 'Socket errors' "$out"; then
		cat "$out" >&2
		fail "connections failed under load"
	fi
	grep -q 'Non-2xx' "$out" && fail "non-2xx responses: $(grep Non-2xx "$out")"

	server_alive || fail "the listener died under load"
	# wrk closed its connections: every connection process ends
	local n
	for ((i = 0; i < 100; i++)); do
		n=$(pgrep -P "$SERVER_PID" | wc -l)
		[ "$n" -eq 0 ] && break
		sleep 0.1
	done
	[ "$n" -eq 0 ] || fail "$n connection processes left 10 s after the load"
	for ((i = 0; i < 30; i++)); do
		[ -z "$(script_pids)" ] && break
		sleep 0.1
	done
	[ -z "$(script_pids)" ] || fail "scripts left after the load: $(script_pids | tr '\n' ' ')"
	[ -z "$(server_zombies)" ] || fail "zombies: $(server_zombies)"

	local rss1 fds1
	rss1=$(rss_kb "$SERVER_PID")
	fds1=$(fd_count "$SERVER_PID")
	echo "listener: VmRSS ${rss0} kB -> ${rss1} kB, descriptors ${fds0} -> ${fds1}"
	[ "$fds1" -eq "$fds0" ] || fail "listener descriptors went from $fds0 to $fds1"
	[ $((rss1 - rss0)) -le "$RSS_MARGIN_KB" ] ||
		fail "listener VmRSS grew from ${rss0} kB to ${rss1} kB (margin ${RSS_MARGIN_KB} kB)"

	# Every request the server finished is in the log as a 200.  When wrk
	# stops it drops its connections with a request in flight: those are
	# logged with status 0 (nothing sent), at most one per connection.
	local logged cut others
	logged=$(grep -c "\"GET $path HTTP/1.1\" 200 " "$LOG" || true)
	cut=$(grep "\"GET $path HTTP/1.1\" " "$LOG" | awk '$9 == 0' | wc -l)
	others=$(grep "\"GET $path HTTP/1.1\" " "$LOG" | awk '$9 != 200 && $9 != 0' | head -n 5)
	[ -z "$others" ] || fail "non-200 answers in the log: $others"
	[ "$cut" -le "$SOAK_CONNECTIONS" ] ||
		fail "$cut requests logged without an answer, more than the $SOAK_CONNECTIONS connections wrk dropped"
	[ "$logged" -ge "$total" ] || fail "the log has $logged answers, wrk counted $total"
}

@test "soak: a script under 64 connections for 5 s" {
	soak /cgi-bin/hello 'Hello from C'
}

@test "soak: a document under 64 connections for 5 s" {
	soak /hello.txt 'hello, world'
}
