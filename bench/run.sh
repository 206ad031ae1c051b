#!/bin/sh
# Compare cgid with its peers on this machine and write BENCHMARKS.md and
# bench/chart.png.  Run from the top of the tree as `make bench`.
#
# Installs what it needs with apt (root, or sudo), builds small helpers and
# a document tree in a temporary directory, starts every server by hand on
# a free loopback port with a private configuration, measures each
# workload in interleaved rounds, stops everything and removes the
# temporary directory.  Only 127.0.0.1 is ever contacted.
#
# Environment:
#   BENCH_QUICK=1    a smoke run of about two minutes (fewer, shorter
#                    rounds, smaller transfers); its report says so
#   BENCH_ROUNDS=N   rounds of every workload (default 5; quick 2)
#   BENCH_SECONDS=N  seconds of each request-rate measurement (default 5;
#                    quick 1)
#   BENCH_CONNS=N    concurrent connections of ab and wrk (default 8)
#   BENCH_OUT=DIR    write DIR/BENCHMARKS.md and DIR/bench/chart.png
#                    instead of those of the tree
#   BENCH_KEEP=1     keep the temporary directory (logs, configurations)
#   CGID=PATH        the cgid binary (default ./cgid)
#   CGID_STATIC=PATH the static cgid binary (default: ./cgid-static, made
#                    with `make static`)
#
# Word lists ($SERVERS, $CGID_ARGS, the ports) are split on purpose.
# shellcheck disable=SC2086
set -eu

BENCH=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$BENCH/.." && pwd)
PATH=$PATH:/usr/sbin:/sbin
export PATH LC_ALL=C

# shellcheck source=bench/lib.sh
. "$BENCH/lib.sh"

