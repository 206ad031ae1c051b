#!/bin/sh
# One header field longer than the whole header block may be: 502.
PATH=${PATH:-/usr/bin:/bin}
printf 'Content-Type: text/plain\nX-Long: '
head -c 20000 /dev/zero | tr '\0' L
printf '\n\nLONG-HEADER-BODY\n'
