<?php
// A form handler: the POSTed fields, HTML-escaped.
header('Content-Type: text/html; charset=utf-8');
echo "<!DOCTYPE html>\n<html><head><title>form</title></head><body>\n";
echo '<p>method=', htmlspecialchars($_SERVER['REQUEST_METHOD']), "</p>\n";
echo '<p>type=', htmlspecialchars($_SERVER['CONTENT_TYPE'] ?? ''), "</p>\n";
foreach ($_POST as $k => $v) {
    if (is_array($v)) {
        $v = implode(',', $v);
    }
    echo '<p>', htmlspecialchars($k), '=', htmlspecialchars($v), "</p>\n";
}
echo "</body></html>\n";
