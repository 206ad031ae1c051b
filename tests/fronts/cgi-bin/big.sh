#!/bin/sh
# A large response: the test's random data file, as it is.
printf 'Content-Type: application/octet-stream\n\n'
exec cat ../data.bin
