#!/bin/sh
# Response heads of several kinds, chosen by the query string.
case $QUERY_STRING in
cookies)
	printf 'Content-Type: text/plain\n'
	printf 'Set-Cookie: first=1; Path=/\n'
	printf 'Set-Cookie: second=2; Path=/\n'
	printf 'Set-Cookie: third=3; Path=/\n\n'
	echo T3-COOKIES
	;;
made)
	printf 'Status: 201 Made\nContent-Type: text/plain\n\n'
	echo T3-MADE
	;;
204)
	printf 'Status: 204 No Content\n\n'
	;;
204body)
	printf 'Status: 204 No Content\nContent-Type: text/plain\n\n'
	echo T3-BODY-OF-204
	;;
304)
	printf 'Status: 304 Not Modified\n\n'
	;;
205body)
	printf 'Status: 205 Reset Content\nContent-Type: text/plain\n\n'
	echo T3-BODY-OF-205
	;;
304length)
	printf 'Status: 304 Not Modified\nContent-Length: 6\n\n'
	;;
moved)
	printf 'Status: 301 Moved Permanently\nLocation: http://x/\n'
	printf 'Content-Type: text/html\n\n'
	echo '<p>T3-MOVED-DOCUMENT</p>'
	;;
hop)
	printf 'Content-Type: text/plain\nConnection: x-t3-hop\n'
	printf 'Keep-Alive: timeout=99\nTransfer-Encoding: chunked\n\n'
	echo T3-HOP-BODY
	;;
date)
	printf 'Content-Type: text/plain\nDate: Mon, 01 Jan 2001 00:00:00 GMT\n\n'
	echo T3-DATE
	;;
length)
	printf 'Content-Type: text/plain\nContent-Length: 10\n\n'
	echo T3-LENGTH
	;;
404)
	printf 'Status: 404 Not Found\nContent-Type: text/plain\n'
	printf 'Content-Length: 11\n\n'
	echo T3-MISSING
	;;
*)
	printf 'Content-Type: text/plain\n\n'
	echo T3-CHUNKED
	;;
esac
