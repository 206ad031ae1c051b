#!/bin/sh
# Copy the request body back until end of input, whatever CONTENT_LENGTH says.
printf 'Content-Type: application/octet-stream\n\n'
exec cat
