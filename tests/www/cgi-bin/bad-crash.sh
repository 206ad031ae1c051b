#!/bin/sh
# Dies of a signal before any output: 500.
echo "BAD-CRASH about to die" >&2
kill -SEGV $$
