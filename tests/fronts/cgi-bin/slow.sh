#!/bin/sh
# Starts a response, leaves its pid in the file named by QUERY_STRING,
# then takes its time: for aborts and for the front server going away.
printf 'Content-Type: text/plain\n\n'
echo "SLOW-STARTED"
echo $$ >"$QUERY_STRING"
exec sleep 30
