#!/bin/sh
# Reads its whole input slowly, then sleeps: only the server ends it early.
PATH=${PATH:-/usr/bin:/bin}
while dd bs=4096 count=1 of=/dev/null 2>/dev/null; do
	sleep 0.01
done
printf 'Content-Type: text/plain\n\nDRAINED\n'
sleep 60
