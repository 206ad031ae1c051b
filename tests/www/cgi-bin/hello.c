/* A compiled CGI program: greets and echoes its query string. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	const char *q = getenv("QUERY_STRING");

	printf("Content-Type: text/plain\r\n");
	printf("X-Cgi-Language: C\r\n");
	printf("\r\n");
	printf("Hello from C\n");
	printf("query=%s\n", q ? q : "(unset)");
	return 0;
}
