#!/bin/sh
# A short run of every libFuzzer target, so that a regression in a parser
# shows up in `make test`; `make fuzz` is the long run.
#
#   tests/fuzz-smoke.sh [NAME...]     (default: every fuzz/*.c)
#
# Each target is built with `make fuzz/NAME` and run for FUZZ_SMOKE_SECONDS
# (default 10) on a copy of fuzz/corpus/NAME, so the corpus in the tree is
# left as it is; every input of that corpus runs first, which makes each
# one a regression test.  One line per target, "ok NAME" or "not ok NAME",
# then "N passed, M failed".  A crash prints the fuzzer's report and the
# input that caused it (base64), so that it can become a corpus file.
# Exits non-zero when any target failed.

cd "$(dirname "$0")/.." || exit 2

seconds=${FUZZ_SMOKE_SECONDS:-10}
passed=0
failed=0
work=$(mktemp -d "${TMPDIR:-/tmp}/cgid-fuzz.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

if [ $# -gt 0 ]; then
	names="$*"
else
	names=
	for f in fuzz/*.c; do
		[ -f "$f" ] || continue
		n=${f#fuzz/}
		names="$names ${n%.c}"
	done
fi

if [ -z "$names" ]; then
	echo "# no fuzz targets in fuzz/"
	echo "0 passed, 1 failed"
	exit 1
fi

# Both sanitizers stop at the first report, so libFuzzer sees it as a crash.
ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:allocator_may_return_null=1
UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
export ASAN_OPTIONS UBSAN_OPTIONS

fail() {
	echo "not ok $1 # $2"
	failed=$((failed + 1))
}

for name in $names; do
	log=$work/$name.log
	if ! command -v clang >/dev/null 2>&1; then
		fail "$name" "clang not found (run: sh tests/deps.sh)"
		continue
	fi
	if ! make -s "fuzz/$name" >"$log" 2>&1 || [ ! -x "fuzz/$name" ]; then
		fail "$name" "build failed: make fuzz/$name"
		sed 's/^/#   /' "$log" | tail -n 20
		continue
	fi

	corpus=$work/corpus-$name
	artifacts=$work/artifacts-$name
	mkdir -p "$corpus" "$artifacts"
	if [ -d "fuzz/corpus/$name" ]; then
		cp -R "fuzz/corpus/$name/." "$corpus/"
	fi
	set --
	if [ -f "fuzz/$name.dict" ]; then
		set -- "-dict=fuzz/$name.dict"
	fi

	# libFuzzer stops itself after -max_total_time; timeout(1) is the
	# backstop for a target that hangs in one input.
	timeout $((seconds + 60)) "./fuzz/$name" "$@" \
		-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$artifacts/" \
		"$corpus" >"$log" 2>&1
	rc=$?

	crash=
	for a in "$artifacts"/*; do
		[ -f "$a" ] && crash=$a && break
	done
	if [ "$rc" -eq 0 ] && [ -z "$crash" ]; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
		echo "ok $name # ${runs:-?} inputs in ${seconds} s"
		passed=$((passed + 1))
		continue
	fi
	if [ "$rc" -eq 124 ]; then
		fail "$name" "did not stop within $((seconds + 60)) s"
	else
		fail "$name" "exit status $rc"
	fi
	grep -E 'ERROR|runtime error|SUMMARY|^ +#[0-4] 0x' "$log" |
		head -n 12 | sed 's/^/#   /'
	if [ -n "$crash" ]; then
		echo "#   input $(basename "$crash") ($(wc -c <"$crash" | tr -d ' ') bytes), base64:"
		base64 "$crash" | head -n 40 | sed 's/^/#   /'
	fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
