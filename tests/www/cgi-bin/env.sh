#!/bin/sh
# Print the environment the server gave us, one NAME=VALUE a line.
printf 'Content-Type: text/plain\n\n'
# Only for finding env(1) when the server passes no PATH; not exported.
PATH=${PATH:-/usr/bin:/bin}
exec env
