<?php
// A file upload: the fields, and the file's name, size and SHA-256 as PHP
// received it.
header('Content-Type: text/plain; charset=utf-8');
echo 'method=', $_SERVER['REQUEST_METHOD'], "\n";
echo 'length=', $_SERVER['CONTENT_LENGTH'] ?? '(unset)', "\n";
foreach ($_POST as $k => $v) {
    echo 'field ', $k, '=', $v, "\n";
}
foreach ($_FILES as $k => $f) {
    echo 'file ', $k, ': name=', $f['name'], ' error=', $f['error'], ' size=', $f['size'];
    if ($f['error'] === UPLOAD_ERR_OK) {
        echo ' sha256=', hash_file('sha256', $f['tmp_name']);
    }
    echo "\n";
}
