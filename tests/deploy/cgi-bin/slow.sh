#!/bin/sh
# Sleep for QUERY_STRING seconds (default 1), then answer.  Before that,
# leave "PID START" in $MARK_DIR/slow.PID so that a test knows it runs
# (MARK_DIR comes from cgid's --env).
PATH=${PATH:-/usr/bin:/bin}
secs=${QUERY_STRING:-1}
case $secs in *[!0-9.]* | "") secs=1 ;; esac
start=$(date +%s.%N)
[ -n "${MARK_DIR:-}" ] && echo "$$ $start" >"$MARK_DIR/slow.$$"
sleep "$secs"
printf 'Content-Type: text/plain\n\n'
echo "slept $secs"
echo "start $start"
echo "end $(date +%s.%N)"
echo "pid $$"
