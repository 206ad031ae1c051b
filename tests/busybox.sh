#!/bin/sh
# Build a busybox that has the inetd applet, for the busybox inetd test of
# tests/deploy.bats: Debian's busybox and busybox-static packages leave
# that applet out.
#
#   tests/busybox.sh
#
# The source is Debian's busybox source package, fetched with apt-get from
# the system's Debian mirror (deb.debian.org, bookworm when none is found)
# through a private sources list and private package lists and caches under
# tests/.cache: the system's apt configuration and state are left alone.
# apt checks the signed Release file, and dpkg-source the checksums of the
# files it lists.  busybox is configured with `make allnoconfig` plus its
# inetd applet (stream tcp services, no RPC, no builtin services) and the
# `busybox --list` command, and built with make.
#
# The binary is tests/.cache/busybox/busybox.  Nothing is done when it is
# there and has the applet.  The fetch and the build are quiet: one line
# tells a failure (the end of the build's log too when the build failed).
# Exits non-zero on failure.
set -e

cd "$(dirname "$0")/.."
cache=$PWD/tests/.cache/busybox
bin=$cache/busybox

if [ -x "$bin" ] && "$bin" --list 2>/dev/null | grep -qx inetd; then
	exit 0
fi

for c in apt-get dpkg-source make gcc; do
	if ! command -v "$c" >/dev/null 2>&1; then
		echo "busybox: no $c; the busybox inetd test will skip" >&2
		exit 1
	fi
done

# The system's Debian mirror and release: the first "deb" entry of a suite
# without a dash (not -updates, not -security), in the deb822 file or in
# the one-line list.  Its keyring when it names one.
mirror=
suite=
keyring=
if [ -r /etc/apt/sources.list.d/debian.sources ]; then
	# shellcheck disable=SC2046 # the words of one line
	set -- $(awk '
		function flush() {
			if (types ~ /(^| )deb( |$)/ && suite != "" && suite !~ /-/ && uri != "") {
				print uri, suite, key; found = 1; exit
			}
			types = uri = suite = key = ""
		}
		/^[ \t]*$/ { flush(); next }
		/^#/ { next }
		tolower($1) == "types:" { types = $0; sub(/^[^:]*:[ \t]*/, "", types) }
		tolower($1) == "uris:" { uri = $2 }
		tolower($1) == "suites:" { suite = $2 }
		tolower($1) == "signed-by:" && NF == 2 { key = $2 }
		END { if (!found) flush() }' /etc/apt/sources.list.d/debian.sources)
	mirror=${1:-}
	suite=${2:-}
	keyring=${3:-}
fi
if [ -z "$mirror" ] && [ -r /etc/apt/sources.list ]; then
	# shellcheck disable=SC2046 # the words of one line
	set -- $(awk '
		$1 != "deb" { next }
		{ i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } }
		$(i + 1) !~ /-/ { print $i, $(i + 1); exit }' /etc/apt/sources.list)
	mirror=${1:-}
	suite=${2:-}
fi
case $mirror in
http://* | https://*) ;;
*) mirror=http://deb.debian.org/debian suite=bookworm keyring= ;;
esac
[ -n "$keyring" ] || keyring=/usr/share/keyrings/debian-archive-keyring.gpg
opts=
[ -r "$keyring" ] && opts=" [signed-by=$keyring]"

apt=$cache/apt
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/sources.list.d"
echo "deb-src$opts $mirror $suite main" >"$apt/sources.list"
set -- -q -o "Dir::Etc::SourceList=$apt/sources.list" \
	-o "Dir::Etc::SourceParts=$apt/sources.list.d" \
	-o "Dir::State::Lists=$apt/lists" \
	-o "Dir::Cache=$apt/cache"
# As root, apt downloads as the user _apt, who may not be able to write
# here.
[ "$(id -u)" -ne 0 ] || set -- "$@" -o APT::Sandbox::User=root

log=$cache/build.log
: >"$log"
# failed WHAT [log]  -- one line, after the end of the log with "log"
failed() {
	[ "${2:-}" != log ] || tail -n 40 "$log" >&2
	echo "busybox: $1 (log: tests/.cache/busybox/build.log); the busybox inetd test will skip" >&2
	exit 1
}

echo "busybox: fetching Debian's busybox source ($mirror $suite)"
apt-get "$@" update >>"$log" 2>&1 || failed "apt-get update failed"
rm -rf "$apt/src"
mkdir -p "$apt/src"
(cd "$apt/src" && apt-get "$@" source --download-only busybox) >>"$log" 2>&1 ||
	failed "apt-get source busybox failed"
dsc=
for f in "$apt"/src/busybox_*.dsc; do
	[ -f "$f" ] && dsc=$f
done
[ -n "$dsc" ] || failed "no busybox .dsc downloaded"
(cd "$apt/src" && dpkg-source -x "${dsc##*/}" tree) >>"$log" 2>&1 ||
	failed "dpkg-source -x failed"

echo "busybox: building $(basename "$dsc" .dsc) with its inetd applet"
start=$(date +%s)
src=$apt/src/tree
make -C "$src" allnoconfig >>"$log" 2>&1 || failed "make allnoconfig failed" log
# allnoconfig turns everything off but picks a shell for "sh".  Turn on
# the busybox command (for --list), long options, and inetd without RPC
# and builtin services; instead of the shell, the "true" applet: with
# one applet only, the binary would be that applet, with no --list.
conf=$src/.config
for o in BUSYBOX LONG_OPTS INETD TRUE SH_IS_NONE BASH_IS_NONE; do
	sed -i "s/^# CONFIG_$o is not set\$/CONFIG_$o=y/" "$conf"
	grep -qx "CONFIG_$o=y" "$conf" || echo "CONFIG_$o=y" >>"$conf"
done
for o in SH_IS_ASH SH_IS_HUSH BASH_IS_ASH BASH_IS_HUSH FEATURE_INETD_RPC \
	FEATURE_INETD_SUPPORT_BUILTIN_ECHO FEATURE_INETD_SUPPORT_BUILTIN_DISCARD FEATURE_INETD_SUPPORT_BUILTIN_TIME \
	FEATURE_INETD_SUPPORT_BUILTIN_DAYTIME FEATURE_INETD_SUPPORT_BUILTIN_CHARGEN; do
	sed -i "/^CONFIG_$o=/d; /^# CONFIG_$o is not set\$/d" "$conf"
	echo "# CONFIG_$o is not set" >>"$conf"
done
# Answer the options that INETD brought in with their defaults.
yes "" | make -C "$src" oldconfig >>"$log" 2>&1 || failed "make oldconfig failed" log
grep -qx CONFIG_INETD=y "$conf" || failed "CONFIG_INETD did not stay on" log
make -C "$src" -j2 busybox >>"$log" 2>&1 || failed "make failed" log
"$src/busybox" --list 2>/dev/null | grep -qx inetd || failed "the build has no inetd applet" log
cp "$src/busybox" "$bin.new"
mv "$bin.new" "$bin"
rm -rf "$apt"
echo "busybox: built tests/.cache/busybox/busybox in $(($(date +%s) - start)) s"
