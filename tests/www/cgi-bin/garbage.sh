#!/bin/sh
# Output without any header block: the server must not relay it.
echo "GARBAGE-OUTPUT no header block here"
echo "more GARBAGE-OUTPUT"
