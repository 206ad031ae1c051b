#!/usr/bin/perl
# Show what a form sent: the fields of an application/x-www-form-urlencoded
# POST (or of the query string for GET), or the fields and files of a
# multipart/form-data POST (each file as its name, size and SHA-256), all
# decoded and HTML-escaped.  Perl core modules only.
use strict;
use warnings;
use Digest::SHA qw(sha256_hex);

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

# A quoted or plain parameter of a header field: param('name', $header).
sub param {
    my ($name, $h) = @_;
    return $1 if $h =~ /;\s*\Q$name\E="((?:[^"\\]|\\.)*)"/i;
    return $1 if $h =~ /;\s*\Q$name\E=([^;\s]+)/i;
    return undef;
}

# Split a multipart/form-data body into fields and files (RFC 7578).
sub parse_multipart {
    my ($data, $boundary, $fields, $files) = @_;
    my @parts = split /\r\n--\Q$boundary\E/, "\r\n$data";
    shift @parts;                   # the preamble
    for my $part (@parts) {
        last if $part =~ /^--/;     # the closing delimiter
        $part =~ s/^[ \t]*\r\n//;
        my ($head, $body) = split /\r\n\r\n/, $part, 2;
        next unless defined $body;
        my ($disp) = $head =~ /^Content-Disposition:[ \t]*(.*)$/mi;
        next unless defined $disp;
        $disp =~ s/\r$//;
        my $name = param('name', $disp) // '';
        my $filename = param('filename', $disp);
        if (defined $filename) {
            # Browsers write " CR LF in names as %22 %0D %0A; old ones
            # send a whole path.
            $filename =~ s/%(22|0D|0A)/chr(hex($1))/gie;
            $filename =~ s{.*[/\\]}{};
            push @$files, [$name, $filename, length($body), sha256_hex($body)]
                if $filename ne '' || length($body);
        } else {
            push @$fields, [$name, $body];
        }
    }
}

my $method = $ENV{REQUEST_METHOD} // 'GET';
my $ctype = $ENV{CONTENT_TYPE} // '';
my $data = '';
if ($method eq 'POST') {
    binmode STDIN;
    my $want = $ENV{CONTENT_LENGTH};
    if (defined $want && $want =~ /^\d+$/) {
        while (length($data) < $want) {
            my $n = read(STDIN, $data, $want - length($data), length($data));
            last unless $n;
        }
    } else {
        local $/;
        $data = <STDIN> // '';
    }
} else {
    $data = $ENV{QUERY_STRING} // '';
    $ctype = '';
}

my (@fields, @files);
if ($ctype =~ m{^multipart/form-data}i) {
    my $boundary = param('boundary', $ctype);
    parse_multipart($data, $boundary, \@fields, \@files) if defined $boundary;
} else {
    for my $pair (split /[&;]/, $data) {
        next if $pair eq '';
        my ($name, $value) = split /=/, $pair, 2;
        push @fields, [url_decode($name), url_decode($value // '')];
    }
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
printf "<p>%s request, %d byte(s) of form data%s.</p>\n", html_escape($method),
    length($data), $ctype eq '' ? '' : ' as <code>' . html_escape($ctype =~ s/;.*//sr) . '</code>';
if (@fields) {
    print "<h2>Fields</h2>\n<table>\n<tr><th>Field</th><th>Value</th></tr>\n";
    for my $f (@fields) {
        my ($n, $v) = map { html_escape($_) } @$f;
        $v =~ s/\r?\n/<br>/g;
        print "<tr><th>$n</th><td>$v</td></tr>\n";
    }
    print "</table>\n";
} else {
    print "<p>No fields.</p>\n";
}
if (@files) {
    print "<h2>Files</h2>\n<table>\n<tr><th>Field</th><th>Name</th><th>Bytes</th><th>SHA-256</th></tr>\n";
    for my $f (@files) {
        my ($field, $name, $size, $sum) = @$f;
        printf "<tr><th>%s</th><td class=\"name\">%s</td><td class=\"size\">%d</td><td class=\"sha256\">%s</td></tr>\n",
            html_escape($field), html_escape($name), $size, $sum;
    }
    print "</table>\n";
}
# With keep-alive, several requests arrive over one connection (one port).
printf "<p class=\"peer\">Received from %s, port %s.</p>\n",
    html_escape($ENV{REMOTE_ADDR} // '?'), html_escape($ENV{REMOTE_PORT} // '?');
print <<'HTML';
<p><a href="/form.html">Back to the forms</a></p>
</body>
</html>
HTML
