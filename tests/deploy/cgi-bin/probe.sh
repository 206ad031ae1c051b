#!/bin/sh
# Report what the program runs with: user, groups, privileges, resource
# limits, and what the sandbox lets it see or write.  One NAME=VALUE a line.
PATH=${PATH:-/usr/bin:/bin}
printf 'Content-Type: text/plain\n\n'
echo "uid=$(id -u)"
echo "gid=$(id -g)"
echo "groups=$(id -G)"
# Uid=real effective saved fs, and the same for Gid
awk -F'\t' '/^(Uid|Gid|Groups|NoNewPrivs|CapEff|CapBnd|CapAmb|Seccomp):/ {
	sub(/:$/, "", $1); v = $2; for (i = 3; i <= NF; i++) v = v " " $i
	gsub(/ +$/, "", v); print "status-" $1 "=" v }' /proc/self/status
awk '/^Max cpu time/ { print "limit-cpu=" $4 " " $5 }
	/^Max address space/ { print "limit-as=" $4 " " $5 }
	/^Max open files/ { print "limit-nofile=" $4 " " $5 }
	/^Max processes/ { print "limit-nproc=" $3 " " $4 }' /proc/self/limits
echo "umask=$(umask)"
if [ -e /proc/1 ]; then echo "pid1=visible"; else echo "pid1=invisible"; fi
if (: >"/tmp/probe.$$") 2>/dev/null; then
	echo "tmp=writable"
	rm -f "/tmp/probe.$$"
else
	echo "tmp=not-writable"
fi
echo "tmp-entries=$(ls -A /tmp 2>/dev/null | tr '\n' ' ')"
if (: >"$DOCUMENT_ROOT/probe.$$") 2>/dev/null; then
	echo "root=writable"
	rm -f "$DOCUMENT_ROOT/probe.$$"
else
	echo "root=not-writable"
fi
if ls /home >/dev/null 2>&1; then echo "home=listable"; else echo "home=not-listable"; fi
echo "devices=$(ls /dev | tr '\n' ' ')"
# A packet socket: EPERM without the capability, EAFNOSUPPORT where
# RestrictAddressFamilies= leaves AF_PACKET out.
if command -v perl >/dev/null; then
	perl -MPOSIX -e 'if (socket(my $s, 17, 3, 0)) { print "af-packet=created\n" }
		else { print "af-packet=", ($! == EAFNOSUPPORT ? "EAFNOSUPPORT" :
			$! == EPERM ? "EPERM" : 0 + $!), "\n" }'
fi
