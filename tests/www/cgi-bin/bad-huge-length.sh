#!/bin/sh
# A Content-Length too large for any integer type: 502.
printf 'Content-Type: text/plain\nContent-Length: 99999999999999999999\n\nHUGE-LENGTH-BODY\n'
