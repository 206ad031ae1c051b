#!/bin/sh
# Leaves a background child that holds stdout and stderr open, and exits.
printf 'Content-Type: text/plain\n\nBACKGROUND-BODY\n'
sleep 60 &
exit 0
