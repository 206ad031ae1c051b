#!/bin/sh
# Fails before any output.
echo "T3-FAIL-STDERR first line" >&2
echo "T3-FAIL-STDERR second line" >&2
exit 3
