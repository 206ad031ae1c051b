#!/bin/sh
# A complete response, then the exit status 3.
printf 'Content-Type: text/plain\n\n'
echo "EXIT-THREE"
exit 3
