#!/bin/sh
# Local redirects that try to leave the root or reach hidden files.
case $QUERY_STRING in
1) printf 'Location: /%%2e%%2e/%%2e%%2e/%%2e%%2e/etc/passwd\n\n' ;;
2) printf 'Location: /../../../etc/passwd\n\n' ;;
3) printf 'Location: /.hidden-in-root\n\n' ;;
*) printf 'Location: /cgi-bin/../../../../etc/passwd?x=1\n\n' ;;
esac
