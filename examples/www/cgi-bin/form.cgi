#!/usr/bin/perl
# Show the fields of an application/x-www-form-urlencoded POST (or of the
# query string for GET), decoded and HTML-escaped.
use strict;
use warnings;

sub html_escape {
    my ($s) = @_;
    $s =~ s/&/&amp;/g;
    $s =~ s/</&lt;/g;
    $s =~ s/>/&gt;/g;
    $s =~ s/"/&quot;/g;
    $s =~ s/'/&#39;/g;
    return $s;
}

sub url_decode {
    my ($s) = @_;
    $s =~ tr/+/ /;
    $s =~ s/%([0-9A-Fa-f]{2})/chr(hex($1))/ge;
    return $s;
}

my $method = $ENV{REQUEST_METHOD} // 'GET';
my $data = '';
if ($method eq 'POST') {
    my $want = $ENV{CONTENT_LENGTH} // 0;
    $want = 0 unless $want =~ /^\d+$/;
    binmode STDIN;
    while (length($data) < $want) {
        my $n = read(STDIN, $data, $want - length($data), length($data));
        last unless $n;
    }
} else {
    $data = $ENV{QUERY_STRING} // '';
}

my @fields;
for my $pair (split /[&;]/, $data) {
    next if $pair eq '';
    my ($name, $value) = split /=/, $pair, 2;
    push @fields, [url_decode($name), url_decode($value // '')];
}

print "Content-Type: text/html; charset=utf-8\r\n\r\n";
print <<'HTML';
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>cgid demo: form received</title>
<link rel="stylesheet" href="/style.css">
</head>
<body>
<h1>Form received</h1>
HTML
printf "<p>%s request, %d byte(s) of form data.</p>\n", html_escape($method), length($data);
if (@fields) {
    print "<table>\n<tr><th>Field</th><th>Value</th></tr>\n";
    for my $f (@fields) {
        my ($n, $v) = map { html_escape($_) } @$f;
        $v =~ s/\r?\n/<br>/g;
        print "<tr><th>$n</th><td>$v</td></tr>\n";
    }
    print "</table>\n";
} else {
    print "<p>No fields.</p>\n";
}
print <<'HTML';
<p><a href="/form.html">Back to the form</a></p>
</body>
</html>
HTML
