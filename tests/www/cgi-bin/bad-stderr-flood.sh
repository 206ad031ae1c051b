#!/bin/sh
# Floods stderr (many lines, then a long one without a newline) before a
# normal response.
PATH=${PATH:-/usr/bin:/bin}
i=0
while [ "$i" -lt 2000 ]; do
	echo "STDERR-FLOOD line $i ....................................................................." >&2
	i=$((i + 1))
done
head -c 300000 /dev/zero | tr '\0' E >&2
printf 'Content-Type: text/plain\n\nSTDERR-FLOOD-BODY\n'
