#!/bin/sh
# Sends its header block one byte a second and never ends it: the idle
# timeout never fires, the total one must.
i=0
while [ "$i" -lt 60 ]; do
	printf 'X'
	sleep 1
	i=$((i + 1))
done
