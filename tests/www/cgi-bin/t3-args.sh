#!/bin/sh
# Print the command line the server gave us (RFC 3875 section 4.4).
printf 'Content-Type: text/plain\n\n'
printf 'argc=%d\n' "$#"
for a in "$@"; do
	printf 'arg=[%s]\n' "$a"
done
