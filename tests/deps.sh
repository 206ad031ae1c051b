#!/bin/sh
# Install what the test suite needs (Debian/Ubuntu).  Idempotent: only
# packages that are missing are installed, and the package lists are
# refreshed only when something has to be installed.  Then build the
# busybox with an inetd applet that tests/deploy.bats uses
# (tests/busybox.sh); when that fails, its test skips.
set -e

# package -> a command or file it provides
need() {
	pkg=$1
	probe=$2
	case $probe in
	/*)	[ -e "$probe" ] && return 0 ;;
	"")	dpkg -s "$pkg" >/dev/null 2>&1 && return 0 ;;
	*)	command -v "$probe" >/dev/null 2>&1 && return 0 ;;
	esac
	missing="$missing $pkg"
}

missing=
need bats bats
need curl curl
need systemd /usr/bin/systemd-socket-activate
need ucspi-tcp tcpserver
need perl perl
need gcc gcc
need make make
need clang clang
need libclang-rt-14-dev ""
need openbsd-inetd /usr/sbin/inetd
need musl-tools musl-gcc
need groff groff
need mandoc mandoc
need man-db man
need valgrind valgrind
need strace strace
need wrk wrk
need nginx-light /usr/sbin/nginx
need lighttpd /usr/sbin/lighttpd
need git /usr/lib/git-core/git-http-backend
need php-cgi php-cgi
need libcgi-pm-perl /usr/share/perl5/CGI.pm
need chromium /usr/bin/chromium
need nodejs node
need npm npm
need dpkg-dev dpkg-source
need libc6-dev /usr/include/stdio.h

# The busybox of the busybox inetd test, once the packages are there.
busybox() {
	sh "$(dirname "$0")/busybox.sh" || true
}

if [ -z "$missing" ]; then
	echo "deps: all test dependencies present"
	busybox
	exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
	SUDO=
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo -n"
else
	echo "deps: missing:$missing (not root and no sudo; install them by hand)" >&2
	exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
	echo "deps: missing:$missing (no apt-get; install them by hand)" >&2
	exit 1
fi

echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# The tests start nginx, lighttpd and inetd themselves, on loopback with
# private configurations: keep the packages from starting system services.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
	$SUDO chmod 755 "$policy"
	trap '$SUDO rm -f "$policy"' EXIT
fi
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO env DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -q --no-install-recommends $missing
busybox
