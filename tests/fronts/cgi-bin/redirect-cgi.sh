#!/bin/sh
# Local redirect to another CGI program, with a query string.
printf 'Location: /cgi-bin/hello?from=redirect\n\n'
