#!/bin/sh
# A header value with a bare CR, to split the response: 502.
printf 'Content-Type: text/plain\nX-Split: a\rSet-Cookie: SPLIT-COOKIE=1\n\nSPLIT-BODY\n'
