#!/bin/sh
# Show the CGI environment as an HTML table.
PATH=${PATH:-/usr/bin:/bin}

escape() {
	sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'
}

printf 'Content-Type: text/html; charset=utf-8\n\n'
cat <<'HEAD'
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>cgid demo: environment</title>
<link rel="stylesheet" href="/style.css">
</head>
<body>
<h1>CGI environment</h1>
<table>
<tr><th>Name</th><th>Value</th></tr>
HEAD
# One row a variable; a value with a newline in it continues on the next
# lines of env's output, which is why awk joins them to the row before
# (and why the rows are sorted only then).
env | escape | awk '
	/^[A-Za-z_][A-Za-z0-9_]*=/ {
		if (row != "") print row "</td></tr>"
		i = index($0, "=")
		row = "<tr><th>" substr($0, 1, i - 1) "</th><td>" substr($0, i + 1)
		next
	}
	{ row = row "<br>" $0 }
	END { if (row != "") print row "</td></tr>" }' | LC_ALL=C sort
cat <<'TAIL'
</table>
<p><a href="/index.html">Back to the start page</a></p>
</body>
</html>
TAIL
