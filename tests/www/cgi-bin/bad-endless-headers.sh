#!/bin/sh
# Header fields without end (bounded here): 502, never relayed.
printf 'Content-Type: text/plain\n'
i=0
while [ "$i" -lt 100000 ]; do
	printf 'X-Endless-%d: ENDLESS-HEADER-VALUE\n' "$i"
	i=$((i + 1))
done
printf '\nENDLESS-HEADERS-BODY\n'
