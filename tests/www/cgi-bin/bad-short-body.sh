#!/bin/sh
# Declares 1000 bytes, sends 11 and exits.
printf 'Content-Type: text/plain\nContent-Length: 1000\n\nSHORT-BODY\n'
