#!/bin/sh
# A status line of our own choosing.
printf 'Status: 404 Not Here\n'
printf 'Content-Type: text/plain\n\n'
echo "STATUS-SCRIPT-BODY"
