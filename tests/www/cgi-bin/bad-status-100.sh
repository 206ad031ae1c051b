#!/bin/sh
# An interim status as the script's only answer: never a final response.
printf 'Status: 100 Continue\nContent-Type: text/plain\n\nBODY-AFTER-100\n'
