#!/bin/sh
# A CGI program outside /cgi-bin/, selected by its .cgi suffix.
printf 'Content-Type: text/plain\n\n'
echo "EXT-CGI-MARKER"
