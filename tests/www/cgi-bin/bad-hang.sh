#!/bin/sh
# Hangs without a byte of output: the server must answer 504 and end it.
exec sleep 60