CGID=${CGID:-$TOP/cgid}
case $CGID in /*) ;; *) CGID=$PWD/$CGID ;; esac
[ -x "$CGID" ] || die "no cgid binary at $CGID (run make first)"
# cgid's options in every mode: no log, and as root (like every peer here)
# let it run the CGI programs as root if it asks for that permission.
CGID_ARGS="--log /dev/null"
if [ "$(id -u)" -eq 0 ] && "$CGID" --help 2>/dev/null | grep -q -- --allow-root
then
	CGID_ARGS="$CGID_ARGS --allow-root"
fi

if [ "${BENCH_QUICK:-0}" = 1 ]; then
	MODE=quick
	ROUNDS=${BENCH_ROUNDS:-2}
	SECS=${BENCH_SECONDS:-1}
	DOWN_BYTES=$((256 * 1024 * 1024))
	UP_BYTES=$((64 * 1024 * 1024))
	START_RUNS=200
else
	MODE=full
	ROUNDS=${BENCH_ROUNDS:-5}
	SECS=${BENCH_SECONDS:-5}
	DOWN_BYTES=$((1024 * 1024 * 1024))
	UP_BYTES=$((256 * 1024 * 1024))
	START_RUNS=1000
fi
CONNS=${BENCH_CONNS:-8}
XFER_TIMEOUT=300
XFER_BEST=3
FCGI_CHILDREN=$CONNS
# How the peers move large bodies between client and CGI program: the
# fastest of their settings for each direction on a 2-core machine (see
# "How it is measured" in BENCHMARKS.md).
LIGHTTPD_STREAM_REQUEST=0
LIGHTTPD_STREAM_RESPONSE=2
NGINX_REQUEST_BUFFERING=off
NGINX_RESPONSE_BUFFERING=on
OUT=${BENCH_OUT:-$TOP}
WORKLOADS="hello-close hello-ka doc-close doc-ka"

W=
policy=
cleanup() {
	# the policy-rc.d of install_deps, if it was interrupted
	[ -z "$policy" ] || $sudo rm -f "$policy"
	[ -n "$W" ] || return 0
	stop_all
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		say "kept $W"
	else
		rm -rf "$W"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

install_deps
if [ -z "${CGID_STATIC:-}" ]; then
	make -s -C "$TOP" cgid-static >/dev/null || die "make static failed"
	CGID_STATIC=$TOP/cgid-static
fi
case $CGID_STATIC in /*) ;; *) CGID_STATIC=$PWD/$CGID_STATIC ;; esac
[ -x "$CGID_STATIC" ] || die "no static cgid binary at $CGID_STATIC"

W=$(mktemp -d "${TMPDIR:-/tmp}/cgid-bench.XXXXXX")
WWW=$W/www
BIN=$W/bin
RESULTS=$W/results.tsv
NOTES=$W/notes.tsv
FAILURES=$W/failures.tsv
mkdir -p "$W/run" "$W/log"
: >"$RESULTS"
: >"$NOTES"
: >"$FAILURES"

say "mode $MODE: $ROUNDS rounds, ${SECS}s per request-rate run, $CONNS connections"
build_helpers
make_tree

# Where the binary comes from: the commit of the tree, when it is the
# tree's own ./cgid (read-only git commands, no lock taken).
cgid_source() {
	if [ "$CGID_GIVEN" = "$TOP/cgid" ] &&
		_c=$(git -C "$TOP" rev-parse --short HEAD 2>/dev/null); then
		if [ -n "$(GIT_OPTIONAL_LOCKS=0 git -C "$TOP" status --porcelain \
			--untracked-files=no -- ':(glob)*.[ch]' Makefile \
			2>/dev/null)" ]; then
			echo "built from commit $_c with uncommitted changes"
		else
			echo "built from commit $_c"
		fi
	else
		echo "binary given in CGID"
	fi
}

# Run a copy, so that a rebuild of ./cgid during the run changes nothing.
CGID_GIVEN=$CGID
CGID=$BIN/cgid
cp "$CGID_GIVEN" "$CGID"
cp "$CGID_STATIC" "$BIN/cgid-static"
CGID_STATIC=$BIN/cgid-static
CGID_SOURCE=$(cgid_source)

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date +%s)

nservers=$(echo $SERVERS | wc -w)
ports=$("$BIN/freeport" "$nservers") || die "no free ports"
set -- $ports
for s in $SERVERS; do
	start_server "$s" "$1"
	shift
	check_server "$s"
	say "started $(label "$s") on port $(port_of "$s")"
done

# Servers in a different order each round, so that no server always runs
# right after the same one.
rotate() {
	k=$1
	shift
	n=0
	for s in "$@"; do
		[ $n -ge $k ] && printf '%s ' "$s"
		n=$((n + 1))
	done
	n=0
	for s in "$@"; do
		[ $n -lt $k ] && printf '%s ' "$s"
		n=$((n + 1))
	done
}

for wl in $WORKLOADS; do
	for s in $SERVERS; do
		case $wl in
		*-ka) keepalive "$s" "$wl" ||
			note "$wl" "$s" "no keep-alive: closes every connection" ;;
		esac
	done
done
for s in $SERVERS; do
	[ -n "$(conn_comm "$s")" ] || {
		note rss-download "$s" "$(conn_comm_why "$s")"
		note rss-upload "$s" "$(conn_comm_why "$s")"
	}
done

r=1
while [ $r -le "$ROUNDS" ]; do
	order=$(rotate $(((r - 1) % nservers)) $SERVERS)
	for wl in $WORKLOADS; do
		for s in $order; do
			case $wl in
			*-ka) keepalive "$s" "$wl" || continue ;;
			esac
			rate_run "$s" "$wl" "$r"
		done
		say "round $r/$ROUNDS: $wl done"
	done
	for s in $order; do
		timed_transfer "$s" download "$r"
	done
	say "round $r/$ROUNDS: download done"
	for s in $order; do
		timed_transfer "$s" upload "$r"
	done
	say "round $r/$ROUNDS: upload done"
	for s in $order; do
		[ -n "$(conn_comm "$s")" ] || continue
		transfer "$s" download "$r" rss
		transfer "$s" upload "$r" rss
	done
	say "round $r/$ROUNDS: peak memory done"
	r=$((r + 1))
done
stop_all

# Cost of one start on a ready connection, interleaved with the yardsticks.
# startcost_of NAME PROGRAM [ARGS...]
startcost_of() {
	_sc=$1
	shift
	_out=$("$BIN/startcost" "$START_RUNS" "$@") ||
		die "startcost failed on $_sc"
	record start "$_sc" "$r" "${_out%% *}"
}
r=1
while [ $r -le "$ROUNDS" ]; do
	startcost_of cgid "$CGID" $CGID_ARGS "$WWW"
	startcost_of cgid-static "$CGID_STATIC" $CGID_ARGS "$WWW"
	startcost_of trivial-static "$BIN/trivial-static"
	startcost_of trivial-musl "$BIN/trivial-musl"
	startcost_of trivial-dynamic "$BIN/trivial-dynamic"
	startcost_of busybox-inetd "$(command -v busybox)" httpd -i -h "$WWW" \
		-c "$W/busybox-httpd.conf"
	r=$((r + 1))
done
say "start cost done"

# Stripped sizes: the binaries run above, and the router build (no
# SCGI/FastCGI fronts) made from a copy of the sources.
strip -o "$W/cgid.stripped" "$CGID"
record size cgid 1 "$(stat -c %s "$W/cgid.stripped")"
mkdir "$W/src"
(cd "$TOP" && cp Makefile ./*.c ./*.h "$W/src/")
make -s -C "$W/src" cgid FRONTS=no >/dev/null || die "make FRONTS=no failed"
strip -o "$W/cgid-nofronts.stripped" "$W/src/cgid"
record size cgid-nofronts 1 "$(stat -c %s "$W/cgid-nofronts.stripped")"
strip -o "$W/cgid-static.stripped" "$CGID_STATIC"
record size cgid-static 1 "$(stat -c %s "$W/cgid-static.stripped")"
bb=$(readlink -f "$(command -v busybox)")
strip -o "$W/busybox.stripped" "$bb"
record size busybox 1 "$(stat -c %s "$W/busybox.stripped")"

elapsed=$(($(date +%s) - started))
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# The machine and the versions, for the report.
{
	echo "mode=$MODE"
	echo "rounds=$ROUNDS"
	echo "seconds=$SECS"
	echo "conns=$CONNS"
	echo "down_bytes=$DOWN_BYTES"
	echo "xfer_best=$XFER_BEST"
	echo "up_bytes=$UP_BYTES"
	echo "start_runs=$START_RUNS"
	echo "elapsed=$elapsed"
	echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "nproc=$(nproc)"
	echo "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
	echo "mem=$(awk '/^MemTotal:/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
	echo "kernel=$(uname -sr)"
	echo "debian=$(cat /etc/debian_version 2>/dev/null || echo unknown)"
	echo "load_before=$load_before"
	echo "load_after=$load_after"
	echo "cgid=$("$CGID" --version 2>/dev/null | head -n 1)"
	echo "cgid_source=$CGID_SOURCE"
	echo "cgid_args=$CGID_ARGS"
	echo "user=$(id -un)"
	echo "lighttpd=$(lighttpd -v 2>&1 | head -n 1 | sed 's/ .*//')"
	echo "nginx=$(nginx -v 2>&1 | sed 's/.*version: //')"
	echo "fcgiwrap=$(dpkg-query -W -f '${Version}' fcgiwrap 2>/dev/null)"
	echo "busybox=$(busybox 2>&1 | head -n 1 | sed 's/^\(BusyBox v[^ ]*\).*/\1/')"
	echo "mini_httpd=$(dpkg-query -W -f '${Version}' mini-httpd 2>/dev/null)"
	echo "systemd=$(dpkg-query -W -f '${Version}' systemd 2>/dev/null)"
	echo "wrk=$(dpkg-query -W -f '${Version}' wrk 2>/dev/null)"
	echo "ab=$(dpkg-query -W -f '${Version}' apache2-utils 2>/dev/null)"
	echo "curl=$(curl --version | head -n 1 | cut -d' ' -f1-2)"
	echo "gcc=$(gcc -dumpfullversion 2>/dev/null || gcc -dumpversion)"
	echo "musl=$(dpkg-query -W -f '${Version}' musl 2>/dev/null)"
	for s in $SERVERS; do
		echo "label_$s=$(label "$s")"
	done
} >"$W/meta"

mkdir -p "$OUT/bench"
cp "$RESULTS" "$OUT/bench/results.tsv"
perl "$BENCH/report.pl" "$W/meta" "$RESULTS" "$NOTES" "$FAILURES" "$W/chart" \
	>"$OUT/BENCHMARKS.md" || die "report.pl"
gnuplot -e "datadir='$W/chart'; outfile='$OUT/bench/chart.png'" \
	"$BENCH/chart.gp" || die "gnuplot"
say "wrote $OUT/BENCHMARKS.md and $OUT/bench/chart.png (${elapsed}s)"
sed -n '/^## Targets/,/^## How/p' "$OUT/BENCHMARKS.md" | sed '$d' >&2
