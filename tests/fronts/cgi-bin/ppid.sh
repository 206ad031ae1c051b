#!/bin/sh
# Which cgid process started us: one per connection.
printf 'Content-Type: text/plain\n\n'
echo "$PPID"
