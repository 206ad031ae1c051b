#!/usr/bin/perl
# Forks as many children as it may (at most 300), reports how many it
# got, and leaves them running (without its stdout and stderr, so that
# the response itself can end).
use strict;
use warnings;

my $n = 0;
while ($n < 300) {
    my $pid = fork;
    last unless defined $pid;
    if ($pid == 0) {
        open(STDOUT, '>', '/dev/null');
        open(STDERR, '>', '/dev/null');
        sleep 60;
        exit 0;
    }
    $n++;
}
$| = 1;
print "Content-Type: text/plain\r\n\r\nFORKED $n\n";
