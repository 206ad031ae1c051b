#!/bin/sh
# A complete response, then stdout closed while the script runs on.
printf 'Content-Type: text/plain\n\nCLOSED-STDOUT-BODY\n'
exec >&-
sleep 60
