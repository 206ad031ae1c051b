#!/bin/sh
# A local redirect to itself, for ever.
printf 'Location: /cgi-bin/bad-redirect-loop.sh\n\n'
