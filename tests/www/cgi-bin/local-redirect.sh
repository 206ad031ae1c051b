#!/bin/sh
# Local redirect: the server serves /other.html in place of this response.
printf 'Location: /other.html\n\n'
