#!/bin/sh
# Asks the server to switch protocols on the client's connection.
printf 'Status: 101 Switching Protocols\nUpgrade: websocket\nConnection: Upgrade\n\nRAW-AFTER-101\n'
