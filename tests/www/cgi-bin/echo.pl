#!/usr/bin/perl
# Read exactly CONTENT_LENGTH bytes of request body and send them back.
use strict;
use warnings;

my $want = $ENV{CONTENT_LENGTH} // 0;
my $body = '';
binmode STDIN;
while (length($body) < $want) {
    my $n = read(STDIN, $body, $want - length($body), length($body));
    die "read: $!\n" unless defined $n;
    last if $n == 0;
}
binmode STDOUT;
print "Content-Type: application/octet-stream\r\n";
print "X-Body-Length: ", length($body), "\r\n";
print "\r\n";
print $body;
