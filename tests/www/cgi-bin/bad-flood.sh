#!/bin/sh
# A large response (256 MiB, more than any socket buffer), to a client
# that may not read it.
PATH=${PATH:-/usr/bin:/bin}
printf 'Content-Type: application/octet-stream\n\n'
exec head -c 268435456 /dev/zero
