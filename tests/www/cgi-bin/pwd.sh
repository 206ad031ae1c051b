#!/bin/sh
# Print the working directory the server started us in.
printf 'Content-Type: text/plain\n\n'
pwd -P
