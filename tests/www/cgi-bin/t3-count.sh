#!/bin/sh
# Count the bytes of the request body.
PATH=${PATH:-/usr/bin:/bin}
printf 'Content-Type: text/plain\n\n'
wc -c | tr -d ' '
