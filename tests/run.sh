#!/bin/sh
# Run the test suites and close with one line: "N passed, M failed".
#
#   tests/run.sh [BATS FILES...]
#
# 1. tests/unit (the C unit tests), when it has been built;
# 2. the end-to-end bats suites (default: tests/*.bats), once against
#    ./cgid and once against ./cgid-asan (address and undefined-behaviour
#    sanitizers), each as TAP;
# 3. with every suite, also the suites that need no front end, listing
#    or virtual host against ./cgid-router (make FRONTS=no, built beside).
# Exits non-zero when any test failed or a suite could not run.

cd "$(dirname "$0")/.." || exit 2

passed=0
failed=0
skipped=0
work=$(mktemp -d "${TMPDIR:-/tmp}/cgid-tests.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

if [ $# -gt 0 ]; then
	suites="$*"
else
	suites=$(ls tests/*.bats)
fi

# Run a command with a time limit when timeout(1) is there.
limited() {
	secs=$1
	shift
	if command -v timeout >/dev/null 2>&1; then
		timeout "$secs" "$@"
	else
		"$@"
	fi
}

# Add up the "N passed, M failed" line that a runner wrote to $1; $2 is
# its exit status and $3 its name.
add_summary() {
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1)
	if [ -z "$summary" ]; then
		echo "# $3 printed no summary (exit status $2)"
		failed=$((failed + 1))
		return
	fi
	p=$(echo "$summary" | sed -E 's/^([0-9]+) passed, ([0-9]+) failed.*/\1/')
	f=$(echo "$summary" | sed -E 's/^([0-9]+) passed, ([0-9]+) failed.*/\2/')
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "# $3 exited with status $2"
		failed=$((failed + 1))
	fi
}

# --- unit tests ---------------------------------------------------------------

if [ -x tests/unit ]; then
	echo "# unit tests: tests/unit"
	ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
		limited 600 tests/unit >"$work/unit.out" 2>&1
	rc=$?
	cat "$work/unit.out"
	add_summary "$work/unit.out" "$rc" tests/unit
else
	echo "# tests/unit not built: unit tests skipped"
fi

# --- a short run of every fuzz target (make fuzz is the long one) -------------

if [ $# -eq 0 ]; then
	echo "# fuzz smoke: tests/fuzz-smoke.sh"
	limited 900 sh tests/fuzz-smoke.sh >"$work/fuzz.out" 2>&1
	rc=$?
	cat "$work/fuzz.out"
	add_summary "$work/fuzz.out" "$rc" tests/fuzz-smoke.sh
fi

# --- end-to-end tests ---------------------------------------------------------

if ! command -v bats >/dev/null 2>&1; then
	echo "# bats not found (run: sh tests/deps.sh)"
	failed=$((failed + 1))
	echo "$passed passed, $failed failed"
	exit 1
fi

# end_to_end BINARY SUITES...: run the suites against BINARY, add up.
end_to_end() {
	bin=$1
	shift
	echo "# end-to-end tests: CGID=$bin"
	if [ ! -x "$bin" ]; then
		echo "# $bin is missing (build it with make)"
		failed=$((failed + 1))
		return
	fi
	tap=$work/tap.$(basename "$bin")
	{
		CGID=$bin limited 2400 bats --tap "$@" 2>&1
		echo $? >"$work/rc"
	} | tee "$tap"
	rc=$(cat "$work/rc")

	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$tap" | head -n 1)
	ok=$(grep -E '^ok [0-9]+' "$tap" | grep -cvE '# skip' || true)
	sk=$(grep -E '^ok [0-9]+' "$tap" | grep -cE '# skip' || true)
	nok=$(grep -cE '^not ok [0-9]+' "$tap" || true)
	passed=$((passed + ok))
	failed=$((failed + nok))
	skipped=$((skipped + sk))
	seen=$((ok + sk + nok))
	if [ -n "$plan" ] && [ "$seen" -lt "$plan" ]; then
		echo "# $((plan - seen)) planned test(s) did not report (exit status $rc)"
		failed=$((failed + plan - seen))
	elif [ "$rc" -ne 0 ] && [ "$nok" -eq 0 ]; then
		echo "# bats exited with status $rc"
		failed=$((failed + 1))
	fi
}

# shellcheck disable=SC2086
for bin in ./cgid ./cgid-asan; do
	end_to_end "$bin" $suites
done
if [ $# -eq 0 ]; then
	end_to_end ./cgid-router tests/core.bats tests/cgi.bats tests/scripts.bats
fi

[ "$skipped" -eq 0 ] || echo "# $skipped test(s) skipped"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
