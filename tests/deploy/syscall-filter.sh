#!/bin/sh
# Prepare deploy/seccomp-exec for a unit (see sandbox.sh):
#
#   syscall-filter.sh UNIT DIR
#
# writes DIR/seccomp-exec (built with ${CC:-cc}), DIR/UNIT.numbers (the
# system calls the unit's SystemCallFilter= lines allow, as numbers of
# this machine: the allow list less every ~ list, groups expanded with
# systemd-analyze syscall-filter) and DIR/UNIT.families (the address
# families of RestrictAddressFamilies=, as numbers).
set -eu
unit=$1 dir=$2
name=$(basename "$unit")
here=$(dirname "$0")
mkdir -p "$dir"

# expand NAME...: system call names, groups (@name) expanded
expand() {
	for s in "$@"; do
		case $s in
		@*)
			systemd-analyze syscall-filter "$s" |
				awk 'NR > 1 && $1 !~ /^#/ && NF { print $1 }' |
				while read -r t; do expand "$t"; done
			;;
		*) echo "$s" ;;
		esac
	done
}

: >"$dir/allow"
: >"$dir/deny"
sed -n 's/^SystemCallFilter=//p' "$unit" | while read -r line; do
	case $line in
	~*)
		# shellcheck disable=SC2086
		expand ${line#\~} >>"$dir/deny"
		;;
	*)
		# shellcheck disable=SC2086
		expand $line >>"$dir/allow"
		;;
	esac
done
[ -s "$dir/allow" ] || {
	echo "syscall-filter.sh: no SystemCallFilter= allow list in $unit" >&2
	exit 1
}
sort -u "$dir/allow" >"$dir/allow.sorted"
sort -u "$dir/deny" >"$dir/deny.sorted"
comm -23 "$dir/allow.sorted" "$dir/deny.sorted" >"$dir/$name.names"

# names to numbers through the C library's <sys/syscall.h>
{
	echo '#include <sys/syscall.h>'
	sed 's/.*/NR & __NR_&/' "$dir/$name.names"
} | "${CC:-cc}" -E -P - | awk '$1 == "NR" && $3 ~ /^[0-9]+$/ { print $3 }' |
	sort -n -u >"$dir/$name.numbers"

fams=
for f in $(sed -n 's/^RestrictAddressFamilies=//p' "$unit"); do
	case $f in
	AF_UNIX) n=1 ;;
	AF_INET) n=2 ;;
	AF_INET6) n=10 ;;
	*)
		echo "syscall-filter.sh: unknown family $f" >&2
		exit 1
		;;
	esac
	fams=${fams:+$fams,}$n
done
echo "$fams" >"$dir/$name.families"

[ -x "$dir/seccomp-exec" ] ||
	"${CC:-cc}" -O2 -Wall -Wextra -o "$dir/seccomp-exec" "$here/seccomp-exec.c"
