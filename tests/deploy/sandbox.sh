#!/bin/sh
# Run the ExecStart= of a shipped systemd unit of cgid under an
# approximation of the unit's sandbox, built with util-linux tools, for
# the tests (where systemd itself cannot run as PID 1):
#
#   sandbox.sh UNIT BINARY ROOT [RW_DIR...]
#
# UNIT is units/cgid@.service or units/cgid.service; its ExecStart= runs
# word for word, with a copy of BINARY as /usr/local/bin/cgid and ROOT
# bound read-only at the document root the unit names (/srv/www).  Each
# RW_DIR stays writable at its own path (for sanitizer reports).  The
# process keeps its pid, so LISTEN_PID from an activator stays valid.
#
# Applied, as the unit asks:
#   DynamicUser=yes           a uid and gid in systemd's dynamic range that
#                             no passwd entry names, no supplementary groups
#   NoNewPrivileges=yes, CapabilityBoundingSet=, AmbientCapabilities=
#   ProtectSystem=strict      every mount read-only (a private mount
#                             namespace), ReadOnlyPaths= the root
#   PrivateTmp=yes            empty /tmp and /var/tmp of its own
#   ProtectHome=yes           /home, /root and /run/user empty, inaccessible
#   PrivateDevices=yes        a /dev with null, zero, full, random, urandom
#   ProtectProc=invisible     /proc with hidepid=invisible
#   ProtectKernelTunables=yes /proc/sys and /sys read-only
#   UMask=0077
# and, when SANDBOX_SECCOMP_DIR names a directory prepared by
# syscall-filter.sh, through seccomp-exec:
#   SystemCallFilter=, SystemCallErrorNumber=EPERM,
#   SystemCallArchitectures=native, RestrictAddressFamilies=,
#   MemoryDenyWriteExecute=yes
# Not applied: PrivateUsers=, LockPersonality=, RestrictNamespaces=,
# RestrictRealtime=, RestrictSUIDSGID=, TasksMax= and the other settings
# that need the service manager.
set -eu

SANDBOX_UID=${SANDBOX_UID:-61234}

if [ "${1:-}" != --inside ]; then
	[ $# -ge 3 ] || {
		echo "usage: sandbox.sh UNIT BINARY ROOT [RW_DIR...]" >&2
		exit 2
	}
	# unshare(1) without --fork execs in place: the pid stays the same.
	exec unshare --mount --propagation private -- sh "$0" --inside "$@"
fi
shift
unit=$1 binary=$2 root=$3
shift 3

# ExecStart=/usr/local/bin/cgid /srv/www [OPTIONS]: its words.
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
case $exec_start in
/usr/local/bin/cgid\ *) ;;
*)
	echo "sandbox.sh: unexpected ExecStart= in $unit: $exec_start" >&2
	exit 2
	;;
esac
docroot=$(sed -n 's/^ReadOnlyPaths=-\{0,1\}//p' "$unit")
[ -n "$docroot" ] || docroot=/srv/www

umask 022
[ -d /srv ] || {
	echo "sandbox.sh: no /srv to stage the root in" >&2
	exit 2
}
# A staging tmpfs on /srv (the unit's root, /srv/www, lies beneath it).
stage=/srv
mount -n -t tmpfs -o mode=755 cgid-stage "$stage"
mkdir -p "$stage/.dev" "$stage/.rw"
[ "$docroot" = "${docroot#/srv/}" ] && {
	echo "sandbox.sh: the document root $docroot is not beneath /srv" >&2
	exit 2
}
mkdir -p "$docroot"
mount -n --bind "$root" "$docroot"
n=0
for d in "$@"; do
	n=$((n + 1))
	mkdir "$stage/.rw/$n"
	mount -n --bind "$d" "$stage/.rw/$n"
done
# PrivateDevices=yes: a few device nodes, bound from the host's /dev.
mount -n -t tmpfs -o mode=755,nosuid cgid-dev "$stage/.dev"
for dev in null zero full random urandom; do
	: >"$stage/.dev/$dev"
	mount -n --bind "/dev/$dev" "$stage/.dev/$dev"
done
ln -s /proc/self/fd "$stage/.dev/fd"
ln -s /proc/self/fd/0 "$stage/.dev/stdin"
ln -s /proc/self/fd/1 "$stage/.dev/stdout"
ln -s /proc/self/fd/2 "$stage/.dev/stderr"
mkdir -m 1777 "$stage/.dev/shm"
# The program, where ExecStart= expects it.
mount -n -t tmpfs -o mode=755 cgid-bin /usr/local/bin
cp "$binary" /usr/local/bin/cgid
chmod 755 /usr/local/bin/cgid
# The system call filter, if asked for.
filter=
if [ -n "${SANDBOX_SECCOMP_DIR:-}" ]; then
	name=$(basename "$unit")
	sc=/usr/local/bin/.seccomp
	mkdir "$sc"
	cp "$SANDBOX_SECCOMP_DIR/seccomp-exec" "$SANDBOX_SECCOMP_DIR/$name.numbers" "$sc/"
	filter="$sc/seccomp-exec $sc/$name.numbers $(cat "$SANDBOX_SECCOMP_DIR/$name.families") --"
fi

# ProtectSystem=strict: every mount read-only but the API file systems
# below /dev and /proc, which are replaced next (ProtectKernelTunables=
# and ProtectControlGroups= keep /sys read-only too).  Deepest first.
awk '{ print $5 }' /proc/self/mountinfo | sort -r | while read -r mp; do
	case $mp in
	/dev | /dev/* | /proc | /proc/* | "$stage/.dev" | "$stage/.dev"/*) continue ;;
	*\\*) continue ;; # escaped characters: none of ours
	esac
	mount -n -o remount,bind,ro "$mp" 2>/dev/null || true
done

mount -n --move "$stage/.dev" /dev
# ProtectProc=invisible: other users' processes do not exist.
mount -n -t proc -o nosuid,nodev,noexec,hidepid=invisible proc /proc
# ProtectKernelTunables=yes
mount -n --bind /proc/sys /proc/sys
mount -n -o remount,bind,ro /proc/sys
# PrivateTmp=yes
mount -n -t tmpfs -o mode=1777,nosuid,nodev cgid-tmp /tmp
mount -n -t tmpfs -o mode=1777,nosuid,nodev cgid-vartmp /var/tmp
# ProtectHome=yes
for d in /home /root /run/user; do
	[ -d "$d" ] && mount -n -t tmpfs -o ro,mode=000 cgid-home "$d"
done
# The writable directories, at their own paths.
n=0
for d in "$@"; do
	n=$((n + 1))
	mkdir -p "$d" 2>/dev/null || true
	mount -n --bind "$stage/.rw/$n" "$d"
	mount -n -o remount,bind,rw "$d"
done

umask 077
exec setpriv --reuid="$SANDBOX_UID" --regid="$SANDBOX_UID" --clear-groups \
	--no-new-privs --inh-caps=-all --ambient-caps=-all --bounding-set=-all \
	-- $filter $exec_start
