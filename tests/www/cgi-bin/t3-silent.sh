#!/bin/sh
# Succeeds without writing anything to stdout.
echo "T3-SILENT-STDERR" >&2
exit 0
