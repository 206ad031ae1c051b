#!/usr/bin/perl
# A form handler in the usual CGI.pm style: every parameter, and for an
# uploaded file its name, size and SHA-256, HTML-escaped.
use strict;
use warnings;
use CGI;
use Digest::SHA qw(sha256_hex);

my $q = CGI->new;
if (defined $q->url_param('redirect')) {
    print $q->redirect(-uri => '/hello.html', -status => '303 See Other');
    exit 0;
}
print $q->header(-type => 'text/html', -charset => 'utf-8');
print "<!DOCTYPE html>\n<html><head><title>CGI.pm</title></head><body>\n";
printf "<p>method=%s</p>\n", $q->escapeHTML($q->request_method);
printf "<p>url=%s</p>\n", $q->escapeHTML($q->url);
printf "<p>path_info=%s</p>\n", $q->escapeHTML($q->path_info);
for my $name (sort $q->param) {
    my $fh = $q->upload($name);
    if ($fh) {
        binmode $fh;
        my $data = do { local $/; <$fh> };
        my $type = $q->uploadInfo(scalar $q->param($name))->{'Content-Type'} // '';
        printf "<p>file %s: name=%s type=%s size=%d sha256=%s</p>\n",
            $q->escapeHTML($name), $q->escapeHTML(scalar $q->param($name)),
            $q->escapeHTML($type), length($data), sha256_hex($data);
        next;
    }
    for my $v ($q->multi_param($name)) {
        printf "<p>param %s=%s</p>\n", $q->escapeHTML($name), $q->escapeHTML($v);
    }
}
print "</body></html>\n";
