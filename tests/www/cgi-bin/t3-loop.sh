#!/bin/sh
# A local redirect to itself; one stderr line per run.
echo "T3-LOOP-RUN" >&2
printf 'Location: /cgi-bin/t3-loop.sh\n\n'
