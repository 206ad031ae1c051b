#!/bin/sh
# A Content-Length, and a body only where one may go: none for HEAD, and
# 204 or 304 when the query asks.
case $QUERY_STRING in
204) printf 'Status: 204 No Content\nContent-Length: 6\n\n' ;;
304) printf 'Status: 304 Not Modified\nContent-Length: 6\n\n' ;;
*)
	printf 'Content-Type: text/plain\nContent-Length: 6\n\n'
	[ "$REQUEST_METHOD" = HEAD ] || echo hello
	;;
esac
