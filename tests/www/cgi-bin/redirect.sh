#!/bin/sh
# Client redirect: absolute URI, no Status header.
printf 'Location: http://example.com/\n\n'
