#!/bin/sh
# Declares 5 bytes and sends a second response after them: the client must
# get the 5 bytes and nothing else.
printf 'Content-Type: text/plain\nContent-Length: 5\n\n'
printf 'FIRST'
printf 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 8\r\n\r\nSMUGGLED'
