#!/bin/sh
# Writes a diagnostic to stderr; it belongs in the server's log.
echo "STDERR-MARKER-4711 something went sideways" >&2
printf 'Content-Type: text/plain\n\n'
echo "STDOUT-BODY"
