<?php
// What PHP makes of the CGI environment cgid gives php-cgi.
header('Content-Type: text/plain; charset=utf-8');
foreach (['REQUEST_METHOD', 'SCRIPT_NAME', 'PATH_INFO', 'QUERY_STRING',
          'SCRIPT_FILENAME', 'PHP_SELF', 'REQUEST_URI', 'GATEWAY_INTERFACE',
          'SERVER_PROTOCOL', 'SERVER_PORT', 'REDIRECT_STATUS'] as $k) {
    echo $k, '=', $_SERVER[$k] ?? '(unset)', "\n";
}
foreach ($_GET as $k => $v) {
    echo 'GET[', $k, ']=', $v, "\n";
}
